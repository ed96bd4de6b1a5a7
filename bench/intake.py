"""Intake latency: from a provider's POST to the moment the chat post() is issued.

    PYTHONPATH=. python bench/intake.py                       # 50 leads/s for 20 s, SQLite file
    PYTHONPATH=. python bench/intake.py --rate 50 --seconds 20 --database-url postgresql://postgres@127.0.0.1/bench

Real HTTP on loopback, and the processes production has (Procfile `web` and `worker`):
- web: uvicorn serving the intake router, in its own process;
- worker: the outbox sender, in its own process (or, with --courier, a thread of the web
  process, as `chatbot run` deploys it), woken by the router's `on_stored` hook
  (a multiprocessing Event; it also looks every 0.5 s), posting to a fake chat port that
  records, per lead, when post() was called with its card;
- this process: an httpx AsyncClient sending JSON leads open-loop at a fixed rate (each
  request starts on schedule, not when the previous one answered, so a slow server shows up
  as latency instead of hiding as a lower rate).
Times are CLOCK_MONOTONIC, the same clock in every process.

Reported: p50/p90/p99/max of (post() issued - request started), and of the HTTP answer alone
(--json: the same as one JSON object, for bench/run_all.py). The first `--warmup` seconds of
leads (2 s by default, sent at the same rate) are not counted: production's processes are
long-lived, and a fresh one's first requests pay for its connections and first-use imports
(about 150 ms for the first card, falling to normal within 0.3 s on this machine).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing as mp
import statistics
import sys
import tempfile
import threading
import time
from itertools import count
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters.intake_api import intake_router  # noqa: E402
from chatbot.core import bootstrap  # noqa: E402
from chatbot.intake import apikeys  # noqa: E402
from chatbot.messaging import outbox  # noqa: E402
from chatbot.messaging.ports import MessageRef  # noqa: E402
from chatbot.messaging.views import LeadCard  # noqa: E402
from chatbot.team import roster  # noqa: E402
from chatbot.worker import Courier, through  # noqa: E402


def now() -> float:
    return time.clock_gettime(time.CLOCK_MONOTONIC)


class TimingChat:
    """A chat port that notes when each lead's card was posted."""

    def __init__(self) -> None:
        self.posted: dict[int, float] = {}
        self._ids = count(1)

    def post(self, to, view) -> MessageRef:
        if isinstance(view, LeadCard):
            self.posted.setdefault(view.lead_id, now())
        return MessageRef("leads", f"{next(self._ids)}.0001")

    def update(self, ref, view) -> None:
        pass


def worker(url: str, wake, stop, results) -> None:
    """The outbox sender, as the worker process runs it."""
    core = bootstrap(url, migrate=False)
    chat = TimingChat()
    while not stop.is_set():
        wake.wait(0.5)
        wake.clear()
        while not stop.is_set() and outbox.deliver_pending(core, chat, limit=50).sent:
            pass  # (stops when told even with a backlog: what is not posted by then counts as not posted)
    results.put(chat.posted)


def web(url: str, port: int, wake, stop, results, courier: bool) -> None:
    """The web process: uvicorn with the intake router. With `courier`, it also delivers the
    cards itself, as `chatbot run` does (a Courier thread woken by each stored lead)."""
    core = bootstrap(url, migrate=False)
    app = FastAPI()
    if courier:
        chat = TimingChat()
        sender = Courier(core, through(chat))
        sender.start()
        app.include_router(intake_router(core, on_stored=sender.wake))
        threading.Thread(target=lambda: (stop.wait(), results.put(chat.posted)), daemon=True).start()
    else:
        app.include_router(intake_router(core, on_stored=wake.set))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


FAILED: list[str] = []  # requests that got no 201 (what they got instead)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


