"""The noisy neighbour: one API key floods the intake; do Slack's acks and other keys' leads still come quickly?

    PYTHONPATH=. python bench/flood.py                          # 300 requests/s for 20 s, PostgreSQL
    PYTHONPATH=. python bench/flood.py --rate 500 --seconds 20  # the issue's heavier flood
    options: --ack-rate 2  --other-rate 5  --client-timeout 5  --latency 0.25  --database-url URL|sqlite  --json

Processes as in production (Procfile): `chatbot web` and one `chatbot worker` on one database
(default: a fresh PostgreSQL database `bench_flood` on the local server; `sqlite`: a SQLite file),
Slack configured with one bot token (one workspace) and pointed at a fake Slack Web API process
(bench/chat_stack.py: calls checked against Slack's OpenAPI spec, one message a second per channel,
every answer after --latency seconds). Two rooftops of that workspace, each with its own leads
channel and intake API key: the flooding one (its key keeps its rate limit, 600 a minute by
default, unless --flood-key-rate says otherwise) and a quiet one.

While a process of its own sends the flooding key's JSON leads open-loop at --rate a second for
--seconds (each request on schedule, whatever the earlier ones got; a request not answered within
--client-timeout is given up, as a provider's client would), this process sends, open-loop too:
- Slack requests signed with the signing secret (as bench/slack_ack.py does) at --ack-rate a second,
  alternately a `/baseline 30d` slash command and a `reaction_added` event, to /slack/events;
- the quiet key's leads at --other-rate a second, to /intake/leads.
A few of each are sent first and not counted (the processes are long-lived in production).

Reported: the acks' and the quiet key's answers, p50/p99/max (ms) and how many were not 200/201;
the flooding key's answers by status (201, 429, ...), client-side timeouts and other failures, how
long its answers took (p50, p99), how many requests a second it really sent (from its first request
to its last: the sender shares the machine) and got answered (until its last answer); how many
intake requests the web process answered, over how many seconds, and the most in one second (its
access log); the CPU seconds the web process and the flooding sender used meanwhile (which of them
was the bottleneck); lines the web process logged at ERROR level, and tracebacks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.chat_stack import (  # noqa: E402
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
from chatbot.team import roster  # noqa: E402
from tests.fakes.slack_signing import fill, load_fixture, signed_request  # noqa: E402

LEADS = "C0LEADS01"  # the workspace's own team's channel: where the slash commands are typed
UNKNOWN_CARD = "1700000000.000100"  # reactions on a message that is no card: acked, then ignored


def lead_body(tag: str, n: int) -> dict:
    return {"source": "bench", "external_id": f"{tag}-{n}", "customer": {
        "name": f"Flood Customer {n}", "email": f"flood{n}@example.com",
        "phones": [{"number": f"312-555-{n % 10000:04d}", "type": "cell"}]},
        "vehicles": [{"year": 2022, "make": "Toyota", "model": "RAV4"}]}


async def on_schedule(rate: float, seconds: float, send) -> list:
    """Start `send(n)` at `rate` a second for `seconds`, each on time whatever the others do; their results."""
    start, tasks = now(), []
    for n in range(int(rate * seconds)):
        delay = start + n / rate - now()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send(n)))
    return await asyncio.gather(*tasks)


def flood(base: str, key: str, rate: float, seconds: float, client_timeout: float, results) -> None:
    """Child process: the flooding key's leads; puts (statuses, requests sent a second, answered a second,
    ms each answered request took, CPU seconds this sender used, wall seconds until its last answer)."""
    host, port = base.split("//", 1)[1].split(":")

    async def run() -> tuple[Counter, float, float, list[float], float, float]:
        tag, started, took, starts = f"FLOOD-{time.time_ns()}", now(), [], []

        async def one(n: int) -> str:
            sent = now()
            starts.append(sent)
            try:
                status, _ = await asyncio.wait_for(post_json(host, int(port), "/intake/leads", key,
                                                             lead_body(tag, n)), client_timeout)
            except asyncio.TimeoutError:
                return "client timeout"
            except (OSError, ValueError, IndexError) as exc:
                return type(exc).__name__
            took.append((now() - sent) * 1000)
            return str(status)

        statuses = Counter(await on_schedule(rate, seconds, one))
        answered = sum(count for status, count in statuses.items() if status.isdigit())
        sending = max(starts) - min(starts)
        cpu = resource.getrusage(resource.RUSAGE_SELF)
        return (statuses, len(starts) / sending if sending else 0.0, answered / (now() - started), took,
                cpu.ru_utime + cpu.ru_stime, now() - started)

    results.put(asyncio.run(run()))


def slack_request(slack, n: int, tag: str):
    """The n-th Slack request: a `/baseline 30d` command (even n) or a `reaction_added` event (odd n)."""
    user = f"U0BENCH{n % 40:03d}"
    if n % 2 == 0:
        payload = fill(load_fixture("bolt_slash_command_request_body.txt"), channel=LEADS, user=user,
                       team=slack.team_id, overrides={"command": "/baseline", "text": "30d",
                                                      "response_url": slack.response_url})
    else:
        payload = fill(load_fixture("docs_reaction_added_event_callback.json"), channel=LEADS, ts=UNKNOWN_CARD,
                       user=user, team=slack.team_id,
                       overrides={"event_id": f"Ev{tag}{n:06d}", "authorizations.0.team_id": slack.team_id,
                                  "authorizations.0.user_id": slack.bot_user_id})
    return signed_request(payload, SIGNING_SECRET)


async def measure(base: str, slack, quiet_key: str, ack_rate: float, other_rate: float, seconds: float,
                  tag: str) -> tuple[list, list]:
    """(ms, status) of each Slack ack and of each quiet-key lead, sent on schedule for `seconds`."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        async def ack(n: int) -> tuple[float, int | str]:
            request = slack_request(slack, n, tag)  # signed just before it goes, as Slack does
            started = now()
            try:
                response = await client.post("/slack/events", content=request.body.encode(), headers=request.headers)
            except httpx.HTTPError as exc:
                return (now() - started) * 1000, type(exc).__name__
            return (now() - started) * 1000, response.status_code

        async def lead(n: int) -> tuple[float, int | str]:
            started = now()
            try:
                response = await client.post("/intake/leads", json=lead_body(tag, n),
                                             headers={"Authorization": f"Bearer {quiet_key}"})
            except httpx.HTTPError as exc:
                return (now() - started) * 1000, type(exc).__name__
            return (now() - started) * 1000, response.status_code

        acks, leads = await asyncio.gather(on_schedule(ack_rate, seconds, ack), on_schedule(other_rate, seconds, lead))
    return acks, leads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=300.0, help="the flooding key's requests a second")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long the flood lasts")
    parser.add_argument("--ack-rate", type=float, default=2.0, help="Slack requests a second meanwhile")
    parser.add_argument("--other-rate", type=float, default=5.0, help="the quiet key's leads a second meanwhile")
    parser.add_argument("--client-timeout", type=float, default=5.0, help="the flooding sender gives up after (s)")
    parser.add_argument("--flood-key-rate", type=int, default=None,
                        help="the flooding key's limit (requests a minute); default: the key's default")
    parser.add_argument("--latency", type=float, default=0.25, help="seconds the fake Slack takes to answer each call")
    parser.add_argument("--database-url", default=None,
                        help="default: a fresh PostgreSQL database bench_flood on 127.0.0.1:5432; sqlite: a SQLite file")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()

    scratch = tempfile.TemporaryDirectory()
    url = scratch_database(args.database_url, "bench_flood", Path(scratch.name))
    core = bootstrap(url)
    keys = {}
    for name, workspace, channel in (("Flood Motors", "T0FLOOD01", "C0FLOOD01"), ("Quiet Motors", "T0QUIET01", "C0QUIET01")):
        team = roster.ensure_team(core, name=name, platform="slack", platform_team_id=workspace, leads_channel=channel,
                                  business_days="mon tue wed thu fri sat sun", opens_at="00:00", closes_at="23:59",
                                  timezone="UTC")
        keys[name] = apikeys.create_key(core, team.id, "bench-flood")
    if args.flood_key_rate:
        apikeys.set_rate(core, keys["Flood Motors"].prefix, args.flood_key_rate)
    core.engine.dispose()
    slack = FakeSlackProcess(args.latency, users=40)
    tag = f"Q{time.time_ns()}"
    try:
        env = {"SLACK_BOT_TOKEN": slack.info.token, "SLACK_SIGNING_SECRET": SIGNING_SECRET,
               "SLACK_API_URL": slack.info.base_url, "LEADS_CHANNEL": LEADS}
        with Procfile(url, env, Path(scratch.name), workers=1) as procs:
            warm_acks, warm_leads = asyncio.run(measure(procs.base, slack.info, keys["Quiet Motors"].key, 5, 5, 1,
                                                        tag + "W"))
            if any(status not in (200, 201) for _, status in warm_acks + warm_leads):
                raise RuntimeError(f"warm-up answered {warm_acks + warm_leads}:\n{procs.output()}")
            context = mp.get_context("spawn")
            results = context.Queue()
            sender = context.Process(target=flood, args=(procs.base, keys["Flood Motors"].key, args.rate, args.seconds,
                                                         args.client_timeout, results), daemon=True)
            web_cpu = procs.cpu_seconds("web")
            sender.start()
            acks, leads = asyncio.run(measure(procs.base, slack.info, keys["Quiet Motors"].key, args.ack_rate,
                                              args.other_rate, args.seconds, tag))
            statuses, sent_rate, answered_rate, took, sender_cpu, sender_wall = results.get(timeout=args.seconds + args.client_timeout + 120)
            sender.join(timeout=10)
            web_cpu = procs.cpu_seconds("web") - web_cpu
        served = procs.per_second("web", "path=/intake/leads")
        error_lines = procs.count("web", "level=error")
        tracebacks = procs.count("web", "Traceback")
        worker_errors = procs.count("worker-1", "level=error", "Traceback")
        report = slack.report()
    finally:
        slack.stop()
    scratch.cleanup()

    result = {
        "database": "postgresql" if url.startswith("postgres") else "sqlite", "rate": args.rate,
        "seconds": args.seconds, "latency_s": args.latency, "ack_rate": args.ack_rate, "other_rate": args.other_rate,
        "acks_ms": figures([ms for ms, _ in acks]), "acks_failed": sum(1 for _, s in acks if s != 200),
        "acks_over_3s": sum(1 for ms, _ in acks if ms > 3000),
        "other_leads_ms": figures([ms for ms, _ in leads]), "other_leads_failed": sum(1 for _, s in leads if s != 201),
        "flood_statuses": dict(statuses), "flood_sent_per_s": sent_rate, "flood_answered_per_s": answered_rate,
        "flood_answers_ms": figures(took),
        "sender_cpu_s": sender_cpu, "sender_wall_s": sender_wall, "web_cpu_s": web_cpu,
        "web_intake_answers": sum(served), "web_intake_seconds": len(served), "web_intake_peak_per_s": max(served, default=0),
        "web_error_lines": error_lines, "web_tracebacks": tracebacks, "worker_error_lines": worker_errors,
        "spec_violations": len(report["errors"]),
    }
    if args.json:
        print(json.dumps(result))
        return
    print(f"one key floods the intake at {args.rate:g} requests/s for {args.seconds:g} s (client timeout "
          f"{args.client_timeout:g} s); `chatbot web` + 1 `chatbot worker`; {database_name(url)}; Slack answers after "
          f"{args.latency:g} s")
    for name, values, failed in (("Slack acks", result["acks_ms"], result["acks_failed"]),
                                 ("quiet key's leads", result["other_leads_ms"], result["other_leads_failed"])):
        print(f"{name:18} ({values['n']}): p50 {values['p50']:.0f} ms, p99 {values['p99']:.0f} ms, "
              f"max {values['max']:.0f} ms; not answered 200/201: {failed}")
    took = result["flood_answers_ms"] or {"p50": 0, "p99": 0}
    print(f"flooding key: {dict(statuses.most_common())}; sent {sent_rate:.0f}/s, answered {answered_rate:.0f}/s "
          f"(until its last answer); its answers p50 {took['p50']:.0f} ms, p99 {took['p99']:.0f} ms")
    print(f"web log: {sum(served)} intake answers over {len(served)} s (peak {max(served, default=0)} in one second); "
          f"CPU meanwhile: web {web_cpu:.1f} s, flooding sender {sender_cpu:.1f} s, in {sender_wall:.1f} s")
    print(f"web log: {error_lines} ERROR lines, {tracebacks} tracebacks; worker: {worker_errors}; "
          f"spec violations: {result['spec_violations']}")


if __name__ == "__main__":
    main()
