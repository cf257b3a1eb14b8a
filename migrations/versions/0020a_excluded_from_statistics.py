"""cases.excluded_from_statistics: given the notice, without a current statistics consent (issue 18)

Revision ID: 0020a
Revises: 0019b
Create Date: 2026-12-06 00:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020a'
down_revision = '0019b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('excluded_from_statistics', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    cases = sa.table('cases', sa.column('id', sa.Integer), sa.column('excluded_from_statistics', sa.Boolean))
    notices = sa.table('privacy_notices', sa.column('case_id', sa.Integer))
    consents = sa.table('explicit_consents', sa.column('case_id', sa.Integer), sa.column('purpose', sa.String),
                        sa.column('revoked_at', sa.DateTime(timezone=True)))
    # A case whose notice is on record but whose statistics consent is missing or withdrawn leaves the statistics.
    op.execute(cases.update().where(
        sa.exists().where(notices.c.case_id == cases.c.id),
        ~sa.exists().where(consents.c.case_id == cases.c.id, consents.c.purpose == 'statistics',
                           consents.c.revoked_at.is_(None)),
    ).values(excluded_from_statistics=True))


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('excluded_from_statistics')
