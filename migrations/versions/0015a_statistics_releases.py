"""statistics releases: frozen, suppressed figures of closed years (issue 15)

Revision ID: 0015a
Revises: 0014a
Create Date: 2026-12-01 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015a'
down_revision = '0014a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('statistics_releases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=False),
    sa.Column('data_cut_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('min_cell', sa.Integer(), nullable=False),
    sa.Column('min_population', sa.Integer(), nullable=False),
    sa.Column('withheld', sa.JSON(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_statistics_releases_issued_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_statistics_releases')),
    sa.UniqueConstraint('public_id', name=op.f('uq_statistics_releases_public_id')),
    sa.UniqueConstraint('year', 'revision', name=op.f('uq_statistics_releases_year'))
    )
    with op.batch_alter_table('statistics_releases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_statistics_releases_year'), ['year'], unique=False)


def downgrade():
    with op.batch_alter_table('statistics_releases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_statistics_releases_year'))
    op.drop_table('statistics_releases')
