"""audit checkpoints: expired audit events are deleted behind a signed checkpoint (issue 17)

``audit_checkpoints`` holds, for each expiry, the chain head at the cut, the events kept there (count and digest)
and an HMAC signature with the audit key (``app/audit_expiry.py``); ``flask audit verify`` starts from the newest.

The append-only triggers now let an event be deleted only when it is at or before a checkpoint's seq (UPDATE stays
refused, and so does any DELETE of a later event). On PostgreSQL the app's role has no DELETE on ``audit_events`` and
only SELECT on ``audit_checkpoints`` (``app/db_roles.py``): the expiry runs as the owner (``DATABASE_OWNER_URL``).

Revision ID: 0019a
Revises: 0018e
Create Date: 2026-12-06
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019a'
down_revision = '0018e'
branch_labels = None
depends_on = None

REFUSE = "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"


def upgrade():
    op.create_table('audit_checkpoints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.Column('cutoff', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted', sa.Integer(), nullable=False),
    sa.Column('kept_count', sa.Integer(), nullable=False),
    sa.Column('kept_digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('key_version', sa.SmallInteger(), nullable=False),
    sa.Column('signature', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_checkpoints')),
    sa.UniqueConstraint('seq', name=op.f('uq_audit_checkpoints_seq'))
    )
    if op.get_bind().dialect.name == "postgresql":
        # SECURITY: still no UPDATE, and a DELETE only of an event a checkpoint has cut off.
        op.execute(
            """
            CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' AND OLD.seq <= (SELECT COALESCE(MAX(seq), 0) FROM audit_checkpoints) THEN
                    RETURN OLD;
                END IF;
                RAISE EXCEPTION 'audit_events is append-only';
            END;
            $$
            """
        )
        op.execute("CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_no_truncate()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
        op.execute("CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
                   "WHEN OLD.seq > (SELECT COALESCE(MAX(seq), 0) FROM audit_checkpoints) " + REFUSE)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_checkpoints_no_truncate ON audit_checkpoints")
        op.execute(
            """
            CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_events is append-only';
            END;
            $$
            """
        )
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
        op.execute("CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events " + REFUSE)
    op.drop_table('audit_checkpoints')
