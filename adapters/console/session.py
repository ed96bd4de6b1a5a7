"""A chat session in the terminal: the same core use cases Slack and Teams call.

Each line is one command, as a named rep (`/as sam`, or `@sam /react 1` for one line).
After every command the session runs what the worker runs in production: the sweep turns due
deadlines into escalations and the outbox delivers them. `/wait` moves the clock through every
deadline on the way, so escalations arrive at the minute they fall due.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Iterable
from importlib import resources
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table
from sqlmodel import func, select

from adapters.console.chat import ConsoleChat
from chatbot.commands.arguments import CommandError, parse_report_args
from chatbot.core import Core
from chatbot.domain.clock import ManualClock
from chatbot.errors import FollowUpError
from chatbot.escalation.sweeper import rotation, sweep
from chatbot.intake.lead import Customer, IncomingLead, Phone, Vehicle
from chatbot.leads import tracker
from chatbot.leads.deadlines import due_window, hours_of
from chatbot.messaging.outbox import deliver_pending, retry_now
from chatbot.messaging.views import baseline_text, due_short, oncall_lines, relative, stalled_text
from chatbot.reports.figures import PeriodError, baseline, open_leads, period_for, stalled_leads
from chatbot.store.db import transaction
from chatbot.store.models import Lead, LeadStatus, Member, Role
from chatbot.team import roster
from chatbot.team.settings import change_setting, parse_duration, set_rotation, show_settings

DEMO_TEAM = {
    "name": "Demo Motors",
    "timezone": "America/Chicago",
    "leads_channel": "#leads",
    "managers_channel": "#sales-managers",
}
DEMO_PEOPLE = [  # name, role, on-call order
    ("Sam", Role.REP, 1),
    ("Alex", Role.REP, 2),
    ("Jordan", Role.REP, 3),
    ("Pat", Role.MANAGER, None),
]

HELP = """\
Leads    /lead NAME | PHONE | EMAIL | VEHICLE [| SOURCE]   type a lead in
         /demo [N]                 N realistic leads from the demo feed
Who      /as NAME                  speak as this person from now on (Sam, Alex, Jordan, Pat)
         @NAME /command ...        one command as NAME
Work     /react N [:emoji:]        react to lead N's card: the first reaction claims it
         /call N [outcome]   /text N   /email N   /appt N   /note N TEXT
         /won N [reason]     /lost N REASON     /release N     /reassign N NAME
Time     /wait 20m                 move the clock (45s, 20m, 2h, 3d, 1h30m)
         /time                     the console's clock
