"""The follow-up figures of ../shared/METRICS.md, computed by the database.

Every figure is one SQL aggregate over the cohort (leads submitted in [start, end) in the
team's time zone), written once with SQLAlchemy and run unchanged on SQLite and PostgreSQL.
Medians and the p90 use window functions; durations are whole seconds (`seconds_between`).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Integer, and_, case, func, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlmodel import Session, col, select

from chatbot.domain.hours import BusinessHours
from chatbot.store.models import Lead, LeadStatus, Member, Team, Touch

FIVE_MINUTES = 300
FEW_ATTEMPTS = 3


class seconds_between(FunctionElement):
    """Whole seconds from `earlier` to `later`: `seconds_between(later, earlier)`."""

    type = Integer()
    inherit_cache = True


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element, compiler, **kw):
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"CAST(ROUND((julianday({later}) - julianday({earlier})) * 86400) AS INTEGER)"


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element, compiler, **kw):
    later, earlier = (compiler.process(arg, **kw) for arg in element.clauses)
    return f"CAST(EXTRACT(EPOCH FROM ({later} - {earlier})) AS INTEGER)"


# ---------------------------------------------------------------- periods


@dataclass(frozen=True)
class Period:
    """[start, end) between local midnights in the team's zone. `step_days`: how far back the
    period before it starts (its length in days; 7 for this-week, compared with the same days
    of last week). `to_now`: it ends after the report time (today is included, so far)."""

    start: datetime
    end: datetime
    label: str
    step_days: int = 0
    to_now: bool = False

    @property
    def days(self) -> int:
        return (self.end.astimezone(self.start.tzinfo).date() - self.start.date()).days

    @property
    def span(self) -> str:
        """'Nov 18-Nov 24': the days it covers."""
        return _span(self.start.date(), self.end.astimezone(self.start.tzinfo).date() - timedelta(days=1))

    def previous(self, now: datetime | None = None) -> "Period":
        """The period of the same length just before this one, by the wall clock (so a DST day
        is compared as a day). A period that includes today is compared up to the same time of
        day `step_days` earlier: today so far against that day so far."""
        zone = self.start.tzinfo
        step = timedelta(days=self.step_days or self.days)
        start = datetime.combine(self.start.date() - step, time(0), zone)
        end_day = self.end.astimezone(zone)
        end = datetime.combine(end_day.date() - step, time(0), zone)
        if now is not None and self.start < now < self.end:
            here = now.astimezone(zone)
            end = datetime.combine(here.date() - step, here.time().replace(tzinfo=None), zone)
        first, last = start.date(), end.astimezone(zone).date()
        if end.astimezone(zone).time() == time(0):
            last -= timedelta(days=1)
        label = _span(first, last) + (f" to {end.astimezone(zone):%H:%M}" if end.astimezone(zone).time() != time(0)
                                      else "")
        return Period(start, end, label, self.step_days)


class PeriodError(ValueError):
    pass


LONGEST_PERIOD_DAYS = 366
FIRST_YEAR, LAST_YEAR = 2000, 2100
DATE_FORM = "Use YYYY-MM-DD, e.g. 2026-11-09..2026-11-15."
PERIOD_FORMS = "Try 7d, 30d, this-week, last-week, or 2026-11-09..2026-11-15."
DEFAULT_DAYS = 7


def period_for(spec: str | None, hours: BusinessHours, now: datetime) -> Period:
    """In the team's time zone: no spec (the default) is the last 7 days including today so far;
    '7d' / '30d' the 7 / 30 full days before today; 'last-week' (Mon-Sun); 'this-week' (Monday
    to now); '2026-11-09..2026-11-15' (both days included).

    A period is 1 to 366 days between the years 2000 and 2100; anything else is a PeriodError
    whose message says what was wrong and which forms work.
    """
    zone = hours.zone
    today = now.astimezone(zone).date()

    def at_midnight(day: date) -> datetime:
        return datetime.combine(day, time(0), zone)

    if spec is None or not spec.strip():
        first = today - timedelta(days=DEFAULT_DAYS - 1)
        return Period(at_midnight(first), at_midnight(today + timedelta(days=1)),
                      f"last {DEFAULT_DAYS} days ({_span(first, today)}, today so far)", DEFAULT_DAYS, to_now=True)
    text = spec.strip().lower()
    if match := re.fullmatch(r"([0-9]+)d", text):
        digits = match.group(1).lstrip("0")
        if not digits:
            raise PeriodError("A period needs at least one day, e.g. 7d.")
        if len(digits) > 3 or int(digits) > LONGEST_PERIOD_DAYS:
            raise PeriodError(f"{_quoted(text)} is too long: a period is at most {LONGEST_PERIOD_DAYS} days, "
                              "e.g. 7d, 30d or 365d.")
        days = int(digits)
        start = today - timedelta(days=days)
        return Period(at_midnight(start), at_midnight(today), f"last {days} days ({_span(start, today - timedelta(days=1))})")
    if text in ("last-week", "lastweek"):
        monday = today - timedelta(days=today.weekday() + 7)
        return Period(at_midnight(monday), at_midnight(monday + timedelta(days=7)), f"week of {monday:%b %d}")
    if text in ("this-week", "week"):
        monday = today - timedelta(days=today.weekday())
        return Period(at_midnight(monday), at_midnight(today + timedelta(days=1)), f"this week ({_span(monday, today)}, today so far)", 7, to_now=True)
    if match := re.fullmatch(r"([0-9]{4}-[0-9]{2}-[0-9]{2})\.\.([0-9]{4}-[0-9]{2}-[0-9]{2})", text):
        first, last = _day(match.group(1)), _day(match.group(2))
        if last < first:
            raise PeriodError(f"{_quoted(text)} ends before it starts: put the earlier day first, "
                              "e.g. 2026-11-09..2026-11-15.")
        days = (last - first).days + 1
        if days > LONGEST_PERIOD_DAYS:
            raise PeriodError(f"{_quoted(text)} is {days} days: a period is at most {LONGEST_PERIOD_DAYS} days.")
        return Period(at_midnight(first), at_midnight(last + timedelta(days=1)), _span(first, last))
    raise PeriodError(f"{_quoted(spec or '')} is not a period. {PERIOD_FORMS}")


def _day(word: str) -> date:
    """'2026-11-09' as a date; an impossible one is refused saying which part is wrong."""
    year, month, day = (int(part) for part in word.split("-"))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise PeriodError(f"'{word}' is out of range: years run {FIRST_YEAR}-{LAST_YEAR}. {DATE_FORM}")
    if not 1 <= month <= 12:
        raise PeriodError(f"'{word}' is not a date: months run 01-12. {DATE_FORM}")
    month_days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= month_days:
        raise PeriodError(f"'{word}' is not a date: days in {calendar.month_name[month]} {year} run 01-{month_days}. "
                          f"{DATE_FORM}")
    return date(year, month, day)


def _span(first: date, last: date) -> str:
    """'Nov 09-Nov 15'; with the years when the period crosses a new year ('Dec 28 2025-Jan 03 2026')."""
    if first.year == last.year:
        return f"{first:%b %d}-{last:%b %d}"
    return f"{first:%b %d %Y}-{last:%b %d %Y}"


def _quoted(text: str) -> str:
    """What the person typed, in quotes, cut short enough for one line."""
    text = text.strip()
    return f"'{text}'" if len(text) <= 40 else f"'{text[:39]}…'"


# ---------------------------------------------------------------- baseline


@dataclass(frozen=True)
class Baseline:
    period: Period
    target_s: int
    leads: int
    contacted: int
    first_contact_mean_s: float | None
    first_contact_median_s: float | None
    first_contact_p90_s: int | None
    within_5_min: int
    within_target: int
    claim_median_s: float | None
    second_contact_eligible: int
    second_contact_within_48h: int
    first_to_second_median_s: float | None
    stalled: int
    lost: int
    lost_few_attempts: int
    # The team's windows the figures were computed with (labels say "within 48 h" from these).
    second_window_s: int = 48 * 3600
    stall_window_s: int = 3 * 24 * 3600

    @property
    def never_contacted(self) -> int:
        return self.leads - self.contacted


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Spread:
    """Mean, median (the middle value, or the mean of the two middle ones) and nearest-rank p90."""

    mean: float | None
    median: float | None
    p90: int | None


def _spread(session: Session, durations) -> Spread:
    """The spread of a one-column select of whole seconds, computed by the database."""
    inner = durations.subquery()
    value = inner.c[0]
    ranked = select(
        value.label("s"),
        func.row_number().over(order_by=value).label("rn"),
        func.count().over().label("n"),
    ).subquery()
    n, rn, s = ranked.c.n, ranked.c.rn, ranked.c.s
    # p90's rank ceil(0.9 n) is written as integer arithmetic that SQLite and PostgreSQL agree on.
    mean, median, p90 = session.execute(select(
        func.avg(s),
        func.avg(case((or_(rn == (n + 1) // 2, rn == (n + 2) // 2), s))),
        func.min(case((rn >= (n * 9 + 9) // 10, s))),
    )).one()
    return Spread(float(mean) if mean is not None else None, float(median) if median is not None else None,
                  int(p90) if p90 is not None else None)


def _medians(session: Session, key: ColumnElement, value: ColumnElement, where: ColumnElement) -> dict:
    """{group key: median of `value`} over the rows meeting `where`, each group ranked apart
    (ROW_NUMBER() OVER (PARTITION BY key ORDER BY value)): one query for every group."""
    ranked = select(
        key.label("k"), value.label("s"),
        func.row_number().over(partition_by=key, order_by=value).label("rn"),
        func.count().over(partition_by=key).label("n"),
    ).where(where).subquery()
    k, n, rn, s = ranked.c.k, ranked.c.n, ranked.c.rn, ranked.c.s
    rows = session.execute(select(k, func.avg(case((or_(rn == (n + 1) // 2, rn == (n + 2) // 2), s))))
                           .group_by(k)).all()
    return {key_value: float(median) if median is not None else None for key_value, median in rows}


# Expressions every first-contact figure shares.
TO_FIRST = seconds_between(Lead.first_contact_at, Lead.submitted_at)
CONTACTED = col(Lead.first_contact_at).is_not(None)
FIRST_TO_SECOND = seconds_between(Lead.second_contact_at, Lead.first_contact_at)


def count_where(*conditions: ColumnElement) -> ColumnElement:
    """How many rows meet every condition: SUM(CASE ...), so many counts share one scan."""
    return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)


def cohort(team: Team, period: Period, *, owner_id: int | None = None, source: str | None = None,
           team_ids: tuple[int, ...] | None = None) -> ColumnElement:
    """The team's leads submitted in [start, end), optionally one rep's or one source's.
    `team_ids`: several rooftops at once (a dealer group), with `team`'s windows."""
    in_teams = Lead.team_id.in_(team_ids) if team_ids else Lead.team_id == team.id
    conditions = [in_teams, Lead.submitted_at >= period.start, Lead.submitted_at < period.end]
    if owner_id is not None:
        conditions.append(Lead.owner_id == owner_id)
    if source is not None:
        conditions.append(func.lower(Lead.source) == source.lower())
    return and_(*conditions)


