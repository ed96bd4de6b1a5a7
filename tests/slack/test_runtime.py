"""How the Slack app runs: Socket Mode wiring, the worker loop, the CLI, the health check."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from slack_bolt.adapter.socket_mode import SocketModeHandler
from typer.testing import CliRunner

from adapters.slack.app import create_slack_app
from adapters.slack.chat import SlackChat, make_client
from adapters.slack.settings import SlackSettings
from adapters.slack.socket import socket_mode_handler
from chatbot.core import bootstrap
from chatbot.leads import tracker
from chatbot.messaging import outbox
from chatbot.messaging.platforms import Platforms
from chatbot.team import roster
from chatbot.worker import build_scheduler, look_for_lost_reactions, through, tick, tidy_card_copies
from entrypoints.cli import app as cli
from entrypoints.web import create_web_app
from tests.fakes.slack_web_api import FakeSlack
from tests.helpers import incoming

APP_TOKEN = "xapp-1-A0LEADAPP-1111-fakeapptoken"


@pytest.fixture
def fake():
    with FakeSlack() as running:
        yield running
        assert running.errors == []


def slack_team(core, fake) -> int:
    return roster.ensure_team(core, name="Fake Motors", platform="slack", platform_team_id=fake.team_id,
                              leads_channel="C0LEADS01").id


def test_socket_mode_handler_is_wired_to_the_app_and_the_app_token_without_connecting(core, fake):
    settings = SlackSettings(_env_file=None, slack_bot_token=fake.token, slack_app_token=APP_TOKEN,
                             slack_api_url=fake.base_url)
    app = create_slack_app(core, settings, make_client(fake.token, fake.base_url))  # no signing secret needed

    handler = socket_mode_handler(app, settings)
    try:
        assert isinstance(handler, SocketModeHandler)
        assert handler.app is app
        assert handler.client.app_token == APP_TOKEN
        assert handler.client.web_client.base_url == fake.base_url  # apps.connections.open goes to our API URL
        assert handler.handle in handler.client.socket_mode_request_listeners
        assert handler.client.current_session is None  # not connected
    finally:
        handler.client.close()
    # Bolt checked the bot token, and the app looked up its workspace (its team exists from the start)
    assert [c.method for c in fake.calls] == ["auth.test", "auth.test"]


def test_socket_mode_needs_the_app_token(core, fake):
    settings = SlackSettings(_env_file=None, slack_bot_token=fake.token, slack_signing_secret="s")
    app = create_slack_app(core, settings, make_client(fake.token, fake.base_url))
    with pytest.raises(ValueError, match="SLACK_APP_TOKEN"):
        socket_mode_handler(app, settings)


def test_http_without_a_signing_secret_is_refused(core, fake):
    settings = SlackSettings(_env_file=None, slack_bot_token=fake.token)
    with pytest.raises(ValueError, match="SLACK_SIGNING_SECRET"):
        create_slack_app(core, settings, make_client(fake.token, fake.base_url))


def test_a_worker_tick_escalates_and_delivers(core, fake):
    team_id = slack_team(core, fake)
    tracker.ingest(core, team_id, incoming())
    chat = through(SlackChat(make_client(fake.token, fake.base_url)))

    first = tick(core, chat)
    core.clock.advance(timedelta(minutes=6))  # the 5-minute claim window lapses
    second = tick(core, chat)

    assert (first.escalations, first.delivery.sent) == (0, 1)
    assert second.escalations == 1 and second.delivery.sent >= 2  # the thread nudge and the card update
    (card, nudge) = fake.messages["C0LEADS01"]
    assert nudge["thread_ts"] == card["ts"] and "Nobody has claimed Maria Gonzalez" in nudge["text"]


def test_the_scheduler_runs_the_tick_the_reaction_lookout_and_the_card_tidy_each_one_at_a_time(core, fake):
    scheduler = build_scheduler(core, through(SlackChat(make_client(fake.token, fake.base_url))))
    (job, lookout, tidy) = scheduler.get_jobs()
    assert job.func is tick and job.trigger.interval == timedelta(seconds=5)
    assert lookout.func is look_for_lost_reactions and lookout.trigger.interval == timedelta(seconds=20)
    assert tidy.func is tidy_card_copies and tidy.trigger.interval == timedelta(seconds=20)
    assert {(j.max_instances, j.coalesce) for j in (job, lookout, tidy)} == {(1, True)}
    assert not scheduler.running


def test_cli_worker_once_delivers_what_is_queued(tmp_path, fake, monkeypatch):
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    core = bootstrap(url)
    tracker.ingest(core, slack_team(core, fake), incoming())
    monkeypatch.setenv("SLACK_BOT_TOKEN", fake.token)
    monkeypatch.setenv("SLACK_API_URL", fake.base_url)

    result = CliRunner().invoke(cli, ["worker", "--once", "--database-url", url])

    assert result.exit_code == 0, result.output
    assert "1 sent, 0 failed" in result.output
    assert outbox.pending_count(core) == 0 and len(fake.messages["C0LEADS01"]) == 1


def test_health_check_and_no_slack_routes_without_slack(core):
    web = TestClient(create_web_app(core, Platforms()))
    assert web.get("/healthz").json() == {"ok": True}
    assert web.post("/slack/events", content=b"{}").status_code == 404


def test_chatbot_web_serves_slack_over_real_http(tmp_path, fake):
    """The Procfile's web line, as a process: uvicorn on a loopback port, a signed request in."""
    import os
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    import httpx

    from tests.fakes.slack_signing import load_fixture, signed_request

    url = f"sqlite:///{tmp_path / 'web.db'}"
    bootstrap(url)  # the release step: migrations
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "SLACK_BOT_TOKEN": fake.token, "SLACK_SIGNING_SECRET": "s3cret",
           "SLACK_API_URL": fake.base_url, "DATABASE_URL": url}
    server = subprocess.Popen([sys.executable, "-m", "entrypoints.cli", "web", "--host", "127.0.0.1", "--port", str(port)],
                              cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(base + "/healthz", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise AssertionError(server.stdout.read().decode() if server.poll() is not None else "no start")
                time.sleep(0.1)
        challenge = load_fixture("bolt_url_verification.json")
        signed = signed_request(challenge, "s3cret")
        answer = httpx.post(base + "/slack/events", content=signed.body.encode(), headers=signed.headers)
        forged = signed_request(challenge, "wrong")
        refused = httpx.post(base + "/slack/events", content=forged.body.encode(), headers=forged.headers)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert health.json() == {"ok": True}
    assert answer.json()["challenge"] == challenge["challenge"]
    assert refused.status_code == 401
