"""chains as data: a team's chain per window, a reassign step's previous owner, lapses in a row

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 00:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ladders', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('away_after_lapses', sa.Integer(), nullable=False, server_default='3'))
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lapses_in_row', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('moved_from_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_escalation_moved_from', 'member', ['moved_from_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('escalation', schema=None) as batch_op:
        batch_op.drop_constraint('fk_escalation_moved_from', type_='foreignkey')
        batch_op.drop_column('moved_from_id')
    with op.batch_alter_table('member', schema=None) as batch_op:
        batch_op.drop_column('lapses_in_row')
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_column('away_after_lapses')
        batch_op.drop_column('ladders')
