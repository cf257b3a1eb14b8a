"""anonymous feedback at closure (issue 18)

Revision ID: 0018e
Revises: 0018d
Create Date: 2026-12-05 12:20:34.398801

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018e'
down_revision = '0018d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feedback_responses',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('felt_safe', sa.String(length=10), nullable=True),
    sa.Column('felt_believed', sa.String(length=10), nullable=True),
    sa.Column('would_recommend', sa.String(length=10), nullable=True),
    sa.Column('helped', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_feedback_responses_centre_id_centres')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_responses'))
    )
    with op.batch_alter_table('feedback_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_responses_centre_id'), ['centre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_responses_month'), ['month'], unique=False)



def downgrade():
    with op.batch_alter_table('feedback_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_responses_month'))
        batch_op.drop_index(batch_op.f('ix_feedback_responses_centre_id'))

    op.drop_table('feedback_responses')