@dataclass(frozen=True)
class Tests:
    """Each figure's test of one lead, as SQL conditions: counted by baseline() and by_group(),
    shown per lead by cohort_rows() (the CSV), so a count and its rows cannot disagree."""

    contacted: ColumnElement
    within_5_min: ColumnElement
    within_target: ColumnElement
    second_eligible: ColumnElement
    second_within: ColumnElement
    stalled: ColumnElement
    lost: ColumnElement
    lost_few: ColumnElement


def tests_for(team: Team, now: datetime) -> Tests:
    second_window = team.second_contact_window_s
    eligible = and_(CONTACTED, or_(Lead.first_contact_at <= now - timedelta(seconds=second_window),
                                   col(Lead.second_contact_at).is_not(None)))
    lost = Lead.status == LeadStatus.LOST
    return Tests(
        contacted=CONTACTED,
        within_5_min=and_(CONTACTED, TO_FIRST <= FIVE_MINUTES),
        within_target=and_(CONTACTED, TO_FIRST <= team.first_contact_window_s),
        second_eligible=eligible,
        second_within=and_(eligible, col(Lead.second_contact_at).is_not(None), FIRST_TO_SECOND <= second_window),
        stalled=and_(Lead.status == LeadStatus.OPEN, CONTACTED,
                     Lead.last_activity_at < now - timedelta(seconds=team.stall_window_s)),
        lost=lost,
        lost_few=and_(lost, Lead.attempts < FEW_ATTEMPTS),
    )


