"""handoffs and the digest through the outbox: their rows lose their own lease and attempts

The on-call handoff and the weekly digest are outbox messages now (kinds 'handoff' and 'digest'),
queued in the transaction that makes their row, so the outbox's lease, retries and error replace
`teamjob.taken_until`, `attempts`, `last_error` and `oncallhandoff.attempts`, `last_error`. A
digest still due and a handoff not sent yet (and not given up after its 20 attempts) get their
outbox message here, so none is lost across the upgrade. Downgrading removes the messages not
sent yet (the rows, still unsent, are sent by the code of that release).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 00:00:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import context, op

import chatbot.store.db
from chatbot.domain.clock import SystemClock

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

GAVE_UP_AFTER = 20  # the handoff's attempts before this revision (escalation/handoffs.py MAX_ATTEMPTS)

MOMENT = chatbot.store.db.UTCDateTime(timezone=True)
outbox = sa.table('outboxmessage', sa.column('team_id', sa.Integer), sa.column('lead_id', sa.Integer),
                  sa.column('kind', sa.String), sa.column('payload', sa.JSON),
                  sa.column('created_at', MOMENT), sa.column('next_attempt_at', MOMENT),
                  sa.column('attempts', sa.Integer))


def upgrade() -> None:
    bind = op.get_bind()
    now = (context.config.attributes.get("clock") or SystemClock()).now()  # chatbot.core.alembic_config's
    digests = bind.execute(sa.text(
        "SELECT j.id, j.team_id, COALESCE(t.leads_channel, t.managers_channel, 'leads'), j.due_at FROM teamjob j "
        "JOIN team t ON t.id = j.team_id WHERE j.status = 'due' ORDER BY j.id").columns(due_at=MOMENT)).all()
    handoffs = bind.execute(sa.text(
        "SELECT h.id, h.team_id, m.chat_user_id, h.due_at FROM oncallhandoff h JOIN member m ON m.id = h.member_id "
        "WHERE h.sent_at IS NULL AND h.attempts < :most ORDER BY h.id").columns(due_at=MOMENT),
        {"most": GAVE_UP_AFTER}).all()
    # due since the row's moment: the next delivery takes it
    rows = [dict(team_id=team_id, lead_id=None, kind='digest', created_at=now, next_attempt_at=due_at, attempts=0,
                 payload={"to": "channel", "address": channel, "job": job_id})
            for job_id, team_id, channel, due_at in digests]
    rows += [dict(team_id=team_id, lead_id=None, kind='handoff', created_at=now, next_attempt_at=due_at,
                  attempts=0, payload={"to": "direct", "address": user_id, "handoff": handoff_id})
             for handoff_id, team_id, user_id, due_at in handoffs]
    if rows:
        op.bulk_insert(outbox, rows)
    with op.batch_alter_table('teamjob', schema=None) as batch_op:
        batch_op.drop_index('ix_teamjob_due')
        batch_op.drop_column('taken_until')
        batch_op.drop_column('attempts')
        batch_op.drop_column('last_error')
    with op.batch_alter_table('oncallhandoff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oncallhandoff_sent_at'))
        batch_op.drop_column('attempts')
        batch_op.drop_column('last_error')


def downgrade() -> None:
    with op.batch_alter_table('oncallhandoff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default=sa.text('0')))
        batch_op.add_column(sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.create_index(batch_op.f('ix_oncallhandoff_sent_at'), ['sent_at'], unique=False)
    with op.batch_alter_table('teamjob', schema=None) as batch_op:
        batch_op.add_column(sa.Column('taken_until', chatbot.store.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default=sa.text('0')))
        batch_op.add_column(sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.create_index('ix_teamjob_due', ['status', 'due_at'], unique=False)
    op.execute("DELETE FROM outboxmessage WHERE kind IN ('handoff', 'digest') AND sent_at IS NULL")
