"""`chatbot worker`, `chatbot web` and `chatbot sweep` with no chat configured: they run, say so
in one line, store leads and keep their messages in the outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from chatbot.core import bootstrap
from chatbot.domain.clock import ManualClock, SystemClock
from chatbot.messaging.outbox import pending_count
from chatbot.store.db import transaction
from chatbot.store.models import Escalation
from chatbot.team import roster
from entrypoints.cli import app
from tests.helpers import new_lead

NO_CHAT = ("No chat is configured (set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET for Slack, or TEAMS_APP_ID and "
           "TEAMS_APP_PASSWORD for Teams): leads are stored and wait in the outbox.")
runner = CliRunner()


@pytest.fixture
def db(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no .env from the project
    for name in ("DATABASE_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID",
                 "SLACK_CLIENT_SECRET", "SLACK_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return f"sqlite:///{tmp_path / 'nochat.db'}"


def a_lead_an_hour_ago(db):
    """A lead that came in an hour ago by the real clock (the CLI's), never posted: it has lapsed."""
    core = bootstrap(db, ManualClock(SystemClock().now() - timedelta(hours=1)))
    team = roster.create_team(core, name="Demo Motors", platform="api", platform_team_id="demo-motors")
    new_lead(core, team)
    return core


def escalations(core) -> int:
    with transaction(core.engine) as session:
        return session.scalar(select(func.count()).select_from(Escalation))


def test_the_worker_starts_with_no_chat_configured_and_says_so(db):
    core = a_lead_an_hour_ago(db)

    result = runner.invoke(app, ["worker", "--once", "--database-url", db])

    assert result.exit_code == 0, result.output
    fired, waiting = escalations(core), pending_count(core)
    assert fired >= 1 and waiting >= 2  # the card and at least one nudge, none of them sent
    assert result.stdout == f"{NO_CHAT}\n{fired} escalation(s); 0 sent, 0 failed, {waiting} waiting.\n"


def test_sweep_with_no_chat_says_the_escalations_were_recorded_and_their_messages_wait(db):
    core = a_lead_an_hour_ago(db)

    result = runner.invoke(app, ["sweep", "--database-url", db])

    assert result.exit_code == 0, result.output
    fired, waiting = escalations(core), pending_count(core)
    assert fired >= 1 and waiting >= 2
    assert result.stdout == (f"{fired} escalation(s) recorded. No chat is configured (set SLACK_BOT_TOKEN and "
                             f"SLACK_SIGNING_SECRET for Slack, or TEAMS_APP_ID and TEAMS_APP_PASSWORD for Teams): "
                             f"their messages wait in the outbox "
                             f"({waiting} message(s) waiting).\n")


def test_the_web_app_starts_with_no_chat_configured_says_so_and_stores_leads(db, monkeypatch):
    bootstrap(db)  # the release step: migrations
    served = {}
    monkeypatch.setattr(uvicorn, "run", lambda web_app, **options: served.update(app=web_app, **options))

    result = runner.invoke(app, ["web", "--port", "3999", "--database-url", db])

    assert result.exit_code == 0, result.output
    assert result.stdout == (NO_CHAT + "\n"
                             "/metrics answers anyone who can reach this port (no METRICS_TOKEN): keep the port private.\n")
    assert served["port"] == 3999
    with TestClient(served["app"]) as http:
        assert http.get("/healthz").json() == {"ok": True}
        assert http.post("/slack/events", content=b"{}").status_code == 404


def test_the_worker_serves_its_metrics_and_stops_cleanly_on_sigterm(db, tmp_path):
    """A platform restarts a worker with SIGTERM: it stops between deliveries and exits 0; with
    --metrics-port it serves its own /metrics meanwhile (its chat API errors live in it)."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    import httpx

    assert runner.invoke(app, ["db", "upgrade", "--database-url", db]).exit_code == 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    worker = subprocess.Popen([sys.executable, "-m", "entrypoints.cli", "worker", "--database-url", db,
                               "--metrics-port", str(port)], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        metrics = None
        for _ in range(100):
            try:
                metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1).text
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert metrics is not None and "chatbot_outbox_depth 0.0" in metrics
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=15) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
