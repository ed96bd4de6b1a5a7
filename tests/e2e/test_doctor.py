"""`chatbot doctor`, run as a person runs it: green on a ready deployment (a migrated database, the
fake Slack answering auth.test, an intake key, a live worker), and red, with one clear line and
exit code 1, for each thing that is missing. Never a traceback, never a secret."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel
from typer.testing import CliRunner

from chatbot.core import bootstrap
from chatbot.domain.clock import ManualClock, SystemClock
from chatbot.intake import apikeys
from chatbot.ops import heartbeat
from chatbot.secret_keys import SecretKeys
from chatbot.team import roster
from entrypoints import config, doctor
from entrypoints.cli import app
from tests.fakes.slack_web_api import FakeSlack
from tests.fakes.teams_auth import APP_ID, LocalIssuer, LocalTokenProvider

runner = CliRunner()
SIGNING_SECRET = "doctor-signing-secret-123"
SECRET_KEY = "ZG9jdG9yLXNlY3JldC1rZXktMzItYnl0ZXMtbG9uZyE="  # a Fernet key for SECRET_KEYS


@pytest.fixture
def env(tmp_path, monkeypatch):
    """Nothing of ours in the environment, no .env; returns the URL of an SQLite file there."""
    monkeypatch.chdir(tmp_path)
    for name in config.Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    return f"sqlite:///{tmp_path / 'doctor.db'}"


@pytest.fixture
def slack(env, monkeypatch):
    with FakeSlack() as fake:
        monkeypatch.setenv("SLACK_BOT_TOKEN", fake.token)
        monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
        monkeypatch.setenv("SLACK_API_URL", fake.base_url)
        yield fake


def ready(url, *, key=True, beat_ago=timedelta(seconds=3)):
    """A deployment as it should be: migrated, one team with (or without) an intake key, a worker's beat."""
    core = bootstrap(url)
    team = roster.create_team(core, name="Demo Motors", platform="slack", platform_team_id="T0DEALER1")
    if key:
        apikeys.create_key(core, team.id, "cars.com")
    if beat_ago is not None:
        heartbeat.beat(bootstrap(url, ManualClock(SystemClock().now() - beat_ago), migrate=False))
    return core


