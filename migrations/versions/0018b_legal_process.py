"""legal process: proceedings, confidentiality measures, custody (issue 18)

Revision ID: 0018b
Revises: 0017c
Create Date: 2026-12-05 11:35:47.958646

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018b'
down_revision = '0017c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('confidentiality_measures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('case_public_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_confidentiality_measures_case_id_cases')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_confidentiality_measures_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_confidentiality_measures')),
    sa.UniqueConstraint('case_id', 'kind', name=op.f('uq_confidentiality_measures_case_id')),
    sa.UniqueConstraint('public_id', name=op.f('uq_confidentiality_measures_public_id'))
    )
    with op.batch_alter_table('confidentiality_measures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_confidentiality_measures_case_id'), ['case_id'], unique=False)

    op.create_table('legal_proceedings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('case_public_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('next_hearing_on', sa.Date(), nullable=True),
    sa.Column('has_legal_aid', sa.Boolean(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('file_number_ct', sa.LargeBinary(), nullable=True),
    sa.Column('authority_ct', sa.LargeBinary(), nullable=True),
    sa.Column('lawyer_ct', sa.LargeBinary(), nullable=True),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_legal_proceedings_case_id_cases')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_legal_proceedings_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_proceedings')),
    sa.UniqueConstraint('public_id', name=op.f('uq_legal_proceedings_public_id'))
    )
    with op.batch_alter_table('legal_proceedings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_legal_proceedings_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_legal_proceedings_next_hearing_on'), ['next_hearing_on'], unique=False)

    op.create_table('custody_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('case_public_id', sa.Uuid(), nullable=False),
    sa.Column('perpetrator_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('release_on', sa.Date(), nullable=True),
    sa.Column('release_handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_custody_records_case_id_cases')),
    sa.ForeignKeyConstraint(['perpetrator_id'], ['persons.id'], name=op.f('fk_custody_records_perpetrator_id_persons')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_custody_records_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_custody_records')),
    sa.UniqueConstraint('public_id', name=op.f('uq_custody_records_public_id'))
    )
    with op.batch_alter_table('custody_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_custody_records_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_custody_records_release_on'), ['release_on'], unique=False)



def downgrade():
    with op.batch_alter_table('custody_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_custody_records_release_on'))
        batch_op.drop_index(batch_op.f('ix_custody_records_case_id'))

    op.drop_table('custody_records')
    with op.batch_alter_table('legal_proceedings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_legal_proceedings_next_hearing_on'))
        batch_op.drop_index(batch_op.f('ix_legal_proceedings_case_id'))

    op.drop_table('legal_proceedings')
    with op.batch_alter_table('confidentiality_measures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_confidentiality_measures_case_id'))

    op.drop_table('confidentiality_measures')
