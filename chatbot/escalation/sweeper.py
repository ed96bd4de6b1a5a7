"""The sweep: due deadlines become escalations, each exactly once.

Deadlines are the indexed `lead.due_at` column, not one scheduler job per lead. A sweep takes
the leads that are due, one short transaction each, locking the lead row with
`FOR UPDATE SKIP LOCKED` (PostgreSQL) so two workers never work one lead, and records every
step with a unique (lead, rule, deadline, level) key, so a restart neither repeats nor skips
one: a step that fell due while the worker was down fires on the next sweep.

The ladder: level 1 goes to the owner (unclaimed: the channel, or the on-call rep after
hours), level 2 to the on-call rep, level 3 to the managers' channel.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from chatbot.domain.policy import Rule, Step, due_steps
from chatbot.leads.deadlines import facts_of, fired_steps, hours_of, refresh_due, windows_of
from chatbot.messaging import outbox
from chatbot.messaging.views import escalation_text
from chatbot.store.db import transaction
from chatbot.store.models import Escalation, Lead, LeadStatus, Member, Team
from chatbot.team.schedule import on_duty

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipient:
    audience: str  # owner, channel, on_call or managers
    member: Member | None
    channel: str | None


def sweep(core, limit: int = 500) -> list[int]:
    """Fire every step due by now; return the new escalations' ids."""
    now = core.clock.now()
    with transaction(core.engine) as session:
        lead_ids = session.exec(
            select(Lead.id).where(col(Lead.due_at) <= now, Lead.status == LeadStatus.OPEN)
            .order_by(Lead.due_at).limit(limit)
        ).all()
    fired: list[int] = []
    for lead_id in lead_ids:
        fired.extend(_escalate_lead(core, lead_id, now))
    return fired


def _escalate_lead(core, lead_id: int, now: datetime) -> list[int]:
    with transaction(core.engine) as session:
        lead = session.exec(
            select(Lead).where(Lead.id == lead_id, col(Lead.due_at) <= now).with_for_update(skip_locked=True)
        ).first()
        if lead is None:
            return []  # another worker has it, or it changed since we looked
        team = session.get(Team, lead.team_id)
        steps = due_steps(facts_of(lead), windows_of(team), fired_steps(session, lead.id), now)
        if steps:
            owner = session.get(Member, lead.owner_id) if lead.owner_id else None
            hours = hours_of(team)
            duty = Duty(team, *on_duty(session, team, owner, now), hours.is_open(now))  # away: skipped
            fired = [_fire(session, lead, team, step, duty.recipient(step.level), owner, now) for step in steps]
            outbox.enqueue_card(session, lead, now)
        else:
            fired = []
        refresh_due(session, lead, team)  # flushes: every escalation gets its id here
        return [escalation.id for escalation in fired]


def _fire(session: Session, lead: Lead, team: Team, step: Step, recipient: Recipient, owner: Member | None,
          now: datetime) -> Escalation:
    escalation = Escalation(
        lead_id=lead.id, rule=step.rule, deadline=step.deadline, level=step.level, due_at=step.due_at,
        fired_at=now, target_member_id=recipient.member.id if recipient.member else None,
        target_channel=recipient.channel,
    )
    session.add(escalation)
    # One line per escalation, ids only (the notice's text names the customer: not logged).
    log.info("escalation fired lead=%d rule=%s level=%d to=%s", lead.id, step.rule.value, step.level,
             recipient.audience)
    text = escalation_text(step.rule, recipient.audience, lead, team, owner, now)
    mention = recipient.member.chat_user_id if recipient.member else None
    hint = "claim" if step.rule is Rule.CLAIM else None
    outbox.enqueue_notice(session, lead, to="thread", address=None, text=text, mention=mention, now=now, hint=hint)
    if recipient.member is not None:
        outbox.enqueue_notice(session, lead, to="direct", address=recipient.member.chat_user_id, text=text,
                              mention=None, now=now, hint=hint)
    elif recipient.channel and recipient.channel != team.leads_channel:
        outbox.enqueue_notice(session, lead, to="channel", address=recipient.channel, text=text, mention=None,
                              now=now, hint=hint)
    return escalation


@dataclass(frozen=True)
class Duty:
    """Who is around right now for one lead: its owner, the on-call rep, and whether we are open."""

    team: Team
    owner: Member | None
    on_call: Member | None
    open_now: bool

    def recipient(self, level: int) -> Recipient:
        """Who must act at this level of the ladder."""
        if level == 1:
            if self.owner is not None:
                return Recipient("owner", self.owner, None)
            if self.on_call is not None and not self.open_now:
                return Recipient("on_call", self.on_call, None)
            return Recipient("channel", None, self.team.leads_channel)
        if level == 2 and self.on_call is not None and self.on_call.id != (self.owner.id if self.owner else None):
            return Recipient("on_call", self.on_call, None)
        return Recipient("managers", None, self.team.managers_channel or self.team.leads_channel)
