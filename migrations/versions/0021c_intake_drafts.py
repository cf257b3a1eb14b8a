"""intake drafts: what was typed at intake, encrypted, bound to the session, for Back and reload

Revision ID: 0021c
Revises: 0020b
Create Date: 2026-12-06 04:20:00

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0021c'
down_revision = '0020b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('intake_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('session_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('form_ct', sa.LargeBinary(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_intake_drafts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intake_drafts')),
    sa.UniqueConstraint('public_id', name=op.f('uq_intake_drafts_public_id'))
    )
    with op.batch_alter_table('intake_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intake_drafts_updated_at'), ['updated_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_intake_drafts_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('intake_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intake_drafts_user_id'))
        batch_op.drop_index(batch_op.f('ix_intake_drafts_updated_at'))
    op.drop_table('intake_drafts')
