"""worker heartbeat: each worker's latest beat, for /readyz and chatbot doctor

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 00:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

import chatbot.store.db

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'worker_heartbeat',
        sa.Column('worker', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('host', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('beat_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('worker'),
    )


def downgrade() -> None:
    op.drop_table('worker_heartbeat')
