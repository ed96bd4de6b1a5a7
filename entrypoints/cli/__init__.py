"""The `chatbot` command: each command is a plain function in the module of its job, bound here.

    chatbot                  run the bot: Slack if SLACK_BOT_TOKEN is set (web app + worker in one
                             process; Socket Mode with SLACK_APP_TOKEN), else the console on SQLite
    chatbot web --port N     the web app only (Slack events, intake, health): the Procfile's web
    chatbot worker           escalate each step as it falls due + deliver: the Procfile's worker
    chatbot db upgrade       bring the database schema up to date
    chatbot backup --out F   the whole database, while the bot runs; `chatbot restore F` into an empty one
    chatbot secrets ...      the keys that encrypt stored chat tokens (new-key, rotate)
    chatbot doctor           check the deployment: configuration, database, chats, intake keys, worker
    chatbot sweep            escalate whatever is due now, once (the worker does it as each step falls due)
    chatbot team create      a team for lead intake when no chat adapter has made one
    chatbot member ...       people on a team: add (by e-mail before they use Slack), list, set-role, remove
    chatbot keys ...         API keys for lead providers and CRMs (create, list, revoke, rate)
    chatbot lead check FILE  what intake would store from a file, without a database
    chatbot import FILE.csv  a CRM's history of leads and activities, for the baseline
    chatbot baseline         the follow-up figures of docs/METRICS.md
    chatbot digest           the weekly digest (--week 2026-W46, --out DIR, --post)
    chatbot teams-package    (and any other command a chat platform adds: `ChatPlatform.commands`)

serve.py (run, web, worker, sweep), admin.py (team, keys, member), leads.py (lead check, import),
figures.py (baseline, digest); doctor, db, backup and secrets live in their own entrypoints modules.
Configuration (DATABASE_URL, PORT, LOG_LEVEL, each platform's variables) comes from the environment
or a `.env` file through one class, `entrypoints.config.Settings`. A chat adapter is imported only by
the command that uses it: the core imports none.
"""

from __future__ import annotations

import typer

from entrypoints import backup, doctor, operations, secrets_command
from entrypoints.cli import admin, figures, leads, serve
from entrypoints.cli.common import settings
from entrypoints.platforms import PLATFORMS

app = typer.Typer(help="Lead follow-up for dealerships: every lead posted, claimed and followed up.",
                  no_args_is_help=False, add_completion=False)
db_app = typer.Typer(help="Database schema.")
app.add_typer(db_app, name="db")
team_app = typer.Typer(help="Teams (dealership rooftops).")
app.add_typer(team_app, name="team")
keys_app = typer.Typer(help="API keys for lead providers and CRMs.")
app.add_typer(keys_app, name="keys")
lead_app = typer.Typer(help="Leads.")
app.add_typer(lead_app, name="lead")
member_app = typer.Typer(help="People on a team: reps and managers.")
app.add_typer(member_app, name="member")


@app.callback(invoke_without_command=True)
def default(ctx: typer.Context) -> None:
    """With no command: run the bot."""
    if ctx.invoked_subcommand is None:
        serve.run(start=None, database=None, host="0.0.0.0", port=None, no_worker=False)


app.command()(serve.run)
app.command()(serve.web)
app.command()(serve.worker)
app.command("sweep")(serve.sweep)
app.command("import")(leads.import_csv)
app.command("baseline")(figures.baseline)
for chat in PLATFORMS:
    chat.commands(app)  # `chatbot teams-package`
app.command("digest")(figures.digest)

team_app.command("create")(admin.team_create)
team_app.command("list")(admin.team_list)
keys_app.command("create")(admin.keys_create)
keys_app.command("list")(admin.keys_list)
keys_app.command("revoke")(admin.keys_revoke)
keys_app.command("rate")(admin.keys_rate)
lead_app.command("check")(leads.lead_check)
member_app.command("add")(admin.member_add)
member_app.command("list")(admin.member_list)
member_app.command("set-role")(admin.member_set_role)
member_app.command("remove")(admin.member_remove)

doctor.register(app)  # `chatbot doctor`: entrypoints/doctor/
operations.register(app, db_app, settings)  # `chatbot db upgrade`: entrypoints/operations.py
backup.register(app, settings)  # `chatbot backup`, `chatbot restore`: entrypoints/backup.py
secrets_command.register(app)  # `chatbot secrets new-key|rotate`: entrypoints/secrets_command.py


def main() -> None:
    app()
