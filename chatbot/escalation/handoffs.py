"""The handoff notice: at the start of an on-call shift the incoming rep hears what is open and
what is overdue, by direct message.

Stored like escalations: each sweep makes sure the running shift has its row, (team, shift
date) under a unique key, so two workers make one row; then sends the unsent rows, each locked
`FOR UPDATE SKIP LOCKED` while it is sent, so one worker sends it. A shift the worker only
reaches late (it was down at 19:00) still gets its notice while the shift runs; a shift that
ended unseen gets none. A chat that is down leaves the row for the next sweep (at most
`MAX_ATTEMPTS`). The same pass ends aways that have run out.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from chatbot.domain.oncall import Schedule
from chatbot.ladder.deadlines import due_window, hours_of
from chatbot.messaging.ports import ChatUnavailable, Direct
from chatbot.messaging.views import Notice
from chatbot.messaging.views.oncall import due_short, handoff_text
from chatbot.store.db import transaction
from chatbot.store.models import Lead, LeadStatus, Member, OncallHandoff, Team
from chatbot.team.availability import return_expired
from chatbot.team.schedule import load

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 20


def sweep_handoffs(core, platforms) -> list[int]:
    """Plan every team's running shift's notice, then send the unsent ones; returns the ids sent."""
    now = core.clock.now()
    with transaction(core.engine) as session:
        return_expired(session, now)
        _plan_all(session, now)
        pending = session.exec(select(OncallHandoff.id).where(
            col(OncallHandoff.sent_at).is_(None), OncallHandoff.attempts < MAX_ATTEMPTS)).all()
    return [handoff_id for handoff_id in pending if _send(core, platforms, handoff_id, now)]


def _plan_all(session: Session, now: datetime) -> None:
    """`_plan` for the teams whose running shift has no row yet, found in three queries whatever
    the number of teams: this runs every tick, and a shift's row is made on its first one.
    When shifts run depends only on the team's hours and shift settings, not on who holds them;
    a team with nobody in its rotation has no shifts."""
    running: dict[int, tuple[Team, date]] = {}
    on_call = set(session.exec(select(Member.team_id).where(  # as queries.rotation: who can hold a shift
        Member.active, col(Member.oncall_order).is_not(None)).distinct()).all())
    for team in session.exec(select(Team).where(col(Team.id).in_(on_call))).all() if on_call else ():
        times = Schedule(hours=hours_of(team), reps=(), handoff=_handoff_of(team), length=_length_of(team))
        shift = times.covering(now)
        if shift is not None:
            running[team.id] = (team, shift.day)
    if not running:
        return  # every team is open: no shift is running
    have = set(session.exec(select(OncallHandoff.team_id, OncallHandoff.day).where(
        col(OncallHandoff.team_id).in_(list(running)),
        col(OncallHandoff.day).in_({day for _, day in running.values()}))).all())
    for team_id, (team, day) in running.items():
        if (team_id, day) not in have:
            _plan(session, team, now)


def _handoff_of(team: Team) -> time | None:
    return time.fromisoformat(team.oncall_handoff) if team.oncall_handoff else None


def _length_of(team: Team) -> timedelta | None:
    return timedelta(seconds=team.oncall_shift_s) if team.oncall_shift_s else None


def _plan(session: Session, team: Team, now: datetime) -> None:
    schedule, _ = load(session, team, now)
    shift = schedule.covering(now) if schedule.reps else None
    if shift is None or shift.rep is None:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(OncallHandoff).values(
        team_id=team.id, day=shift.day, member_id=shift.rep, due_at=shift.start, created_at=now, attempts=0,
    ).on_conflict_do_nothing(index_elements=["team_id", "day"]))


def _send(core, platforms, handoff_id: int, now: datetime) -> bool:
    with transaction(core.engine) as session:
        row = session.exec(select(OncallHandoff).where(
            OncallHandoff.id == handoff_id, col(OncallHandoff.sent_at).is_(None)).with_for_update(skip_locked=True)
        ).first()
        if row is None:
            return False
        team = session.get(Team, row.team_id)
        schedule, people = load(session, team, now)
        shift = schedule.shift(row.day, now)
        rep = people.get(shift.rep) if shift.rep is not None else None
        if rep is None or not shift.covers(now):
            row.sent_at, row.last_error = now, "shift over or nobody to tell"
            session.add(row)
            return False
        chat = platforms.chat_for(team) if platforms is not None else None
        if chat is None:
            return False
        text = handoff_text(rep.name, shift, hours_of(team).zone, now, *_open_and_overdue(session, team, now))
        try:
            chat.post(Direct(rep.chat_user_id), Notice(text=text))
        except ChatUnavailable as exc:
            row.attempts += 1
            row.last_error = str(exc)[:500]
            session.add(row)
            log.info("handoff not sent team=%d day=%s error=%s", team.id, row.day, type(exc).__name__)
            return False
        row.sent_at, row.member_id = now, rep.id
        session.add(row)
        log.info("handoff sent team=%d day=%s", team.id, row.day)
        return True


def _open_and_overdue(session: Session, team: Team, now: datetime) -> tuple[int, list[str]]:
    rows = session.exec(  # a team's every open lead: not their details (JSON nobody here reads)
        select(Lead, Member.name).options(defer(Lead.details), defer(Lead.comments))
        .join(Member, col(Lead.owner_id) == Member.id, isouter=True)
        .where(Lead.team_id == team.id, Lead.status == LeadStatus.OPEN, col(Lead.history).is_(False))
        .order_by(Lead.id)
    ).all()
    overdue: list[str] = []
    for lead, owner in rows:
        due = due_window(lead, team)
        if due is not None and due.deadline <= now:
            overdue.append(f"#{lead.id} {lead.customer_name} ({owner or 'unclaimed'}, "
                           f"{due_short(lead, team, due, now)})")
    return len(rows), overdue
