"""privacy at intake: the KVKK notice given and explicit consents (issue 18)

Revision ID: 0018d
Revises: 0018c
Create Date: 2026-12-05 12:05:00.636089

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018d'
down_revision = '0018c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('explicit_consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_explicit_consents_case_id_cases')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_explicit_consents_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_explicit_consents_revoked_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_explicit_consents')),
    sa.UniqueConstraint('public_id', name=op.f('uq_explicit_consents_public_id'))
    )
    with op.batch_alter_table('explicit_consents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_explicit_consents_case_id'), ['case_id'], unique=False)

    op.create_table('privacy_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=12), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_privacy_notices_case_id_cases')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_privacy_notices_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_notices')),
    sa.UniqueConstraint('public_id', name=op.f('uq_privacy_notices_public_id'))
    )
    with op.batch_alter_table('privacy_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_notices_case_id'), ['case_id'], unique=False)



def downgrade():
    with op.batch_alter_table('privacy_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_privacy_notices_case_id'))

    op.drop_table('privacy_notices')
    with op.batch_alter_table('explicit_consents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_explicit_consents_case_id'))

    op.drop_table('explicit_consents')
