"""unlinkable blind indexes: entries in crypto_blind_indexes, none on the person row (issue 14 §3); shred counter

Revision ID: 0014b
Revises: 0015a
Create Date: 2026-12-28 10:00:00

The per-row index columns are dropped. Nothing is deployed yet; a development database with people in it finds
them again after ``flask --app wsgi keys reindex`` (which builds the entries from the decrypted values).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014b'
down_revision = '0015a'
branch_labels = None
depends_on = None

_BIDX = ('full_name', 'tckn', 'document_no', 'phone')


def upgrade():
    op.create_table('crypto_blind_indexes',
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('generation', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('bucket', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('id', sa.LargeBinary(length=16), nullable=False),
    sa.Column('pointer', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'generation', 'bucket', 'id', name=op.f('pk_crypto_blind_indexes')),
    sqlite_with_rowid=False
    )
    op.create_index('uq_crypto_blind_indexes_entry', 'crypto_blind_indexes', ['scope', 'generation', 'id'],
                    unique=True)
    op.create_table('crypto_index_generations',
    sa.Column('scope', sa.String(length=80), nullable=False),
    sa.Column('generation', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('key_epoch', sa.Integer(), nullable=False),
    sa.Column('bits', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('scope', 'generation', name=op.f('pk_crypto_index_generations'))
    )
    op.create_index('uq_crypto_index_generations_active', 'crypto_index_generations', ['scope'], unique=True,
                    sqlite_where=sa.text("state = 'active'"), postgresql_where=sa.text("state = 'active'"))
    op.create_table('crypto_shred_counter',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('generation', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crypto_shred_counter'))
    )
    op.execute("INSERT INTO crypto_shred_counter (id, generation) VALUES (1, 0)")
    with op.batch_alter_table('persons', schema=None) as batch_op:
        for name in _BIDX:
            batch_op.drop_index(batch_op.f(f'ix_persons_{name}_bidx'))
            batch_op.drop_column(f'{name}_bidx')


def downgrade():
    with op.batch_alter_table('persons', schema=None) as batch_op:
        for name in _BIDX:
            batch_op.add_column(sa.Column(f'{name}_bidx', sa.Integer(), nullable=True))
            batch_op.create_index(batch_op.f(f'ix_persons_{name}_bidx'), [f'{name}_bidx'], unique=False)
    op.drop_table('crypto_shred_counter')
    op.drop_index('uq_crypto_index_generations_active', table_name='crypto_index_generations',
                  sqlite_where=sa.text("state = 'active'"), postgresql_where=sa.text("state = 'active'"))
    op.drop_table('crypto_index_generations')
    op.drop_index('uq_crypto_blind_indexes_entry', table_name='crypto_blind_indexes')
    op.drop_table('crypto_blind_indexes')
