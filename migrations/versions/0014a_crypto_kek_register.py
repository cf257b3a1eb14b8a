"""crypto KEK register: the active KEK id lives in the database (online rotation, issue 14)

Revision ID: 0014a
Revises: 0007
Create Date: 2026-12-20 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014a'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('crypto_keks',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crypto_keks'))
    )
    op.create_index('uq_crypto_keks_active', 'crypto_keks', ['is_active'], unique=True,
                    sqlite_where=sa.text('is_active'), postgresql_where=sa.text('is_active'))


def downgrade():
    op.drop_index('uq_crypto_keks_active', table_name='crypto_keks',
                  sqlite_where=sa.text('is_active'), postgresql_where=sa.text('is_active'))
    op.drop_table('crypto_keks')
