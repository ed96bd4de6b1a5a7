"""Delivery through a Slack outage: N leads arrive while Slack fails, then Slack comes back.

    PYTHONPATH=. python bench/outage.py                          # 20 leads during 60 s of HTTP 503
    PYTHONPATH=. python bench/outage.py --leads 20 --seconds 300 # issue 9: a lead every 15 s for 5 min
    PYTHONPATH=. python bench/outage.py --fault slow             # Slack posts but answers after the timeout
    options: --fault 503|500|429|slow|refused  --client-timeout 2  --database-url ...

Processes as in production: the fake Slack Web API (tests/fakes/slack_web_api.py, every call
checked against Slack's OpenAPI spec, Slack's per-channel posting limit enforced) runs in its
own process; this process is the web app's side: it stores each lead (the same use case the
intake API calls) and wakes the Courier, which posts through the real SlackChat and WebClient
over HTTP. Leads arrive evenly through the outage; then the fault ends and nothing else happens:
no tick, no wake. Times are CLOCK_MONOTONIC, shared by the processes.

Reported: cards posted (of N), duplicates (a lead with more than one card in the channel),
order violations (cards in the channel not in arrival order: pairs of neighbours out of order),
Slack's 429s for going too fast, and the seconds from recovery to the last card.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing as mp
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.slack.chat import SlackChat, make_client  # noqa: E402
from chatbot.core import bootstrap  # noqa: E402
from chatbot.leads import tracker  # noqa: E402
from chatbot.messaging.outbox import pending_count  # noqa: E402
from chatbot.messaging.platforms import Platforms  # noqa: E402
from chatbot.team import roster  # noqa: E402
from chatbot.worker import Courier  # noqa: E402
from tests.fakes.slack_web_api import FakeSlack  # noqa: E402
from tests.helpers import incoming  # noqa: E402

CHANNEL = "C0LEADS01"


def now() -> float:
    return time.clock_gettime(time.CLOCK_MONOTONIC)


class TimedSlack(FakeSlack):
    """FakeSlack noting when each card landed in the channel."""

    def __init__(self) -> None:
        super().__init__()
        self.landed: list[tuple[float, int]] = []

    def _m_chat_postMessage(self, args, headers):
        served = super()._m_chat_postMessage(args, headers)
        metadata = args.get("metadata") or {}
        if served["channel"] == CHANNEL and not args.get("thread_ts") and metadata.get("event_type") == "lead_card":
            self.landed.append((now(), metadata["event_payload"]["lead_id"]))
        return served


def serve_fake_slack(connection, fault: str, client_timeout: float) -> None:
    """Child process: the fake Web API; the parent says when the fault starts and ends."""
    fake = TimedSlack().start()
    fake.pace()  # Slack's per-channel limit: 429 for a client that posts too fast
    fake.messages[CHANNEL] = []
    connection.send({"token": fake.token, "base_url": fake.base_url})
    while True:
        command = connection.recv()
        if command == "fault":
            if fault == "slow":
                fake.answer_delay = client_timeout + 1.0  # served, then answered too late
            elif fault == "refused":
                port = fake._server.server_address[1]
                fake.stop()  # nothing listens: connections are refused
            else:
                fake.outage_status = int(fault)
        elif command == "recover":
            fake.answer_delay, fake.outage_status = 0.0, None
            if fault == "refused":
                fake.start(port)
        elif command == "report":
            with fake.lock:
                connection.send({"landed": list(fake.landed), "rate_limited": fake.rate_limited,
                                 "errors": [(e.method, e.error) for e in fake.errors]})
        elif command == "stop":
            fake.stop()
            return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the fault lasts")
    parser.add_argument("--fault", default="503", choices=["503", "500", "429", "slow", "refused"])
    parser.add_argument("--client-timeout", type=int, default=2, help="the WebClient's timeout (s)")
    parser.add_argument("--drain", type=float, default=120.0, help="seconds to wait for the backlog after recovery")
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file in a temp directory")
    parser.add_argument("--log", action="store_true", help="show the delivery log lines")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if args.log else logging.ERROR, format="%(message)s")
    logging.getLogger("sqlalchemy").setLevel(logging.WARNING)

    scratch = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{scratch.name}/bench.db"
    core = bootstrap(url)
    team = roster.ensure_team(core, name="Bench Motors", platform="slack", platform_team_id="T0BENCH",
                              leads_channel=CHANNEL, business_days="mon tue wed thu fri sat sun",
                              opens_at="00:00", closes_at="23:59")
    parent, child = mp.Pipe()
    fake_process = mp.get_context("spawn").Process(target=serve_fake_slack, args=(child, args.fault,
                                                                                 args.client_timeout), daemon=True)
    fake_process.start()
    slack = parent.recv()
    chat = SlackChat(make_client(slack["token"], slack["base_url"], timeout=args.client_timeout))
    courier = Courier(core, Platforms.of(slack=lambda t: chat))
    courier.start()

    run = time.time_ns()
    arrived: list[int] = []
    parent.send("fault")
    started = now()
    for n in range(args.leads):
        delay = started + n * args.seconds / args.leads - now()
        if delay > 0:
            time.sleep(delay)
        arrived.append(tracker.ingest(core, team.id, incoming(
            f"Bench Customer {n}", source="bench", external_id=f"O-{run}-{n}", phone=f"(312) 555-{n:04d}",
            email=f"bench{n}@example.com")).lead_id)
        courier.wake()  # as the intake API does after each stored lead
    time.sleep(max(0.0, started + args.seconds - now()))
    parent.send("recover")
    recovered = now()
    deadline = recovered + args.drain
    while now() < deadline and pending_count(core, team.id):
        time.sleep(0.1)
    time.sleep(1.0)
    parent.send("report")
    report = parent.recv()
    courier.stop()
    parent.send("stop")
    fake_process.join(timeout=10)

    landed = report["landed"]
    order = [lead for _, lead in landed]
    cards = {lead for lead in order}
    duplicates = len(order) - len(cards)
    rank = {lead: i for i, lead in enumerate(arrived)}
    first_seen = list(dict.fromkeys(order))
    violations = sum(1 for a, b in zip(first_seen, first_seen[1:]) if rank[a] > rank[b])
    before = sum(1 for t, _ in landed if t < recovered)
    last = max((t for t, _ in landed), default=recovered)
    if args.json:
        print(json.dumps({"fault": args.fault, "seconds": args.seconds, "leads": args.leads, "posted": len(cards),
                          "during_fault": before, "duplicates": duplicates, "order_violations": violations,
                          "rate_limited": report["rate_limited"], "still_queued": pending_count(core, team.id),
                          "spec_violations": len(report["errors"]), "recovery_to_last_s": last - recovered}))
        scratch.cleanup()
        return
    print(f"fault {args.fault} for {args.seconds:g} s, {args.leads} leads arriving through it "
          f"(client timeout {args.client_timeout} s); database {url.split('@')[-1].split('/')[-1]}")
    print(f"cards posted: {len(cards)} of {args.leads} ({before} during the fault); duplicates: {duplicates}; "
          f"order violations: {violations}; Slack 429s for pace: {report['rate_limited']}; "
          f"still queued: {pending_count(core, team.id)}; spec violations: {len(report['errors'])}")
    print(f"recovery -> last card: {last - recovered:.1f} s")
    scratch.cleanup()


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