def baseline(session: Session, team: Team, period: Period, now: datetime, *,
             owner_id: int | None = None, source: str | None = None,
             team_ids: tuple[int, ...] | None = None) -> Baseline:
    where = cohort(team, period, owner_id=owner_id, source=source, team_ids=team_ids)
    t = tests_for(team, now)
    counts = session.execute(select(
        func.count(), count_where(t.contacted), count_where(t.within_5_min), count_where(t.within_target),
        count_where(t.second_eligible), count_where(t.second_within), count_where(t.stalled),
        count_where(t.lost), count_where(t.lost_few),
    ).where(where)).one()
    leads, n_contacted, in_5, in_target, eligible_n, second_ok, stalled_n, lost, lost_few = (int(v) for v in counts)

    first = _spread(session, select(TO_FIRST).where(where, CONTACTED))
    claim = _spread(session, select(seconds_between(Lead.claimed_at, Lead.submitted_at))
                    .where(where, col(Lead.claimed_at).is_not(None)))
    gap = _spread(session, select(FIRST_TO_SECOND).where(where, col(Lead.second_contact_at).is_not(None)))
    return Baseline(
        period=period, target_s=team.first_contact_window_s, leads=leads, contacted=n_contacted,
        first_contact_mean_s=first.mean, first_contact_median_s=first.median, first_contact_p90_s=first.p90,
        within_5_min=in_5, within_target=in_target, claim_median_s=claim.median,
        second_contact_eligible=eligible_n, second_contact_within_48h=second_ok,
        first_to_second_median_s=gap.median, stalled=stalled_n, lost=lost, lost_few_attempts=lost_few,
        second_window_s=team.second_contact_window_s, stall_window_s=team.stall_window_s,
    )


