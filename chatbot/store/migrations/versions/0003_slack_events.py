"""slack events: processed event ids

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 00:47:46.343924
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import chatbot.store.db

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('processedevent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('received_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id')
    )
    with op.batch_alter_table('processedevent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processedevent_received_at'), ['received_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('processedevent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_processedevent_received_at'))

    op.drop_table('processedevent')
