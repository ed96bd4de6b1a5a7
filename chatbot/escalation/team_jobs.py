"""A team's scheduled work (the weekly digest), stored like deadlines: rows with unique keys.

Each team's digest has a moment: by default Monday 08:00 on the team's wall clock, a manager's
setting (`followup set digest mon 08:00`, or `off`; a TeamSchedule row). Every sweep makes sure
the latest digest whose moment has passed has its row, (team, 'digest', '2026-W46') under a
unique key, and the transaction that makes the row queues its outbox message
(chatbot.messaging.queue), so two workers make one row and one message. The outbox delivers it
like any message (paced, retried, in order, through an outage), built when it goes, with its
chart (chatbot.messaging.render). Because the row is made whenever a sweep runs after the
moment, a digest the worker missed (it was down at 08:00) is sent on its first sweep after,
once, saying it is late. Only the newest week is sent: an older digest still unsent when a
newer one falls due is marked superseded, and its message is withdrawn.

A send is at least once like the outbox's notices: a crash between the chat's answer and the
commit that records it sends it again. Nothing is held in memory.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from chatbot.core import Work
from chatbot.domain.hours import DAY_NAMES
from chatbot.errors import FollowUpError, NotAllowed
from chatbot.ladder.rules import is_manager
from chatbot.messaging import queue
from chatbot.reports.digest import next_week, week_label, week_monday
from chatbot.store import queries
from chatbot.store.db import transaction
from chatbot.store.models import JOB_DUE, JOB_SUPERSEDED, Team, TeamJob, TeamSchedule

log = logging.getLogger(__name__)

DIGEST = "digest"


# ---------------------------------------------------------------- the schedule


@dataclass(frozen=True)
class DigestSchedule:
    """When a team's weekly digest goes out: a weekday and a time of day, or off. (Who is on call
    when is chatbot.domain.oncall.Schedule.)"""

    weekday: int | None  # 0 = Monday; None: off
    at: time

    @property
    def off(self) -> bool:
        return self.weekday is None

    def describe(self) -> str:
        return "off" if self.weekday is None else f"{DAY_NAMES[self.weekday]} {self.at:%H:%M}"


DEFAULT = DigestSchedule(0, time(8, 0))


class ScheduleError(FollowUpError):
    pass


def parse_schedule(value: str) -> DigestSchedule:
    """'mon 08:00', 'tuesday 7:30', 'off'."""
    text = " ".join(value.lower().split())
    if text in ("off", "none", "no"):
        return DigestSchedule(None, DEFAULT.at)
    match = re.fullmatch(r"([a-z]+)\s+([0-9]{1,2}):([0-9]{2})", text)
    if not match or match.group(1)[:3] not in DAY_NAMES:
        raise ScheduleError("Give a day and a time, e.g. mon 08:00, or off.")
    hour, minute = int(match.group(2)), int(match.group(3))
    if hour > 23 or minute > 59:
        raise ScheduleError("Times are HH:MM from 00:00 to 23:59, e.g. mon 08:00.")
    return DigestSchedule(DAY_NAMES.index(match.group(1)[:3]), time(hour, minute))


def schedule_of(session: Session, team_id: int) -> DigestSchedule:
    return _schedule_of(_schedule_row(session, team_id))


def _schedule_of(row: TeamSchedule | None) -> DigestSchedule:
    return DEFAULT if row is None else DigestSchedule(row.weekday, time.fromisoformat(row.at))


def _schedule_row(session: Session, team_id: int) -> TeamSchedule | None:
    return session.exec(select(TeamSchedule).where(TeamSchedule.team_id == team_id,
                                                   TeamSchedule.kind == DIGEST)).first()


def set_schedule(session: Session, team: Team, schedule: DigestSchedule, now: datetime) -> None:
    row = _schedule_row(session, team.id) or TeamSchedule(team_id=team.id, kind=DIGEST, updated_at=now)
    row.weekday, row.at, row.updated_at = schedule.weekday, f"{schedule.at:%H:%M}", now
    session.add(row)


def change_digest(work: Work, team_id: int, by_user_id: str, value: str) -> str:
    """`followup set digest mon 08:00` (or `off`), managers only; returns the confirmation."""
    if not is_manager(queries.member_by_chat_id(work.session, team_id, by_user_id)):
        raise NotAllowed("Settings are for managers. Ask your sales manager to change them.")
    schedule = parse_schedule(value)
    team = queries.team(work.session, team_id)
    set_schedule(work.session, team, schedule, work.now)
    if schedule.off:
        return "digest is now off: no weekly digest."
    week, moment = next_due(work.now, schedule, ZoneInfo(team.timezone))
    return (f"digest is now {schedule.describe()} ({team.timezone}), covering the week before; "
            f"the next one ({week}) goes out {moment:%a %b} {moment.day} {moment:%H:%M}.")


def describe_digest(work: Work, team_id: int) -> str:
    """The settings line for the digest."""
    return f"  digest: {schedule_of(work.session, team_id).describe()} (the weekly digest of the week before)"


def due_moment(week: str, schedule: DigestSchedule, zone: ZoneInfo) -> datetime:
    """When the digest of ISO week `week` goes out: the schedule's day and time of the next week,
    on the team's wall clock (so 08:00 stays 08:00 across a DST change)."""
    day = week_monday(week) + timedelta(days=7 + (schedule.weekday or 0))
    return datetime.combine(day, schedule.at, zone)