@dataclass(frozen=True)
class Comparison:
    """A period's figures and those of the period of the same length just before it (both
    computed at the same report time), for one scope (the team, a rep, a source)."""

    now: Baseline
    before: Baseline


def compare(session: Session, team: Team, period: Period, now: datetime, *,
            owner_id: int | None = None, source: str | None = None) -> Comparison:
    return Comparison(baseline(session, team, period, now, owner_id=owner_id, source=source),
                      baseline(session, team, period.previous(now), now, owner_id=owner_id, source=source))


# ---------------------------------------------------------------- by rep, by source


@dataclass(frozen=True)
class GroupFigures:
    """The headline figures of one rep's (or one source's) share of the cohort."""

    name: str
    leads: int
    contacted: int
    first_contact_median_s: float | None
    within_target: int
    second_contact_eligible: int
    second_contact_within: int
    stalled: int
    lost: int
    lost_few_attempts: int

    @property
    def never_contacted(self) -> int:
        return self.leads - self.contacted


def by_group(session: Session, team: Team, period: Period, now: datetime, by: str, *,
             owner_id: int | None = None, source: str | None = None) -> list[GroupFigures]:
    """The cohort split by owner ('rep': unclaimed leads are a row of their own) or by lead
    source ('source'): one GROUP BY for the counts, one partitioned window for the medians.
    Most leads first."""
    where = cohort(team, period, owner_id=owner_id, source=source)
    key = Lead.owner_id if by == "rep" else Lead.source
    t = tests_for(team, now)
    rows = session.execute(select(
        key, func.count(), count_where(t.contacted), count_where(t.within_target), count_where(t.second_eligible),
        count_where(t.second_within), count_where(t.stalled), count_where(t.lost), count_where(t.lost_few),
    ).where(where).group_by(key)).all()
    medians = _medians(session, key, TO_FIRST, and_(where, CONTACTED))
    names: dict = {}
    if by == "rep":
        ids = [row[0] for row in rows if row[0] is not None]
        if ids:
            names = dict(session.execute(select(Member.id, Member.name).where(col(Member.id).in_(ids))).all())
    out = []
    for group, *counts in rows:
        name = (names.get(group, f"#{group}") if group is not None else "unclaimed") if by == "rep" else group
        leads, contacted, in_target, eligible, second_ok, stalled_n, lost, lost_few = (int(v) for v in counts)
        out.append(GroupFigures(name, leads, contacted, medians.get(group), in_target, eligible, second_ok,
                                stalled_n, lost, lost_few))
    return sorted(out, key=lambda g: (-g.leads, g.name == "unclaimed", g.name.lower()))