async def drive(url: str, key: str, rate: float, seconds: float, warmup: float = 0.0) -> dict[str, tuple[float, float]]:
    """Send (warmup+seconds)*rate leads on schedule; lead id -> (started, answered) of the
    leads after the warm-up."""
    times: dict[str, tuple[float, float]] = {}
    run = time.time_ns()  # fresh ids each run, so a reused database sees new leads
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"}, limits=limits,
                                 timeout=30) as client:
        async def one(n: int, counted: bool) -> None:
            body = {"source": "bench", "external_id": f"B-{run}-{n}", "customer": {
                "name": f"Bench Customer {n}", "email": f"bench{n}@example.com",
                "phones": [{"number": f"312-555-{n % 10000:04d}", "type": "cell"}]},
                "vehicles": [{"year": 2022, "make": "Toyota", "model": "RAV4"}]}
            started = now()
            try:
                response = await client.post("/intake/leads", json=body)
            except httpx.HTTPError as exc:  # an overloaded server dropped it: counted, not fatal
                FAILED.append(f"{type(exc).__name__}")
                return
            if response.status_code != 201:
                FAILED.append(f"HTTP {response.status_code}")
                return
            if counted:
                times[response.json()["lead_id"]] = (started, now())

        start = now()
        tasks = []
        warm = int(rate * warmup)
        for n in range(warm + int(rate * seconds)):
            delay = start + n / rate - now()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(n, counted=n >= warm)))
        await asyncio.gather(*tasks)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="leads per second")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of leads sent first and not counted")
    parser.add_argument("--grace", type=float, default=10.0, help="seconds the worker gets after the last request")
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file in a temp directory")
    parser.add_argument("--courier", action="store_true",
                        help="deliver from the web process (as `chatbot run`), not from a worker process")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()

    scratch = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{scratch.name}/bench.db"
    core = bootstrap(url)
    team = roster.ensure_team(core, name="Bench Motors", platform="api", platform_team_id="bench",
                              leads_channel="#leads", business_days="mon tue wed thu fri sat sun",
                              opens_at="00:00", closes_at="23:59")
    made = apikeys.create_key(core, team.id, "bench")
    apikeys.set_rate(core, made.prefix, 100_000)  # the bench measures the intake, not the key's rate limit
    key = made.key
    core.engine.dispose()
    context = mp.get_context("spawn")  # fresh interpreters: no engine or thread inherited
    wake, stop, results = context.Event(), context.Event(), context.Queue()
    server = context.Process(target=web, args=(url, args.port, wake, stop, results, args.courier), daemon=True)
    sender = None if args.courier else context.Process(target=worker, args=(url, wake, stop, results), daemon=True)
    server.start()
    if sender is not None:
        sender.start()
    for _ in range(200):
        try:
            httpx.get(f"http://127.0.0.1:{args.port}/openapi.json", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.1)

    gc.disable()  # the load generator must not pause: its own gen-2 collection (80 ms at ~17 s) showed as server latency
    try:
        times = asyncio.run(drive(f"http://127.0.0.1:{args.port}", key, args.rate, args.seconds, args.warmup))
    finally:
        gc.enable()
    time.sleep(args.grace)  # let the worker catch up, then collect what it posted
    stop.set()
    wake.set()
    posted = results.get(timeout=60)
    server.terminate()
    if sender is not None:
        sender.join(timeout=10)

    to_post = [(posted[lead] - started) * 1000 for lead, (started, _) in times.items() if lead in posted]
    to_answer = [(answered - started) * 1000 for started, answered in times.values()]
    if args.json:
        def figures(values: list[float]) -> dict[str, float] | None:
            if not values:
                return None
            return {"p50_ms": percentile(values, 50), "p90_ms": percentile(values, 90),
                    "p99_ms": percentile(values, 99), "max_ms": max(values), "mean_ms": statistics.fmean(values)}

        print(json.dumps({"database": "postgresql" if url.startswith("postgres") else "sqlite",
                          "delivered_by": "web" if args.courier else "worker", "rate": args.rate,
                          "seconds": args.seconds, "warmup_s": args.warmup, "leads": len(times) + len(FAILED), "failed_requests": len(FAILED),
                          "posted": len(to_post),
                          "to_post": figures(to_post), "to_answer": figures(to_answer)}))
    else:
        print(f"database: {url.split('@')[-1]}; delivered by {'the web process' if args.courier else 'a worker'}; "
              f"{len(times)} leads at {args.rate:g}/s over {args.seconds:g} s; "
              f"{len(to_post)} of their cards posted; {len(FAILED)} requests failed {sorted(set(FAILED))}")
        for name, values in (("request -> chat post()", to_post), ("request -> HTTP 201", to_answer)):
            if not values:
                continue
            print(f"{name:24} p50 {percentile(values, 50):7.1f} ms   p90 {percentile(values, 90):7.1f} ms   "
                  f"p99 {percentile(values, 99):7.1f} ms   max {max(values):7.1f} ms   "
                  f"mean {statistics.fmean(values):.1f} ms")
    scratch.cleanup()


if __name__ == "__main__":
    main()
