"""The rows a successful login writes, and the two ways of writing them.

`LoginRows` is the one source of those rows: the user's columns, the session and the event.
Two renderers write it. On PostgreSQL, one statement (`_statement`, built with SQLAlchemy
Core from the tables) writes all three in a single round trip; elsewhere, and as the one
fallback, three plain statements in a transaction (`_write_plain`). Why one statement:
docs/scaling.md, "Why the code is as it is".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Text,
    TextualSelect,
    bindparam,
    cast,
    column,
    exists,
    func,
    insert,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import DataError, IntegrityError

from wxauth import database
from wxauth.extensions import db
from wxauth.models import ApiSession, LoginEvent, User, WebhookDelivery
from wxauth.models.base import table
from wxauth.models.upsert import upsert
from wxauth.webhooks import outbox

log = logging.getLogger("wxauth.events")

WEBHOOK_EVENTS = "webhook_events"
# Every column of users but the sealed session_key, which never needs to come back.
USER_COLUMNS = tuple(c.name for c in table(User).c if c.name != "session_key_ciphertext")


@dataclass(frozen=True)
class LoginRows:
    """Everything one successful login writes.

    `changes` are set on the user at every login (the sealed session_key, its time, the
    profile fields the login carried); a new user also gets `appid`, `openid`, `unionid` and
    `created` (gender, created_at). A unionid already known is kept. `session` and `event`
    are the rows to insert, without the user id (and the event without is_new_user), which
    come from the user row the write returns. A user is new when its created_at is `now`.
    The webhook outbox gets user.created for a new user and user.phone_bound when the login
    binds a phone, each for the endpoints subscribed to it (webhooks.outbox).
    """

    appid: str
    openid: str
    unionid: str | None
    now: datetime
    changes: dict[str, Any]
    session: dict[str, Any]
    event: dict[str, Any]
    created_event_id: str = field(default_factory=outbox.new_event_id)
    phone_event_id: str = field(default_factory=outbox.new_event_id)

    @property
    def binds_phone(self) -> bool:
        """Whether this login writes a phone number (from its phone code)."""
        return "phone_number" in self.changes

    @property
    def created(self) -> dict[str, Any]:
        """The columns only a new user gets besides its key and unionid."""
        return {"gender": 0, "created_at": self.now}

    def is_new(self, user: User) -> bool:
        """Whether this login created `user` (its created_at is this login's time)."""
        return user.created_at == self.now

    def session_row(self, user: User) -> dict[str, Any]:
        """The session row to insert for `user`."""
        return {**self.session, "user_id": user.id}

    def event_row(self, user: User) -> dict[str, Any]:
        """The login event to insert for `user`."""
        return {**self.event, "user_id": user.id, "is_new_user": self.is_new(user)}


def write(rows: LoginRows) -> User:
    """Write a login's rows in one transaction and commit; return the user as written.

    The one fallback: when the writes fail on a row the database refuses (IntegrityError,
    DataError), they are written again without the event, so a login whose user and session
    can be written never fails for its event; the log says so. If they fail again, it was
    not the event, and the error stands.
    """
    try:
        if db.engine.dialect.name == "postgresql":
            return _write_one_statement(rows)
        return _write_plain(rows, with_event=True)
    except (IntegrityError, DataError):
        db.session.rollback()
        log.exception("could not record login_events (success): writing the login without its event")
        return _write_plain(rows, with_event=False)


def write_plain(rows: LoginRows) -> User:
    """The plain renderer on any database, event included (the parity test compares it)."""
    return _write_plain(rows, with_event=True)


def _write_plain(rows: LoginRows, *, with_event: bool) -> User:
    # On SQLite the transaction holds the writers' queue, which every other login waits
    # for: everything that is not a statement was done before (see LoginRows).
    with database.writing(db.engine):
        user = _upsert_user(rows)
        db.session.execute(_insert(ApiSession), rows.session_row(user))
        if with_event:
            db.session.execute(_insert(LoginEvent), rows.event_row(user))
        if rows.is_new(user):
            outbox.enqueue("user.created", event_id=rows.created_event_id, **_webhook(rows, user))
        if rows.binds_phone:
            outbox.enqueue("user.phone_bound", event_id=rows.phone_event_id, **_webhook(rows, user))
        db.session.commit()
    return user


def _webhook(rows: LoginRows, user: User) -> dict[str, Any]:
    return {"appid": user.appid, "user_id": user.id, "body": outbox.payload(user), "now": rows.now}


def _write_one_statement(rows: LoginRows) -> User:
    # One statement is atomic on its own, so it runs in autocommit: no BEGIN, no COMMIT.
    database.autocommit()
    params = {
        "k_appid": rows.appid,
        "k_openid": rows.openid,
        "k_unionid": rows.unionid,
        **{f"u_{k}": v for k, v in rows.changes.items()},
        **{f"c_{k}": v for k, v in rows.created.items()},
        **{f"s_{k}": v for k, v in rows.session.items()},
        **{f"e_{k}": v for k, v in rows.event.items()},
        **_webhook_params("wc", "user.created", rows.created_event_id),
        **(_webhook_params("wp", "user.phone_bound", rows.phone_event_id) if rows.binds_phone else {}),
    }
    row = db.session.execute(_statement(tuple(rows.changes), tuple(rows.session), tuple(rows.event)), params).one()
    values = dict(row._mapping)
    if values.pop(WEBHOOK_EVENTS):
        outbox.mark_pending()
    db.session.commit()
    return User(**values)


def _webhook_params(prefix: str, event_type: str, event_id: str) -> dict[str, str]:
    return {f"{prefix}_id": event_id, f"{prefix}_type": event_type, f"{prefix}_pattern": outbox.pattern(event_type)}


def _upsert_user(rows: LoginRows) -> User:
    """Update the returning user, or create them with one race-free INSERT … ON CONFLICT.

    The UPDATE comes first because most logins are by returning users and SQLAlchemy caches
    its compiled form, where it compiles ON CONFLICT anew on every call.
    """
    params = {"k_appid": rows.appid, "k_openid": rows.openid, **{f"u_{k}": v for k, v in rows.changes.items()}}
    if rows.unionid:
        params["k_unionid"] = rows.unionid
    row = db.session.execute(_update_user(tuple(rows.changes), bool(rows.unionid)), params).one_or_none()
    if row is None:
        changes: dict[str, Any] = dict(rows.changes)
        if rows.unionid:
            changes["unionid"] = func.coalesce(table(User).c.unionid, rows.unionid)
        values = {"appid": rows.appid, "openid": rows.openid, **rows.created, **rows.changes, "unionid": rows.unionid}
        stmt = upsert(db.session.get_bind().dialect.name, User, ["appid", "openid"], values, changes)
        row = db.session.execute(stmt.returning(*_returned())).one()
    return User(**row._mapping)


def _returned() -> list:
    return [table(User).c[name] for name in USER_COLUMNS]


@lru_cache(maxsize=None)
def _insert(model):
    return insert(table(model))


@lru_cache(maxsize=64)
def _update_user(changed: tuple[str, ...], with_unionid: bool):
    users = table(User)
    values: dict[str, Any] = {c: bindparam(f"u_{c}") for c in changed}
    if with_unionid:
        values["unionid"] = func.coalesce(users.c.unionid, bindparam("k_unionid"))
    return (
        update(users)
        .where(users.c.appid == bindparam("k_appid"), users.c.openid == bindparam("k_openid"))
        .values(**values)
        .returning(*_returned())
    )


@lru_cache(maxsize=64)
def _statement(changed: tuple[str, ...], session_columns: tuple[str, ...], event_columns: tuple[str, ...]) -> TextualSelect:
    """PostgreSQL: the user's upsert, the session and the event as one statement.

    Built with Core (`_build_statement`) and rendered to SQL once per set of columns, with
    its parameters' and columns' types kept: SQLAlchemy's statement cache serves the text,
    where it would compile an INSERT … ON CONFLICT anew on every execution.
    """
    compiled = _build_statement(changed, session_columns, event_columns).compile(dialect=postgresql.dialect(paramstyle="named"))
    params = [bindparam(name, type_=bind.type) for name, bind in compiled.binds.items()]
    return text(compiled.string).bindparams(*params).columns(*_returned(), column(WEBHOOK_EVENTS, Integer))


def _build_statement(changed: tuple[str, ...], session_columns: tuple[str, ...], event_columns: tuple[str, ...]) -> Select:
    """A returning user is updated; only when there is none is one inserted, with ON CONFLICT
    settling racing first logins of one openid (so user ids do not burn a sequence value
    per login). The session and the event are inserted from the user row either returns.
    """
    users, sessions, events = table(User), table(ApiSession), table(LoginEvent)

    def param(prefix: str, table, column: str):
        return bindparam(f"{prefix}_{column}", type_=table.c[column].type)

    every_login = {c: param("u", users, c) for c in changed}
    key = {"appid": param("k", users, "appid"), "openid": param("k", users, "openid")}
    updated = (
        update(users)
        .where(users.c.appid == key["appid"], users.c.openid == key["openid"])
        .values(**every_login, unionid=func.coalesce(users.c.unionid, param("k", users, "unionid")))
        .returning(*_returned())
        .cte("upd")
    )
    new_user = {
        **key,
        "unionid": param("k", users, "unionid"),
        **{c: param("c", users, c) for c in ("gender", "created_at")},
        **every_login,
    }
    inserting = postgresql.insert(users).from_select(
        list(new_user), select(*new_user.values()).where(~exists(select(updated.c.id)))
    )
    inserted = (
        inserting.on_conflict_do_update(
            index_elements=["appid", "openid"],
            set_={
                **{c: inserting.excluded[c] for c in changed},
                "unionid": func.coalesce(users.c.unionid, inserting.excluded.unionid),
            },
        )
        .returning(*_returned())
        .cte("ins")
    )
    # The row either returned, by position (both return _returned(), in one order): the
    # statement stays short enough for psycopg to keep its parsed form (docs/scaling.md).
    user = text("SELECT * FROM upd UNION ALL SELECT * FROM ins").columns(*_returned()).cte("u")

    session = {c: param("s", sessions, c) for c in session_columns}
    session["user_id"] = user.c.id
    session_insert = insert(sessions).from_select(list(session), select(*session.values())).cte("s")

    event = {c: param("e", events, c) for c in event_columns}
    event.update(user_id=user.c.id, is_new_user=user.c.created_at == param("c", users, "created_at"))
    event_insert = insert(events).from_select(list(event), select(*event.values())).cte("e")

    # The outbox, from the row as written: to_jsonb(u) is the user's columns (USER_COLUMNS).
    deliveries = table(WebhookDelivery)
    written = cast(func.jsonb_build_object(literal_column("'user'"), func.to_jsonb(literal_column(user.name))), Text)
    now = param("c", users, "created_at")
    created = outbox.fanout_select("wc", user.c.appid, user.c.id, written, now).where(user.c.created_at == now)
    webhooks = [insert(deliveries).from_select(outbox.fanout_columns(), created).returning(deliveries.c.id).cte("wc")]
    if "phone_number" in changed:
        bound = outbox.fanout_select("wp", user.c.appid, user.c.id, written, now)
        webhooks.append(insert(deliveries).from_select(outbox.fanout_columns(), bound).returning(deliveries.c.id).cte("wp"))
    # How many outbox rows the statement wrote: the dispatcher is woken only when there are some.
    written_events: ColumnElement[int] = literal_column("0")
    for w in webhooks:
        written_events = written_events + select(func.count()).select_from(w).scalar_subquery()
    return select(*(user.c[c] for c in USER_COLUMNS), written_events.label(WEBHOOK_EVENTS)).add_cte(
        updated,
        inserted,
        session_insert,
        event_insert,
        *webhooks,  # in this order: each sees those before it
    )
