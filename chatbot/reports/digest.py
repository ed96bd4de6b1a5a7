"""The weekly digest: last week against the week before and against the target, in plain words.

A digest covers one ISO week in the team's zone (Monday 00:00 to the next Monday 00:00 on the
wall clock, so a week with a DST change is 167 or 169 hours) and is compared with the ISO week
before it. Every figure is `figures.baseline` (docs/METRICS.md), for the team and for each rep;
the lists are the week's leads that need someone: stalled or never contacted, and lost with
fewer than 3 attempts. `digest_text` is what every platform shows; the chart is chart.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_
from sqlmodel import Session, col, select

from chatbot.domain.hours import BusinessHours, upcoming_shifts
from chatbot.domain.wording import format_duration
from chatbot.errors import FollowUpError
from chatbot.reports.cohort import CONTACTED, FEW_ATTEMPTS, FIVE_MINUTES, TO_FIRST, cohort, count_where
from chatbot.reports.figures import Baseline, FirstContactSplit, after_hours_split, baseline
from chatbot.reports.periods import Period
from chatbot.store import queries
from chatbot.store.models import Lead, LeadStatus, Member, Team, Touch

WEEK = re.compile(r"([0-9]{4})-?w([0-9]{1,2})")
LIST_MOST = 15  # lines per list; the rest is counted
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class WeekError(FollowUpError):
    pass


# ---------------------------------------------------------------- weeks


def week_label(day: date) -> str:
    """The ISO week a local date falls in: '2026-W46'."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(label: str) -> date:
    """The Monday of an ISO week ('2026-W46' or '2026w46'); anything else is a WeekError."""
    match = WEEK.fullmatch(label.strip().lower())
    if not match:
        raise WeekError(f"'{label.strip()[:40]}' is not a week. Use an ISO week, e.g. 2026-W46.")
    year, week = int(match.group(1)), int(match.group(2))
    if not 2000 <= year <= 2100:
        raise WeekError(f"'{label.strip()}' is out of range: years run 2000-2100.")
    try:
        return date.fromisocalendar(year, week, 1)
    except ValueError:
        raise WeekError(f"{year} has no week {week}: ISO weeks run 1-{date(year, 12, 28).isocalendar()[1]}.") \
            from None


def at_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone)


def week_period(label: str, zone: ZoneInfo) -> Period:
    """[local Monday 00:00, next local Monday 00:00) of an ISO week."""
    monday = week_monday(label)
    sunday = monday + timedelta(days=6)
    return Period(at_midnight(monday, zone), at_midnight(monday + timedelta(days=7), zone),
                  f"{week_label(monday)} ({monday:%b} {monday.day}-{sunday:%b} {sunday.day})")


def previous_week(label: str) -> str:
    return week_label(week_monday(label) - timedelta(days=7))


def next_week(label: str) -> str:
    return week_label(week_monday(label) + timedelta(days=7))


# ---------------------------------------------------------------- the digest


@dataclass(frozen=True)
class DigestMessage:
    """The digest as every platform shows it: a title and plain lines (the chart goes beside it)."""

    team_name: str
    week: str
    title: str
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join((self.title, *self.lines))


@dataclass(frozen=True)
class WeekChart:
    """What the chart draws for one week: first contacts by how long they took, and each day's median."""

    label: str
    bins: tuple[int, ...]  # counts per BIN_LABELS
    daily_median_s: tuple[float | None, ...]  # Mon..Sun


BIN_EDGES_S = (FIVE_MINUTES, 15 * 60, 30 * 60, 3600, 4 * 3600, 24 * 3600)
BIN_LABELS = ("≤5 min", "5-15 min", "15-30 min", "30-60 min", "1-4 h", "4-24 h", "> 1 day", "never")


@dataclass(frozen=True)
class Digest:
    message: DigestMessage
    this_week: WeekChart
    week_before: WeekChart
    target_s: int

    @property
    def filename(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.message.team_name.lower()).strip("-") or "team"
        return f"digest-{slug}-{self.message.week}.png"


def _dur(seconds: float | None) -> str:
    return "n/a" if seconds is None else format_duration(timedelta(seconds=round(seconds)))


def _pct(part: int, whole: int) -> str:
    return "n/a" if not whole else f"{part / whole:.0%}"


