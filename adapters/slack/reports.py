"""The text answers of /baseline, /stalled, /leads and /oncall for a Slack user.

Arguments as Slack sends them: `@name` stays plain text (the commands are registered with
should_escape false), and an escaped `<@U123|name>` mention works too (chatbot.commands.arguments).
"""

from __future__ import annotations

from chatbot.commands.arguments import parse_report_args
from chatbot.escalation.sweeper import rotation
from chatbot.leads.deadlines import due_window, hours_of
from chatbot.messaging.views import baseline_text, oncall_lines, open_leads_text, stalled_text
from chatbot.reports.figures import PeriodError, baseline, open_leads, period_for, stalled_leads
from chatbot.store.db import transaction
from chatbot.team import roster


def report_text(services, team_id: int, user_id: str, command: str, text: str) -> str:
    """The answer to one report command; raises FollowUpError / PeriodError with a message."""
    core, args = services.core, (text or "").split()
    team = roster.team(core, team_id)
    now = core.clock.now()
    if command == "/baseline":
        query = parse_report_args(core, team_id, args)
        period = period_for(query.period, hours_of(team), now)
        with transaction(core.engine) as session:
            figures = baseline(session, team, period, now, owner_id=query.rep.id if query.rep else None,
                               source=query.source)
        return baseline_text(figures, " · ".join(x for x in (query.rep.name if query.rep else None, query.source) if x))
    if command == "/stalled":
        rep = parse_report_args(core, team_id, args[:1], "/stalled").rep
        with transaction(core.engine) as session:
            rows = stalled_leads(session, team, now, owner_id=rep.id if rep else None)
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
