"""ladder snapshot: each open window's plan on the lead, quiet hours, held escalations, the morning roll-up

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 00:00:00
"""

import sqlalchemy as sa
from alembic import op

import chatbot.store.db

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ladder', sa.JSON(), nullable=True))
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quiet_hours', sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_for', sa.Date(), nullable=True))
    op.create_table('rollup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('created_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('held', sa.Integer(), nullable=False),
    sa.Column('past_ladder', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'day', name='uq_rollup_day')
    )


def downgrade() -> None:
    op.drop_table('rollup')
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.drop_column('held_for')
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_column('quiet_hours')
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_column('ladder')
