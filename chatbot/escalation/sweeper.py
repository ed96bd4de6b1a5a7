"""The sweep: due deadlines become escalations, each exactly once.

Deadlines are the indexed `lead.due_at` column, not one scheduler job per lead. A sweep takes
the leads that are due, one short transaction each, locking the lead row with
`FOR UPDATE SKIP LOCKED` (PostgreSQL) so two workers never work one lead, and records every
step with a unique (lead, rule, deadline, level) key, so a restart neither repeats nor skips
one: a step that fell due while the worker was down fires on the next sweep.

What each step says and to whom comes from the plan the lead's window took when it opened
(policy.Plan, kept on the lead): editing settings never re-fires or re-times a step. The
`Duty` decides who hears each rung now: the owner (unclaimed: the channel, after hours the
on-call rep), the on-call rep (unless they own it or already heard: then the managers), the
next rep, the managers. After hours, with the team's quiet hours on, what is meant for the
managers or the channel is kept for the morning summary (escalation/rollup.py) instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, select

from chatbot.domain.hours import BusinessHours
from chatbot.domain.policy import Audience, Rule, Step, due_steps
from chatbot.escalation import rollup
from chatbot.leads.deadlines import facts_of, fired_steps, hours_of, refresh_due, snapshots_of, windows_of
from chatbot.messaging import outbox
from chatbot.messaging.views import Told, escalation_text
from chatbot.store import queries
from chatbot.store.db import transaction
from chatbot.store.models import Escalation, Lead, LeadStatus, Member, Team
from chatbot.team.schedule import on_duty

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Recipient:
    audience: str  # owner, channel, on_call, next_rep or managers
    member: Member | None
    channel: str | None


def sweep(core, limit: int = 500) -> list[int]:
    """Fire every step due by now, and each team's morning summary once it opens; return the
    new escalations' ids."""
    now = core.clock.now()
    with transaction(core.engine) as session:
        lead_ids = session.exec(
            select(Lead.id).where(col(Lead.due_at) <= now, Lead.status == LeadStatus.OPEN)
            .order_by(Lead.due_at).limit(limit)
        ).all()
    fired: list[int] = []
    for lead_id in lead_ids:
        fired.extend(_escalate_lead(core, lead_id, now))
    rollup.sweep_mornings(core, now)
    return fired


def _escalate_lead(core, lead_id: int, now: datetime) -> list[int]:
    with transaction(core.engine) as session:
        lead = session.exec(
            select(Lead).where(Lead.id == lead_id, col(Lead.due_at) <= now).with_for_update(skip_locked=True)
        ).first()
        if lead is None:
            return []  # another worker has it, or it changed since we looked
        team = session.get(Team, lead.team_id)
        fired_keys = fired_steps(session, lead.id)
        steps = due_steps(facts_of(lead), windows_of(team), fired_keys, now, snapshots_of(lead))
        fired: list[Escalation] = []
        if steps:
            owner = session.get(Member, lead.owner_id) if lead.owner_id else None
            hours = hours_of(team)
            duty = Duty(team, *on_duty(session, team, owner, now), hours.is_open(now))  # away: skipped
            duty = duty.with_rotation(queries.rotation(session, team.id), hours)
            earlier = list(session.exec(select(Escalation).where(Escalation.lead_id == lead.id)
                                        .order_by(Escalation.fired_at, Escalation.id)).all())
            for step in steps:
                escalation = _fire(session, lead, team, step, duty, owner, earlier, now)
                earlier.append(escalation)
                fired.append(escalation)
            outbox.enqueue_card(session, lead, now)
        refresh_due(session, lead, team)  # flushes: every escalation gets its id here
        return [escalation.id for escalation in fired]


def _same_voice(step: Step, escalation: Escalation) -> bool:
    """Escalations a later step of this window speaks after: the window's own, and for first
    contact the claim chain's (one voice per lead)."""
    if escalation.rule == step.rule and escalation.deadline == step.deadline:
        return True
    return step.rule is Rule.FIRST_CONTACT and escalation.rule == Rule.CLAIM


def _told(session: Session, team: Team, lead_owner_id: int | None, earlier: list[Escalation],
          step: Step) -> tuple[Told, ...]:
    found = []
    for e in earlier:
        if not _same_voice(step, e):
            continue
        if e.target_member_id is not None:
            member = session.get(Member, e.target_member_id)
            role = "owner" if e.target_member_id == lead_owner_id else "on-call"
            who = f"{member.name} ({role})" if member else "a rep"
        elif e.target_channel and e.target_channel == team.leads_channel:
            who = "the channel"
        else:
            who = "the managers"
        found.append(Told(who, e.fired_at, e.held_for is not None))
    return tuple(found)


