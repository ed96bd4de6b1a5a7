"""lead.card_check_at: when to look for copies of a card whose post went unanswered

A card post the chat answered too late may be stored anyway, after the outbox posted the card
again; the worker's card tidy (chatbot/messaging/tidy.py) looks for copies once this is due and
deletes them. Leads already posted have nothing to look for (NULL).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 00:00:00
"""

import sqlalchemy as sa
from alembic import op

import chatbot.store.db

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.add_column(sa.Column('card_check_at', chatbot.store.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_lead_card_check_at'), ['card_check_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_card_check_at'))
        batch_op.drop_column('card_check_at')
