"""account_activations: one-time activation codes and the supervisor's confirmation (issue 13)

Revision ID: 0013b
Revises: 0013a
Create Date: 2026-12-05 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013b'
down_revision = '0013a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('account_activations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('create', 'reset', 'enable', name='activationkind', native_enum=False, length=10), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('needs_confirmation', sa.Boolean(), nullable=False),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('token_hash', sa.LargeBinary(length=32), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_account_activations_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_account_activations_requested_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_activations_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_activations')),
    sa.UniqueConstraint('public_id', name=op.f('uq_account_activations_public_id')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_account_activations_token_hash'))
    )
    with op.batch_alter_table('account_activations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_activations_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('account_activations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_activations_user_id'))

    op.drop_table('account_activations')
