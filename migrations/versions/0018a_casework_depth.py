"""casework depth: closure requests decided by a supervisor, in-app alerts, incidents (issue 18)

Revision ID: 0018a
Revises: 0014b
Create Date: 2026-12-05 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018a'
down_revision = '0014b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('closure_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('case_public_id', sa.Uuid(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('checklist', sa.JSON(), nullable=False),
    sa.Column('risk_at_closure', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('explanation_ct', sa.LargeBinary(), nullable=True),
    sa.Column('decision_note_ct', sa.LargeBinary(), nullable=True),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_closure_requests_case_id_cases')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_closure_requests_decided_by_id_users')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_closure_requests_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_closure_requests')),
    sa.UniqueConstraint('public_id', name=op.f('uq_closure_requests_public_id'))
    )
    with op.batch_alter_table('closure_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_closure_requests_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_closure_requests_requested_by_id'), ['requested_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_closure_requests_status'), ['status'], unique=False)


    op.create_table('alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_alerts_actor_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_alerts_case_id_cases')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_alerts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    sa.UniqueConstraint('public_id', name=op.f('uq_alerts_public_id'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alerts_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_alerts_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_alerts_user_unread', ['user_id', 'read_at'], unique=False)

    op.create_table('incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('case_public_id', sa.Uuid(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('is_approximate', sa.Boolean(), nullable=False),
    sa.Column('violence_types', sa.JSON(), nullable=False),
    sa.Column('sub_kinds', sa.JSON(), nullable=False),
    sa.Column('place_type', sa.String(length=20), nullable=True),
    sa.Column('perpetrator_id', sa.Integer(), nullable=True),
    sa.Column('reported_to', sa.JSON(), nullable=False),
    sa.Column('forensic_report', sa.Boolean(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('injuries_ct', sa.LargeBinary(), nullable=True),
    sa.Column('public_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_incidents_case_id_cases')),
    sa.ForeignKeyConstraint(['perpetrator_id'], ['persons.id'], name=op.f('fk_incidents_perpetrator_id_persons')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_incidents_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents')),
    sa.UniqueConstraint('public_id', name=op.f('uq_incidents_public_id'))
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incidents_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_incidents_occurred_on'), ['occurred_on'], unique=False)


def downgrade():
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incidents_occurred_on'))
        batch_op.drop_index(batch_op.f('ix_incidents_case_id'))
    op.drop_table('incidents')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_alerts_user_unread')
        batch_op.drop_index(batch_op.f('ix_alerts_user_id'))
        batch_op.drop_index(batch_op.f('ix_alerts_created_at'))
        batch_op.drop_index(batch_op.f('ix_alerts_case_id'))
    op.drop_table('alerts')
    with op.batch_alter_table('closure_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_closure_requests_status'))
        batch_op.drop_index(batch_op.f('ix_closure_requests_requested_by_id'))
        batch_op.drop_index(batch_op.f('ix_closure_requests_case_id'))
    op.drop_table('closure_requests')
