"""pending_logins: the half-finished sign-in lives server-side (issue 13)

Revision ID: 0013a
Revises: 0018a
Create Date: 2026-12-05 08:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013a'
down_revision = '0018a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pending_logins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=10), nullable=False),
    sa.Column('next_url', sa.String(length=500), nullable=True),
    sa.Column('totp_secret_enc', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_pending_logins_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_logins')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_pending_logins_token_hash')),
    sa.UniqueConstraint('uid', name=op.f('uq_pending_logins_uid'))
    )
    with op.batch_alter_table('pending_logins', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_logins_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_logins_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('pending_logins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_logins_user_id'))
        batch_op.drop_index(batch_op.f('ix_pending_logins_expires_at'))

    op.drop_table('pending_logins')
