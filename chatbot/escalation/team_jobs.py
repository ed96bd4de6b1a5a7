"""A team's scheduled work (the weekly digest), stored like deadlines: rows with unique keys.

Each team's digest has a moment: by default Monday 08:00 on the team's wall clock, a manager's
setting (`followup set digest mon 08:00`, or `off`; a TeamSchedule row). Every sweep makes sure
the latest digest whose moment has passed has its row, (team, 'digest', '2026-W46') under a
unique key, so two workers make one row; then sends the rows that are due, each taken with a
lease (`taken_until`, the row locked `FOR UPDATE SKIP LOCKED`), so one worker sends it. Because
the row is made whenever a sweep runs after the moment, a digest the worker missed (it was down
at 08:00) is sent on its first sweep after, once, saying it is late. Only the newest week is
sent: an older digest still unsent when a newer one falls due is marked superseded.

A send is at least once like the outbox's notices: a crash between the chat's answer and the
commit that records it sends it again after the lease. Nothing is held in memory.
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
from chatbot.messaging.ports import Channel, ChatUnavailable, MessageRef
from chatbot.messaging.views import Notice
from chatbot.reports.digest import Digest, build_digest, late_text, next_week, week_label, week_monday
from chatbot.store import queries
from chatbot.store.db import transaction
from chatbot.store.models import Team, TeamJob, TeamSchedule

log = logging.getLogger(__name__)

DIGEST = "digest"
DUE, SENT, SUPERSEDED = "due", "sent", "superseded"
LEASE = timedelta(minutes=5)
LATE_AFTER = timedelta(minutes=10)  # sent later than this after its moment: the digest says so
MAX_BACKOFF = timedelta(minutes=30)


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


def _make(session: Session, team: Team, week: str, moment: datetime, now: datetime) -> None:
    values = dict(team_id=team.id, kind=DIGEST, period=week, due_at=moment, created_at=now, status=DUE,
                  attempts=0, late=False)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(TeamJob).values(**values).on_conflict_do_nothing(
        index_elements=["team_id", "kind", "period"]))
    older = session.exec(select(TeamJob).where(TeamJob.team_id == team.id, TeamJob.kind == DIGEST,
                                               TeamJob.status == DUE, TeamJob.period < week)).all()
    for job in older:
        job.status = SUPERSEDED
        session.add(job)
        log.info("team job superseded team=%d kind=%s period=%s", team.id, job.kind, job.period)


def plan_all(session: Session, now: datetime) -> int:
    """Make sure every team's newest due digest has its row (the unique key makes two workers make
    one), in a few queries whatever the number of teams: the worker runs it every tick, and on all
    but one tick a week every team's row is already there (nothing is written then). Returns how
    many teams needed a row made."""
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
        if (team_id, week) not in have:  # the row that makes it also superseded the older ones
            _make(session, team, week, moment, now)
            made += 1
    return made


@dataclass(frozen=True)
class Sent:
    job_id: int
    team_id: int
    period: str
    late: bool


def sweep_team_jobs(core, platforms) -> list[Sent]:
    """Plan every team's digest, then send the due ones through each team's chat."""
    now = core.clock.now()
    with transaction(core.engine) as session:
        plan_all(session, now)
        due = session.exec(select(TeamJob.id, TeamJob.team_id).where(
            TeamJob.status == DUE, TeamJob.due_at <= now)).all()
    sent: list[Sent] = []
    for job_id, team_id in due:
        with transaction(core.engine) as session:
            team = session.get(Team, team_id)
            chat = platforms.chat_for(team) if platforms is not None else None
        if chat is None:
            continue  # this process cannot reach the team's chat: the row waits for one that can
        done = send_job(core, chat, job_id)
        if done is not None:
            sent.append(done)
    return sent


def send_job(core, chat, job_id: int) -> Sent | None:
    """Take one due row (a lease, locked SKIP LOCKED), build and send its digest, record it."""
    now = core.clock.now()
    with transaction(core.engine) as session:
        job = session.exec(select(TeamJob).where(
            TeamJob.id == job_id, TeamJob.status == DUE, TeamJob.due_at <= now,
            (col(TeamJob.taken_until).is_(None)) | (col(TeamJob.taken_until) <= now),
        ).with_for_update(skip_locked=True)).first()
        if job is None:
            return None  # another worker has it, or it went
        job.taken_until, job.attempts = now + LEASE, job.attempts + 1
        session.add(job)
        team_id, period, due_at = job.team_id, job.period, job.due_at
    late = now - due_at > LATE_AFTER
    with transaction(core.engine) as session:
        team = session.get(Team, team_id)
        zone = ZoneInfo(team.timezone)
        digest = build_digest(session, team, period, now, late=late_text(due_at, now, zone) if late else None)
        channel = team.leads_channel or team.managers_channel
    try:
        if not channel:
            raise ChatUnavailable("the team has no leads channel", error="no_channel")
        ref = deliver(chat, Channel(channel), digest)
    except ChatUnavailable as exc:
        with transaction(core.engine) as session:
            job = session.get(TeamJob, job_id)
            job.taken_until = now + min(MAX_BACKOFF, timedelta(seconds=30 * 2 ** min(job.attempts, 10)))
            job.last_error = (exc.error or "chat unavailable")[:200]
            session.add(job)
        log.warning("team job failed team=%d kind=digest period=%s attempt=%d error=%s", team_id, period,
                    job.attempts, exc.error)
        return None
    with transaction(core.engine) as session:
        job = session.get(TeamJob, job_id)
        job.status, job.sent_at, job.late, job.taken_until = SENT, now, late, None
        job.channel, job.message_id = ref.channel, ref.message_id
        session.add(job)
    log.info("team job sent team=%d kind=digest period=%s late=%s", team_id, period, late)
    return Sent(job_id, team_id, period, late)


def deliver(chat, to: Channel, digest: Digest) -> MessageRef:
    """The digest with its chart (ChatPort.upload); a chat without images gets the text."""
    from chatbot.reports.chart import digest_png  # matplotlib loads only when a digest is drawn

    upload = getattr(chat, "upload", None)
    if upload is None:
        return chat.post(to, Notice(text=digest.message.text))
    return upload(to, digest.message, digest_png(digest), digest.filename)
