"""legal proceedings: outcome, appeal deadline, court file number; hearing history (issue 18)

Revision ID: 0020b
Revises: 0020a
Create Date: 2026-12-06 00:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020b'
down_revision = '0020a'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('legal_proceedings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('appeal_deadline_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('appeal', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('court_file_number_ct', sa.LargeBinary(), nullable=True))
        batch_op.create_index(batch_op.f('ix_legal_proceedings_appeal_deadline_on'), ['appeal_deadline_on'],
                              unique=False)

    op.create_table('legal_hearings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proceeding_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('case_public_id', sa.Uuid(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note_ct', sa.LargeBinary(), nullable=True),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_legal_hearings_case_id_cases')),
    sa.ForeignKeyConstraint(['proceeding_id'], ['legal_proceedings.id'],
                            name=op.f('fk_legal_hearings_proceeding_id_legal_proceedings')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_legal_hearings_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_hearings')),
    sa.UniqueConstraint('public_id', name=op.f('uq_legal_hearings_public_id'))
    )
    with op.batch_alter_table('legal_hearings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legal_hearings_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_legal_hearings_proceeding_id'), ['proceeding_id'], unique=False)


def downgrade():
    with op.batch_alter_table('legal_hearings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_legal_hearings_proceeding_id'))
        batch_op.drop_index(batch_op.f('ix_legal_hearings_case_id'))

    op.drop_table('legal_hearings')
    with op.batch_alter_table('legal_proceedings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_legal_proceedings_appeal_deadline_on'))
        batch_op.drop_column('court_file_number_ct')
        batch_op.drop_column('appeal')
        batch_op.drop_column('appeal_deadline_on')
        batch_op.drop_column('outcome')
