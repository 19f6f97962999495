"""Multi-model writes. Each service function owns its transaction: it commits or rolls back."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClientInfo:
    """Who is calling: the client IP (after trusted proxies) and user agent."""

    ip: str | None
    user_agent: str | None

    @classmethod
    def from_request(cls, request) -> "ClientInfo":
        """Who sent `request`: its client IP (after trusted proxies) and its user agent, cut
        to 256 characters.
        """
        ua = request.headers.get("User-Agent")
        return cls(ip=(request.remote_addr or None), user_agent=ua[:256] if ua else None)
