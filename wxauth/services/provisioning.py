"""Sign-up policies, and the phone numbers operators admit to a closed mini-program.

An app's `signup` (config.MiniApp) decides who may become a user at their first login:
"open", anyone; "phone", only with a phone code that binds (the number is written with the
new user); "closed", only a phone number an operator provisioned. Users who exist log in
whatever the policy.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from sqlalchemy import select, update

from config import MiniApp
from wxauth.errors import AppError
from wxauth.extensions import db
from wxauth.models import ProvisionedPhone, utcnow
from wxauth.models.upsert import insert_ignore

# A mainland number as WeChat's purePhoneNumber gives it, or another country's national number.
PHONE = re.compile(r"^[0-9]{5,20}$")


class ProvisionError(ValueError):
    """A number that cannot be provisioned (the message says why; `phone` is the number)."""

    def __init__(self, message: str, phone: str = ""):
        super().__init__(message)
        self.phone = phone


def refusal(app: MiniApp, phone, phone_error: AppError | None) -> AppError | None:
    """Why this stranger may not become a user of `app` (None: they may), given the phone
    their login's phone code yielded (None when there was none, or it failed)."""
    if app.signup == "phone" and phone is None:
        why = f" (the phone code failed: {phone_error.code})" if phone_error is not None else ""
        return AppError(
            "phone_required",
            f"This mini-program signs new users up with their phone number: log in with the phone button{why}.",
            403,
        )
    if app.signup == "closed" and (phone is None or not is_provisioned(app.appid, phone.pure_phone_number)):
        return AppError(
            "signup_closed",
            "This mini-program only admits people it was told of: ask its operator to add your phone number.",
            403,
        )
    return None


def normalize(phone: str) -> str:
    """The stored form of a number: digits only (spaces, dashes and a +86 prefix dropped)."""
    digits = re.sub(r"[\s\-()]", "", phone or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    if not PHONE.match(digits):
        raise ProvisionError(f"{phone!r} is not a phone number (5 to 20 digits)", phone)
    return digits


def provision(appid: str, phones: Iterable[str], progress: Callable[[int], None] | None = None) -> int:
    """Admit these numbers to `appid`; returns how many were new. Every number is checked
    first (ProvisionError, and nothing written, if one is not a number); commits every 500."""
    numbers = [normalize(phone) for phone in phones]
    added = 0
    batch: list[str] = []

    def flush() -> None:
        nonlocal added
        if not batch:
            return
        now = utcnow()
        for number in batch:
            stmt = insert_ignore(
                db.engine.dialect.name,
                ProvisionedPhone,
                ["appid", "phone_number"],
                {"appid": appid, "phone_number": number, "created_at": now},
            )
            # RETURNING, not rowcount: psycopg reports -1 for INSERT … ON CONFLICT DO NOTHING here.
            added += len(db.session.execute(stmt.returning(ProvisionedPhone.id)).all())
        db.session.commit()
        if progress is not None:
            progress(len(batch))
        batch.clear()

    for number in numbers:
        batch.append(number)
        if len(batch) >= 500:
            flush()
    flush()
    return added


def is_provisioned(appid: str, phone: str) -> bool:
    """Whether an operator admitted `phone` (normalized) to `appid`."""
    found = db.session.scalar(
        select(ProvisionedPhone.id).where(ProvisionedPhone.appid == appid, ProvisionedPhone.phone_number == phone)
    )
    db.session.commit()
    return found is not None


def claim(app: MiniApp, phone: str, user_id: int) -> None:
    """Mark the provisioned number as claimed by the user its login just created."""
    db.session.execute(
        update(ProvisionedPhone)
        .where(ProvisionedPhone.appid == app.appid, ProvisionedPhone.phone_number == phone)
        .values(claimed_at=utcnow(), claimed_user_id=user_id)
    )
    db.session.commit()


def provisioned(appid: str | None = None, limit: int = 200) -> list[ProvisionedPhone]:
    """The newest provisioned numbers (of one app, when given)."""
    stmt = select(ProvisionedPhone).order_by(ProvisionedPhone.created_at.desc(), ProvisionedPhone.id.desc()).limit(limit)
    if appid:
        stmt = stmt.where(ProvisionedPhone.appid == appid)
    return list(db.session.scalars(stmt))
