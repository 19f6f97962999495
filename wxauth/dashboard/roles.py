"""What each operator role may do, and the one place it is enforced.

Every dashboard view declares what it needs with @requires(...); a view that declares
nothing is refused to everyone (tests/dashboard/test_roles.py also fails on it), so a new
page cannot forget. Templates ask can(...) before showing a button or a link, so what a
role may not do is neither shown nor allowed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask_login import current_user

from wxauth.models.operators import ROLES

F = TypeVar("F", bound=Callable)

# permission -> the least role that has it (each role has what the ones before it have)
PERMISSIONS = {
    "read": "viewer",  # every page, phones masked
    "self": "viewer",  # one's own password, second factor, sessions, language, time zone
    "reveal_phone": "support",
    "revoke_sessions": "support",
    "export": "support",
    "delete_user": "admin",
    "provision": "admin",
    "manage_operators": "admin",
    "manage_clients": "admin",
    "manage_webhooks": "admin",
}
_RANK = {role: rank for rank, role in enumerate(ROLES)}


def requires(permission: str, *, post: str | None = None) -> Callable[[F], F]:
    """What the view needs; `post`, what its POST needs when that differs (a page that
    lists things and, for some roles, makes one)."""
    for name in (permission, post):
        if name is not None and name not in PERMISSIONS:
            raise ValueError(f"unknown permission {name!r}")

    def mark(view: F) -> F:
        view.wxauth_permission = (permission, post or permission)  # type: ignore[attr-defined]
        return view

    return mark


def permission_of(view: Callable | None, method: str = "GET") -> str | None:
    """What `view` needs for `method`; None when it declares nothing."""
    declared = getattr(view, "wxauth_permission", None)
    if declared is None:
        return None
    return declared[0] if method in ("GET", "HEAD", "OPTIONS") else declared[1]


def role_has(role: str, permission: str) -> bool:
    least = PERMISSIONS.get(permission)
    return least is not None and role in _RANK and _RANK[role] >= _RANK[least]


def can(permission: str) -> bool:
    """Whether the signed-in operator may do `permission` (for templates and views)."""
    return bool(current_user.is_authenticated) and role_has(current_user.role, permission)
