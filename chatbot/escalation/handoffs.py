"""The handoff notice: at the start of an on-call shift the incoming rep hears what is open and
what is overdue, by direct message.

Stored like escalations: each sweep makes sure the running shift has its row, (team, shift
date) under a unique key, and the transaction that makes the row queues its outbox message
(chatbot.messaging.queue), so two workers make one row and one message, and a restart neither
skips nor repeats it. The outbox delivers it like any notice (paced, retried, in order, through
an outage), rendered when it goes: what is open and overdue then, to whoever holds the shift
then (chatbot.messaging.render). A shift the worker only reaches late (it was down at 19:00)
still gets its notice while the shift runs; a shift that ended before its notice could go gets
none. The same pass ends aways that have run out.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from chatbot.domain.oncall import Schedule
from chatbot.ladder.deadlines import hours_of
from chatbot.messaging import queue
from chatbot.store.db import transaction
from chatbot.store.models import Member, OncallHandoff, Team
from chatbot.team.availability import return_expired
from chatbot.team.schedule import load

log = logging.getLogger(__name__)


def sweep_handoffs(core) -> list[int]:
    """Plan every team's running shift's notice (its row and its outbox message); returns the
    ids of the rows made now."""
    now = core.clock.now()
    with transaction(core.engine) as session:
        return_expired(session, now)
        return _plan_all(session, now)


def _plan_all(session: Session, now: datetime) -> list[int]:
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
        return []  # every team is open: no shift is running
    have = set(session.exec(select(OncallHandoff.team_id, OncallHandoff.day).where(
        col(OncallHandoff.team_id).in_(list(running)),
        col(OncallHandoff.day).in_({day for _, day in running.values()}))).all())
    made = (_plan(session, team, now) for team_id, (team, day) in running.items() if (team_id, day) not in have)
    return [handoff_id for handoff_id in made if handoff_id is not None]


def next_handoff(session: Session, team: Team, now: datetime) -> datetime | None:
    """When the team's next on-call shift starts, after `now` (None: nobody is in its rotation)."""
    schedule, _ = load(session, team, now)
    return schedule.next_shift(now).start if schedule.reps else None


def _handoff_of(team: Team) -> time | None:
    return time.fromisoformat(team.oncall_handoff) if team.oncall_handoff else None


def _length_of(team: Team) -> timedelta | None:
    return timedelta(seconds=team.oncall_shift_s) if team.oncall_shift_s else None


def _plan(session: Session, team: Team, now: datetime) -> int | None:
    """The running shift's row and its message, unless another worker made them first."""
    schedule, people = load(session, team, now)
    shift = schedule.covering(now) if schedule.reps else None
    if shift is None or shift.rep is None:
        return None
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    handoff_id = session.execute(insert(OncallHandoff).values(
        team_id=team.id, day=shift.day, member_id=shift.rep, due_at=shift.start, created_at=now,
    ).on_conflict_do_nothing(index_elements=["team_id", "day"]).returning(OncallHandoff.id)).scalar()
    if handoff_id is not None:
        queue.enqueue_handoff(session, team.id, handoff_id, people[shift.rep].chat_user_id, now)
        log.info("handoff planned team=%d day=%s", team.id, shift.day)
    return handoff_id
