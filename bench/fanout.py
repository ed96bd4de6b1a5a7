"""The 9:00 rush: N rooftops each get a lead at the same moment; how soon is each card in its channel?

    PYTHONPATH=. python bench/fanout.py                                # 300 rooftops, 1 worker, PostgreSQL
    PYTHONPATH=. python bench/fanout.py --rooftops 3000 --workers 3    # issue 20's second goal
    options: --latency 0.25  --database-url URL|sqlite  --connections 500  --drain 300  --json

Processes as in production (Procfile): `chatbot web` (whose Courier delivers too, woken by each
stored lead) and `--workers` x `chatbot worker`, on one database (default: a fresh PostgreSQL
database `bench_fanout` on the local server, as bench/run_all.py makes them; `sqlite`: a SQLite
file), Slack configured for many workspaces (OAuth: SLACK_CLIENT_ID, SECRET_KEYS). Each rooftop
is its own team in its own Slack workspace, with its own bot token (its installation stored
encrypted, as an install through /slack/install leaves it), its own leads channel and its own
intake API key. Every workspace is served by one fake Slack Web API process (bench/chat_stack.py:
each call checked against Slack's OpenAPI spec, one message a second per channel enforced with
429s) that answers every call after --latency seconds.

One warm-up lead (a rooftop of its own) is sent and its card awaited first: production's
processes are long-lived. Then every rooftop's lead is posted at once (up to --connections
requests in flight, each on a connection of its own, as separate providers would), each with its
rooftop's key. Times are CLOCK_MONOTONIC,
shared by the processes: a card's time is when the fake stored it in the channel (its answer to
the worker leaves --latency later).

Reported: per lead, intake 201 answered -> card stored: p50, p99, max; the seconds from the first
card to the last, and from the first request sent to the last card; the intake answers (p50, p99);
cards posted of N, duplicates (a lead with more than one card), order problems (a channel whose
first top-level message is not its lead's card), Slack's 429s for pace, spec violations, and
lines logged at ERROR (or with a traceback) by the processes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.chat_stack import (  # noqa: E402
    SECRET_KEYS,
    SIGNING_SECRET,
    FakeSlackProcess,
    Procfile,
    database_name,
    figures,
    now,
    post_json,
    scratch_database,
)
from chatbot.core import bootstrap  # noqa: E402
from chatbot.intake import apikeys  # noqa: E402
from chatbot.secret_keys import SecretKeys  # noqa: E402
from chatbot.team import roster  # noqa: E402


def rooftops(core, count: int, slack) -> list[tuple[str, str]]:
    """`count` + 1 rooftops (the last is the warm-up's): each a Slack workspace installed through OAuth
    with its own bot token, a team open all day with its own leads channel, and an intake key.
    (leads channel, API key) of each."""
    from slack_sdk.oauth.installation_store import Installation

    from adapters.slack.oauth import installation_store

    store = installation_store(core.engine, slack.client_id, SecretKeys.parse(SECRET_KEYS))
    made = []
    for n in range(count + 1):
        workspace, channel = f"T0FAN{n:05d}", f"C0FAN{n:05d}"
        team = roster.ensure_team(core, name=f"Fan-out Motors {n}", platform="slack", platform_team_id=workspace,
                                  leads_channel=channel, business_days="mon tue wed thu fri sat sun",
                                  opens_at="00:00", closes_at="23:59", timezone="UTC")
        store.save(Installation(app_id=slack.app_id, team_id=workspace, bot_token=token(n), bot_id=slack.bot_id,
                                bot_user_id=slack.bot_user_id, bot_scopes=["chat:write"], user_id="U0INSTALL1"))
        made.append((channel, apikeys.create_key(core, team.id, "bench-fanout").key))
    return made


def token(n: int) -> str:
    return f"xoxb-{n:05d}-2222-fanoutfanoutfanout"


def lead_body(run: int, n: int) -> dict:
    return {"source": "bench", "external_id": f"F-{run}-{n}", "customer": {
        "name": f"Rush Customer {n}", "email": f"rush{n}@example.com",
        "phones": [{"number": f"312-555-{n % 10000:04d}", "type": "cell"}]},
        "vehicles": [{"year": 2022, "make": "Toyota", "model": "RAV4"}]}


async def send_all(base: str, keys: list[str], connections: int) -> list[dict]:
    """One lead per key, all at once (at most `connections` in flight); per request: key index,
    started, answered, status, lead id."""
    run, host, port = time.time_ns(), *base.split("//", 1)[1].split(":")
    gate = asyncio.Semaphore(connections)

    async def one(n: int, key: str) -> dict:
        async with gate:
            started = now()
            try:
                status, body = await post_json(host, int(port), "/intake/leads", key, lead_body(run, n))
            except (OSError, ValueError, IndexError) as exc:
                return {"n": n, "started": started, "answered": now(), "status": type(exc).__name__}
            lead = json.loads(body).get("lead_id") if status == 201 else None
            return {"n": n, "started": started, "answered": now(), "status": status, "lead": lead}

    return await asyncio.gather(*(one(n, key) for n, key in enumerate(keys)))


def wait_for_cards(slack: FakeSlackProcess, leads: set[int], drain: float) -> dict:
    """The fake's report once every lead in `leads` has a card (or after `drain` s), 2 s later
    (a card posted twice would show by then)."""
    give_up = now() + drain
    while now() < give_up:
        report = slack.report()
        if leads <= {lead for _, _, lead in report["landed"]}:
            break
        time.sleep(0.5)
    time.sleep(2.0)
    return slack.report()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooftops", type=int, default=300)
    parser.add_argument("--workers", type=int, default=1, help="`chatbot worker` processes (besides the web's Courier)")
    parser.add_argument("--latency", type=float, default=0.25, help="seconds the fake Slack takes to answer each call")
    parser.add_argument("--connections", type=int, default=500, help="requests in flight at most")
    parser.add_argument("--drain", type=float, default=300.0, help="seconds to wait for the last card")
    parser.add_argument("--database-url", default=None,
                        help="default: a fresh PostgreSQL database bench_fanout on 127.0.0.1:5432; sqlite: a SQLite file")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()

    scratch = tempfile.TemporaryDirectory()
    url = scratch_database(args.database_url, "bench_fanout", Path(scratch.name))
    core = bootstrap(url)
    slack = FakeSlackProcess(args.latency, [token(n) for n in range(args.rooftops + 1)])
    try:
        made = rooftops(core, args.rooftops, slack.info)
        core.engine.dispose()
        env = {"SLACK_CLIENT_ID": slack.info.client_id, "SLACK_CLIENT_SECRET": slack.info.client_secret,
               "SECRET_KEYS": SECRET_KEYS, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_API_URL": slack.info.base_url}
        with Procfile(url, env, Path(scratch.name), args.workers) as procs:
            warm = asyncio.run(send_all(procs.base, [made[-1][1]], 1))[0]
            if warm["status"] != 201:
                raise RuntimeError(f"the warm-up lead was answered {warm['status']}:\n{procs.output()}")
            wait_for_cards(slack, {warm["lead"]}, 60)
            sent = asyncio.run(send_all(procs.base, [key for _, key in made[:-1]], args.connections))
            stored = {r["lead"]: r for r in sent if r["status"] == 201}
            report = wait_for_cards(slack, set(stored), args.drain)
        errors = sum(procs.count(name, "level=error", "Traceback") for name in procs.names)
    finally:
        slack.stop()

    cards: dict[int, list[float]] = {}
    for when, _, lead in report["landed"]:
        cards.setdefault(lead, []).append(when)
    to_card = [min(cards[lead]) - r["answered"] for lead, r in stored.items() if lead in cards]
    landed = [min(cards[lead]) for lead in stored if lead in cards]
    channels = {channel for channel, _ in made[:-1]}
    order = sum(1 for channel, firsts in report["channels"].items()
                if channel in channels and firsts and firsts[0] is None)
    result = {
        "database": "postgresql" if url.startswith("postgres") else "sqlite", "rooftops": args.rooftops,
        "workers": args.workers, "latency_s": args.latency, "workspaces": args.rooftops,
        "stored": len(stored), "failed_requests": len(sent) - len(stored),
        "failed_statuses": sorted({str(r["status"]) for r in sent if r["status"] != 201}),
        "posted": len(to_card), "to_card_s": figures(to_card),
        "to_answer_ms": figures([(r["answered"] - r["started"]) * 1000 for r in stored.values()]),
        "first_to_last_card_s": (max(landed) - min(landed)) if landed else None,
        "first_sent_to_last_card_s": (max(landed) - min(r["started"] for r in sent)) if landed else None,
        "duplicates": sum(len(times) - 1 for lead, times in cards.items() if lead in stored),
        "order_problems": order, "rate_limited": report["rate_limited"], "spec_violations": len(report["errors"]),
        "error_lines": errors, "slack_calls": report["methods"],
    }
    scratch.cleanup()
    if args.json:
        print(json.dumps(result))
        return
    print(f"{args.rooftops} rooftops (each its own Slack workspace and leads channel), one lead each at once; "
          f"`chatbot web` + {args.workers} `chatbot worker`; {database_name(url)}; Slack answers after "
          f"{args.latency:g} s")
    print(f"cards posted: {result['posted']} of {result['stored']} stored ({result['failed_requests']} requests "
          f"failed {result['failed_statuses']}); duplicates: {result['duplicates']}; order problems: {order}; "
          f"Slack 429s for pace: {result['rate_limited']}; spec violations: {result['spec_violations']}; "
          f"ERROR lines: {errors}")
    if to_card:
        f = result["to_card_s"]
        print(f"intake 201 -> card stored: p50 {f['p50']:.2f} s, p99 {f['p99']:.2f} s, max {f['max']:.2f} s; "
              f"first card -> last card {result['first_to_last_card_s']:.1f} s; "
              f"first request sent -> last card {result['first_sent_to_last_card_s']:.1f} s")
    a = result["to_answer_ms"]
    if a:
        print(f"intake answer (201): p50 {a['p50']:.0f} ms, p99 {a['p99']:.0f} ms, max {a['max']:.0f} ms")
    print(f"Slack calls: {result['slack_calls']}")


if __name__ == "__main__":
    main()
