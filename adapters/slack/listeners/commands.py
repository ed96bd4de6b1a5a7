"""Slash commands. Each acks at once (Slack allows 3 s), then works and answers privately."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond

from adapters.slack.blocks import report_blocks
from adapters.slack.reports import report_text
from chatbot import roster
from chatbot.errors import FollowUpError
from chatbot.models import Role
from chatbot.reports import PeriodError

REPORTS = ("/baseline", "/stalled", "/leads", "/oncall")
COMMANDS = (*REPORTS, "/followup")

HELP = """\
*Lead follow-up*: every new lead is posted in <#{channel}>. React to a card to claim it; \
its buttons log a call, text, e-mail or appointment, and close it won or lost.
• `/leads [all]`: your open leads (or the team's) and what is due
• `/stalled [@rep]`: open leads with no activity for 3 days
• `/baseline [7d|30d|last-week|2026-11-01..2026-11-15] [@rep] [source]`: follow-up figures
• `/oncall`: who covers evenings and weekends
• `/followup`: this help; managers also see the team's settings"""


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

    def followup(ack: Ack, command: dict, context: BoltContext, respond: Respond) -> None:
        ack()
        team_id = services.team_id(context.team_id)
        team = roster.team(services.core, team_id)
        text = HELP.format(channel=team.leads_channel or "leads")
        asks_settings = (command.get("text") or "").strip().lower().startswith("settings")
        if asks_settings:
            me = services.member(team_id, command["user_id"])
            if me is None or me.role not in (Role.MANAGER, Role.ADMIN):
                respond(text="Settings are for managers. Ask a sales manager (or a workspace admin) to change them.",
                        response_type="ephemeral")
                return
            text = settings_text(team)
        respond(text=text, response_type="ephemeral")

    for name in REPORTS:
        app.command(name)(report)
    app.command("/followup")(followup)


def settings_text(team) -> str:
    def minutes(seconds: int) -> str:
        return f"{seconds // 3600} h" if seconds % 3600 == 0 and seconds >= 3600 else f"{seconds // 60} min"

    return "\n".join([
        f"*Settings for {team.name}* ({team.timezone}, open {team.business_days} {team.opens_at}-{team.closes_at})",
        f"• Leads channel: <#{team.leads_channel}> · managers: "
        + (f"<#{team.managers_channel}>" if team.managers_channel else "none (escalations go to the leads channel)"),
        f"• Claim within {minutes(team.claim_window_s)} · first contact within {minutes(team.first_contact_window_s)}"
        f" · second contact within {minutes(team.second_contact_window_s)} · stalled after {minutes(team.stall_window_s)}",
        f"• Claim emoji: {(':' + team.claim_emoji.strip(':') + ':') if team.claim_emoji else 'any reaction'}",
        "Editing settings from Slack is not built yet; they are set when the app is installed (environment).",
    ])
