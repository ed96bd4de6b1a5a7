"""A chat session in the terminal: the same core commands Slack and Teams call.

Each line is one command, as a named person (`/as sam`, or `@sam /react 1` for one line).
Everything a chat offers (work on leads, reports, settings) is the core's command table
(chatbot.commands); the console adds only what a terminal needs: typing a lead in, reacting to
a card, moving the clock and simulating a chat outage. After every command the session runs
the worker's tick, as the worker runs it in production: escalations, the morning summary,
on-call handoffs, the weekly digest, and the outbox delivering them. `/wait` moves the clock
through every moment on the way (each deadline, each shift's start, each digest), so each
arrives at the minute it falls due.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from importlib import resources
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from adapters.console.chat import PHRASES, ConsoleChat
from adapters.console.words import literal
from chatbot import inbound
from chatbot.core import Core
from chatbot.errors import FollowUpError
from chatbot.inbound import (
    Caller,
    IncomingLead,
    LeadFormatError,
    LocalTraffic,
    ManualClock,
    Person,
    Platforms,
    help_lines,
    hours_of,
    lead_number,
    next_moment,
    parse_duration,
    reaction_on_lead,
    retry_now,
    run_command,
    tick,
    typed_lead,
)
from chatbot.messaging.views import Reply

log = logging.getLogger(__name__)

DEMO_TEAM = {
    "name": "Demo Motors (console)",
    "timezone": "America/Chicago",
    "leads_channel": "#leads",
    "managers_channel": "#sales-managers",
}
DEMO_PEOPLE = [  # name, role, on-call order
    ("Sam", "rep", 1),
    ("Alex", "rep", 2),
    ("Jordan", "rep", 3),
    ("Pat", "manager", None),
]
# The console's own commands, beside the core's (group, usage, summary), for /help.
CONSOLE_COMMANDS = (
    ("Console", "lead NAME | PHONE | EMAIL | VEHICLE [| SOURCE]", "type a lead in"),
    ("Console", "demo [N]", "N realistic leads from the demo feed (1-50)"),
    ("Console", "react N [:emoji:]", "react to lead N's card: the first reaction claims it"),
    ("Console", "as NAME", "speak as this person from now on; @NAME /command for one line"),
    ("Console", "wait 20m", "move the clock (45s, 20m, 2h, 3d, 1h30m); escalations fire on the way"),
    ("Console", "time", "the console's clock, and whether the showroom is open"),
    ("Console", "chat down | up", "simulate a chat outage"),
    ("Console", "quit", "leave (lines starting with # are comments)"),
)
MAX_WAIT_DAYS = 366


class ConsoleError(Exception):
    """A command the console could not understand; nothing was done."""


class ConsoleSession:
    def __init__(self, core: Core, clock: ManualClock, console: Console) -> None:
        self.core, self.clock, self.out = core, clock, console
        team = inbound.ensure_team(core, platform="console", platform_team_id="console", **DEMO_TEAM)
        self.team_id = team.id
        if not inbound.members(core, team.id):
            for name, role, order in DEMO_PEOPLE:
                inbound.add_member(core, team.id, name=name, chat_user_id=name.lower(), role=role, oncall_order=order)
        people = inbound.members(core, team.id)
        self.chat = ConsoleChat(console, {m.chat_user_id: m.name for m in people})
        self.traffic = LocalTraffic()  # the pace and outages of what the session delivers
        self.speaker = people[0].chat_user_id if people else "sam"
        self._demo = json.loads(resources.files("adapters.console").joinpath("demo_leads.json").read_text())
        self.running = True
        self.commands: dict[str, Callable[[list[str], str], None]] = {
            "lead": self.cmd_lead, "demo": self.cmd_demo, "as": self.cmd_as, "react": self.cmd_react,
            "wait": self.cmd_wait, "time": self.cmd_time, "chat": self.cmd_chat, "help": self.cmd_help,
            "quit": self.cmd_quit, "exit": self.cmd_quit,
        }

    # ------------------------------------------------------------ the loop

    @property
    def prompt(self) -> str:
        return f"{self.speaker}> "

    def run(self, lines: Iterable[str], echo: bool) -> None:
        self.out.print(literal(f"{self.team.name} lead follow-up. {self.now_text()}. /help lists commands."))
        self.after_command()
        for line in lines:
            if echo:
                self.out.print(literal(f"{self.prompt}{line.rstrip()}"))
            self.handle(line)
            if not self.running:
                break

    def handle(self, line: str) -> None:
        """Run one line; refusals are printed as one line, never raised."""
        line = line.strip()
        if not line or line.startswith("#"):
            return
        try:
            self.dispatch(line)
        except (ConsoleError, FollowUpError, LeadFormatError) as exc:
            self.refuse(str(exc))
        except Exception:  # noqa: BLE001 - a person never sees a traceback; the log keeps it
            log.exception("console command failed")
            self.refuse("Something went wrong on our side; nothing was changed. Try again.")
        self.after_command()

    def dispatch(self, line: str) -> None:
        speaker = self.speaker
        if line.startswith("@"):
            name, _, line = line.partition(" ")
            speaker = self._member(name).chat_user_id
            line = line.strip()
        if not line.startswith("/"):
            raise ConsoleError(f"'{line[:40]}' is not a command. Commands start with /; /help lists them.")
        words = line[1:].split()
        if not words:
            raise ConsoleError("Empty command. /help lists them.")
        handler = self.commands.get(words[0].lower())
        if handler is not None:
            handler(words[1:], speaker)
        else:
            self.show(run_command(self.core, Caller(self.team_id, speaker), line, PHRASES), to=speaker)

    def after_command(self) -> None:
        """What the production worker does continuously: its tick (chatbot.worker.tick)."""
        tick(self.core, Platforms.one_chat(self.chat), self.traffic)

    # ------------------------------------------------------------ output

    def show(self, reply: Reply, to: str) -> None:
        """A core Reply, private to `to`: refusals as one line, tables as a terminal table."""
        if reply.refused:
            self.refuse(reply.text)
            return
        for number, line in enumerate(reply.lines):
            self.say(line, to=to if number == 0 else None)
        for number, shown in enumerate(reply.all_tables):
            if shown.title:
                self.say(shown.title, to=to if number == 0 and not reply.lines else None)
            table = Table(show_edge=False)
            for column in shown.columns:
                table.add_column(column)
            if shown.actions:  # what a chat draws as buttons: the commands that do the same
                table.add_column("Do")
            for n, row in enumerate(shown.rows):
                acts = shown.actions[n] if n < len(shown.actions) else ()
                table.add_row(*map(literal, row), *([literal(" · ".join(act.command for act in acts))]
                                                    if shown.actions else []))
            self.out.print(table)
            if shown.more:
                self.say(shown.more)

    def say(self, text: str, to: str | None = None) -> None:
        """A private answer to whoever typed the command."""
        prefix = f"(to {to} only) " if to else ""
        self.out.print(literal(f"  {prefix}{text}"))

    def refuse(self, text: str) -> None:
        self.out.print(literal(f"  ✗ {text}"))

    # ------------------------------------------------------------ helpers

    @property
    def team(self):
        return inbound.team(self.core, self.team_id)

    def now_text(self) -> str:
        here = self.clock.now().astimezone(ZoneInfo(self.team.timezone))
        return f"{here:%a %b} {here.day} {here:%H:%M} {here.tzname()}"

    def _member(self, name: str):
        member = inbound.member_named(self.core, self.team_id, name)
        if member is None:
            names = ", ".join(m.name for m in inbound.members(self.core, self.team_id))
            raise ConsoleError(f"Nobody called {name.lstrip('@')[:40]} is on this team. People: {names}.")
        return member

    # ------------------------------------------------------------ the console's own commands

    def cmd_lead(self, args: list[str], speaker: str) -> None:
        usage = "/lead NAME | PHONE | EMAIL | VEHICLE [| SOURCE]"
        fields = [f.strip() for f in " ".join(args).split("|")]
        if len(fields) not in (4, 5):
            raise ConsoleError(f"A lead is a name, phone, e-mail and vehicle, split by |. Usage: {usage}")
        number = inbound.lead_count(self.core, self.team_id) + 1
        external_id = f"console-{self.clock.now():%Y%m%d%H%M%S}-{number}"
        self._ingest(typed_lead(*fields[:4], fields[4] if len(fields) == 5 else None, external_id,
                                region=self.team.phone_region))

    def cmd_demo(self, args: list[str], speaker: str) -> None:
        if len(args) > 1 or (args and not (re.fullmatch(r"[0-9]{1,2}", args[0]) and 1 <= int(args[0]) <= 50)):
            raise ConsoleError("/demo takes 1 to 50 leads.")
        for _ in range(int(args[0]) if args else 1):
            number = inbound.lead_count(self.core, self.team_id) + 1
            data = dict(self._demo[(number - 1) % len(self._demo)])
            data["external_id"] = f"demo-{self.clock.now():%Y%m%d%H%M%S}-{number}"
            self._ingest(IncomingLead.model_validate(data))

    def _ingest(self, incoming: IncomingLead) -> None:
        result = inbound.ingest(self.core, self.team_id, incoming)
        if result.duplicate:
            self.say(f"Lead #{result.lead_id} already has this delivery; nothing new.")

    def cmd_as(self, args: list[str], speaker: str) -> None:
        if len(args) != 1:
            raise ConsoleError("Usage: /as NAME")
        member = self._member(args[0])
        self.speaker = member.chat_user_id
        self.say(f"You are now {member.name} ({member.role}).")

    def cmd_react(self, args: list[str], speaker: str) -> None:
        usage = "/react N [:emoji:]"
        if len(args) > 2:
            raise ConsoleError(f"One lead and one emoji. Usage: {usage}")
        lead_id = lead_number(args, usage)
        emoji = args[1].strip(":") if len(args) > 1 else "eyes"
        told = reaction_on_lead(self.core, self.team_id, lead_id, emoji, Person(speaker))
        if told is not None and told.refused:
            self.refuse(told.text)
        elif told is not None:
            self.say(told.text, to=speaker)

    def cmd_wait(self, args: list[str], speaker: str) -> None:
        if not args:
            raise ConsoleError("How long? Usage: /wait 20m")
        span = parse_duration("".join(args))
        if span.days > MAX_WAIT_DAYS:
            raise ConsoleError(f"/wait moves the clock at most {MAX_WAIT_DAYS} days at a time.")
        target = self.clock.now() + span
        # Stop at every moment on the way, so each escalation, handoff and digest carries its time.
        while (due := next_moment(self.core, self.team_id)) is not None and due <= target:
            self.clock.set(max(due, self.clock.now()))
            self.after_command()
        self.clock.set(target)
        self.say(f"It is now {self.now_text()}.")

    def cmd_time(self, args: list[str], speaker: str) -> None:
        hours = hours_of(self.team)
        state = "open" if hours.is_open(self.clock.now()) else "closed: on-call covers"
        self.say(f"{self.now_text()} ({state}; hours {hours.describe()}).")

    def cmd_chat(self, args: list[str], speaker: str) -> None:
        if len(args) != 1 or args[0] not in ("down", "up"):
            raise ConsoleError("Usage: /chat down | /chat up")
        self.chat.down = args[0] == "down"
        if not self.chat.down:
            retry_now(self.core)
        self.say("Chat is down: new cards wait in the outbox." if self.chat.down else "Chat is back up.")

    def cmd_help(self, args: list[str], speaker: str) -> None:
        for line in help_lines(PHRASES, CONSOLE_COMMANDS):
            self.say(line)

    def cmd_quit(self, args: list[str], speaker: str) -> None:
        self.running = False
