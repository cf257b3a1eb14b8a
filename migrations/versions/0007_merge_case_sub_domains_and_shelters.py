"""merge case sub-domains and shelters

Revision ID: 0007
Revises: 0004, 0005, 0006
Create Date: 2026-11-23 16:21:30.595262

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = ('0004', '0005', '0006')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
