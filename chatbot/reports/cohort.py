"""The cohort of a period and each figure's test of one lead, as SQL (docs/METRICS.md).

The cohort is the team's leads submitted in [start, end) of a period. Every figure is a test of
one lead (`Tests`), written once with SQLAlchemy and run unchanged on SQLite and PostgreSQL:
figures.py counts them, `cohort_rows` shows them lead by lead (the CSV), so a count and its rows
cannot disagree. Durations are whole seconds (`seconds_between`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Integer, and_, case, func, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement
from sqlmodel import Session, col, select

from chatbot.reports.periods import Period
from chatbot.store.models import Lead, LeadStatus, Member, Team

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
