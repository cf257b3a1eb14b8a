"""audit log: refuse TRUNCATE too (PostgreSQL statement trigger; SQLite has no TRUNCATE and its DELETE trigger
already stops the "truncate optimisation")

Row triggers do not fire on TRUNCATE, so until now the owner -- or an app role that owned the table -- could empty
the log in one statement. The app role no longer owns the table (app/db_roles.py), and this trigger stops a careless
owner as well; a determined owner can still drop it, which the anchors outside the database detect.

Revision ID: 0012a
Revises: 0007
Create Date: 2026-11-20
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012a'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION audit_log_no_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME;
        END;
        $$
        """
    )
    for table in ("audit_events", "audit_head"):
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_no_truncate()")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ("audit_events", "audit_head"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.execute("DROP FUNCTION IF EXISTS audit_log_no_truncate()")
