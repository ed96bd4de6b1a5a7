"""The morning summary: one message per team per morning, to the managers.

It says what the night kept from them (escalations meant for the managers or the channel that
fell due after hours while the team's quiet hours were on: `Escalation.held_for`) and every lead
past its ladder (all its rungs have fired and it is still overdue: nobody is left to tell, so it
is never silent). The first sweep after the team opens on a local day makes the team's row for
that day under a unique key (team, day) and queues the message in the same transaction, so two
workers make one summary and a restart neither repeats nor skips it. A day the worker missed
is covered by the next summary (everything held since the last one).
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from chatbot.domain.policy import past_ladder
from chatbot.ladder.deadlines import facts_of, hours_of, snapshots_of, windows_of
from chatbot.messaging import queue
from chatbot.messaging.views.morning import morning_text
from chatbot.store.db import transaction
from chatbot.store.models import Escalation, Lead, LeadStatus, Member, Rollup, Team

log = logging.getLogger(__name__)


def sweep_mornings(core, now: datetime) -> int:
    """Make today's summary for every team that is open and has none yet; returns how many."""
    with transaction(core.engine) as session:
        teams = session.exec(select(Team)).all()
        due = []
        for team in teams:
            hours = hours_of(team)
            if hours.is_open(now):
                due.append((team.id, hours.local(now).date()))
        if not due:
            return 0
        have = set(session.exec(select(Rollup.team_id, Rollup.day).where(  # the unique key's index
            col(Rollup.team_id).in_([team_id for team_id, _ in due]), col(Rollup.day).in_({day for _, day in due}))).all())
    made = 0
    for team_id, day in due:
        if (team_id, day) not in have:
            made += _morning(core, team_id, day, now)
    return made


def _morning(core, team_id: int, day: date, now: datetime) -> int:
    with transaction(core.engine) as session:
        team = session.get(Team, team_id)
        since = session.exec(select(func.max(Rollup.day)).where(Rollup.team_id == team_id)).one()
        row = Rollup(team_id=team_id, day=day, created_at=now)
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError:
            return 0  # another worker made it
        held = _held(session, team_id, since, day)
        held_ids = {lead.id for lead, _ in held}
        past = [(lead, late) for lead, late in _past_ladder(session, team, now) if lead.id not in held_ids]
        row.held, row.past_ladder = len(held), len(past)
        session.add(row)
        if held or past:
            owners = _owners(session, [lead for lead, _ in held] + [lead for lead, _ in past])
            text = morning_text(team, held, past, owners, now)
            first = (held or past)[0][0]
            queue.enqueue_notice(session, first, to="channel", address=team.managers_channel or team.leads_channel,
                                  text=text, mention=None, now=now)
        log.info("morning summary team=%d day=%s held=%d past_ladder=%d", team_id, day.isoformat(), len(held),
                 len(past))
        return 1


def _held(session: Session, team_id: int, since: date | None, day: date) -> list[tuple[Lead, list[Escalation]]]:
    """Open leads with escalations kept for a morning after `since` up to `day`, each once."""
    query = (select(Escalation, Lead).join(Lead, Lead.id == Escalation.lead_id)
             .where(Lead.team_id == team_id, Lead.status == LeadStatus.OPEN, col(Escalation.held_for).is_not(None),
                    col(Escalation.held_for) <= day).order_by(Lead.id, Escalation.id))
    if since is not None:
        query = query.where(col(Escalation.held_for) > since)
    found: dict[int, tuple[Lead, list[Escalation]]] = {}
    for escalation, lead in session.exec(query).all():
        found.setdefault(lead.id, (lead, []))[1].append(escalation)
    return list(found.values())


def _past_ladder(session: Session, team: Team, now: datetime) -> list[tuple[Lead, list]]:
    """Open leads with nothing left to escalate and a window still overdue."""
    candidates = (Lead.team_id == team.id, Lead.status == LeadStatus.OPEN, col(Lead.history).is_(False),
                  col(Lead.due_at).is_(None))
    leads = session.exec(select(Lead).where(*candidates).order_by(Lead.submitted_at)).all()
    fired: dict[int, set[tuple[str, datetime, int]]] = {}  # as fired_steps has them, for every lead in one query
    for lead_id, rule, deadline, level in session.exec(
            select(Escalation.lead_id, Escalation.rule, Escalation.deadline, Escalation.level)
            .join(Lead, col(Lead.id) == Escalation.lead_id).where(*candidates)):
        fired.setdefault(lead_id, set()).add((rule, deadline, level))
    windows = windows_of(team)
    found = []
    for lead in leads:
        overdue = past_ladder(facts_of(lead), windows, fired.get(lead.id, set()), now, snapshots_of(lead))
        if overdue:
            found.append((lead, overdue))
    return found


def _owners(session: Session, leads: list[Lead]) -> dict[int, Member]:
    ids = {lead.owner_id for lead in leads if lead.owner_id}
    return {m.id: m for m in session.exec(select(Member).where(col(Member.id).in_(ids))).all()} if ids else {}
