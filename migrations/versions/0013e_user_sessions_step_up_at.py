"""user_sessions.step_up_at: when the session last proved its second factor (step-up, issue 13)

Revision ID: 0013e
Revises: 0013d
Create Date: 2026-12-05 10:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013e'
down_revision = '0013d'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('step_up_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_column('step_up_at')
