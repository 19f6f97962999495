"""flask operator … and flask demo …, through Flask's CLI runner."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.dashboard.conftest import PASSWORD
from wxauth.extensions import db
from wxauth.models import ApiSession, Failure, LoginEvent, Operator, PhoneBind, User


def operator_named(app, name: str) -> Operator | None:
    with app.app_context():
        return db.session.scalar(select(Operator).where(Operator.username == name))


def test_create_with_password(runner, app, dashboard):
    result = runner.invoke(args=["operator", "create", "Bob", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert "Created operator 'bob'" in result.output
    assert PASSWORD not in operator_named(app, "bob").password_hash  # the method: test_auth.py
    assert dashboard.sign_in("bob", PASSWORD).status_code == 302


def test_create_prompts_twice_hidden(runner, app):
    result = runner.invoke(args=["operator", "create", "carol"], input=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("Password") + result.output.count("Repeat") == 2
    assert PASSWORD not in result.output  # hidden input is not echoed
    assert operator_named(app, "carol") is not None


def test_create_refuses_mismatch_short_password_and_duplicates(runner, app):
    result = runner.invoke(args=["operator", "create", "dan"], input=f"{PASSWORD}\nother-password\n{PASSWORD}\n{PASSWORD}\n")
    assert "do not match" in result.output
    assert runner.invoke(args=["operator", "create", "erin", "--password", "short"]).exit_code == 1
    assert runner.invoke(args=["operator", "create", "dan", "--password", PASSWORD]).exit_code == 1
    assert runner.invoke(args=["operator", "create", "bad name!", "--password", PASSWORD]).exit_code == 1
    assert runner.invoke(args=["operator", "create", "zed", "--password", PASSWORD, "--time-zone", "Nowhere/X"]).exit_code == 1


def test_list_disable_enable_and_set_password(runner, app, operator, dashboard, make_operator):
    make_operator("root")  # alice is not the last admin
    result = runner.invoke(args=["operator", "list"])
    assert "alice" in result.output and "active" in result.output and "Asia/Shanghai" in result.output
    assert runner.invoke(args=["operator", "disable", "alice"]).exit_code == 0
    assert "disabled" in runner.invoke(args=["operator", "list"]).output
    assert dashboard.sign_in("alice", PASSWORD).status_code == 401
    assert runner.invoke(args=["operator", "enable", "alice"]).exit_code == 0
    result = runner.invoke(args=["operator", "set-password", "alice"], input="a-newer-password\na-newer-password\n")
    assert result.exit_code == 0, result.output
    assert dashboard.sign_in("alice", "a-newer-password").status_code == 302


def test_unknown_operator(runner):
    result = runner.invoke(args=["operator", "disable", "ghost"])
    assert result.exit_code == 1 and "no operator named 'ghost'" in result.output
    result = runner.invoke(args=["operator", "set-password", "ghost", "--password", PASSWORD])
    assert result.exit_code == 1


def _demo_password(runner, *args) -> str:
    result = runner.invoke(args=["demo", "operator", *args])
    assert result.exit_code == 0, result.output
    return result.output.split("password:")[1].split()[0]


def test_demo_operator_prints_the_same_working_credentials_on_every_start(runner, dashboard, app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    password = _demo_password(runner)
    assert dashboard.sign_in("demo", password).status_code == 302
    # A second start prints the password that works, and the signed-in dashboard stays signed in.
    assert _demo_password(runner) == password
    assert dashboard.response("dashboard.overview").status_code == 200
    assert (tmp_path / "demo-operator-password").stat().st_mode & 0o077 == 0


def test_demo_operator_reset_gives_a_new_password(runner, dashboard, app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    password = _demo_password(runner)
    again = _demo_password(runner, "--reset")
    assert again != password
    assert dashboard.sign_in("demo", password).status_code == 401
    assert dashboard.sign_in("demo", again).status_code == 302


def test_demo_seed(runner, app):
    result = runner.invoke(args=["demo", "seed", "--users", "120", "--seed", "7"])
    assert result.exit_code == 0, result.output
    assert "Added 120 users" in result.output
    with app.app_context():
        count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
        assert count(User) == 120
        assert count(LoginEvent) > 120 and count(Failure) > 0 and count(PhoneBind) > 0 and count(ApiSession) > 0
        oldest = db.session.scalar(select(func.min(User.created_at)))
        newest = db.session.scalar(select(func.max(LoginEvent.created_at)))
        assert (newest - oldest).days >= 45  # spread over the 60 days
        assert db.session.scalar(select(func.count()).where(User.phone_number.is_not(None))) > 0


def test_demo_seed_if_empty_runs_once(runner, app):
    assert "Added 5 users" in runner.invoke(args=["demo", "seed", "--users", "5", "--if-empty"]).output
    assert "skipped" in runner.invoke(args=["demo", "seed", "--users", "5", "--if-empty"]).output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 5


def test_demo_commands_refuse_outside_sandbox(runner, app, override_settings):
    override_settings(sandbox=False)
    for args in (["demo", "operator"], ["demo", "seed", "--users", "5"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1
        assert "only run in sandbox mode" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_overview_refresh_fills_the_stored_counts(runner, app):
    from datetime import timedelta

    from tests.dashboard import factories
    from wxauth.models import ActivityCount, ActivityRollup, OverviewTotals, utcnow

    with app.app_context():
        factories.user(created_at=utcnow() - timedelta(days=2))
        factories.login(created_at=utcnow() - timedelta(days=2))
    result = runner.invoke(args=["overview", "refresh"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.get(ActivityRollup, 1) is not None
        stored = dict(
            db.session.execute(select(ActivityCount.metric, func.sum(ActivityCount.count)).group_by(ActivityCount.metric)).all()
        )
        assert stored == {"registration": 1, "login_success": 1}
        assert db.session.get(OverviewTotals, 1).users == 1


def test_demo_seed_fills_the_overviews_counts(runner, app):
    from wxauth.models import ActivityCount, ActivityRollup, OverviewTotals

    result = runner.invoke(args=["demo", "seed", "--users", "50", "--seed", "3"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ActivityCount)) > 0
        assert db.session.get(ActivityRollup, 1) is not None
        assert db.session.scalar(select(func.count()).select_from(OverviewTotals)) == 1