# ---------------------------------------------------------------- after hours


@dataclass(frozen=True)
class FirstContactSplit:
    """The first-contact figures for the cohort leads submitted inside (or outside) business hours."""

    after_hours: bool
    leads: int
    contacted: int
    first_contact_mean_s: float | None
    first_contact_median_s: float | None
    first_contact_p90_s: int | None
    within_5_min: int
    within_target: int

    @property
    def never_contacted(self) -> int:
        return self.leads - self.contacted


def after_hours_split(session: Session, team: Team, period: Period, *, owner_id: int | None = None,
                      source: str | None = None) -> list[FirstContactSplit]:
    """[inside hours, after hours]: one GROUP BY on Lead.after_hours (set at submission from the
    team's hours then), and the mean, median and p90 of each side."""
    where = cohort(team, period, owner_id=owner_id, source=source)
    rows = session.execute(
        select(Lead.after_hours, func.count(), count_where(CONTACTED), count_where(CONTACTED, TO_FIRST <= FIVE_MINUTES),
               count_where(CONTACTED, TO_FIRST <= team.first_contact_window_s))
        .where(where).group_by(Lead.after_hours)
    ).all()
    by_side = {bool(side): tuple(int(v) for v in rest) for side, *rest in rows}
    out = []
    for side in (False, True):
        leads, n_contacted, in_5, in_target = by_side.get(side, (0, 0, 0, 0))
        first = (_spread(session, select(TO_FIRST).where(where, CONTACTED, Lead.after_hours == side))
                 if n_contacted else Spread(None, None, None))
        out.append(FirstContactSplit(side, leads, n_contacted, first.mean, first.median, first.p90, in_5, in_target))
    return out


# ---------------------------------------------------------------- the cohort lead by lead


CSV_COLUMNS = (
    "lead_id", "source", "customer", "owner", "imported", "after_hours", "submitted_at", "claimed_at",
    "first_contact_at", "second_contact_at", "last_activity_at", "closed_at", "status", "attempts",
    "seconds_to_claim", "seconds_to_first_contact", "within_5_min", "within_target", "second_contact_eligible",
    "second_contact_within_window", "seconds_first_to_second", "stalled", "lost_few_attempts",
)


def cohort_rows(session: Session, team: Team, period: Period, now: datetime) -> list[dict]:
    """One row per cohort lead with every figure's inputs (its times, attempts, status) and its
    result in each figure's test (1/0), from the same SQL conditions baseline() counts: the sum
    of a column is the figure. Times in the team's zone; oldest submission first."""
    t = tests_for(team, now)
    flag = {name: case((condition, 1), else_=0) for name, condition in (
        ("within_5_min", t.within_5_min), ("within_target", t.within_target),
        ("second_contact_eligible", t.second_eligible), ("second_contact_within_window", t.second_within),
        ("stalled", t.stalled), ("lost_few_attempts", t.lost_few))}
    query = (
        select(Lead.id, Lead.source, Lead.customer_name, Member.name, Lead.history, Lead.after_hours,
               Lead.submitted_at, Lead.claimed_at, Lead.first_contact_at, Lead.second_contact_at,
               Lead.last_activity_at, Lead.closed_at, Lead.status, Lead.attempts,
               seconds_between(Lead.claimed_at, Lead.submitted_at), TO_FIRST, flag["within_5_min"],
               flag["within_target"], flag["second_contact_eligible"], flag["second_contact_within_window"],
               FIRST_TO_SECOND, flag["stalled"], flag["lost_few_attempts"])
        .join(Member, Member.id == Lead.owner_id, isouter=True)
        .where(cohort(team, period)).order_by(Lead.submitted_at, Lead.id)
    )
    zone = period.start.tzinfo
    out = []
    for row in session.execute(query).all():
        values = [v.astimezone(zone).isoformat() if isinstance(v, datetime) else v for v in row]
        record = dict(zip(CSV_COLUMNS, values))
        record["imported"], record["after_hours"] = int(bool(row[4])), int(bool(row[5]))
        out.append(record)
    return out


# ---------------------------------------------------------------- stalled


