"""operator roles, second factor, recovery codes, audit of sign-ins

Operators get a role (everyone who existed before becomes an admin, since they could do
everything), a language, a TOTP second factor with one-time recovery codes, and a flag
that makes a one-time password be changed at first sign-in. The audit log can now record
sign-in attempts at names no operator has, so its operator becomes optional and it keeps
the name as it was.

Revision ID: 1ed8eca78eba
Revises: 7ee91548d365
Create Date: 2026-12-02

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "1ed8eca78eba"
down_revision = "7ee91548d365"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "operator_recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name=op.f("fk_operator_recovery_codes_operator_id_operators"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator_recovery_codes")),
    )
    with op.batch_alter_table("operator_recovery_codes", schema=None) as batch_op:
        batch_op.create_index("ix_operator_recovery_codes_operator_id", ["operator_id", "code_hash"], unique=False)

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("username", sa.String(length=64), nullable=True))
        batch_op.alter_column("operator_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_index("ix_audit_events_action", ["action", "created_at"], unique=False)

    with op.batch_alter_table("operators", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", sa.String(length=16), server_default="support", nullable=False))
        batch_op.add_column(sa.Column("locale", sa.String(length=16), nullable=True))
        # A constant default: SQLite adds the column in place (an expression would rebuild the
        # table, which the foreign keys onto operators forbid).
        batch_op.add_column(sa.Column("must_change_password", sa.Boolean(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("mfa_secret", sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column("mfa_enabled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("mfa_last_step", sa.BigInteger(), nullable=True))

    # Every operator so far could do everything.
    op.execute("UPDATE operators SET role = 'admin'")
    op.execute(
        "UPDATE audit_events SET username = (SELECT username FROM operators WHERE operators.id = audit_events.operator_id)"
    )


def downgrade():
    op.execute("DELETE FROM audit_events WHERE operator_id IS NULL")
    with op.batch_alter_table("operators", schema=None) as batch_op:
        batch_op.drop_column("mfa_last_step")
        batch_op.drop_column("mfa_enabled_at")
        batch_op.drop_column("mfa_secret")
        batch_op.drop_column("must_change_password")
        batch_op.drop_column("locale")
        batch_op.drop_column("role")

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_action")
        batch_op.alter_column("operator_id", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("username")

    with op.batch_alter_table("operator_recovery_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_operator_recovery_codes_operator_id")

    op.drop_table("operator_recovery_codes")
