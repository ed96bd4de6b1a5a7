"""Slash commands. Each acks at once (Slack allows 3 s), then runs the core's command and
answers privately; a copy of a command delivered again (same trigger_id) does nothing.
`/followup` reaches every core command that has no slash command of its own
(`/followup reps`, `/followup call 12 reached`), and the team's settings."""

from __future__ import annotations

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient

from adapters.slack.blocks import reply_message
from adapters.slack.listeners.actions import repeated
from adapters.slack.words import PHRASES, SLASH_COMMANDS, mentioned_users, to_core_text
from chatbot.inbound import SUBCOMMANDS, Caller, run_command


def core_line(command: str, text: str) -> str:
    """The core command line for a slash command: '/followup reps' -> 'reps', '/leads all' -> 'leads all',
    '/followup oncall @sam' -> 'followup oncall @sam' (the team's settings come first)."""
    words = to_core_text(text).split()
    if command == "/followup":
        if not words:
            return "help"
        if words[0].lower() in SUBCOMMANDS:
            return " ".join(["followup", *words])
        return " ".join(words)
    return " ".join([command.lstrip("/"), *words])


def register(app: App, services) -> None:
    def slash(ack: Ack, command: dict, context: BoltContext, respond: Respond, client: WebClient) -> None:
        ack()
        if repeated(services, command):
            return
        team_id = services.team_id(context.team_id)
        for user_id in [command["user_id"], *mentioned_users(command.get("text", ""))]:
            services.ensure_member(team_id, user_id, client)
        reply = run_command(services.core, Caller(team_id, command["user_id"]),
                            core_line(command["command"], command.get("text", "")), PHRASES)
        respond(response_type="ephemeral", **reply_message(reply))
        services.deliver(client, team_id)

    for name in SLASH_COMMANDS:
        app.command(name)(slash)
