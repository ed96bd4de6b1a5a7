"""The team's on-call schedule, read from and written to the store.

`load` turns the rows (the rotation's order, the anchor, kept and override shifts, who is away)
into the pure `chatbot.domain.oncall.Schedule`, keyed by member id; everything that asks who is
on call (the sweep's Duty, `/oncall`, the handoff notice) goes through it.

Choice: the rotation is *anchored* (team.oncall_anchor is the shift date its first rep takes),
and a rotation change writes the coming 14 days down as they were ('kept' rows) and re-anchors
after them, so adding or removing a rep never moves a shift already scheduled. Overrides (a
manager's cover, a swap, a day off) are rows of their own and win over both.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlmodel import Session, col, delete, select

from chatbot.core import Work
from chatbot.domain.oncall import KEEP_DAYS, KEPT, OVERRIDE, Away, Schedule, Shift
from chatbot.errors import FollowUpError, NotAllowed
from chatbot.ladder.deadlines import hours_of
from chatbot.ladder.rules import is_manager, require_settings_allowed
from chatbot.store import queries
from chatbot.store.models import Member, OncallShift, Team

log = logging.getLogger(__name__)
LONG_AGO = datetime(2000, 1, 1, tzinfo=timezone.utc)
MAX_RANGE_DAYS = 31


class ScheduleError(FollowUpError):
    pass


def load(session: Session, team: Team, now: datetime) -> tuple[Schedule[int], dict[int, Member]]:
    """The team's schedule (member ids) and its people by id."""
    people = {m.id: m for m in session.exec(select(Member).where(Member.team_id == team.id)).all()}
    reps = tuple(m.id for m in sorted((m for m in people.values() if m.active and m.oncall_order is not None),
                                      key=lambda m: (m.oncall_order, m.id)))  # as queries.rotation orders it
    since = hours_of(team).local(now).date() - timedelta(days=3)
    rows = session.exec(select(OncallShift).where(OncallShift.team_id == team.id, col(OncallShift.day) >= since)).all()
    away = {m.id: Away(m.away_since, m.away_until) for m in people.values() if m.away_since is not None}
    away.update({m.id: Away(LONG_AGO) for m in people.values() if not m.active})
    schedule = Schedule(
        hours=hours_of(team), reps=reps, anchor=team.oncall_anchor,
        kept={r.day: r.member_id for r in rows if r.kind == KEPT},
        overrides={r.day: r.member_id for r in rows if r.kind == OVERRIDE},
        away=away,
        handoff=time.fromisoformat(team.oncall_handoff) if team.oncall_handoff else None,
        length=timedelta(seconds=team.oncall_shift_s) if team.oncall_shift_s else None,
    )
    return schedule, people


@dataclass(frozen=True)
class Present:
    """Who is around for one lead at a moment: whether its owner is away, the on-call rep, and
    the rotation in its order with the reps who are away left out."""

    owner_away: bool
    on_call: Member | None
    rotation: tuple[Member, ...]
    order: tuple[int, ...]  # the whole rotation's member ids, away or not


def present(session: Session, team: Team, owner: Member | None, now: datetime) -> Present:
    """An owner who is away is stood in for by the on-call rep; on-call, the next rep and a
    reassign skip reps who are away."""
    schedule, people = load(session, team, now)
    rep = schedule.on_call(now)
    on_call = people.get(rep) if rep is not None else None
    rotation = tuple(people[rep] for rep in schedule.reps if not schedule.is_away(rep, now))
    return Present(owner is not None and schedule.is_away(owner.id, now), on_call, rotation, schedule.reps)


