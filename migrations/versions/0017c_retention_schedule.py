"""retention schedule, runs and destruction records

Revision ID: 0017c
Revises: 0021a
Create Date: 2026-12-05

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017c'
down_revision = '0021a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('retention_rules',
    sa.Column('data_class', sa.String(length=40), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_retention_rules_updated_by_id_users')),
    sa.PrimaryKeyConstraint('data_class', name=op.f('pk_retention_rules'))
    )
    op.create_table('retention_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('is_dry_run', sa.Boolean(), nullable=False),
    sa.Column('run_by', sa.String(length=254), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_runs')),
    sa.UniqueConstraint('public_id', name=op.f('uq_retention_runs_public_id'))
    )
    op.create_table('destruction_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('data_class', sa.String(length=40), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('item_count', sa.Integer(), nullable=False),
    sa.Column('held', sa.Integer(), nullable=False),
    sa.Column('case_numbers', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['run_id'], ['retention_runs.id'], name=op.f('fk_destruction_records_run_id_retention_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_destruction_records'))
    )
    with op.batch_alter_table('destruction_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_destruction_records_run_id'), ['run_id'], unique=False)


def downgrade():
    with op.batch_alter_table('destruction_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_destruction_records_run_id'))
    op.drop_table('destruction_records')
    op.drop_table('retention_runs')
    op.drop_table('retention_rules')
