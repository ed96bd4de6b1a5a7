"""The follow-up figures of docs/METRICS.md, computed by the database.

Every figure is one SQL aggregate over the cohort (cohort.py: leads submitted in [start, end) in
the team's time zone): the baseline, its comparison with the period before, the split by rep or
by source, and inside against after hours. Medians and the p90 use window functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_
from sqlalchemy.sql.expression import ColumnElement
from sqlmodel import Session, col, select

from chatbot.reports.cohort import (
    CONTACTED,
    FIRST_TO_SECOND,
    FIVE_MINUTES,
    TO_FIRST,
    cohort,
    count_where,
    seconds_between,
    tests_for,
)
from chatbot.reports.periods import Period
from chatbot.store.models import Lead, Member, Team

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


@dataclass(frozen=True)
class Spread:
    """Mean, median (the middle value, or the mean of the two middle ones) and nearest-rank p90."""

    mean: float | None
    median: float | None
    p90: int | None


def _median(session: Session, value: ColumnElement, where: ColumnElement, n: int) -> float | None:
    """The median of `value` (whole seconds) over the `n` rows meeting `where` (the middle one, or
    the mean of the two middle ones), read by rank: ORDER BY ... LIMIT/OFFSET, no window over
    every row. `n` comes from the caller's counting pass, which reads the cohort once for all."""
    if n <= 0:
        return None
    middle = session.execute(select(value).where(where).order_by(value).offset((n - 1) // 2)
                             .limit(2 - n % 2)).scalars().all()
    return float(sum(middle)) / len(middle) if middle else None


def _p90(session: Session, value: ColumnElement, where: ColumnElement, n: int) -> int | None:
    """The nearest-rank p90 (the value at rank ceil(0.9 n)), read as `_median` reads the middle but
    from the top (rank n - ceil(0.9 n) + 1 downwards), so the sort keeps a tenth of the rows."""
    if n <= 0:
        return None
    found = session.execute(select(value).where(where).order_by(value.desc()).offset(n - (n * 9 + 9) // 10)
                            .limit(1)).scalar()
    return int(found) if found is not None else None


def _spread(session: Session, value: ColumnElement, where: ColumnElement, n: int, mean: float | None) -> Spread:
    return Spread(mean, _median(session, value, where, n), _p90(session, value, where, n))


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


def baseline(session: Session, team: Team, period: Period, now: datetime, *,
             owner_id: int | None = None, source: str | None = None,
             team_ids: tuple[int, ...] | None = None) -> Baseline:
    where = cohort(team, period, owner_id=owner_id, source=source, team_ids=team_ids)
    t = tests_for(team, now)
    claimed, seconded = col(Lead.claimed_at).is_not(None), col(Lead.second_contact_at).is_not(None)
    to_claim = seconds_between(Lead.claimed_at, Lead.submitted_at)
    *counts, mean_first = session.execute(select(
        func.count(), count_where(t.contacted), count_where(t.within_5_min), count_where(t.within_target),
        count_where(t.second_eligible), count_where(t.second_within), count_where(t.stalled),
        count_where(t.lost), count_where(t.lost_few), count_where(claimed), count_where(seconded),
        func.avg(case((CONTACTED, TO_FIRST))),
    ).where(where)).one()
    (leads, n_contacted, in_5, in_target, eligible_n, second_ok, stalled_n, lost, lost_few, n_claimed,
     n_seconded) = (int(v) for v in counts)

    first = _spread(session, TO_FIRST, and_(where, CONTACTED), n_contacted,
                    float(mean_first) if mean_first is not None else None)
    claim_median = _median(session, to_claim, and_(where, claimed), n_claimed)
    gap_median = _median(session, FIRST_TO_SECOND, and_(where, seconded), n_seconded)
    return Baseline(
        period=period, target_s=team.first_contact_window_s, leads=leads, contacted=n_contacted,
        first_contact_mean_s=first.mean, first_contact_median_s=first.median, first_contact_p90_s=first.p90,
        within_5_min=in_5, within_target=in_target, claim_median_s=claim_median,
        second_contact_eligible=eligible_n, second_contact_within_48h=second_ok,
        first_to_second_median_s=gap_median, stalled=stalled_n, lost=lost, lost_few_attempts=lost_few,
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
               count_where(CONTACTED, TO_FIRST <= team.first_contact_window_s), func.avg(case((CONTACTED, TO_FIRST))))
        .where(where).group_by(Lead.after_hours)
    ).all()
    by_side = {bool(side): (tuple(int(v) for v in rest[:4]), rest[4]) for side, *rest in rows}
    out = []
    for side in (False, True):
        (leads, n_contacted, in_5, in_target), mean = by_side.get(side, ((0, 0, 0, 0), None))
        first = _spread(session, TO_FIRST, and_(where, CONTACTED, Lead.after_hours == side), n_contacted,
                        float(mean) if mean is not None else None)
        out.append(FirstContactSplit(side, leads, n_contacted, first.mean, first.median, first.p90, in_5, in_target))
    return out
