"""Who covers when: `/oncall` (and its changes: swap, cover, off, clear), `/away`, `/back`."""

from __future__ import annotations

from chatbot.commands.arguments import CommandError, member
from chatbot.commands.base import Caller, say
from chatbot.core import Work
from chatbot.messaging.phrasebook import Phrasebook
from chatbot.messaging.views import Reply
from chatbot.messaging.views.oncall import oncall_lines
from chatbot.store import queries
from chatbot.store.models import Member
from chatbot.team import availability, schedule

ONCALL_USAGE = ("oncall [swap @rep DATE [DATE] | cover @rep DATE[..DATE] | off [@rep] DATE[..DATE] | "
                "clear DATE[..DATE]]")
BACK_USAGE = "back"


def oncall(work: Work, caller: Caller, args: list[str], phrases: Phrasebook) -> Reply:
    """`/oncall`: who covers now and next; with a word first, a change to the schedule."""
    if not args:
        return show(work, caller, phrases)
    action, rest = args[0].lower(), args[1:]
    usage = phrases.command(ONCALL_USAGE)
    session = work.session
    people = [member(session, caller.team_id, w) for w in rest if w.startswith("@")]
    dates = [w for w in rest if not w.startswith("@")]
    if action == "swap" and len(people) in (1, 2) and len(dates) in (1, 2):
        days = [schedule.parse_days(d)[0] for d in dates]
        first, other = (people[0], people[1]) if len(people) == 2 else (None, people[0])
        return say(schedule.swap(work, caller.team_id, caller.user_id, first, other, days[0],
                                 days[1] if len(days) > 1 else None))
    if action == "cover" and len(people) == 1 and len(dates) == 1:
        return say(schedule.cover(work, caller.team_id, caller.user_id, people[0], schedule.parse_days(dates[0])))
    if action == "off" and len(people) <= 1 and len(dates) == 1:
        who = people[0] if people else None
        return say(schedule.day_off(work, caller.team_id, caller.user_id, who, schedule.parse_days(dates[0])))
    if action == "clear" and not people and len(dates) == 1:
        return say(schedule.clear(work, caller.team_id, caller.user_id, schedule.parse_days(dates[0])))
    raise CommandError(f"Usage: {usage}")


def show(work: Work, caller: Caller, phrases: Phrasebook) -> Reply:
    session, now = work.session, work.now
    team = queries.team(session, caller.team_id)
    plan, people = schedule.load(session, team, now)
    if not plan.reps:
        return say(f"Nobody is in the on-call rotation. A manager sets it with "
                   f"{phrases.command('followup oncall @a @b ...')}.")
    away = [(m.name, m.away_until) for m in sorted(people.values(), key=lambda m: m.name)
            if m.active and m.id in plan.away and plan.is_away(m.id, now)]
    return say(*oncall_lines(plan, {i: m.name for i, m in people.items()}, now, away), share="oncall")


def _target(work: Work, caller: Caller, args: list[str]) -> tuple[Member | None, list[str]]:
    if args and args[0].startswith("@"):
        return member(work.session, caller.team_id, args[0]), args[1:]
    return None, args


def away(work: Work, caller: Caller, args: list[str], phrases: Phrasebook) -> Reply:
    """`/away [until DATE | for 3d]`; a manager may name someone: `/away @jordan for 2d`."""
    who, rest = _target(work, caller, args)
    try:
        return say(availability.go_away(work, caller.team_id, caller.user_id, who, rest,
                                        back_command=phrases.command("back")))
    except availability.AwayWordsError as error:
        raise CommandError(f"{error.message} Usage: {phrases.command(availability.USAGE)}") from None


def back(work: Work, caller: Caller, args: list[str], phrases: Phrasebook) -> Reply:
    """`/back` (a manager: `/back @jordan`)."""
    who, rest = _target(work, caller, args)
    if rest:
        raise CommandError(f"Usage: {phrases.command(BACK_USAGE)}")
    return say(availability.come_back(work, caller.team_id, caller.user_id, who))