def keep_coming_shifts(session: Session, team: Team, now: datetime) -> date | None:
    """Write the coming two weeks down as they stand and anchor the rotation after them; returns
    the first date the rotation decides again (None: there was no rotation to keep)."""
    schedule, _ = load(session, team, now)
    kept = schedule.to_keep(now)
    if not kept:
        return None
    existing = {r.day for r in session.exec(select(OncallShift).where(
        OncallShift.team_id == team.id, OncallShift.kind == KEPT, col(OncallShift.day).in_(list(kept))))}
    for day, member_id in kept.items():
        if day not in existing:
            session.add(OncallShift(team_id=team.id, day=day, kind=KEPT, member_id=member_id, created_at=now))
    first = schedule.duty_day(now) + timedelta(days=KEEP_DAYS)
    team.oncall_anchor = first
    session.add(team)
    return first


def set_rotation(work: Work, team_id: int, by_user_id: str, chat_user_ids: list[str]) -> str:
    """The after-hours rotation, in this order; everyone else leaves it. A manager's setting:
    the shifts already scheduled stay (`keep_coming_shifts`)."""
    if not chat_user_ids:
        raise ScheduleError("Name the reps in rotation order, e.g. @sam @alex @jordan.")
    session = work.session
    require_settings_allowed(queries.member_by_chat_id(session, team_id, by_user_id))
    people = [queries.member_by_chat_id(session, team_id, user_id) for user_id in chat_user_ids]
    if len({m.id for m in people}) != len(people):
        raise ScheduleError("Name each rep once; the rotation takes them in the order given.")
    team = queries.team(session, team_id)
    before = [m.id for m in queries.rotation(session, team_id)]
    starts = None if before == [m.id for m in people] else keep_coming_shifts(session, team, work.now)
    for member in session.exec(select(Member).where(Member.team_id == team_id)).all():
        member.oncall_order = None
        session.add(member)
    session.flush()
    for order, member in enumerate(people, start=1):
        member.oncall_order = order
        session.add(member)
    if starts is not None:  # the shifts before `starts` stay as they were scheduled
        log.info("rotation changed team=%d new order from=%s", team_id, starts.isoformat())
    return "On-call rotation: " + ", ".join(m.name for m in people) + ", one evening each, in turn."


def parse_days(text: str) -> list[date]:
    """'2026-12-05' or '2026-12-05..2026-12-07' (at most 31 days)."""
    first, _, last = text.partition("..")
    try:
        start = date.fromisoformat(first)
        end = date.fromisoformat(last) if last else start
    except ValueError:
        raise ScheduleError(f"'{text[:40]}' is not a date. Use 2026-12-05 or 2026-12-05..2026-12-07.") from None
    if end < start or (end - start).days >= MAX_RANGE_DAYS:
        raise ScheduleError(f"Give a range of 1 to {MAX_RANGE_DAYS} days, first day first.")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _set_override(session: Session, team: Team, day: date, member: Member, note: str, now: datetime) -> None:
    row = session.exec(select(OncallShift).where(
        OncallShift.team_id == team.id, OncallShift.day == day, OncallShift.kind == OVERRIDE)).first()
    if row is None:
        row = OncallShift(team_id=team.id, day=day, kind=OVERRIDE, member_id=member.id, created_at=now)
    row.member_id, row.note, row.created_at = member.id, note[:200], now
    session.add(row)


def _not_past(schedule: Schedule[int], days: list[date], now: datetime) -> None:
    if days[0] < schedule.duty_day(now):
        raise ScheduleError("That shift is over; change today's or later ones.")


def _label(day: date) -> str:
    return f"{day:%a %b} {day.day}"


def cover(work: Work, team_id: int, by_user_id: str, who: Member, days: list[date]) -> str:
    """A manager: `who` holds these shifts."""
    session, now = work.session, work.now
    team = queries.team(session, team_id)
    by = queries.member_by_chat_id(session, team_id, by_user_id)
    if not is_manager(by):
        raise NotAllowed("Only a manager assigns shifts. Reps swap with /oncall swap @rep DATE.")
    schedule, _ = load(session, team, now)
    _not_past(schedule, days, now)
    for day in days:
        _set_override(session, team, day, who, f"cover by {by.name}", now)
    return f"{who.name} is on call {_span(days)}."