def _share(part: int, whole: int) -> str:
    return "n/a" if not whole else f"{part / whole:.0%} ({part}/{whole})"


def _local(moment: datetime, zone: ZoneInfo) -> str:
    here = moment.astimezone(zone)
    return f"{here:%a %b} {here.day} {here:%H:%M}"


def verdict(now: Baseline, before: Baseline) -> str:
    """The first line: how fast the team reached people, against the target and the week before."""
    target = _dur(now.target_s)
    if now.leads == 0:
        return f"No leads came in last week (the week before: {before.leads})."
    if now.first_contact_median_s is None:
        return f"None of last week's {now.leads} lead(s) was contacted; the target is first contact within {target}."
    reached = round(100 * now.within_target / now.leads)
    if before.leads:
        earlier = round(100 * before.within_target / before.leads)
        change = ("up from" if reached > earlier else "down from" if reached < earlier else "the same as") + \
            f" {earlier}%"
    else:
        change = "no leads the week before"
    return (f"First contact took {_dur(now.first_contact_median_s)} on median, target {target}; "
            f"{reached}% of leads were reached within {target}, {change}.")


def _against(value: float | None, limit: float) -> str:
    return "" if value is None else (" · met" if value <= limit else " · missed")


def split_lines(now: list[FirstContactSplit], before: list[FirstContactSplit], team: Team) -> list[str]:
    """The inside-hours and after-hours first-contact figures, last week · the week before."""
    t = _dur(team.first_contact_window_s)
    out = []
    for this, that in zip(now, before):
        name = "After hours" if this.after_hours else "Inside hours"
        out.append(f"  {name}: {this.leads} · {that.leads} lead(s); median first contact "
                   f"{_dur(this.first_contact_median_s)} · {_dur(that.first_contact_median_s)}; within {t} "
                   f"{_share(this.within_target, this.leads)} · {_share(that.within_target, that.leads)}")
    return out


def figure_lines(now: Baseline, before: Baseline, team: Team) -> list[str]:
    """Every figure of docs/METRICS.md: last week · the week before · the target where there is one."""
    target, second = team.first_contact_window_s, team.second_contact_window_s
    t = _dur(target)

    def row(name: str, this: str, that: str, goal: str = "") -> str:
        return f"  {name}: {this} · {that}{goal}"

    lines = [
        f"Figures ({now.period.label.split()[0]} · the week before · target):",
        row("Leads", str(now.leads), str(before.leads)),
        row("Contacted", str(now.contacted), str(before.contacted)),
        row("Never contacted", str(now.never_contacted), str(before.never_contacted),
            f" · target 0{_against(now.never_contacted, 0) if now.leads else ''}"),
        row("First contact, median", _dur(now.first_contact_median_s), _dur(before.first_contact_median_s),
            f" · target {t}{_against(now.first_contact_median_s, target)}"),
        row("First contact, mean", _dur(now.first_contact_mean_s), _dur(before.first_contact_mean_s)),
        row("First contact, p90", _dur(now.first_contact_p90_s), _dur(before.first_contact_p90_s),
            f" · target {t}{_against(now.first_contact_p90_s, target)}"),
        row("Within 5 min", _share(now.within_5_min, now.leads), _share(before.within_5_min, before.leads)),
        row(f"Within target ({t})", _share(now.within_target, now.leads),
            _share(before.within_target, before.leads)),
        row("Time to claim, median", _dur(now.claim_median_s), _dur(before.claim_median_s)),
        row(f"Second contact within {_dur(second)}", _share(now.second_contact_within_48h, now.second_contact_eligible),
            _share(before.second_contact_within_48h, before.second_contact_eligible)),
        row("First to second contact, median", _dur(now.first_to_second_median_s), _dur(before.first_to_second_median_s),
            f" · target {_dur(second)}{_against(now.first_to_second_median_s, second)}"),
        row("Stalled", str(now.stalled), str(before.stalled), f" · target 0{_against(now.stalled, 0)}"),
        row("Lost", str(now.lost), str(before.lost)),
        row(f"Lost with < {FEW_ATTEMPTS} attempts", str(now.lost_few_attempts), str(before.lost_few_attempts),
            f" · target 0{_against(now.lost_few_attempts, 0)}"),
    ]
    return lines