def _fire(session: Session, lead: Lead, team: Team, step: Step, duty: Duty, owner: Member | None,
          earlier: list[Escalation], now: datetime) -> Escalation:
    told_members = {e.target_member_id for e in earlier if _same_voice(step, e) and e.target_member_id}
    recipient = duty.recipient(step, told_members)
    held = duty.held_until_opening(recipient, now)
    escalation = Escalation(
        lead_id=lead.id, rule=step.rule, deadline=step.deadline, level=step.level, due_at=step.due_at,
        fired_at=now, target_member_id=recipient.member.id if recipient.member else None,
        target_channel=recipient.channel, held_for=held,
    )
    session.add(escalation)
    # One line per escalation, ids only (the notice's text names the customer: not logged).
    log.info("escalation fired lead=%d rule=%s level=%d to=%s%s", lead.id, step.rule.value, step.level,
             recipient.audience, f" held_for={held.isoformat()}" if held else "")
    if held is not None:
        return escalation  # told in the morning summary, not at night
    text = escalation_text(step.rule, recipient.audience, lead, team, owner, now, level=step.level,
                           told=_told(session, team, lead.owner_id, earlier, step), deadline=step.deadline)
    mention = recipient.member.chat_user_id if recipient.member else None
    hint = "claim" if lead.owner_id is None else None
    take = recipient.audience != "owner"  # a colleague or manager may take it over; not the owner's own reminder
    outbox.enqueue_notice(session, lead, to="thread", address=None, text=text, mention=mention, now=now, hint=hint,
                          take=take)
    if recipient.member is not None:
        outbox.enqueue_notice(session, lead, to="direct", address=recipient.member.chat_user_id, text=text,
                              mention=None, now=now, hint=hint, take=take)
    elif recipient.channel and recipient.channel != team.leads_channel:
        outbox.enqueue_notice(session, lead, to="channel", address=recipient.channel, text=text, mention=None,
                              now=now, hint=hint, take=take)
    return escalation


@dataclass(frozen=True)
class Duty:
    """Who is around right now for one lead: its owner, the on-call rep, and whether we are open."""

    team: Team
    owner: Member | None
    on_call: Member | None
    open_now: bool
    rotation: tuple[Member, ...] = ()
    hours: BusinessHours | None = field(default=None, compare=False)

    def with_rotation(self, rotation: list[Member], hours: BusinessHours) -> Duty:
        return Duty(self.team, self.owner, self.on_call, self.open_now, tuple(rotation), hours)

    def _managers(self) -> Recipient:
        return Recipient("managers", None, self.team.managers_channel or self.team.leads_channel)

    def _channel(self, told: set[int]) -> Recipient:
        if not self.open_now and self.on_call is not None and self.on_call.id not in told:
            return Recipient("on_call", self.on_call, None)  # after hours the on-call rep hears first
        return Recipient("channel", None, self.team.leads_channel)

    def recipient(self, step: Step | int, told: set[int] = frozenset()) -> Recipient:
        """Who must act at this step; `told`: members this lead's window has already told."""
        audience = step.audience if isinstance(step, Step) else (
            Audience.OWNER, Audience.ON_CALL, Audience.MANAGERS)[min(step, 3) - 1]
        owner_id = self.owner.id if self.owner else None
        if audience is Audience.OWNER:
            return Recipient("owner", self.owner, None) if self.owner is not None else self._channel(told)
        if audience is Audience.CHANNEL:
            return self._channel(told)
        if audience is Audience.ON_CALL:
            if self.on_call is not None and self.on_call.id != owner_id and self.on_call.id not in told:
                return Recipient("on_call", self.on_call, None)
            return self._managers()
        if audience is Audience.NEXT_REP:
            rep = self._next_rep()
            if rep is not None and rep.id not in told:
                return Recipient("next_rep", rep, None)
            return self._managers()
        return self._managers()

    def _next_rep(self) -> Member | None:
        ids = [m.id for m in self.rotation]
        if self.owner is None or self.owner.id not in ids:
            return self.on_call
        return self.rotation[(ids.index(self.owner.id) + 1) % len(ids)] if len(ids) > 1 else None

    def held_until_opening(self, recipient: Recipient, now: datetime) -> date | None:
        """After hours with quiet hours on: the local date of the morning summary that tells it."""
        if self.open_now or not self.team.quiet_hours or recipient.audience not in ("managers", "channel"):
            return None
        opening = self.hours.next_opening(now) if self.hours is not None else None
        return self.hours.local(opening).date() if opening is not None else None
