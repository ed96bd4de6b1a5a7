"""The sweep: due deadlines become escalations, each exactly once.

Deadlines are the indexed `lead.due_at` column, not one scheduler job per lead. A sweep takes
the leads that are due, one short transaction each, locking the lead row with
`FOR UPDATE SKIP LOCKED` (PostgreSQL) so two workers never work one lead, and records every
step with a unique (lead, rule, deadline, level) key, so a restart neither repeats nor skips
one: a step that fell due while the worker was down fires on the next sweep.

What each step says and to whom comes from the plan the lead's window took when it opened
(policy.Plan, kept on the lead): editing settings never re-fires or re-times a step. The
`Duty` (chatbot/team/duty.py) decides who hears each rung now: the owner (unclaimed: the
channel, after hours the on-call rep), the on-call rep (unless they own it or already heard:
then the managers), the next rep, the managers. After hours, with the team's quiet hours on,
what is meant for the managers or the channel is kept for the morning summary
(escalation/rollup.py) instead.
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from sqlmodel import Session, col, select

from chatbot.domain.policy import Action, Step, due_steps
from chatbot.escalation import lapses, rollup
from chatbot.ladder.deadlines import (
    chains_of,
    facts_of,
    fired_steps,
    refresh_due,
    snapshots_of,
    windows_of,
)
from chatbot.messaging import queue
from chatbot.messaging.views.escalations import Told, escalation_text, moved_away_text, moved_to_you_text
from chatbot.store.db import transaction
from chatbot.store.models import Escalation, Lead, LeadStatus, Member, Team
from chatbot.team.duty import Duty, same_voice, told_members

log = logging.getLogger(__name__)


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
        steps = due_steps(facts_of(lead), windows_of(team), fired_keys, now, snapshots_of(lead),
                          chains_of(team, lead.source))
        fired: list[Escalation] = []
        if steps:
            earlier = list(session.exec(select(Escalation).where(Escalation.lead_id == lead.id)
                                        .order_by(Escalation.fired_at, Escalation.id)).all())
            for step in steps:  # a reassign changes the owner: who is around is asked per step
                owner = session.get(Member, lead.owner_id) if lead.owner_id else None
                duty = Duty.now(session, team, owner, now)
                escalation = _fire(session, lead, team, step, duty, owner, earlier, now)
                earlier.append(escalation)
                fired.append(escalation)
            queue.enqueue_card(session, lead, now)
        refresh_due(session, lead, team)  # flushes: every escalation gets its id here
        return [escalation.id for escalation in fired]


def _told(session: Session, team: Team, lead_owner_id: int | None, earlier: list[Escalation],
          step: Step) -> tuple[Told, ...]:
    found = []
    for e in earlier:
        if not same_voice(step, e) or e.due_at < e.deadline <= e.fired_at:
            continue  # another window's, or a heads-up caught up after its deadline: never sent
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
    escalation = _step(session, lead, team, step, duty, owner, earlier, now)
    if step.level == 1 and not duty.owner_away:  # the window has lapsed: counted against its owner
        lapses.count_lapse(session, lead, team, owner, duty.open_now, now)
    return escalation


def _step(session: Session, lead: Lead, team: Team, step: Step, duty: Duty, owner: Member | None,
          earlier: list[Escalation], now: datetime) -> Escalation:
    if step.action is Action.REASSIGN and (to := duty.reassign_to()) is not None:
        return _reassign(session, lead, team, step, owner, to, now)
    recipient = duty.recipient(step, told_members(step, earlier))
    if step.due_at < step.deadline <= now:  # a heads-up caught up after its deadline: the lapse speaks instead
        log.info("heads-up passed unsent lead=%d rule=%s level=%d", lead.id, step.rule.value, step.level)
        return _record(session, lead, step, recipient.member, recipient.channel, now, held_for=None)
    held = duty.held_until_opening(recipient, now)
    escalation = _record(session, lead, step, recipient.member, recipient.channel, now, held_for=held)
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
    queue.enqueue_notice(session, lead, to="thread", address=None, text=text, mention=mention, now=now, hint=hint,
                          take=take)
    if recipient.member is not None:
        queue.enqueue_notice(session, lead, to="direct", address=recipient.member.chat_user_id, text=text,
                              mention=None, now=now, hint=hint, take=take)
    elif recipient.channel and recipient.channel != team.leads_channel:
        queue.enqueue_notice(session, lead, to="channel", address=recipient.channel, text=text, mention=None,
                              now=now, hint=hint, take=take)
    return escalation


def _record(session: Session, lead: Lead, step: Step, member: Member | None, channel: str | None, now: datetime,
            *, held_for: date | None = None, moved_from: Member | None = None) -> Escalation:
    escalation = Escalation(
        lead_id=lead.id, rule=step.rule, deadline=step.deadline, level=step.level, due_at=step.due_at,
        fired_at=now, target_member_id=member.id if member else None, target_channel=channel, held_for=held_for,
        moved_from_id=moved_from.id if moved_from else None,
    )
    session.add(escalation)
    return escalation


def _reassign(session: Session, lead: Lead, team: Team, step: Step, owner: Member | None, to: Member,
              now: datetime) -> Escalation:
    """A reassign step: the lead becomes the next available rep's. Its clocks stay (submission,
    first claim, last activity), so the chain goes on where it was; the move is the escalation
    row (who from, who to, which window) and one log line."""
    lead.owner_id = to.id
    lead.claimed_at = lead.claimed_at or now
    session.add(lead)
    escalation = _record(session, lead, step, to, None, now, moved_from=owner)
    log.info("lead reassigned by its ladder lead=%d rule=%s level=%d from=%s to=%d", lead.id, step.rule.value,
             step.level, owner.id if owner else "nobody", to.id)
    text = moved_to_you_text(step.rule, lead, team, owner, now, deadline=step.deadline)
    queue.enqueue_notice(session, lead, to="thread", address=None, text=text, mention=to.chat_user_id, now=now)
    queue.enqueue_notice(session, lead, to="direct", address=to.chat_user_id, text=text, mention=None, now=now)
    if owner is not None and owner.id != to.id:
        queue.enqueue_direct(session, lead, owner.chat_user_id,
                              moved_away_text(step.rule, lead, team, to, now, deadline=step.deadline), now)
    return escalation
