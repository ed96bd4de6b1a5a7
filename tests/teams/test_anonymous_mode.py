"""Anonymous mode (TEAMS_ALLOW_ANONYMOUS, for the Agents Playground) can never stand in for a
real app: beside TEAMS_APP_ID it refuses to start, in one line; alone, it serves but /readyz
stays red and says why, so no deployment in it is ever called ready (issue 18)."""

from __future__ import annotations

import pytest
import uvicorn
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from adapters.teams.settings import TeamsSettings
from adapters.teams.web import TeamsApp
from chatbot.core import bootstrap
from entrypoints.cli import app
from tests.fakes.teams_auth import APP_ID

runner = CliRunner()
REFUSED = ("TEAMS_ALLOW_ANONYMOUS=true is refused beside TEAMS_APP_ID: anonymous mode is for the Agents Playground "
           "without an app; unset TEAMS_ALLOW_ANONYMOUS\n")
NOT_READY = "Teams runs in anonymous development mode (TEAMS_ALLOW_ANONYMOUS): anyone may post to /api/messages"


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .env from the project
    for name in ("DATABASE_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET",
                 "SLACK_APP_TOKEN", "TEAMS_APP_ID", "TEAMS_APP_PASSWORD", "TEAMS_TENANT_ID", "TEAMS_ALLOW_ANONYMOUS",
                 "TEAMS_ALLOWED_TENANTS", "TEAMS_SERVICE_URL_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    url = f"sqlite:///{tmp_path / 'anon.db'}"
    bootstrap(url)  # the release step: migrations
    return url


@pytest.mark.parametrize("command", [["worker", "--once"], ["web", "--port", "3999"]])
def test_anonymous_mode_beside_an_app_id_refuses_to_start_in_one_line(db, monkeypatch, command):
    monkeypatch.setenv("TEAMS_APP_ID", APP_ID)
    monkeypatch.setenv("TEAMS_APP_PASSWORD", "not-used")
    monkeypatch.setenv("TEAMS_ALLOW_ANONYMOUS", "true")
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: pytest.fail("the web app must not start"))

    result = runner.invoke(app, [*command, "--database-url", db])

    assert result.exit_code == 1
    assert result.output == REFUSED
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_the_teams_app_itself_will_not_be_made_with_both(core):
    settings = TeamsSettings(_env_file=None, teams_app_id=APP_ID, teams_app_password="x", teams_allow_anonymous=True)
    with pytest.raises(ValueError, match="refused beside TEAMS_APP_ID"):
        TeamsApp(core, settings)


def test_anonymous_mode_serves_but_readyz_stays_red_and_says_why(db, monkeypatch):
    monkeypatch.setenv("TEAMS_ALLOW_ANONYMOUS", "true")
    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda web_app, **options: served.update(app=web_app))

    result = runner.invoke(app, ["web", "--port", "3999", "--database-url", db])

    assert result.exit_code == 0, result.output
    with TestClient(served["app"]) as http:
        ready = http.get("/readyz")
    assert ready.status_code == 503
    assert "configuration" in ready.json()["failed"]
    assert ready.json()["checks"]["configuration"] == {"ok": False, "detail": NOT_READY}


def test_without_a_development_mode_readyz_has_no_configuration_check(db, monkeypatch):
    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda web_app, **options: served.update(app=web_app))

    assert runner.invoke(app, ["web", "--port", "3999", "--database-url", db]).exit_code == 0
    with TestClient(served["app"]) as http:
        checks = http.get("/readyz").json()["checks"]
    assert list(checks) == ["database", "migrations", "worker", "outbox", "rooftops"]
