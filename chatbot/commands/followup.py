"""`followup`: the team's settings, on-call rotation and managers (managers only)."""

from __future__ import annotations

from chatbot.commands.arguments import CommandError, member
from chatbot.commands.base import Caller, say
from chatbot.core import Work
from chatbot.escalation import team_jobs
from chatbot.ladder.deadlines import chains_of, hours_of, windows_of
from chatbot.messaging.phrasebook import Phrasebook
from chatbot.messaging.views import Reply
from chatbot.messaging.views.ladder import ladder_lines
from chatbot.store import queries
from chatbot.team import holidays, schedule, settings
from chatbot.team.managers import make_managers

USAGE = ("followup settings | set NAME VALUE | oncall @rep ... | holiday [remove] DATE | "
         "managers @person ...")
SUBCOMMANDS = ("settings", "set", "oncall", "holiday", "managers", "ladder")


def followup(work: Work, caller: Caller, args: list[str], phrases: Phrasebook) -> Reply:
    action = args[0].lower() if args else "help"
    rest = args[1:]
    if action == "settings":
        return say(*settings.show_settings(work, caller.team_id, caller.user_id, phrases),
                   team_jobs.describe_digest(work, caller.team_id))
    if action == "set":
        if len(rest) >= 2 and rest[0].lower() == "digest":
            return say(team_jobs.change_digest(work, caller.team_id, caller.user_id, " ".join(rest[1:])))
        if len(rest) < 2:
            names = ", ".join([*settings.SETTINGS, "digest"])
            raise CommandError(f"Usage: {phrases.command('followup set NAME VALUE')}. Settings: {names}.")
        return say(settings.change_setting(work, caller.team_id, caller.user_id, rest[0], " ".join(rest[1:]),
                                           also=("digest",)))
    if action == "oncall":
        people = [member(work.session, caller.team_id, word).chat_user_id for word in rest]
        return say(schedule.set_rotation(work, caller.team_id, caller.user_id, people))
    if action in ("holiday", "holidays"):
        return say(holidays.change_holiday(work, caller.team_id, caller.user_id, rest))
    if action == "managers":
        people = [member(work.session, caller.team_id, word).chat_user_id for word in rest]
        return say(make_managers(work, caller.team_id, caller.user_id, people))
    if action == "ladder":
        return ladder(work, caller, rest, phrases)
    raise CommandError(f"'{action[:40]}' is not a followup command. Usage: {phrases.command(USAGE)}")


def ladder(work: Work, caller: Caller, args: list[str], phrases: Phrasebook) -> Reply:
    """`followup ladder`: the team's chains in words, window by window, and what changes after
    hours. Anyone on the team may read it; managers change it with `followup set`."""
    if args:
        raise CommandError(f"Usage: {phrases.command('followup ladder')} (it takes nothing more).")
    team = queries.team(work.session, caller.team_id)
    hours = hours_of(team)
    openings = {span[0] for span in hours.week if span}
    opening = f"{next(iter(openings)):%H:%M}" if len(openings) == 1 else None
    lines = ladder_lines(team.name, windows_of(team), chains_of(team), hours=hours.describe(),
                         quiet_hours=team.quiet_hours, opening=opening,
                         rotation=bool(queries.rotation(work.session, team.id)))
    return say(*lines, share="followup ladder")
