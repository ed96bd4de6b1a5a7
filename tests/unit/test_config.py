"""Configuration: database URLs in every form hosts give, one settings class read from the
environment or `.env`, the adapters' settings agreeing with it, the README's table generated from it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from adapters.slack.plugin import SLACK
from adapters.slack.settings import SlackSettings
from adapters.teams.plugin import TEAMS
from adapters.teams.settings import TeamsSettings
from chatbot.store.db import DEFAULT_DATABASE_URL, database_url, normalize_url
from entrypoints import config
from entrypoints.cli import app
from entrypoints.platforms import PLATFORMS

ROOT = Path(__file__).resolve().parents[2]
VARIABLES = [name.upper() for name in config.Settings.model_fields]


@pytest.fixture
def clean_env(tmp_path, monkeypatch):
    """No variable of ours in the environment, and a working directory without .env."""
    monkeypatch.chdir(tmp_path)
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


# Written by hand, one per form a host or a person gives.
URL_FORMS = [
    # Heroku, Render, Fly, Dokku: postgres://
    ("postgres://u:p@db.example.com:5432/leads", "postgresql+psycopg://u:p@db.example.com:5432/leads"),
    ("postgres://u:p@db.example.com:5432/leads?sslmode=require",
     "postgresql+psycopg://u:p@db.example.com:5432/leads?sslmode=require"),
    # Railway, Neon, Supabase, DigitalOcean: postgresql://, often with several parameters
    ("postgresql://u:p@ep-x.neon.tech/leads?sslmode=require&channel_binding=require",
     "postgresql+psycopg://u:p@ep-x.neon.tech/leads?sslmode=require&channel_binding=require"),
    ("postgresql://doadmin:pw@db-1.ondigitalocean.com:25060/defaultdb?sslmode=require",
     "postgresql+psycopg://doadmin:pw@db-1.ondigitalocean.com:25060/defaultdb?sslmode=require"),
    ("postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
     "postgresql+psycopg://postgres@127.0.0.1:5432/test?sslmode=disable"),
    # a percent-encoded password is kept byte for byte
    ("postgres://app:p%40ss%2Fw0rd@h/db", "postgresql+psycopg://app:p%40ss%2Fw0rd@h/db"),
    # a Unix socket, no host
    ("postgresql:///leads?host=/var/run/postgresql", "postgresql+psycopg:///leads?host=/var/run/postgresql"),
    # blanks from a copy and paste, a scheme in capitals
    ("  postgres://u@h/db\n", "postgresql+psycopg://u@h/db"),
    ("POSTGRES://u@h/db", "postgresql+psycopg://u@h/db"),
    # a driver already named is kept; the old `postgres` name is fixed
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql+psycopg2://u@h/db?sslmode=require", "postgresql+psycopg2://u@h/db?sslmode=require"),
    ("postgres+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
    # SQLite as given
    ("sqlite:///chatbot.db", "sqlite:///chatbot.db"),
    ("sqlite:////var/data/chatbot.db", "sqlite:////var/data/chatbot.db"),
    ("sqlite://", "sqlite://"),
]


@pytest.mark.parametrize(("given", "expected"), URL_FORMS)
def test_every_url_form_becomes_the_psycopg_url_keeping_its_parameters(given, expected):
    assert normalize_url(given) == expected


def test_the_url_is_the_explicit_one_else_database_url_else_the_sqlite_file(clean_env, monkeypatch):
    assert database_url() == DEFAULT_DATABASE_URL == "sqlite:///chatbot.db"
    monkeypatch.setenv("DATABASE_URL", "")
    assert database_url() == DEFAULT_DATABASE_URL  # set but empty: the default
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db?sslmode=require")
    assert database_url() == "postgresql+psycopg://u@h/db?sslmode=require"
    assert database_url("postgresql://x@y/z") == "postgresql+psycopg://x@y/z"


def test_settings_come_from_dotenv_and_the_environment_wins(clean_env, monkeypatch):
    (clean_env / ".env").write_text(
        "# production\n"
        "DATABASE_URL=postgres://app:pw@db.internal:5432/leads?sslmode=require\n"
        "PORT=8080\n"
        "LOG_LEVEL=debug\n"
        "SLACK_BOT_TOKEN=xoxb-from-dotenv\n"
        "SLACK_SIGNING_SECRET=from-dotenv\n"
        "TEAMS_APP_ID=app-from-dotenv\n", encoding="utf-8")
    monkeypatch.setenv("PORT", "9000")

    settings = config.load()

    assert settings.database_url == "postgres://app:pw@db.internal:5432/leads?sslmode=require"
    assert database_url(settings.database_url) == "postgresql+psycopg://app:pw@db.internal:5432/leads?sslmode=require"
    assert settings.port == 9000  # the environment wins over .env
    assert settings.log_level_number == 10  # DEBUG
    slack, teams = settings.of(SLACK), settings.of(TEAMS)
    assert (slack.slack_bot_token, slack.slack_signing_secret, slack.enabled) == ("xoxb-from-dotenv", "from-dotenv",
                                                                                   True)
    assert (teams.teams_app_id, teams.enabled) == ("app-from-dotenv", True)
    assert set(settings.secrets()) == {"xoxb-from-dotenv", "from-dotenv", "pw"}  # DATABASE_URL's password too


def test_with_nothing_set_the_defaults_are_the_console_on_sqlite(clean_env):
    settings = config.load()
    assert (settings.database_url, settings.port, settings.log_level) == (None, 3000, "INFO")
    assert not settings.of(SLACK).enabled and not settings.of(TEAMS).enabled
    assert settings.chats() == []


@pytest.mark.parametrize("chat", PLATFORMS, ids=lambda chat: chat.name)
def test_every_platforms_variables_are_read_with_the_same_names_and_defaults(chat):
    ours = config.Settings.model_fields
    for name, field in chat.settings.model_fields.items():
        assert name in ours, f"{name.upper()} ({chat.settings.__name__}) is missing from entrypoints.config"
        assert ours[name].default == field.default, name
        assert ours[name].annotation == field.annotation, name


def test_the_adapters_own_classes_still_read_the_environment(clean_env, monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-env")
    monkeypatch.setenv("TEAMS_TENANT_ID", "tenant-env")
    assert SlackSettings().slack_bot_token == config.load().of(SLACK).slack_bot_token == "xoxb-env"
    assert TeamsSettings().teams_tenant_id == config.load().of(TEAMS).teams_tenant_id == "tenant-env"


def test_every_variable_says_what_it_means():
    for name, meaning, _default in config.variables():
        assert meaning and "|" not in meaning, name


def test_the_readmes_table_of_variables_is_the_one_generated_from_the_settings():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert config.readme_table() in readme, (
        "README.md's table of variables differs from entrypoints/config.py: paste the output of "
        "`.venv/bin/python -m entrypoints.config` over it")


def test_the_cli_takes_database_url_from_dotenv(clean_env):
    (clean_env / ".env").write_text(f"DATABASE_URL=sqlite:///{clean_env / 'from-dotenv.db'}\n", encoding="utf-8")

    result = CliRunner().invoke(app, ["db", "upgrade"])

    assert result.exit_code == 0, result.output
    assert (clean_env / "from-dotenv.db").is_file() and not (clean_env / "chatbot.db").exists()


def test_a_setting_that_cannot_be_read_is_one_line_not_a_traceback(clean_env, monkeypatch):
    monkeypatch.setenv("PORT", "eighty")

    result = CliRunner().invoke(app, ["db", "upgrade"])

    assert result.exit_code == 1
    assert result.output == "Cannot read the configuration (PORT): `chatbot doctor` says what is wrong.\n"


def test_the_procfile_runs_web_worker_and_migrations_on_release():
    lines = dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line.strip())
    assert {k: v.strip() for k, v in lines.items()} == {
        "web": "chatbot web --port $PORT", "worker": "chatbot worker", "release": "chatbot db upgrade"}
