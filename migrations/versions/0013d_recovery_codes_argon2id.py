"""recovery_codes: 120-bit codes stored with argon2id behind a selector; old SHA-256 codes kept as legacy (issue 13)

Revision ID: 0013d
Revises: 0013c
Create Date: 2026-12-05 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013d'
down_revision = '0013c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.alter_column('code_hash', new_column_name='legacy_sha256', existing_type=sa.LargeBinary(length=32),
                              nullable=True)
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('selector', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('code_hash', sa.String(length=200), nullable=True))


def downgrade():
    # The argon2id codes cannot be turned back into SHA-256 ones: they are dropped (their owners still have TOTP).
    op.execute("DELETE FROM recovery_codes WHERE legacy_sha256 IS NULL")
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.drop_column('code_hash')
        batch_op.drop_column('selector')
    with op.batch_alter_table('recovery_codes', schema=None) as batch_op:
        batch_op.alter_column('legacy_sha256', new_column_name='code_hash', existing_type=sa.LargeBinary(length=32),
                              nullable=False)
