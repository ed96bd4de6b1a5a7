"""conversation references: where a chat lets the bot post proactively (Teams)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 00:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import chatbot.store.db

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('conversationref',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('address', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('reference', sa.JSON(), nullable=False),
    sa.Column('updated_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('team_id', 'address', name='uq_conversationref_address')
    )
    with op.batch_alter_table('conversationref', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_conversationref_team_id'), ['team_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('conversationref', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_conversationref_team_id'))

    op.drop_table('conversationref')
