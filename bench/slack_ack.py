"""Ack latency of the Slack endpoint: the real web app against a bare Bolt app, same run.

Both are served by uvicorn on loopback ports through the same `create_web_app` route (so the
HTTP stack, signature check and thread-pool hop are identical); the bare app's listeners only
ack. Requests are signed like Slack's and sent one at a time by one httpx client. What the
real app adds is its own work before the ack: the once-per-event insert for events (the
/baseline figures are computed after the ack), plus whatever its listeners' background work
costs the process meanwhile.

    PYTHONPATH=. /work/venv/bin/python bench/slack_ack.py [-n 300] [--database-url URL] [--json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
import uvicorn
from slack_bolt import App

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.slack.app import create_slack_app  # noqa: E402
from adapters.slack.chat import make_client  # noqa: E402
from adapters.slack.services import SlackServices, register_slack  # noqa: E402
from adapters.slack.settings import SlackSettings  # noqa: E402
from adapters.slack.web import mount_slack
from chatbot.core import bootstrap  # noqa: E402
from chatbot.leads import tracker  # noqa: E402
from chatbot.messaging.platforms import Platforms  # noqa: E402
from chatbot.store.db import transaction  # noqa: E402
from chatbot.store.models import Lead  # noqa: E402
from entrypoints.web import create_web_app  # noqa: E402
from tests.fakes.slack_signing import fill, load_fixture, signed_request  # noqa: E402
from tests.fakes.slack_web_api import FakeSlack  # noqa: E402
from tests.helpers import incoming  # noqa: E402

SECRET = "bench-signing-secret"
LEADS = "C0LEADS01"


class Served:
    """A uvicorn server on 127.0.0.1:<free port> in a thread."""

    def __init__(self, asgi_app) -> None:
        self.server = uvicorn.Server(uvicorn.Config(asgi_app, host="127.0.0.1", port=0, log_level="warning",
                                                    lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/slack/events"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def bare_bolt_app(client) -> App:
    app = App(client=client, signing_secret=SECRET, process_before_response=False)
    app.command("/baseline")(lambda ack: ack())
    app.event("reaction_added")(lambda: None)
    return app


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def serve_fake_slack(connection) -> None:
    """Child process: run FakeSlack with 40 reps until the parent says stop."""
    with FakeSlack() as fake:
        for i in range(40):
            fake.add_user(f"U0BENCH{i:03d}", profile={"display_name": f"Rep {i}"}, is_admin=False)
        connection.send({"token": fake.token, "base_url": fake.base_url, "team_id": fake.team_id,
                         "bot_user_id": fake.bot_user_id, "response_url": fake.response_url})
        connection.recv()


def measure(http: httpx.Client, url: str, payloads: list[dict], rate: float = 0) -> list[float]:
    """Ack times in ms; with `rate`, requests start at most `rate` a second (0: back to back)."""
    out = []
    for payload in payloads:
        request = signed_request(payload, SECRET)
        if rate and out:
            time.sleep(max(0.0, 1 / rate - out[-1] / 1000))
        started = time.perf_counter()
        response = http.post(url, content=request.body.encode(), headers=request.headers)
        out.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}: {response.text}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300, help="requests per endpoint and kind")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    parser.add_argument("--rate", type=float, default=20,
                        help="requests a second (default 20, far above a dealership's peak); 0: back to back")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    core = bootstrap(url)

    # The fake Slack runs in its own process: its request checking is Slack's work, not ours,
    # and must not compete with the web app for this process's interpreter lock.
    parent, child = mp.get_context("spawn").Pipe()
    fake_process = mp.get_context("spawn").Process(target=serve_fake_slack, args=(child,), daemon=True)
    fake_process.start()
    fake = SimpleNamespace(**parent.recv())
    try:
        client = make_client(fake.token, fake.base_url)
        settings = SlackSettings(_env_file=None, slack_bot_token=fake.token, slack_signing_secret=SECRET,
                                 slack_api_url=fake.base_url, leads_channel=LEADS)
        services = SlackServices(core, settings, workspace=fake.team_id)
        team_id = services.team_id(fake.team_id)
        lead_id = tracker.ingest(core, team_id, incoming()).lead_id
        services.deliver(client)
        with transaction(core.engine) as session:
            card_ts = session.get(Lead, lead_id).chat_message_id

        def command(i: int) -> dict:
            return fill(load_fixture("bolt_slash_command_request_body.txt"), channel=LEADS, user=f"U0BENCH{i % 40:03d}",
                        team=fake.team_id, overrides={"command": "/baseline", "text": "30d",
                                                      "response_url": fake.response_url})

        def reaction(tag: str, i: int) -> dict:
            return fill(load_fixture("docs_reaction_added_event_callback.json"), channel=LEADS, ts=card_ts,
                        user=f"U0BENCH{i % 40:03d}", team=fake.team_id,
                        overrides={"event_id": f"Ev{tag}{i:06d}", "authorizations.0.team_id": fake.team_id,
                                   "authorizations.0.user_id": fake.bot_user_id})

        platforms = register_slack(Platforms(), core, settings, client)
        ours = mount_slack(create_web_app(core, platforms), create_slack_app(core, settings, client))
        bare = mount_slack(create_web_app(core, platforms), bare_bolt_app(client))
        results: dict[tuple[str, str], list[float]] = {}
        with Served(ours) as ours_url, Served(bare) as bare_url, httpx.Client(timeout=10) as http:
            for name, endpoint in (("bare Bolt", bare_url), ("create_web_app", ours_url)):  # warm up
                measure(http, endpoint, [command(i) for i in range(20)] + [reaction(f"W{name[0]}", i) for i in range(20)])
            time.sleep(1)
            for kind in ("/baseline", "reaction_added"):
                for name, endpoint in (("bare Bolt", bare_url), ("create_web_app", ours_url)):
                    payloads = ([command(i) for i in range(args.n)] if kind == "/baseline"
                                else [reaction(f"{name[0]}{kind[0]}", i) for i in range(args.n)])
                    results[(kind, name)] = measure(http, endpoint, payloads, args.rate)
                    time.sleep(1)  # let the listeners' background work drain
    finally:
        parent.send("stop")
        fake_process.join(timeout=10)

    if args.json:
        kinds = ("/baseline", "reaction_added")
        print(json.dumps({
            "database": "sqlite" if url.startswith("sqlite") else "postgresql", "n": args.n, "rate": args.rate,
            "rows": [{"request": kind, "app": name, "p50_ms": statistics.median(values),
                      "p99_ms": percentile(values, 99), "max_ms": max(values)} for (kind, name), values in results.items()],
            "ratios": {kind: {"p50": statistics.median(results[(kind, "create_web_app")])
                              / statistics.median(results[(kind, "bare Bolt")]),
                              "p99": percentile(results[(kind, "create_web_app")], 99)
                              / percentile(results[(kind, "bare Bolt")], 99)} for kind in kinds}}))
        return
    print(f"Slack ack latency, {args.n} sequential requests each at {args.rate or 'max'}/s, {os.cpu_count()} cores, "
          f"{'SQLite file' if url.startswith('sqlite') else 'PostgreSQL'}")
    print("| request | app | p50 ms | p99 ms | max ms |")
    print("| --- | --- | ---: | ---: | ---: |")
    for (kind, name), values in results.items():
        print(f"| {kind} | {name} | {statistics.median(values):.2f} | {percentile(values, 99):.2f} | "
              f"{max(values):.2f} |")
    for kind in ("/baseline", "reaction_added"):
        ours_v, bare_v = results[(kind, "create_web_app")], results[(kind, "bare Bolt")]
        print(f"{kind}: p50 ratio {statistics.median(ours_v) / statistics.median(bare_v):.2f}x, "
              f"p99 ratio {percentile(ours_v, 99) / percentile(bare_v, 99):.2f}x (create_web_app / bare Bolt)")


if __name__ == "__main__":
    main()
