"""flask events purge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from wxauth.extensions import db
from wxauth.models import Failure, LoginEvent, PhoneBind, utcnow


def _seed(app, days_ago: list[int]):
    now = utcnow()
    with app.app_context():
        db.session.execute(
            insert(LoginEvent),
            [{"created_at": now - timedelta(days=d), "outcome": "success", "is_new_user": False} for d in days_ago],
        )
        db.session.execute(
            insert(Failure),
            [{"created_at": now - timedelta(days=d), "kind": "phone_encrypted", "reason": "bad_padding"} for d in days_ago],
        )
        db.session.execute(insert(PhoneBind), [{"created_at": now - timedelta(days=d), "method": "code"} for d in days_ago])
        db.session.commit()


def _count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_purge_deletes_only_old_rows_in_batches(app, runner):
    _seed(app, [1, 10, 179, 181, 200, 365, 400])
    result = runner.invoke(args=["events", "purge", "--older-than", "180d", "--batch", "2"])
    assert result.exit_code == 0, result.output
    assert "login_events: deleted 4 rows" in result.output
    assert "failures: deleted 4 rows" in result.output
    assert "phone_binds: deleted 4 rows" in result.output
    assert _count(app, LoginEvent) == 3 and _count(app, Failure) == 3 and _count(app, PhoneBind) == 3


def test_purge_can_keep_failures(app, runner):
    _seed(app, [300])
    result = runner.invoke(args=["events", "purge", "--older-than", "12h", "--no-failures"])
    assert result.exit_code == 0, result.output
    assert _count(app, LoginEvent) == 0 and _count(app, Failure) == 1 and _count(app, PhoneBind) == 1


@pytest.mark.parametrize("age", ["180", "0d", "-3d", "1w", ""])
def test_purge_rejects_bad_ages(app, runner, age):
    result = runner.invoke(args=["events", "purge", "--older-than", age])
    assert result.exit_code != 0
    assert _count(app, LoginEvent) == 0


def _seed_audit(app, days_ago: list[int]):
    from wxauth.models import AuditEvent

    now = utcnow()
    with app.app_context():
        db.session.execute(
            insert(AuditEvent),
            [{"created_at": now - timedelta(days=d), "action": "sign_in", "username": "alice"} for d in days_ago],
        )
        db.session.commit()


def test_the_audit_is_kept_three_years_unless_told(app, runner):
    from wxauth.models import AuditEvent

    _seed(app, [200])
    _seed_audit(app, [200, 1000, 1100, 2000])
    result = runner.invoke(args=["events", "purge", "--older-than", "180d"])
    assert result.exit_code == 0, result.output
    assert _count(app, LoginEvent) == 0
    assert _count(app, AuditEvent) == 2  # 200 and 1000 days old: within 1095 days
    result = runner.invoke(args=["events", "purge", "--older-than", "180d", "--audit-older-than", "365d"])
    assert result.exit_code == 0, result.output
    assert _count(app, AuditEvent) == 1


def test_the_audit_is_not_purged_sooner_than_events(app, runner):
    result = runner.invoke(args=["events", "purge", "--older-than", "180d", "--audit-older-than", "30d"])
    assert result.exit_code == 2
    assert "at least as long as events" in result.output
