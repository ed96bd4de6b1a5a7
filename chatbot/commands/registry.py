"""The table of commands and the one function adapters call.

Each command has a name, what it takes, one line of help and a handler; aliases let people
type what they say ("appt", "e-mail"). A handler runs in one unit of work: a refusal rolls it
back (nothing changes) and becomes a Reply with `refused` set, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass

from chatbot.commands import digest, followup, people, reports, work
from chatbot.commands.base import Caller, Handler
from chatbot.core import Core, unit_of_work
from chatbot.errors import FollowUpError
from chatbot.ladder.rules import Act
from chatbot.messaging.phrasebook import Phrasebook
from chatbot.messaging.views import Reply
from chatbot.reports.periods import PeriodError
from chatbot.team import availability

MAX_LINE = 2000


@dataclass(frozen=True)
class Command:
    name: str
    usage: str  # what follows the name
    summary: str
    group: str
    handler: Handler
    aliases: tuple[str, ...] = ()


def _work(act: Act, summary: str, aliases: tuple[str, ...] = ()) -> Command:
    usage = work.USAGE[act].split(" ", 1)[1]
    return Command(work.USAGE[act].split(" ", 1)[0], usage, summary, "Work", work.acting(act), aliases)


COMMANDS: tuple[Command, ...] = (
    Command("leads", "[all | @rep]", "your open leads (or everyone's) and what is due", "Reports", reports.leads),
    Command("baseline", "[7d | 30d | this-week | last-week | 2026-11-09..2026-11-15] [@rep] [source] "
            "[by rep | by source]",
            "follow-up figures",
            "Reports", reports.baseline_report),
    Command("stalled", "[@rep] [source] [page N]",
            "leads gone quiet and leads never contacted, with owner and last touch", "Reports", reports.stalled),
    Command("oncall", people.ONCALL_USAGE.split(" ", 1)[1], "who is on call now and next; swaps and covers",
            "Reports", reports.oncall),
    Command("away", availability.USAGE.split(" ", 1)[1], "you are away: on-call and reassign skip you",
            "Reports", people.away),
    Command("back", "", "you are back from /away", "Reports", people.back),
    Command("reps", "", "the team and the on-call order", "Reports", reports.reps),
    Command("digest", digest.USAGE.split(" ", 1)[1], "a private preview of this week's digest (managers)",
            "Reports", digest.digest),
    _work(Act.CLAIM, "take an unclaimed lead"),
    _work(Act.CALL, "log a call and how it went", ("called",)),
    _work(Act.TEXT, "log a text", ("texted",)),
    _work(Act.EMAIL, "log an e-mail", ("e-mail", "emailed")),
    _work(Act.APPOINTMENT, "log an appointment set", ("appointment",)),
    _work(Act.NOTE, "add a note (not a contact attempt)"),
    _work(Act.WON, "close it won"),
    _work(Act.LOST, "close it lost, and why"),
    _work(Act.RELEASE, "give it back to the channel"),
    _work(Act.REASSIGN, "hand it to another rep (owner or manager)"),
    _work(Act.TAKE, "take it over from its owner, who is told (an escalated lead)"),
    Command("nudge", "N", "remind lead N's owner by direct message (managers)", "Work", reports.nudge),
    Command("followup", followup.USAGE.split(" ", 1)[1], "settings, on-call rotation and managers (managers)",
            "Settings", followup.followup),
    Command("followup ladder", "", "who hears what, and when, for each window (anyone)", "Settings",
            followup.ladder),
)
# A name of two words ('followup ladder') is a row of its own, found before its first word's row.
BY_NAME = {name: command for command in COMMANDS for name in (command.name, *command.aliases)}


def help_lines(phrases: Phrasebook, extra: tuple[tuple[str, str, str], ...] = ()) -> list[str]:
    """One line per command, grouped; `extra` adds an adapter's own (group, usage, summary)."""
    rows = [(c.group, f"{c.name} {c.usage}".strip(), c.summary) for c in COMMANDS] + list(extra)
    rows.append(("Other", "help", "this list"))
    lines: list[str] = []
    for group in dict.fromkeys(group for group, _, _ in rows):
        lines.append(f"{group}:")
        lines.extend(f"  {phrases.command(usage)}  {summary}" for g, usage, summary in rows if g == group)
    return lines


def run_command(core: Core, caller: Caller, line: str, phrases: Phrasebook) -> Reply:
    """Run what a person typed ('baseline 30d @sam'); the reply says what happened or why not."""
    words = line.strip().removeprefix(phrases.command_prefix).split()
    if not words or words[0].lower() == "help":
        return Reply(lines=tuple(help_lines(phrases)))
    if len(line) > MAX_LINE:
        return _refused(f"That is {len(line)} characters; a command is at most {MAX_LINE}.")
    command, args = BY_NAME.get(" ".join(words[:2]).lower()), words[2:]
    if command is None:
        command, args = BY_NAME.get(words[0].lower()), words[1:]
    if command is None:
        return _refused(f"{phrases.command(words[0][:40])} is not a command. {phrases.command('help')} lists them.")
    try:
        with unit_of_work(core) as unit:
            return command.handler(unit, caller, args, phrases)
    except (FollowUpError, PeriodError) as refusal:
        return _refused(str(refusal))


def _refused(message: str) -> Reply:
    return Reply(lines=(message,), refused=True)
