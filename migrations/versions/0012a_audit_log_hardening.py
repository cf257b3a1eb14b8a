"""audit log hardening: refuse TRUNCATE too; break-glass reasons encrypted under the case key, a category in the log

1. TRUNCATE (PostgreSQL statement trigger; SQLite has no TRUNCATE and its DELETE trigger already stops the
"truncate optimisation").

Row triggers do not fire on TRUNCATE, so until now the owner -- or an app role that owned the table -- could empty
the log in one statement. The app role no longer owns the table (app/db_roles.py), and this trigger stops a careless
owner as well; a determined owner can still drop it, which the anchors outside the database detect.

2. ``break_glass_grants``: a public id (the row uid bound into its ciphertext), a ``category``, and the free-text
``reason`` moved into ``reason_ct`` -- AES-GCM under the case's data key, encrypted here through the models (the
key material is loaded by the app that runs ``flask db upgrade``). Audit rows written before this revision keep the
text they were given (they are append-only); new ones carry the category only.

3. ``audit_events.key_version``: the version of the chain's own key ring that chained the event (existing: 1).

Revision ID: 0012a
Revises: 0017b
Create Date: 2026-11-20
"""
import uuid

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012a'
down_revision = '0017b'
branch_labels = None
depends_on = None


def upgrade():
    # 3. each event names the version of the audit key that chained it (app/audit_keys.py); existing ones: 1
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_version', sa.SmallInteger(), server_default='1', nullable=False))
    _break_glass_upgrade()
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
    _break_glass_downgrade()
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('key_version')
    if op.get_bind().dialect.name == "sqlite":
        # SQLite rebuilt the table for the dropped column, and its triggers went with the old one.
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER IF NOT EXISTS audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                       "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END")
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in ("audit_events", "audit_head"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    op.execute("DROP FUNCTION IF EXISTS audit_log_no_truncate()")


def _orm_session():
    from sqlalchemy.orm import Session

    return Session(bind=op.get_bind())


def _grant_only(model):
    """Load the grant without its case: the Case model maps columns that later revisions add, so loading it here
    would select columns this schema does not have yet. The key owner is then looked up by the case's public id
    alone (``BreakGlassGrant.__key_owner__``)."""
    from sqlalchemy.orm import noload

    return [noload(model.case), noload(model.user)]


def _break_glass_upgrade():
    bind = op.get_bind()
    with op.batch_alter_table('break_glass_grants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_id', sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column('category', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('reason_ct', sa.LargeBinary(), nullable=True))
    rows = bind.execute(sa.text("SELECT id, reason FROM break_glass_grants ORDER BY id")).all()
    set_public_id = sa.text("UPDATE break_glass_grants SET public_id = :p, category = 'other' WHERE id = :id") \
        .bindparams(sa.bindparam("p", type_=sa.Uuid()))
    for row in rows:
        bind.execute(set_public_id, {"p": uuid.uuid4(), "id": row.id})
    if rows:
        from cases.core.models import BreakGlassGrant

        session = _orm_session()
        for row in rows:
            grant = session.get(BreakGlassGrant, row.id, options=_grant_only(BreakGlassGrant))
            grant.reason = row.reason  # SECURITY: encrypted by the models' flush hook
        session.flush()
        session.close()
    with op.batch_alter_table('break_glass_grants', schema=None) as batch_op:
        batch_op.alter_column('public_id', existing_type=sa.Uuid(), nullable=False)
        batch_op.alter_column('category', existing_type=sa.String(length=30), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_break_glass_grants_public_id'), ['public_id'])
        batch_op.drop_column('reason')


def _break_glass_downgrade():
    bind = op.get_bind()
    with op.batch_alter_table('break_glass_grants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=500), nullable=True))
    ids = [row.id for row in bind.execute(sa.text("SELECT id FROM break_glass_grants"))]
    if ids:
        from cases.core.models import BreakGlassGrant

        session = _orm_session()
        texts = {i: session.get(BreakGlassGrant, i, options=_grant_only(BreakGlassGrant)).reason or "" for i in ids}
        session.close()
        for i, text in texts.items():
            bind.execute(sa.text("UPDATE break_glass_grants SET reason = :r WHERE id = :id"), {"r": text, "id": i})
    bind.execute(sa.text("UPDATE break_glass_grants SET reason = '' WHERE reason IS NULL"))
    with op.batch_alter_table('break_glass_grants', schema=None) as batch_op:
        batch_op.alter_column('reason', existing_type=sa.String(length=500), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_break_glass_grants_public_id'), type_='unique')
        batch_op.drop_column('reason_ct')
        batch_op.drop_column('category')
        batch_op.drop_column('public_id')