def doctor_says(*args):
    result = runner.invoke(app, ["doctor", *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output.splitlines()


def line(lines, check):
    (found,) = [text for text in lines if text[2:].startswith(check + ":")]
    return found


def test_a_ready_deployment_is_all_green(env, slack):
    ready(env)

    code, lines = doctor_says("--database-url", env)

    assert code == 0, lines
    assert [text[:2] for text in lines[:-1]] == ["✓ "] * 7 and lines[-1] == "All good."
    assert line(lines, "rooftops") == "✓ rooftops: every rooftop's chat takes our messages"
    assert line(lines, "Slack") == "✓ Slack: the bot token works for workspace Fake Motors (T0DEALER1), over HTTP"
    assert line(lines, "database schema").startswith("✓ database schema: at the newest migration (")
    assert line(lines, "intake keys") == "✓ intake keys: every team has one (Demo Motors: 1)"
    assert line(lines, "worker").startswith("✓ worker: alive, last heartbeat ")
    assert [c.method for c in slack.calls] == ["auth.test"] and slack.errors == []
    assert slack.token not in "\n".join(lines) and SIGNING_SECRET not in "\n".join(lines)


def test_an_unreachable_database_is_one_red_line_without_its_password(env):
    code, lines = doctor_says("--database-url", "postgres://leads:hunter2secret@127.0.0.1:1/leads?sslmode=disable")

    assert code == 1
    assert line(lines, "database").startswith(
        "✗ database: cannot connect to postgresql+psycopg://leads:***@127.0.0.1:1/leads?sslmode=disable (")
    assert "check DATABASE_URL and that the server is up" in line(lines, "database")
    assert line(lines, "database schema") == "– database schema: not checked: see the database line above"
    assert "hunter2secret" not in "\n".join(lines)


def test_an_unmigrated_database_says_to_run_the_migrations(env, tmp_path):
    (tmp_path / "doctor.db").touch()  # there, but empty

    code, lines = doctor_says("--database-url", env)

    assert code == 1
    assert line(lines, "database").startswith("✓ database: sqlite:///")
    assert line(lines, "database schema") == ("✗ database schema: no tables yet (no migration applied): run "
                                              "`chatbot db upgrade` (the Procfile's release step does it on each "
                                              "deploy)")
    assert line(lines, "intake keys").startswith("– intake keys: not checked")


def test_a_missing_sqlite_file_is_not_created_by_the_doctor(env, tmp_path):
    code, lines = doctor_says("--database-url", env)

    assert code == 1 and not (tmp_path / "doctor.db").exists()
    assert "does not exist: create it with `chatbot db upgrade`" in line(lines, "database")


def test_a_revoked_slack_token_is_red_and_says_how_to_fix_it(env, slack):
    ready(env)
    slack.revoke()

    code, lines = doctor_says("--database-url", env)

    assert code == 1
    assert line(lines, "Slack").startswith("✗ Slack: Slack refused SLACK_BOT_TOKEN (invalid_auth): the token is wrong "
                                           "or was revoked")
    assert "OAuth & Permissions" in line(lines, "Slack")
    assert slack.calls_to("auth.test")[0].response == {"ok": False, "error": "invalid_auth"}
    assert slack.token not in "\n".join(lines)
    assert lines[-1] == "1 problem(s): fix the lines marked ✗ and run `chatbot doctor` again."


def test_a_team_without_an_intake_key_is_red(env, slack):
    ready(env, key=False)

    code, lines = doctor_says("--database-url", env)

    assert code == 1
    assert line(lines, "intake keys") == (
        "✗ intake keys: Demo Motors has no API key, so no lead provider or CRM can send it leads: "
        "`chatbot keys create --team \"Demo Motors\" --name cars.com` (one per sender)")


def test_a_revoked_key_is_no_key(env, slack):
    core = ready(env, key=False)
    made = apikeys.create_key(core, roster.all_teams(core)[0].id, "cars.com")
    apikeys.revoke_key(core, made.prefix)

    code, lines = doctor_says("--database-url", env)

    assert code == 1 and line(lines, "intake keys").startswith("✗ intake keys: Demo Motors has no API key")


def test_a_worker_that_stopped_beating_or_never_ran_is_red(env, slack):
    ready(env, beat_ago=timedelta(minutes=15))
    code, lines = doctor_says("--database-url", env)
    assert code == 1
    assert line(lines, "worker").startswith("✗ worker: last heartbeat 15 min ago (")

    ready(f"{env[:-3]}-2.db", beat_ago=None)
    code, lines = doctor_says("--database-url", f"{env[:-3]}-2.db")
    assert code == 1
    assert line(lines, "worker").startswith("✗ worker: no worker has ever run on this database: start the Procfile's "
                                            "worker (`chatbot worker`)")


def test_with_no_chat_configured_it_says_console_only(env):
    ready(env)

    code, lines = doctor_says("--database-url", env)

    assert code == 0, lines
    assert line(lines, "chat").startswith("✓ chat: no chat configured: console only")


def test_configuration_problems_are_named_and_the_other_checks_still_run(env, monkeypatch):
    ready(env)
    monkeypatch.setenv("PORT", "eighty")
    monkeypatch.setenv("LOG_LEVEL", "chatty")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxp-a-user-token-not-a-bot-token")

    code, lines = doctor_says("--database-url", env)

    assert code == 1
    config_lines = [text for text in lines if text.startswith("✗ configuration: ")]
    assert any(text.startswith("✗ configuration: PORT cannot be read (") for text in config_lines)
    assert any("LOG_LEVEL='chatty' is not a level" for text in config_lines)
    assert any("SLACK_BOT_TOKEN should be the Bot User OAuth Token, which starts with xoxb-" in text
               for text in config_lines)
    assert line(lines, "database schema").startswith("✓ ")  # checked all the same
    assert "xoxp-a-user-token-not-a-bot-token" not in "\n".join(lines)


def test_teams_credentials_are_checked_by_getting_a_token(env, monkeypatch):
    ready(env)
    monkeypatch.setenv("TEAMS_APP_ID", APP_ID)
    monkeypatch.setenv("TEAMS_APP_PASSWORD", "teams-client-secret-xyz")
    with LocalIssuer() as issuer:
        report = doctor.diagnose(env, teams_provider_factory=lambda cfg: LocalTokenProvider(issuer, cfg))
        assert [t.render() for t in report.lines if t.check == "Teams"] == [
            "✓ Teams: Microsoft Entra gave the app a token for the Bot Connector (tenant multi-tenant)"]

        class Refused(LocalTokenProvider):
            async def get_access_token(self, resource_url, scopes, force_refresh=False):
                raise ValueError("Failed to acquire token. {'error': 'invalid_client', 'error_description': "
                                 "'AADSTS7000215: Invalid client secret provided.'}")

        report = doctor.diagnose(env, teams_provider_factory=lambda cfg: Refused(issuer, cfg))
        (teams,) = [t.render() for t in report.lines if t.check == "Teams"]
        assert teams.startswith("✗ Teams: Microsoft Entra refused the app's credential (the client secret is wrong")
        assert report.problems == 1 and "teams-client-secret-xyz" not in teams


def test_a_rooftop_whose_chat_refuses_us_is_named_with_what_waits_and_how_to_fix_it(env, slack):
    from chatbot.leads import tracker
    from chatbot.messaging import access
    from tests.helpers import incoming

    core = ready(env)
    north = roster.create_team(core, name="North Motors", platform="teams", platform_team_id="tenant-1/19:north")
    apikeys.create_key(core, north.id, "cars.com")
    tracker.ingest(core, north.id, incoming())
    assert access.lose(core, None, north.id, "the app was removed from the team in Teams", "teams")

    code, lines = doctor_says("--database-url", env)

    assert code == 1
    rooftops = line(lines, "rooftops")
    assert rooftops.startswith("✗ rooftops: North Motors gets no messages: the app was removed from the team in "
                               "Teams (since ")
    assert rooftops.endswith("; 1 waiting, kept): add the app to that team again (in Teams: Apps → Manage your "
                             "apps → the app → Add to a team), picking the channel for new leads; its waiting "
                             "messages then go out")


@pytest.mark.postgres
def test_green_on_postgresql_given_as_hosts_give_it(env, slack, postgres_url):
    """The URL as a host hands it out: postgres://, with ?sslmode=."""
    core = bootstrap(postgres_url, migrate=False)
    team = roster.ensure_team(core, name="Doctor Motors", platform="slack", platform_team_id="T0DOCTOR")
    apikeys.create_key(core, team.id, "cars.com")
    heartbeat.beat(core)
    host_form = postgres_url.replace("postgresql+psycopg://", "postgres://") + "?sslmode=disable"
    try:
        code, lines = doctor_says("--database-url", host_form)
    finally:  # the session's database is shared: leave it empty, as the `core` fixture does
        tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with core.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        core.engine.dispose()

    assert line(lines, "database").startswith("✓ database: postgresql+psycopg://")
    assert "?sslmode=disable answers (PostgreSQL " in line(lines, "database")
    assert line(lines, "database schema").startswith("✓ ")
    assert line(lines, "worker").startswith("✓ ")


def test_oauth_installs_are_each_checked_with_their_stored_token(env, monkeypatch):
    from slack_sdk.oauth.installation_store import Installation

    from adapters.slack.oauth import installation_store

    core = ready(env)
    with FakeSlack() as fake:
        for name, value in (("SLACK_CLIENT_ID", fake.client_id), ("SLACK_CLIENT_SECRET", fake.client_secret),
                            ("SLACK_SIGNING_SECRET", SIGNING_SECRET), ("SLACK_API_URL", fake.base_url),
                            ("SECRET_KEYS", SECRET_KEY)):
            monkeypatch.setenv(name, value)
        code, lines = doctor_says("--database-url", env)
        assert code == 1
        assert line(lines, "Slack") == ("✗ Slack: no workspace has installed the app yet: open "
                                        "https://YOUR-APP-HOST/slack/install")

        installation_store(core.engine, fake.client_id, SecretKeys.parse(SECRET_KEY)).save(Installation(
            app_id=fake.app_id, team_id=fake.team_id, bot_token=fake.token, bot_id=fake.bot_id,
            bot_user_id=fake.bot_user_id, bot_scopes=["chat:write"], user_id="U0INSTALLER"))
        code, lines = doctor_says("--database-url", env)
        assert code == 0, lines
        assert line(lines, "Slack") == "✓ Slack: 1 installed workspace(s), every token works (Demo Motors)"

        fake.revoke()
        code, lines = doctor_says("--database-url", env)
        assert code == 1
        assert line(lines, "Slack") == ("✗ Slack: Demo Motors's token was refused (invalid_auth): reinstall through "
                                        "/slack/install")
        assert fake.token not in "\n".join(lines)


def test_teams_without_a_credential_or_in_development_mode_is_red(env, monkeypatch):
    ready(env)
    monkeypatch.setenv("TEAMS_ALLOW_ANONYMOUS", "true")
    (teams,) = [t.render() for t in doctor.diagnose(env).lines if t.check == "Teams"]
    assert teams.startswith("✗ Teams: TEAMS_ALLOW_ANONYMOUS=true without TEAMS_APP_ID: /api/messages accepts anyone")

    monkeypatch.setenv("TEAMS_APP_ID", APP_ID)
    (teams,) = [t.render() for t in doctor.diagnose(env).lines if t.check == "Teams"]
    assert teams == ("✗ Teams: TEAMS_ALLOW_ANONYMOUS=true is refused beside TEAMS_APP_ID: anonymous mode is for the "
                     "Agents Playground without an app; unset TEAMS_ALLOW_ANONYMOUS")

    monkeypatch.delenv("TEAMS_ALLOW_ANONYMOUS")
    (teams,) = [t.render() for t in doctor.diagnose(env).lines if t.check == "Teams"]
    assert teams.startswith("✗ Teams: TEAMS_APP_ID is set but neither TEAMS_APP_PASSWORD nor TEAMS_CERT_PFX_FILE")
