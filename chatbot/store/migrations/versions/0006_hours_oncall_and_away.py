"""hours per weekday, holidays, the on-call schedule (anchor, kept shifts, overrides, handoffs) and reps away

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 00:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import chatbot.store.db

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.add_column(sa.Column('weekly_hours', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('holidays', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column('oncall_anchor', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('oncall_handoff', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True))
        batch_op.add_column(sa.Column('oncall_shift_s', sa.Integer(), nullable=True))
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('away_since', chatbot.store.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('away_until', chatbot.store.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('away_reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
    op.create_table('oncallshift',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('created_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'day', 'kind', name='uq_oncallshift_day')
    )
    op.create_table('oncallhandoff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('due_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'day', name='uq_oncallhandoff_day')
    )
    with op.batch_alter_table('oncallhandoff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oncallhandoff_sent_at'), ['sent_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('oncallhandoff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oncallhandoff_sent_at'))
    op.drop_table('oncallhandoff')
    op.drop_table('oncallshift')
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('away_reason')
        batch_op.drop_column('away_until')
        batch_op.drop_column('away_since')
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_column('oncall_shift_s')
        batch_op.drop_column('oncall_handoff')
        batch_op.drop_column('oncall_anchor')
        batch_op.drop_column('holidays')
        batch_op.drop_column('weekly_hours')
