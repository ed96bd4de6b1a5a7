"""team jobs: a team's scheduled work (the weekly digest), one row per team, kind and period

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 00:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import chatbot.store.db

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('teamschedule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=True),
    sa.Column('at', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('updated_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'kind', name='uq_teamschedule_kind')
    )
    op.create_table('teamjob',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('due_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('taken_until', chatbot.store.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('message_id', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'kind', 'period', name='uq_teamjob_period')
    )
    with op.batch_alter_table('teamjob', schema=None) as batch_op:
        batch_op.create_index('ix_teamjob_due', ['status', 'due_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('teamjob', schema=None) as batch_op:
        batch_op.drop_index('ix_teamjob_due')
    op.drop_table('teamjob')
    op.drop_table('teamschedule')
