"""rooftop chat lost: a rooftop whose chat refuses us for good (the app removed) is parked

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 00:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import chatbot.store.db

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chat_lost_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('chat_lost_reason', sqlmodel.sql.sqltypes.AutoString(length=200),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('team', schema=None) as batch_op:
        batch_op.drop_column('chat_lost_reason')
        batch_op.drop_column('chat_lost_at')