@dataclass(frozen=True)
class LeadLine:
    lead_id: int
    customer_name: str
    source: str
    owner_name: str | None
    status: str
    first_contact_at: datetime | None
    last_touch_at: datetime | None
    last_touch_kind: str | None
    attempts: int
    submitted_at: datetime
    close_reason: str | None


def _lead_lines(session: Session, team: Team, period: Period, *conditions) -> list[LeadLine]:
    last_kind = (
        select(Touch.kind).where(Touch.lead_id == Lead.id).order_by(col(Touch.at).desc(), col(Touch.id).desc())
        .limit(1).scalar_subquery()
    )
    rows = session.execute(
        select(Lead.id, Lead.customer_name, Lead.source, Member.name, Lead.status, Lead.first_contact_at,
               Lead.last_touch_at, last_kind, Lead.attempts, Lead.submitted_at, Lead.close_reason)
        .join(Member, Member.id == Lead.owner_id, isouter=True)
        .where(cohort(team, period), *conditions)
        .order_by(Lead.submitted_at, Lead.id)
    ).all()
    return [LeadLine(*row) for row in rows]


def _capped(lines: list[str], more: str) -> list[str]:
    if len(lines) <= LIST_MOST:
        return lines
    return [*lines[:LIST_MOST], f"  … and {len(lines) - LIST_MOST} more ({more})"]


def need_lines(session: Session, team: Team, period: Period, as_of: datetime) -> list[str]:
    """Last week's leads still needing someone: stalled (open, contacted, quiet past the stall
    window) and never contacted, with owner and last touch."""
    zone = ZoneInfo(team.timezone)
    stall_cutoff = as_of - timedelta(seconds=team.stall_window_s)
    stalled = (Lead.status == LeadStatus.OPEN) & CONTACTED & (Lead.last_activity_at < stall_cutoff)
    rows = _lead_lines(session, team, period, or_(stalled, col(Lead.first_contact_at).is_(None)))
    if not rows:
        return ["Stalled or never contacted: none of last week's leads."]
    out = []
    for row in rows:
        owner = row.owner_name or "unclaimed"
        if row.first_contact_at is None:
            state = "never contacted" + ("" if row.status == LeadStatus.OPEN else f", closed {row.status}")
            touch = f"asked {_local(row.submitted_at, zone)}"
        else:
            state = "stalled"
            touch = (f"last touch {row.last_touch_kind} {_local(row.last_touch_at, zone)}" if row.last_touch_at
                     else "no touch yet")
        out.append(f"  #{row.lead_id} {row.customer_name} ({row.source}) · {owner} · {state} · {touch}")
    return [f"Stalled or never contacted ({len(rows)}):", *_capped(out, "/stalled lists the open ones")]


def lost_lines(session: Session, team: Team, period: Period) -> list[str]:
    rows = _lead_lines(session, team, period, Lead.status == LeadStatus.LOST, Lead.attempts < FEW_ATTEMPTS)
    if not rows:
        return [f"Lost with fewer than {FEW_ATTEMPTS} attempts: none."]
    out = [f"  #{r.lead_id} {r.customer_name} ({r.source}) · {r.owner_name or 'unclaimed'} · "
           f"{r.attempts} attempt{'s' if r.attempts != 1 else ''}{': ' + r.close_reason if r.close_reason else ''}"
           for r in rows]
    return [f"Lost with fewer than {FEW_ATTEMPTS} attempts ({len(rows)}):", *_capped(out, "see the CRM")]


def rep_lines(session: Session, team: Team, period: Period, as_of: datetime) -> list[str]:
    """One line per rep who owned a lead of the week: leads, median first contact, share within
    the target, second-contact rate, stalled (of those leads)."""
    owners = session.exec(
        select(Member).where(Member.team_id == team.id,
                             col(Member.id).in_(select(Lead.owner_id).where(cohort(team, period))))
        .order_by(Member.name)
    ).all()
    target = _dur(team.first_contact_window_s)
    header = (f"Reps (leads · median first contact · within {target} · second contact within "
              f"{_dur(team.second_contact_window_s)} · stalled):")
    if not owners:
        return [header, "  nobody owned a lead last week"]
    out = [header]
    for rep in owners:
        b = baseline(session, team, period, as_of, owner_id=rep.id)
        out.append(f"  {rep.name}: {b.leads} · {_dur(b.first_contact_median_s)} · {_pct(b.within_target, b.leads)} · "
                   f"{_pct(b.second_contact_within_48h, b.second_contact_eligible)} · {b.stalled}")
    return out


