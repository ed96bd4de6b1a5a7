"""The text answers of /baseline, /stalled, /leads and /oncall for a Slack user.

Arguments as Slack sends them: `@name` stays plain text (the commands are registered with
should_escape false), and an escaped `<@U123|name>` mention works too.
"""

from __future__ import annotations

import re

from chatbot import roster
from chatbot.db import transaction
from chatbot.deadlines import due_window, hours_of
from chatbot.errors import UnknownMember
from chatbot.models import Member
from chatbot.reports import PeriodError, baseline, open_leads, period_for, stalled_leads
from chatbot.sweeper import rotation
from chatbot.views import baseline_text, oncall_lines, open_leads_text, stalled_text

PERIOD = re.compile(r"\d+d|last-?week|this-week|week|\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}", re.IGNORECASE)
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def _person(services, team_id: int, word: str) -> Member:
    match = MENTION.fullmatch(word)
    wanted = match.group(1) if match else word
    member = roster.member_named(services.core, team_id, wanted)
    if member is None:
        raise UnknownMember(f"Nobody called {wanted.lstrip('@')} is on this team yet.")
    return member


def report_text(services, team_id: int, user_id: str, command: str, text: str) -> str:
    """The answer to one report command; raises FollowUpError / PeriodError with a message."""
    core, args = services.core, (text or "").split()
    team = roster.team(core, team_id)
    now = core.clock.now()
    if command == "/baseline":
        period_spec = owner = source = None
        for arg in args:
            if arg.startswith("@") or MENTION.fullmatch(arg):
                owner = _person(services, team_id, arg)
            elif PERIOD.fullmatch(arg):
                period_spec = arg
            else:
                source = arg
        period = period_for(period_spec, hours_of(team), now)
        with transaction(core.engine) as session:
            figures = baseline(session, team, period, now, owner_id=owner.id if owner else None, source=source)
        return baseline_text(figures, " · ".join(x for x in (owner.name if owner else None, source) if x))
    if command == "/stalled":
        owner = _person(services, team_id, args[0]) if args else None
        with transaction(core.engine) as session:
            rows = stalled_leads(session, team, now, owner_id=owner.id if owner else None)
        return stalled_text(rows, team, now)
    if command == "/leads":
        everyone = bool(args) and args[0].lower() == "all"
        me = services.member(team_id, user_id)
        if not everyone and me is None:
            return "You have no leads yet: react to a lead card to claim one. /leads all shows the team's."
        with transaction(core.engine) as session:
            rows = [(lead, owner, due_window(lead, team))
                    for lead, owner in open_leads(session, team, owner_id=None if everyone else me.id)]
        return open_leads_text(rows, team, now, whose=None if everyone else me.name)
    if command == "/oncall":
        with transaction(core.engine) as session:
            people = rotation(session, team_id)
        return "\n".join(oncall_lines(people, hours_of(team), now))
    raise PeriodError(f"{command} is not a report.")


def my_leads_text(services, team_id: int, user_id: str) -> tuple[str, str]:
    """(title, body) of the Home tab."""
    me = services.member(team_id, user_id)
    if me is None:
        return "Your leads", "You have no leads yet: react to a lead card in the leads channel to claim one."
    return f"{me.name}'s open leads", report_text(services, team_id, user_id, "/leads", "")
