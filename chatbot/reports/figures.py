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
    start: datetime
    end: datetime
    label: str

    def previous(self) -> "Period":
        span = self.end - self.start
        return Period(self.start - span, self.start, f"the {span.days} days before")


class PeriodError(ValueError):
    pass


LONGEST_PERIOD_DAYS = 366
FIRST_YEAR, LAST_YEAR = 2000, 2100
DATE_FORM = "Use YYYY-MM-DD, e.g. 2026-11-09..2026-11-15."
PERIOD_FORMS = "Try 7d, 30d, last-week, or 2026-11-09..2026-11-15."


def period_for(spec: str | None, hours: BusinessHours, now: datetime) -> Period:
    """'7d' (default: the last 7 full days), '30d', 'last-week' (Mon-Sun), 'this-week', or
    '2026-11-09..2026-11-15' (both days included), in the team's time zone.

    A period is 1 to 366 days between the years 2000 and 2100; anything else is a PeriodError
    whose message says what was wrong and which forms work.
    """
    zone = hours.zone
    today = now.astimezone(zone).date()

    def at_midnight(day: date) -> datetime:
        return datetime.combine(day, time(0), zone)

    text = (spec or "7d").strip().lower()
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
        return Period(at_midnight(monday), at_midnight(today + timedelta(days=1)), f"this week (from {monday:%b %d})")
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


# Expressions every first-contact figure shares.
TO_FIRST = seconds_between(Lead.first_contact_at, Lead.submitted_at)
CONTACTED = col(Lead.first_contact_at).is_not(None)


def count_where(*conditions: ColumnElement) -> ColumnElement:
    """How many rows meet every condition: SUM(CASE ...), so many counts share one scan."""
    return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)


def cohort(team: Team, period: Period, *, owner_id: int | None = None, source: str | None = None) -> ColumnElement:
    """The team's leads submitted in [start, end), optionally one rep's or one source's."""
    conditions = [Lead.team_id == team.id, Lead.submitted_at >= period.start, Lead.submitted_at < period.end]
    if owner_id is not None:
        conditions.append(Lead.owner_id == owner_id)
    if source is not None:
        conditions.append(func.lower(Lead.source) == source.lower())
    return and_(*conditions)


def baseline(session: Session, team: Team, period: Period, now: datetime, *,
             owner_id: int | None = None, source: str | None = None) -> Baseline:
    where = cohort(team, period, owner_id=owner_id, source=source)
    target = team.first_contact_window_s
    second_window = team.second_contact_window_s
    first_to_second = seconds_between(Lead.second_contact_at, Lead.first_contact_at)
    eligible = and_(CONTACTED, or_(Lead.first_contact_at <= now - timedelta(seconds=second_window),
                                   col(Lead.second_contact_at).is_not(None)))
    stall_cutoff = now - timedelta(seconds=team.stall_window_s)

    counts = session.execute(select(
        func.count(),
        count_where(CONTACTED),
        count_where(CONTACTED, TO_FIRST <= FIVE_MINUTES),
        count_where(CONTACTED, TO_FIRST <= target),
        count_where(eligible),
        count_where(eligible, col(Lead.second_contact_at).is_not(None), first_to_second <= second_window),
        count_where(Lead.status == LeadStatus.OPEN, CONTACTED, Lead.last_activity_at < stall_cutoff),
        count_where(Lead.status == LeadStatus.LOST),
        count_where(Lead.status == LeadStatus.LOST, Lead.attempts < FEW_ATTEMPTS),
    ).where(where)).one()
    leads, n_contacted, in_5, in_target, eligible_n, second_ok, stalled_n, lost, lost_few = (int(v) for v in counts)

    first = _spread(session, select(TO_FIRST).where(where, CONTACTED))
    claim = _spread(session, select(seconds_between(Lead.claimed_at, Lead.submitted_at))
                    .where(where, col(Lead.claimed_at).is_not(None)))
    gap = _spread(session, select(first_to_second).where(where, col(Lead.second_contact_at).is_not(None)))
    return Baseline(
        period=period, target_s=target, leads=leads, contacted=n_contacted,
        first_contact_mean_s=first.mean, first_contact_median_s=first.median, first_contact_p90_s=first.p90,
        within_5_min=in_5, within_target=in_target, claim_median_s=claim.median,
        second_contact_eligible=eligible_n, second_contact_within_48h=second_ok,
        first_to_second_median_s=gap.median, stalled=stalled_n, lost=lost, lost_few_attempts=lost_few,
    )


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


def after_hours_split(session: Session, team: Team, period: Period) -> list[FirstContactSplit]:
    """[inside hours, after hours]: one GROUP BY on Lead.after_hours (set at submission from the
    team's hours then), and the mean, median and p90 of each side."""
    where = cohort(team, period)
    rows = session.execute(
        select(Lead.after_hours, func.count(), count_where(CONTACTED), count_where(CONTACTED, TO_FIRST <= FIVE_MINUTES),
               count_where(CONTACTED, TO_FIRST <= team.first_contact_window_s))
        .where(where).group_by(Lead.after_hours)
    ).all()
    by_side = {bool(side): tuple(int(v) for v in rest) for side, *rest in rows}
    out = []
    for side in (False, True):
        leads, n_contacted, in_5, in_target = by_side.get(side, (0, 0, 0, 0))
        first = _spread(session, select(TO_FIRST).where(where, CONTACTED, Lead.after_hours == side))
        out.append(FirstContactSplit(side, leads, n_contacted, first.mean, first.median, first.p90, in_5, in_target))
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


def stalled_leads(session: Session, team: Team, now: datetime, *, owner_id: int | None = None) -> list[StalledLead]:
    """Open, contacted leads with no activity for longer than the team's stall window, oldest first.

    Only leads the bot works (not CRM history): this is a list to act on. The baseline's
    `stalled` figure counts imported leads too, since it describes the cohort.
    """
    cutoff = now - timedelta(seconds=team.stall_window_s)
    last_kind = (
        select(Touch.kind).where(Touch.lead_id == Lead.id).order_by(col(Touch.at).desc(), col(Touch.id).desc())
        .limit(1).scalar_subquery()
    )
    query = (
        select(Lead.id, Lead.customer_name, Lead.source, Member.name, Lead.last_activity_at, Lead.last_touch_at,
               last_kind, Lead.attempts)
        .join(Member, Member.id == Lead.owner_id, isouter=True)
        .where(Lead.team_id == team.id, Lead.status == LeadStatus.OPEN, col(Lead.first_contact_at).is_not(None),
               Lead.last_activity_at < cutoff, col(Lead.history).is_(False))
        .order_by(Lead.last_activity_at)
    )
    if owner_id is not None:
        query = query.where(Lead.owner_id == owner_id)
    return [StalledLead(*row) for row in session.execute(query).all()]


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
