"""How fast the core loop is on this machine: ingest, claim, touch, and the escalation sweep.

    python bench/core_loop.py                     # SQLite file in a temp dir
    python bench/core_loop.py --database-url postgresql://postgres@127.0.0.1/bench_core
    python bench/core_loop.py --json              # the figures as one JSON object (bench/run_all.py)

Each use case is timed as a rep would see it (one call, one transaction), and the SQL statements
each one sends are counted (a `before_cursor_execute` listener; BEGIN and COMMIT are not
statements to it). The sweep is timed with many leads due at once, as after a worker restart. Prints a Markdown table for
docs/PERFORMANCE.md. The PostgreSQL database is emptied first: give it a scratch one.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import event, text
from sqlmodel import SQLModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chatbot.core import bootstrap  # noqa: E402
from chatbot.domain.clock import ManualClock  # noqa: E402
from chatbot.escalation.sweeper import sweep  # noqa: E402
from chatbot.intake.lead import Customer, IncomingLead, Phone, Vehicle  # noqa: E402
from chatbot.leads import tracker  # noqa: E402
from chatbot.messaging.outbox import deliver_pending  # noqa: E402
from chatbot.messaging.ports import MessageRef  # noqa: E402
from chatbot.team import roster  # noqa: E402


class NullChat:
    """A chat that takes everything instantly, so only the core is measured."""

    def __init__(self) -> None:
        self.n = 0

    def post(self, to, view):
        self.n += 1
        return MessageRef("C1", f"{self.n}.0")

    def update(self, ref, view) -> None:
        self.n += 1


STATEMENTS = [0]  # SQL statements sent so far (counted by a listener on the engine)
QUERIES: dict[int, list[int]] = {}  # id(samples) -> statements per call


def timed(samples: list[float], fn, *args, **kwargs):
    sent = STATEMENTS[0]
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    samples.append(time.perf_counter() - start)
    QUERIES.setdefault(id(samples), []).append(STATEMENTS[0] - sent)
    return result


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered)) - 1))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url")
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    clock = ManualClock(datetime(2026, 11, 24, 10, tzinfo=ZoneInfo("America/Chicago")))
    core = bootstrap(url, clock)
    if core.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with core.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    team = roster.ensure_team(core, name="Bench Motors", platform="console", platform_team_id="bench",
                              leads_channel="#leads")
    for name in ("sam", "alex", "jordan"):
        roster.add_member(core, team.id, name=name, chat_user_id=name, oncall_order=1)
    event.listen(core.engine, "before_cursor_execute",
                 lambda *_: STATEMENTS.__setitem__(0, STATEMENTS[0] + 1))
    ingest, claim, touch, deliver = [], [], [], []
    chat = NullChat()
    ids = []
    for n in range(args.leads):
        lead = IncomingLead(source="Bench", external_id=f"b{n}",
                            customer=Customer(name=f"Customer {n}", email=f"c{n}@example.com",
                                              phones=[Phone(number=f"312555{n % 10000:04d}", type="cell")]),
                            vehicles=[Vehicle(year=2024, make="Honda", model="CR-V")])
        ids.append(timed(ingest, tracker.ingest, core, team.id, lead).lead_id)
        timed(deliver, deliver_pending, core, chat)
    for lead_id in ids[: args.leads // 2]:
        timed(claim, tracker.claim, core, team.id, lead_id, "sam")
        timed(touch, tracker.log_touch, core, team.id, lead_id, "sam", "call")
    clock.advance(timedelta(days=10))  # every window lapsed, every level due: a long outage
    start = time.perf_counter()
    fired = 0
    while batch := sweep(core):
        fired += len(batch)
    sweep_s = time.perf_counter() - start
    rows = [("ingest (store + queue card)", ingest), ("deliver one card", deliver), ("claim", claim),
            ("log a call", touch)]
    if args.json:
        print(json.dumps({
            "database": core.engine.dialect.name, "leads": args.leads,
            "use_cases": {name: {"calls": len(samples), "p50_ms": pct(samples, .5), "p99_ms": pct(samples, .99),
                                 "mean_ms": statistics.mean(samples) * 1000,
                                 "statements": statistics.mean(QUERIES[id(samples)])}
                          for name, samples in rows},
            "sweep": {"escalations": fired, "seconds": sweep_s, "per_second": fired / sweep_s}}))
        return
    print(f"Database: {core.engine.dialect.name}; {args.leads} leads\n")
    print("| use case | calls | p50 ms | p99 ms | mean ms | SQL statements |\n|---|---|---|---|---|---|")
    for name, samples in rows:
        print(f"| {name} | {len(samples)} | {pct(samples, .5):.2f} | {pct(samples, .99):.2f} | "
              f"{statistics.mean(samples) * 1000:.2f} | {statistics.mean(QUERIES[id(samples)]):.1f} |")
    print(f"\nSweep after a 10-day outage: {fired} escalations for {args.leads} leads in {sweep_s:.2f} s "
          f"({fired / sweep_s:.0f} escalations/s).")


if __name__ == "__main__":
    main()
