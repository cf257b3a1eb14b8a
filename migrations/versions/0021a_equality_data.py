"""equality data: the applicant's disability categories, adaptation needs, migration status and gender identity
(encrypted), the perpetrator's stated sex (encrypted), and the statistics' plain copies on cases (issue 21)

Revision ID: 0021a
Revises: 0012a
Create Date: 2026-12-21 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021a'
down_revision = '0012a'
branch_labels = None
depends_on = None

PERSON_COLUMNS = ('disability_types_ct', 'adaptation_needs_ct', 'migration_status_ct', 'gender_identity_ct',
                  'gender_identity_text_ct', 'stated_sex_ct')


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('applicant_disability', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('applicant_migration_status', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('applicant_gender_identity', sa.String(length=20), nullable=True))

    with op.batch_alter_table('persons', schema=None) as batch_op:
        for name in PERSON_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table('persons', schema=None) as batch_op:
        for name in reversed(PERSON_COLUMNS):
            batch_op.drop_column(name)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('applicant_gender_identity')
        batch_op.drop_column('applicant_migration_status')
        batch_op.drop_column('applicant_disability')
