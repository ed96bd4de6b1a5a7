"""A new chat is one object handed to the entry points: Pinboard (tests/plugin_platform/plugin.py)
names its variables, gets a team's cards, serves its route, adds its doctor line and has its token
masked, with no line of entrypoints/ or chatbot/ naming it."""

from __future__ import annotations

import io
import logging

import pytest
from fastapi.testclient import TestClient

from chatbot.leads import tracker
from chatbot.messaging.platforms import deliver_all
from chatbot.team import roster
from entrypoints import config, doctor, logs
from entrypoints.cli.serve import configured_platforms
from entrypoints.platforms import PLATFORMS
from entrypoints.web import create_web_app, serve_platforms
from tests.helpers import incoming
from tests.plugin_platform.plugin import Pinboard

TOKEN = "pin-token-5531"


@pytest.fixture
def pinboard():
    return Pinboard()


@pytest.fixture
def settings(pinboard, tmp_path, monkeypatch):
    """Slack, Teams and Pinboard's variables in one class; only Pinboard configured."""
    monkeypatch.chdir(tmp_path)
    for name in config.Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("PINBOARD_TOKEN", TOKEN)
    monkeypatch.setenv("PINBOARD_BOARD", "showroom")
    return config.load(config.compose((*PLATFORMS, pinboard)))


def test_its_variables_are_read_with_everyone_elses_and_turn_it_on(settings, pinboard):
    assert (settings.pinboard_token, settings.pinboard_board, settings.port) == (TOKEN, "showroom", 3000)
    assert settings.chats() == [pinboard]
    assert TOKEN in settings.secrets()


def test_a_lead_for_its_team_reaches_its_chat_as_a_card(core, settings, pinboard):
    team = roster.create_team(core, name="Pinboard Motors", platform="pinboard", platform_team_id="board-1",
                              leads_channel="showroom")
    lead = tracker.ingest(core, team.id, incoming("Ana Ruiz")).lead_id
    platforms = configured_platforms(core, settings)

    delivered = deliver_all(core, platforms)

    assert (delivered.sent, platforms.describe()) == (1, "Delivering to Pinboard (board showroom).")
    ((to, card),) = pinboard.chat.sent
    assert (to.channel, card.lead_id, card.customer_name) == ("showroom", lead, "Ana Ruiz")


def test_its_route_is_served_beside_intake_and_health(core, settings):
    web = serve_platforms(create_web_app(core), core, settings)
    with TestClient(web) as client:
        assert client.get("/pinboard/hello").json() == {"board": "showroom"}
        assert client.get("/healthz").status_code == 200


def test_the_doctor_shows_its_line_with_the_token_masked(settings, pinboard, tmp_path):
    report = doctor.diagnose(f"sqlite:///{tmp_path / 'absent.db'}", chats=(*PLATFORMS, pinboard))
    lines = [line.render() for line in report.lines if line.check in ("Pinboard", "Slack", "Teams", "chat")]
    assert lines == ["✓ Pinboard: the token *** opens board showroom"]


def test_the_doctor_names_its_switch_when_no_chat_is_configured(settings, pinboard, tmp_path, monkeypatch):
    monkeypatch.delenv("PINBOARD_TOKEN")
    report = doctor.diagnose(f"sqlite:///{tmp_path / 'absent.db'}", chats=(*PLATFORMS, pinboard))
    (chat,) = [line.render() for line in report.lines if line.check == "chat"]
    assert chat == ("✓ chat: no chat configured: console only (set SLACK_BOT_TOKEN, TEAMS_APP_ID or PINBOARD_TOKEN "
                    "to reach a chat; leads are stored and wait in the outbox)")


def test_its_token_is_masked_in_the_logs(settings):
    stream = io.StringIO()
    handler = logs.configure(logging.INFO, stream=stream, secrets=settings.secrets())
    try:
        logging.getLogger("tests.plugin_platform").warning("board refused %s", TOKEN)
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger("uvicorn.access").handlers.clear()
    assert TOKEN not in stream.getvalue() and "board refused (redacted)" in stream.getvalue()
