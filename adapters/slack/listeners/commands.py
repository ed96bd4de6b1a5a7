"""Slash commands. Each acks at once (Slack allows 3 s), then works and answers privately."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from adapters.slack.blocks import report_blocks
from adapters.slack.reports import report_text
from chatbot.errors import FollowUpError
from chatbot.reports.figures import PeriodError
from chatbot.team import roster
from chatbot.team.settings import change_setting, set_rotation, show_settings

REPORTS = ("/baseline", "/stalled", "/leads", "/oncall")
COMMANDS = (*REPORTS, "/followup")

HELP = """\
*Lead follow-up*: every new lead is posted in <#{channel}>. React to a card to claim it; \
its buttons log a call, text, e-mail or appointment, and close it won or lost.
• `/leads [all]`: your open leads (or the team's) and what is due
• `/stalled [@rep]`: open leads with no activity for 3 days
• `/baseline [7d|30d|last-week|2026-11-01..2026-11-15] [@rep] [source]`: follow-up figures
• `/oncall`: who covers evenings and weekends
• `/followup`: this help. Managers: `/followup settings`, `/followup set NAME VALUE` \
(e.g. `set first-contact 5m`, `set hours mon-sat 09:00-19:00`), `/followup oncall @sam @alex`"""


def register(app: App, services) -> None:
    def report(ack: Ack, command: dict, context: BoltContext, respond: Respond) -> None:
        ack()
        team_id = services.team_id(context.team_id)
        try:
            text = report_text(services, team_id, command["user_id"], command["command"], command.get("text", ""))
        except (FollowUpError, PeriodError) as error:
            respond(text=str(error), response_type="ephemeral")
            return
        respond(text=text, blocks=report_blocks(text, command["command"], command.get("text", "")),
                response_type="ephemeral")

    def followup(ack: Ack, command: dict, context: BoltContext, respond: Respond, client: WebClient) -> None:
        """`/followup` help; `settings`, `set NAME VALUE` and `oncall @a @b ...` for managers."""
        ack()
        team_id = services.team_id(context.team_id)
        services.ensure_member(team_id, command["user_id"], client)
        words = (command.get("text") or "").split()
        action = words[0].lower() if words else ""
        try:
            if action == "settings":
                text = show_settings(services.core, team_id, command["user_id"])
            elif action == "set" and len(words) >= 3:
                text = change_setting(services.core, team_id, command["user_id"], words[1], " ".join(words[2:]))
            elif action == "oncall":
                people = [mention.strip("<>@").split("|")[0] for mention in words[1:]]
                for user_id in people:
                    services.ensure_member(team_id, user_id, client)
                text = set_rotation(services.core, team_id, command["user_id"], people)
            else:
                team = roster.team(services.core, team_id)
                text = HELP.format(channel=team.leads_channel or "leads")
        except FollowUpError as error:
            text = error.message
        respond(text=text, response_type="ephemeral")

    for name in REPORTS:
        app.command(name)(report)
    app.command("/followup")(followup)