Reports  /leads [all]              your open leads (or everyone's) and what is due
         /baseline [7d|30d|last-week|2026-11-09..2026-11-15] [@rep] [source]
         /stalled [@rep]           open leads with no activity for 3 days
         /oncall                   who covers evenings and weekends
Settings /followup settings | set NAME VALUE | oncall NAME ...   (managers, e.g. @pat /followup set first-contact 5m)
Other    /reps   /chat down|up (simulate a chat outage)   /help   /quit
Lines starting with # are comments."""

TOUCH_COMMANDS = {"call": "call", "text": "text", "email": "email", "appt": "appointment",
                  "appointment": "appointment", "note": "note"}


class ConsoleError(Exception):
    """A command the console could not understand; nothing was done."""


class ConsoleSession:
    def __init__(self, core: Core, clock: ManualClock, console: Console) -> None:
        self.core, self.clock, self.out = core, clock, console
        team = roster.ensure_team(core, platform="console", platform_team_id="console", **DEMO_TEAM)
        self.team_id = team.id
        if not roster.members(core, team.id):
            for name, role, order in DEMO_PEOPLE:
                roster.add_member(core, team.id, name=name, chat_user_id=name.lower(), role=role, oncall_order=order)
        people = roster.members(core, team.id)
        self.chat = ConsoleChat(console, {m.chat_user_id: m.name for m in people})
        self.speaker = people[0].chat_user_id if people else "sam"
        self._demo = json.loads(resources.files("adapters.console").joinpath("demo_leads.json").read_text())
        self.running = True
        self.commands: dict[str, Callable[[list[str], str], None]] = {
            "lead": self.cmd_lead, "demo": self.cmd_demo, "as": self.cmd_as, "react": self.cmd_react,
            "won": self.cmd_won, "lost": self.cmd_lost, "release": self.cmd_release, "reassign": self.cmd_reassign,
            "wait": self.cmd_wait, "time": self.cmd_time, "leads": self.cmd_leads, "baseline": self.cmd_baseline,
            "stalled": self.cmd_stalled, "oncall": self.cmd_oncall, "reps": self.cmd_reps, "chat": self.cmd_chat,
            "followup": self.cmd_followup, "help": self.cmd_help, "quit": self.cmd_quit, "exit": self.cmd_quit,
            **{name: self._touch(kind) for name, kind in TOUCH_COMMANDS.items()},
        }

    # ------------------------------------------------------------ the loop

    @property
    def prompt(self) -> str:
        return f"{self.speaker}> "

    def run(self, lines: Iterable[str], echo: bool) -> None:
        self.out.print(f"{self.team.name} lead follow-up, console. {self.now_text()}. /help lists commands.", highlight=False, markup=False)
        self.after_command()
        for line in lines:
            if echo:
                self.out.print(f"{self.prompt}{line.rstrip()}", highlight=False, markup=False)
            self.handle(line)
            if not self.running:
                break

    def handle(self, line: str) -> None:
        """Run one line; refusals are printed, never raised."""
        line = line.strip()
        if not line or line.startswith("#"):
            return
        try:
            self.dispatch(line)
        except (ConsoleError, CommandError, FollowUpError, PeriodError) as exc:
            self.out.print(f"  ✗ {exc}", highlight=False, markup=False)
        self.after_command()

    def dispatch(self, line: str) -> None:
        speaker = self.speaker
        if line.startswith("@"):
            name, _, line = line.partition(" ")
            speaker = self._member(name).chat_user_id
            line = line.strip()
        if not line.startswith("/"):
            raise ConsoleError(f"'{line[:40]}' is not a command. Commands start with /; /help lists them.")
        try:
            words = shlex.split(line[1:])
        except ValueError as exc:
            raise ConsoleError(f"Could not read that line: {exc}.") from None
        if not words:
            raise ConsoleError("Empty command. /help lists them.")
        handler = self.commands.get(words[0].lower())
        if handler is None:
            raise ConsoleError(f"/{words[0]} is not a command. /help lists them.")
        handler(words[1:], speaker)

    def after_command(self) -> None:
        """What the production worker does continuously: escalate what is due, deliver the outbox."""
        sweep(self.core)
        deliver_pending(self.core, self.chat)

    # ------------------------------------------------------------ helpers

    @property
    def team(self):
        return roster.team(self.core, self.team_id)

    def now_text(self) -> str:
        here = self.clock.now().astimezone(ZoneInfo(self.team.timezone))
        return f"{here:%a %b} {here.day} {here:%H:%M} {here.tzname()}"

    def _member(self, name: str) -> Member:
        member = roster.member_named(self.core, self.team_id, name)
        if member is None:
            names = ", ".join(m.name for m in roster.members(self.core, self.team_id))
            raise ConsoleError(f"Nobody called {name.lstrip('@')} is on this team. People: {names}.")
        return member

    def say(self, text: str, to: str | None = None) -> None:
        """A private answer to whoever typed the command."""
        prefix = f"(to {to} only) " if to else ""
        self.out.print(f"  {prefix}{text}", highlight=False, markup=False)

    @staticmethod
    def _lead_number(args: list[str], usage: str) -> int:
        if not args:
            raise ConsoleError(f"Which lead? Usage: {usage}")
        try:
            return int(args[0].lstrip("#"))
        except ValueError:
            raise ConsoleError(f"'{args[0]}' is not a lead number. Usage: {usage}") from None

    # ------------------------------------------------------------ leads

    def cmd_lead(self, args: list[str], speaker: str) -> None:
        usage = "/lead NAME | PHONE | EMAIL | VEHICLE [| SOURCE]"
        fields = [f.strip() for f in " ".join(args).split("|")]
        if len(fields) < 4 or not fields[0]:
            raise ConsoleError(f"A lead needs a name, phone, e-mail and vehicle. Usage: {usage}")
        name, phone, email, vehicle = fields[:4]
        source = fields[4] if len(fields) > 4 and fields[4] else "Console"
        words = vehicle.split()
        year = int(words[0]) if words and words[0].isdigit() and len(words[0]) == 4 else None
        rest = words[1:] if year else words
        incoming = IncomingLead(
            source=source,
            external_id=f"console-{self.clock.now():%Y%m%d%H%M%S}-{self._lead_count() + 1}",
            customer=Customer(name=name, email=email or None, phones=[Phone(number=phone)] if phone else []),
            vehicles=[Vehicle(year=year, make=rest[0] if rest else None, model=" ".join(rest[1:]) or None)] if words else [],
        )
        self._ingest(incoming)

    def cmd_demo(self, args: list[str], speaker: str) -> None:
        how_many = int(args[0]) if args and args[0].isdigit() else 1
        if not 1 <= how_many <= 50:
            raise ConsoleError("/demo takes 1 to 50 leads.")
        for _ in range(how_many):
            number = self._lead_count() + 1
            data = dict(self._demo[(number - 1) % len(self._demo)])
            data["external_id"] = f"demo-{self.clock.now():%Y%m%d%H%M%S}-{number}"
            self._ingest(IncomingLead.model_validate(data))

    def _ingest(self, incoming: IncomingLead) -> None:
        result = tracker.ingest(self.core, self.team_id, incoming)
        if result.duplicate:
            self.say(f"Lead #{result.lead_id} already has this delivery; nothing new.")

    def _lead_count(self) -> int:
        with transaction(self.core.engine) as session:
            return session.exec(select(func.count()).select_from(Lead).where(Lead.team_id == self.team_id)).one()

    # ------------------------------------------------------------ work

    def cmd_as(self, args: list[str], speaker: str) -> None:
        if not args:
            raise ConsoleError("Usage: /as NAME")
        member = self._member(args[0])
        self.speaker = member.chat_user_id
        self.say(f"You are now {member.name} ({member.role}).")

    def cmd_react(self, args: list[str], speaker: str) -> None:
        lead_id = self._lead_number(args, "/react N [:emoji:]")
        emoji = args[1] if len(args) > 1 else ":eyes:"
        result = tracker.claim(self.core, self.team_id, lead_id, speaker, emoji=emoji)
        if result is None:
            self.say(f"{emoji} does not claim here; react with :{self.team.claim_emoji}: to claim.", to=speaker)
        else:
            self.say(result.message, to=speaker)

    def _touch(self, kind: str) -> Callable[[list[str], str], None]:
        def log(args: list[str], speaker: str) -> None:
            usage = f"/{kind if kind != 'appointment' else 'appt'} N {'TEXT' if kind == 'note' else '[outcome]'}"
            lead_id = self._lead_number(args, usage)
            outcome = " ".join(args[1:]) or None
            if kind == "note" and not outcome:
                raise ConsoleError(f"A note needs text. Usage: {usage}")
            result = tracker.log_touch(self.core, self.team_id, lead_id, speaker, kind, outcome=outcome)
            self.say(result.message, to=speaker)
        return log

    def cmd_won(self, args: list[str], speaker: str) -> None:
        lead_id = self._lead_number(args, "/won N [reason]")
        self.say(tracker.close(self.core, self.team_id, lead_id, speaker, won=True,
                               reason=" ".join(args[1:]) or None).message, to=speaker)

    def cmd_lost(self, args: list[str], speaker: str) -> None:
        lead_id = self._lead_number(args, "/lost N REASON")
        if len(args) < 2:
            raise ConsoleError("Say why it was lost, e.g. /lost 3 bought elsewhere")
        self.say(tracker.close(self.core, self.team_id, lead_id, speaker, won=False,
                               reason=" ".join(args[1:])).message, to=speaker)

    def cmd_release(self, args: list[str], speaker: str) -> None:
        lead_id = self._lead_number(args, "/release N")
        self.say(tracker.release(self.core, self.team_id, lead_id, speaker).message, to=speaker)

    def cmd_reassign(self, args: list[str], speaker: str) -> None:
        lead_id = self._lead_number(args, "/reassign N NAME")
        if len(args) < 2:
            raise ConsoleError("To whom? Usage: /reassign N NAME")
        to = self._member(args[1])
        self.say(tracker.reassign(self.core, self.team_id, lead_id, speaker, to.chat_user_id).message, to=speaker)

    # ------------------------------------------------------------ time

    def cmd_wait(self, args: list[str], speaker: str) -> None:
        if not args:
            raise ConsoleError("How long? Usage: /wait 20m")
        target = self.clock.now() + parse_duration("".join(args))
        # Stop at every deadline on the way, so each escalation carries the time it fell due.
        while (due := self._next_due()) is not None and due <= target:
            self.clock.set(max(due, self.clock.now()))
            self.after_command()
        self.clock.set(target)
        self.say(f"It is now {self.now_text()}.")

    def _next_due(self):
        with transaction(self.core.engine) as session:
            return session.exec(
                select(func.min(Lead.due_at)).where(Lead.team_id == self.team_id, Lead.status == LeadStatus.OPEN)
            ).one()

    def cmd_time(self, args: list[str], speaker: str) -> None:
        hours = hours_of(self.team)
        state = "open" if hours.is_open(self.clock.now()) else "closed: on-call covers"
        self.say(f"{self.now_text()} ({state}; hours {hours.describe()}).")

    # ------------------------------------------------------------ reports

    def cmd_leads(self, args: list[str], speaker: str) -> None:
        team = self.team
        me = self._member(speaker)
        everyone = bool(args) and args[0].lower() == "all"
        now = self.clock.now()
        with transaction(self.core.engine) as session:
            rows = open_leads(session, team, owner_id=None if everyone else me.id)
        if not rows:
            self.say("No open leads." if everyone else "You have no open leads. /leads all shows the team's.")
            return
        table = Table(title=f"Open leads{'' if everyone else ' for ' + me.name}", show_edge=False)
        for column in ("#", "Customer", "Owner", "Asked", "Attempts", "Next"):
            table.add_column(column)
        for lead, owner in rows:
            due_text = due_short(lead, team, due_window(lead, team), now)
            table.add_row(str(lead.id), lead.customer_name, owner or "unclaimed", relative(lead.submitted_at, now),
                          str(lead.attempts), due_text)
        self.out.print(table)

    def cmd_baseline(self, args: list[str], speaker: str) -> None:
        team, now = self.team, self.clock.now()
        query = parse_report_args(self.core, self.team_id, args)
        period = period_for(query.period, hours_of(team), now)
        with transaction(self.core.engine) as session:
            figures = baseline(session, team, period, now, owner_id=query.rep.id if query.rep else None,
                               source=query.source)
        scope = " · ".join(x for x in (query.rep.name if query.rep else None, query.source) if x)
        self.out.print(baseline_text(figures, scope), highlight=False, markup=False)

    def cmd_stalled(self, args: list[str], speaker: str) -> None:
        team, now = self.team, self.clock.now()
        owner = self._member(args[0]) if args else None
        with transaction(self.core.engine) as session:
            rows = stalled_leads(session, team, now, owner_id=owner.id if owner else None)
        self.out.print(stalled_text(rows, team, now), highlight=False, markup=False)

    def cmd_oncall(self, args: list[str], speaker: str) -> None:
        team, now = self.team, self.clock.now()
        with transaction(self.core.engine) as session:
            people = rotation(session, team.id)
        for line in oncall_lines(people, hours_of(team), now):
            self.say(line)

    def cmd_reps(self, args: list[str], speaker: str) -> None:
        for member in roster.members(self.core, self.team_id):
            place = f", on-call #{member.oncall_order}" if member.oncall_order else ""
            self.say(f"{member.name} ({member.role}{place})")

    def cmd_chat(self, args: list[str], speaker: str) -> None:
        if not args or args[0] not in ("down", "up"):
            raise ConsoleError("Usage: /chat down | /chat up")
        self.chat.down = args[0] == "down"
        if not self.chat.down:
            retry_now(self.core)
        self.say("Chat is down: new cards wait in the outbox." if self.chat.down else "Chat is back up.")

    def cmd_followup(self, args: list[str], speaker: str) -> None:
        """Managers: `settings`, `set NAME VALUE`, `oncall NAME NAME ...`."""
        action = args[0].lower() if args else ""
        if action == "set" and len(args) >= 3:
            self.say(change_setting(self.core, self.team_id, speaker, args[1], " ".join(args[2:])), to=speaker)
        elif action == "oncall":
            people = [self._member(name).chat_user_id for name in args[1:]]
            self.say(set_rotation(self.core, self.team_id, speaker, people), to=speaker)
        elif action == "settings":
            self.out.print(show_settings(self.core, self.team_id, speaker), highlight=False, markup=False)
        else:
            raise ConsoleError("Usage: /followup settings | /followup set NAME VALUE | /followup oncall NAME ...")

    def cmd_help(self, args: list[str], speaker: str) -> None:
        self.out.print(HELP, highlight=False, markup=False)

    def cmd_quit(self, args: list[str], speaker: str) -> None:
        self.running = False
