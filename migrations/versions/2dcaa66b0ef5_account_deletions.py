"""account deletions (when, which app, who asked); provisioned phones for closed sign-up; people on the overview

The person's own rows are deleted or anonymised by the deletion itself; this table is what
stays, and nothing in it identifies them.

On SQLite, users becomes AUTOINCREMENT: SQLite otherwise hands the highest deleted rowid to
the next new row, and a deleted user's id (kept in phone_reveals and here) would then name
someone else. The table is rebuilt with foreign keys off, so the rebuild fires no ON DELETE;
SQLite cannot reflect the expression index, so it is made again. PostgreSQL's sequence never
reuses a value.

Revision ID: 2dcaa66b0ef5
Revises: d00318011ea5
Create Date: 2026-12-02 02:39:32.539702

"""
import warnings

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2dcaa66b0ef5'
down_revision = 'd00318011ea5'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        # Before any other statement: SQLite ignores this PRAGMA inside a transaction.
        op.execute("PRAGMA foreign_keys=OFF")
        with warnings.catch_warnings():  # SQLite cannot reflect the expression index: made again below
            warnings.simplefilter("ignore", sa.exc.SAWarning)
            with op.batch_alter_table("users", recreate="always", table_kwargs={"sqlite_autoincrement": True}):
                pass
        op.create_index("ix_users_phone_last4", "users", [sa.text("substr(phone_number, length(phone_number) - 3)")], unique=False)
        op.execute("PRAGMA foreign_keys=ON")
    op.create_table('account_deletions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('appid', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('requested_by', sa.String(length=16), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_account_deletions_operator_id_operators'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_deletions'))
    )
    with op.batch_alter_table('account_deletions', schema=None) as batch_op:
        batch_op.create_index('ix_account_deletions_created_at', ['created_at'], unique=False)
    # The phone numbers operators admit to a mini-program whose sign-up is closed.
    op.create_table('provisioned_phones',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('appid', sa.String(length=32), nullable=False),
    sa.Column('phone_number', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provisioned_phones')),
    sa.UniqueConstraint('appid', 'phone_number', name=op.f('uq_provisioned_phones_appid_phone_number'))
    )
    # People: the overview's count of persons (a unionid in several apps counts once).
    with op.batch_alter_table('overview_totals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('people', sa.BigInteger(), server_default='0', nullable=False))



def downgrade():
    op.drop_table('provisioned_phones')
    with op.batch_alter_table('overview_totals', schema=None) as batch_op:
        batch_op.drop_column('people')
    with op.batch_alter_table('account_deletions', schema=None) as batch_op:
        batch_op.drop_index('ix_account_deletions_created_at')

    op.drop_table('account_deletions')