def latest_due(now: datetime, schedule: DigestSchedule, zone: ZoneInfo) -> tuple[str, datetime]:
    """The newest week whose digest moment is at or before `now`, and that moment."""
    today = now.astimezone(zone).date()
    this_monday = today - timedelta(days=today.weekday())
    for weeks_back in (1, 2):
        week = week_label(this_monday - timedelta(days=7 * weeks_back))
        moment = due_moment(week, schedule, zone)
        if moment <= now:
            return week, moment
    raise AssertionError("unreachable: the moment two weeks back is always past")


def next_due(now: datetime, schedule: DigestSchedule, zone: ZoneInfo) -> tuple[str, datetime]:
    """The next digest after `now`: its week and its moment."""
    week, _ = latest_due(now, schedule, zone)
    following = next_week(week)
    return following, due_moment(following, schedule, zone)


def next_digest(session: Session, team: Team, now: datetime) -> datetime | None:
    """When the team's next weekly digest goes out, after `now` (None: its digest is off)."""
    schedule = schedule_of(session, team.id)
    return None if schedule.off else next_due(now, schedule, ZoneInfo(team.timezone))[1]


# ---------------------------------------------------------------- the rows


def _wanted(team: Team, row: TeamSchedule | None, now: datetime) -> tuple[str, datetime] | None:
    """The week whose digest must have a row by now and its moment (None: nothing to plan)."""
    schedule = _schedule_of(row)
    if schedule.off:
        return None
    week, moment = latest_due(now, schedule, ZoneInfo(team.timezone))
    if moment < team.created_at or (row is not None and moment < row.updated_at):
        return None  # before the team existed, or before its schedule was set: the next one is its first
    return week, moment


def _make(session: Session, team: Team, week: str, moment: datetime, now: datetime) -> bool:
    """The week's row and its outbox message, unless another worker made them first; True when made."""
    values = dict(team_id=team.id, kind=DIGEST, period=week, due_at=moment, created_at=now, status=JOB_DUE,
                  late=False)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    job_id = session.execute(insert(TeamJob).values(**values).on_conflict_do_nothing(
        index_elements=["team_id", "kind", "period"]).returning(TeamJob.id)).scalar()
    if job_id is None:
        return False
    queue.enqueue_digest(session, team.id, job_id, team.leads_channel or team.managers_channel or "leads", now)
    log.info("team job queued team=%d kind=%s period=%s", team.id, DIGEST, week)
    older = session.exec(select(TeamJob).where(TeamJob.team_id == team.id, TeamJob.kind == DIGEST,
                                               TeamJob.status == JOB_DUE, TeamJob.period < week)).all()
    for job in older:
        job.status = JOB_SUPERSEDED
        session.add(job)
        log.info("team job superseded team=%d kind=%s period=%s", team.id, job.kind, job.period)
    return True


def plan_all(session: Session, now: datetime) -> int:
    """Make sure every team's newest due digest has its row (the unique key makes two workers make
    one), in a few queries whatever the number of teams: the worker runs it every tick, and on all
    but one tick a week every team's row is already there (nothing is written then). Returns how
    many rows this call made."""
    teams = session.exec(select(Team).order_by(Team.id)).all()
    rows = {row.team_id: row for row in session.exec(select(TeamSchedule).where(TeamSchedule.kind == DIGEST))}
    wanted = {team.id: (team, found) for team in teams if (found := _wanted(team, rows.get(team.id), now))}
    if not wanted:
        return 0
    have = set(session.exec(select(TeamJob.team_id, TeamJob.period).where(
        TeamJob.kind == DIGEST, col(TeamJob.team_id).in_(list(wanted)),
        col(TeamJob.period).in_({week for _, (week, _) in wanted.values()}))).all())
    made = 0
    for team_id, (team, (week, moment)) in wanted.items():
        if (team_id, week) not in have:  # the row that makes it also supersedes the older ones
            made += _make(session, team, week, moment, now)
    return made


def sweep_team_jobs(core) -> int:
    """Plan every team's digest (its row and its outbox message); returns how many were made."""
    with transaction(core.engine) as session:
        return plan_all(session, core.clock.now())
