"""leads, reps, touches, escalations and the outbox

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 00:38:27.560856
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import chatbot.store.db

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('team',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('platform', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('platform_team_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('business_days', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('opens_at', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('closes_at', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('leads_channel', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('managers_channel', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('claim_window_s', sa.Integer(), nullable=False),
    sa.Column('first_contact_window_s', sa.Integer(), nullable=False),
    sa.Column('second_contact_window_s', sa.Integer(), nullable=False),
    sa.Column('stall_window_s', sa.Integer(), nullable=False),
    sa.Column('claim_emoji', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('playbook', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('phone_region', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('platform', 'platform_team_id', name='uq_team_platform')
    )
    op.create_table('member',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('chat_user_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('role', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('oncall_order', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'chat_user_id', name='uq_member_chat_user')
    )
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_team_id'), ['team_id'], unique=False)

    op.create_table('lead',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('submitted_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('posted_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('customer_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('vehicle', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('comments', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('claimed_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_contact_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('second_contact_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_touch_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_activity_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('closed_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('close_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('due_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('due_rule', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('due_level', sa.Integer(), nullable=True),
    sa.Column('chat_channel', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('chat_message_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('returning_of_id', sa.Integer(), nullable=True),
    sa.Column('after_hours', sa.Boolean(), nullable=False),
    sa.Column('history', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['returning_of_id'], ['lead.id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'source', 'external_id', name='uq_lead_source_external_id')
    )
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.create_index('ix_lead_chat_message', ['chat_channel', 'chat_message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_due_at'), ['due_at'], unique=False)
        batch_op.create_index('ix_lead_team_submitted', ['team_id', 'submitted_at'], unique=False)

    op.create_table('escalation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('deadline', chatbot.store.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('due_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('fired_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('target_member_id', sa.Integer(), nullable=True),
    sa.Column('target_channel', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['lead_id'], ['lead.id'], ),
    sa.ForeignKeyConstraint(['target_member_id'], ['member.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('lead_id', 'rule', 'deadline', 'level', name='uq_escalation_step')
    )
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_escalation_lead_id'), ['lead_id'], unique=False)

    op.create_table('outboxmessage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['lead_id'], ['lead.id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_pending', ['sent_at', 'next_attempt_at'], unique=False)

    op.create_table('touch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('at', chatbot.store.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('logged_via', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('recorded_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('external_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['lead_id'], ['lead.id'], ),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('lead_id', 'external_id', name='uq_touch_external_id')
    )
    with op.batch_alter_table('touch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_touch_lead_id'), ['lead_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('touch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_touch_lead_id'))

    op.drop_table('touch')
    with op.batch_alter_table('outboxmessage', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending')

    op.drop_table('outboxmessage')
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_escalation_lead_id'))

    op.drop_table('escalation')
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_index('ix_lead_team_submitted')
        batch_op.drop_index(batch_op.f('ix_lead_due_at'))
        batch_op.drop_index('ix_lead_chat_message')

    op.drop_table('lead')
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_team_id'))

    op.drop_table('member')
    op.drop_table('team')
