"""duty-to-report decision log (issue 18)

Revision ID: 0018c
Revises: 0018b
Create Date: 2026-12-05 11:59:38.002335

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018c'
down_revision = '0018b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('case_public_id', sa.Uuid(), nullable=False),
    sa.Column('learned_on', sa.Date(), nullable=False),
    sa.Column('concern', sa.String(length=20), nullable=False),
    sa.Column('decision', sa.String(length=15), nullable=False),
    sa.Column('reported_to', sa.JSON(), nullable=False),
    sa.Column('she_was_told_first', sa.Boolean(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason_ct', sa.LargeBinary(), nullable=True),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_report_decisions_case_id_cases')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_report_decisions_decided_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_decisions')),
    sa.UniqueConstraint('public_id', name=op.f('uq_report_decisions_public_id'))
    )
    with op.batch_alter_table('report_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_decisions_case_id'), ['case_id'], unique=False)



def downgrade():
    with op.batch_alter_table('report_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_decisions_case_id'))

    op.drop_table('report_decisions')
