"""INSERT … ON CONFLICT for the two backends we support.

Both SQLite and PostgreSQL have the same ON CONFLICT clause, but SQLAlchemy builds it from
dialect-specific `insert()` constructs; this picks the right one.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite


def _insert(dialect_name: str, model):
    if dialect_name == "postgresql":
        return postgresql.insert(model)
    if dialect_name == "sqlite":
        return sqlite.insert(model)
    raise NotImplementedError(f"wxauth supports SQLite and PostgreSQL, not {dialect_name}")


def insert_ignore(dialect_name: str, model, conflict: list[str], values: dict):
    return _insert(dialect_name, model).values(**values).on_conflict_do_nothing(index_elements=conflict)


def upsert(dialect_name: str, model, conflict: list[str], values: dict, update: dict):
    stmt = _insert(dialect_name, model).values(**values)
    return stmt.on_conflict_do_update(index_elements=conflict, set_=update)