@dataclass(frozen=True)
class StalledLead:
    lead_id: int
    customer_name: str
    source: str
    owner_name: str | None
    last_activity_at: datetime
    last_touch_at: datetime | None
    last_touch_kind: str | None
    attempts: int
    submitted_at: datetime | None = None
    owner_user_id: str | None = None
    chat_channel: str | None = None
    chat_message_id: str | None = None


def _work_filter(team: Team, conditions: tuple, owner_id: int | None, source: str | None) -> list:
    where = [Lead.team_id == team.id, Lead.status == LeadStatus.OPEN, col(Lead.history).is_(False), *conditions]
    if owner_id is not None:
        where.append(Lead.owner_id == owner_id)
    if source is not None:
        where.append(func.lower(Lead.source) == source.lower())
    return where


def _work_list(session: Session, team: Team, *conditions: ColumnElement, order, owner_id: int | None,
               source: str | None, limit: int | None, offset: int) -> list[StalledLead]:
    last_kind = (
        select(Touch.kind).where(Touch.lead_id == Lead.id).order_by(col(Touch.at).desc(), col(Touch.id).desc())
        .limit(1).scalar_subquery()
    )
    query = (
        select(Lead.id, Lead.customer_name, Lead.source, Member.name, Lead.last_activity_at, Lead.last_touch_at,
               last_kind, Lead.attempts, Lead.submitted_at, Member.chat_user_id, Lead.chat_channel,
               Lead.chat_message_id)
        .join(Member, Member.id == Lead.owner_id, isouter=True)
        .where(*_work_filter(team, conditions, owner_id, source))
        .order_by(order, Lead.id).offset(offset).limit(limit)
    )
    return [StalledLead(*row) for row in session.execute(query).all()]


def _stalled_conditions(team: Team, now: datetime) -> tuple:
    return CONTACTED, Lead.last_activity_at < now - timedelta(seconds=team.stall_window_s)


def _never_conditions(team: Team, now: datetime) -> tuple:
    return col(Lead.first_contact_at).is_(None), Lead.submitted_at < now - timedelta(seconds=team.first_contact_window_s)


def stalled_leads(session: Session, team: Team, now: datetime, *, owner_id: int | None = None,
                  source: str | None = None, limit: int | None = None, offset: int = 0) -> list[StalledLead]:
    """Open, contacted leads with no activity for longer than the team's stall window, oldest first
    (`limit`/`offset`: one page of them).

    Only leads the bot works (not CRM history): this is a list to act on. The baseline's
    `stalled` figure counts imported leads too, since it describes the cohort.
    """
    return _work_list(session, team, *_stalled_conditions(team, now), order=Lead.last_activity_at,
                      owner_id=owner_id, source=source, limit=limit, offset=offset)


def never_contacted_leads(session: Session, team: Team, now: datetime, *, owner_id: int | None = None,
                          source: str | None = None, limit: int | None = None,
                          offset: int = 0) -> list[StalledLead]:
    """Open leads past the first-contact window with no contact attempt at all (claimed or not;
    a note is not an attempt), the longest-waiting first. Leads the bot works only."""
    return _work_list(session, team, *_never_conditions(team, now), order=Lead.submitted_at,
                      owner_id=owner_id, source=source, limit=limit, offset=offset)


def work_list_counts(session: Session, team: Team, now: datetime, *, owner_id: int | None = None,
                     source: str | None = None) -> tuple[int, int]:
    """(stalled, never contacted): how many leads each list holds, in one scan of the open leads."""
    stalled, never = session.execute(select(
        count_where(*_stalled_conditions(team, now)), count_where(*_never_conditions(team, now)),
    ).where(*_work_filter(team, (), owner_id, source))).one()
    return int(stalled), int(never)


# ---------------------------------------------------------------- open leads


def open_leads(session: Session, team: Team, *, owner_id: int | None = None) -> list[tuple[Lead, str | None]]:
    """Open leads (with their owner's name), the ones whose next deadline comes first on top."""
    query = (
        select(Lead, Member.name).join(Member, Member.id == Lead.owner_id, isouter=True)
        .where(Lead.team_id == team.id, Lead.status == LeadStatus.OPEN, Lead.history == False)  # noqa: E712
        .order_by(col(Lead.due_at).is_(None), Lead.due_at, Lead.id)
    )
    if owner_id is not None:
        query = query.where(Lead.owner_id == owner_id)
    return [(lead, name) for lead, name in session.execute(query).all()]