def day_off(work: Work, team_id: int, by_user_id: str, who: Member | None, days: list[date]) -> str:
    """`who` (the caller when None; others: managers only) is off these shifts; the next rep in
    the rotation covers each."""
    session, now = work.session, work.now
    team = queries.team(session, team_id)
    by = queries.member_by_chat_id(session, team_id, by_user_id)
    who = who or by
    if who.id != by.id and not is_manager(by):
        raise NotAllowed("Only a manager gives someone else a day off.")
    schedule, people = load(session, team, now)
    _not_past(schedule, days, now)
    without = Schedule(schedule.hours, schedule.reps, schedule.anchor, schedule.kept, schedule.overrides,
                       {**schedule.away, who.id: Away(LONG_AGO)}, schedule.handoff, schedule.length)
    covered: list[str] = []
    for day in days:
        if schedule.shift(day).planned != who.id:
            continue
        stand_in = without.shift(day).rep
        if stand_in is None:
            raise ScheduleError(f"Nobody else can cover {_label(day)}.")
        _set_override(session, team, day, people[stand_in], f"{who.name} off", now)
        covered.append(f"{_label(day)}: {people[stand_in].name}")
    if not covered:
        raise ScheduleError(f"{who.name} is not on call {_span(days)}; nothing to change.")
    return f"{who.name} is off. Covering: " + ", ".join(covered) + "."


def swap(work: Work, team_id: int, by_user_id: str, a: Member | None, b: Member, day: date,
         back_on: date | None = None) -> str:
    """`a` (the caller when None) and `b` swap: whichever of them holds `day`'s shift gives it to
    the other, who gives back their own next shift (or `back_on`'s). A rep swaps their own
    shifts; a manager swaps anyone's."""
    session, now = work.session, work.now
    team = queries.team(session, team_id)
    by = queries.member_by_chat_id(session, team_id, by_user_id)
    a = a or by
    if by.id not in (a.id, b.id) and not is_manager(by):
        raise NotAllowed("A swap is between the two reps (or made by a manager).")
    if a.id == b.id:
        raise ScheduleError("Swap with someone else.")
    schedule, _ = load(session, team, now)
    _not_past(schedule, [day], now)
    holder = schedule.shift(day).planned
    if holder not in (a.id, b.id):
        raise ScheduleError(f"Neither {a.name} nor {b.name} is on call {_label(day)}.")
    giver, taker = (a, b) if holder == a.id else (b, a)
    if back_on is None:
        back_on = next((day + timedelta(days=i) for i in range(1, 29)
                        if schedule.shift(day + timedelta(days=i)).planned == taker.id), None)
    elif schedule.shift(back_on).planned != taker.id:
        raise ScheduleError(f"{taker.name} is not on call {_label(back_on)}.")
    _set_override(session, team, day, taker, f"swap with {giver.name}", now)
    text = f"Swapped: {taker.name} takes {_label(day)}"
    if back_on is not None:
        _set_override(session, team, back_on, giver, f"swap with {taker.name}", now)
        text += f", {giver.name} takes {_label(back_on)}"
    return text + "."


def clear(work: Work, team_id: int, by_user_id: str, days: list[date]) -> str:
    """A manager: these shifts go back to the rotation."""
    session = work.session
    by = queries.member_by_chat_id(session, team_id, by_user_id)
    if not is_manager(by):
        raise NotAllowed("Only a manager clears shift changes.")
    session.exec(delete(OncallShift).where(OncallShift.team_id == team_id, OncallShift.kind == OVERRIDE,
                                           col(OncallShift.day).in_(days)))
    return f"Shift changes {_span(days)} are cleared: the rotation decides."


def _span(days: list[date]) -> str:
    return f"on {_label(days[0])}" if len(days) == 1 else f"from {_label(days[0])} to {_label(days[-1])}"


def current(session: Session, team: Team, now: datetime) -> tuple[Shift[int] | None, Shift[int]]:
    """The shift running now (None while open) and the next one."""
    schedule, _ = load(session, team, now)
    return schedule.covering(now), schedule.next_shift(now)