def oncall_line(session: Session, team: Team, hours: BusinessHours, monday: date) -> str:
    """Who holds each evening of the week starting `monday`."""
    people = queries.rotation(session, team.id)
    if not people:
        return "On call this week: nobody is in the rotation."
    shifts = upcoming_shifts(people, hours, datetime.combine(monday, hours.opens, hours.zone), 7)
    return "On call this week: " + ", ".join(f"{day:%a} {member.name}" for day, member in shifts) + "."


def week_chart(session: Session, team: Team, label: str, as_of: datetime) -> WeekChart:
    """First contacts in BIN_LABELS' bins (one SQL scan) and the median of each local day."""
    zone = ZoneInfo(team.timezone)
    period = week_period(label, zone)
    edges = (0, *BIN_EDGES_S)
    counts = [count_where(CONTACTED, TO_FIRST > low, TO_FIRST <= high) if low else
              count_where(CONTACTED, TO_FIRST <= high) for low, high in zip(edges, edges[1:])]
    counts.append(count_where(CONTACTED, TO_FIRST > BIN_EDGES_S[-1]))
    counts.append(count_where(~CONTACTED))
    row = session.execute(select(*counts).where(cohort(team, period))).one()
    monday = week_monday(label)
    medians = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        one_day = Period(at_midnight(day, zone), at_midnight(day + timedelta(days=1), zone), f"{day}")
        medians.append(baseline(session, team, one_day, as_of).first_contact_median_s)
    return WeekChart(label, tuple(int(v) for v in row), tuple(medians))


def build_digest(session: Session, team: Team, label: str, as_of: datetime, *, late: str | None = None) -> Digest:
    """The digest of ISO week `label` (last week, as the team reads it on the Monday after)."""
    zone = ZoneInfo(team.timezone)
    hours = BusinessHours.parse(team.timezone, team.business_days, team.opens_at, team.closes_at)
    period, before_label = week_period(label, zone), previous_week(label)
    before = week_period(before_label, zone)
    now_b, before_b = baseline(session, team, period, as_of), baseline(session, team, before, as_of)
    title = f"Weekly digest for {team.name}: week {period.label}, against {before_label}"
    lines = [verdict(now_b, before_b)]
    if late:
        lines.append(late)
    splits = split_lines(after_hours_split(session, team, period), after_hours_split(session, team, before), team)
    lines += ["", *figure_lines(now_b, before_b, team), *splits, "", *rep_lines(session, team, period, as_of), "",
              *need_lines(session, team, period, as_of), "", *lost_lines(session, team, period), "",
              oncall_line(session, team, hours, week_monday(label) + timedelta(days=7))]
    message = DigestMessage(team.name, label, title, tuple(lines))
    return Digest(message, week_chart(session, team, label, as_of), week_chart(session, team, before_label, as_of),
                  team.first_contact_window_s)


def late_text(due_at: datetime, now: datetime, zone: ZoneInfo) -> str:
    return (f"Sent late: this digest was due {_local(due_at, zone)} and goes out {_local(now, zone)}, "
            f"{format_duration(now - due_at)} late (the bot could not send it then).")


# ---------------------------------------------------------------- use cases


def last_week(now: datetime, zone: ZoneInfo) -> str:
    """The week this week's digest covers: the ISO week before the one `now` is in, locally."""
    return week_label(now.astimezone(zone).date() - timedelta(days=7))


def digest_for(work, team_id: int, week: str | None = None, as_of: datetime | None = None) -> Digest:
    """The digest of `week` (default: last week) as of `as_of` (default: now), for a preview or a file."""
    team = queries.team(work.session, team_id)
    zone = ZoneInfo(team.timezone)
    label = week_label(week_monday(week)) if week else last_week(work.now, zone)
    return build_digest(work.session, team, label, as_of or work.now)
