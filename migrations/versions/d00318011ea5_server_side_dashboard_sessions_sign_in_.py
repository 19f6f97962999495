"""server-side dashboard sessions; sign-in attempts in flight; audit events

dashboard_sessions keeps each signed-in operator browser (the SHA-256 of its cookie token),
so sign-out, disabling an operator and a new password end sessions on every instance.
Cookies from before this revision name no session: their operators sign in once more.
operator_sign_in_throttle.pending_attempts counts attempts whose password is being checked.
audit_events holds audited operator actions (whole-number phone searches first).

Revision ID: d00318011ea5
Revises: 3a442b33649a
Create Date: 2026-12-01 23:13:30.208883

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd00318011ea5'
down_revision = '3a442b33649a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.String(length=256), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_audit_events_operator_id_operators'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_created_at', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_operator_id'), ['operator_id'], unique=False)

    op.create_table('dashboard_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=256), nullable=True),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_dashboard_sessions_operator_id_operators'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboard_sessions'))
    )
    with op.batch_alter_table('dashboard_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_dashboard_sessions_operator_id', ['operator_id', 'created_at'], unique=False)

    with op.batch_alter_table('operator_sign_in_throttle', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pending_attempts', sa.Integer(), server_default='0', nullable=False))



def downgrade():
    with op.batch_alter_table('operator_sign_in_throttle', schema=None) as batch_op:
        batch_op.drop_column('pending_attempts')

    with op.batch_alter_table('dashboard_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_dashboard_sessions_operator_id')

    op.drop_table('dashboard_sessions')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_operator_id'))
        batch_op.drop_index('ix_audit_events_created_at')

    op.drop_table('audit_events')
