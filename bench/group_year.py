"""A dealer group's year: /baseline 30d and /stalled per rooftop, and a group-wide 30-day baseline.

    PYTHONPATH=. python bench/group_year.py --scale 0.1                  # 50k leads, ~300k touches, SQLite file
    PYTHONPATH=. python bench/group_year.py                              # 500k leads, ~3M touches
    PYTHONPATH=. python bench/group_year.py --rooftops 1 --scale 1.06    # one rooftop holding 530k leads
    PYTHONPATH=. python bench/group_year.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench_group

Generated (seeded, so every run has the same data): 20 rooftops of uneven size (the biggest
about 4x the smallest), 8 reps and a manager each; a year of leads to 2026-11-27 (weekday
daytime heavy, a quarter after hours), 8 sources; 85% contacted with a first contact
log-normal around 12 minutes and a long tail, two thirds with a second attempt about a day
later, ~6 touches a lead (attempts and notes); leads older than 60 days are imported CRM
history, most leads older than 30 days closed. Rows are written straight into the tables
(the bot's columns, as ingest/touch/close leave them), then ANALYZE.

Timed, in-process, through the real code: each rooftop's manager running `/baseline 30d`
and `/stalled` through `run_command` (the command table, argument reading, every query and
the text), `--runs` times per rooftop; and `baseline()` over all rooftops' 30-day cohort plus
the period before (a group-wide comparison). p50/p95/max in ms.

With --database-url the benchmark EMPTIES every table of that database first: point it at a
scratch database (createdb bench_group), never at a real one.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text
from sqlmodel import SQLModel, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chatbot.commands import Caller, run_command  # noqa: E402
from chatbot.core import bootstrap  # noqa: E402
from chatbot.domain.clock import ManualClock  # noqa: E402
from chatbot.domain.hours import BusinessHours  # noqa: E402
from chatbot.messaging.phrasebook import PLAIN  # noqa: E402
from chatbot.reports.figures import baseline  # noqa: E402
from chatbot.reports.periods import period_for  # noqa: E402
from chatbot.store.db import transaction  # noqa: E402
from chatbot.store.models import Lead, Member, Team, Touch  # noqa: E402
from chatbot.team import roster  # noqa: E402

ZONE = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=ZONE)
HOURS = BusinessHours.parse("America/Chicago", "mon tue wed thu fri sat", "09:00", "19:00")
SOURCES = ["Cars.com", "AutoTrader", "Website", "Facebook", "CarGurus", "TrueCar", "Edmunds", "KBB"]
SOURCE_WEIGHTS = [22, 18, 20, 12, 12, 7, 5, 4]
ATTEMPT_KINDS = ["call", "call", "call", "text", "text", "email", "appointment"]
BATCH = 20_000


def submission(rng: random.Random) -> datetime:
    """A moment in the year before NOW: weekdays and daytime heavy, about a quarter after hours."""
    while True:
        day = NOW - timedelta(days=rng.random() * 365)
        local = day.astimezone(ZONE)
        weekday_weight = 0.45 if local.weekday() == 6 else 1.0
        hour = local.hour + local.minute / 60
        hour_weight = 1.0 if 9 <= hour < 19 else 0.35 if 7 <= hour < 23 else 0.08
        if rng.random() < weekday_weight * hour_weight:
            return day.replace(microsecond=0)


def lognormal_s(rng: random.Random, median_s: float, sigma: float) -> int:
    return max(1, int(median_s * math.exp(rng.gauss(0, sigma))))


def generate(core, rooftops: int, leads_total: int, seed: int) -> tuple[list[Team], dict[int, str], int, int]:
    rng = random.Random(seed)
    teams, managers = [], {}
    sizes = [1 + 3 * (i / max(rooftops - 1, 1)) for i in range(rooftops)]  # 1x to 4x
    shares = [s / sum(sizes) for s in sizes]
    for i in range(rooftops):
        team = roster.ensure_team(core, name=f"Rooftop {i + 1:02d}", platform="api", platform_team_id=f"bench-{i}")
        for r in range(8):
            roster.add_member(core, team.id, name=f"Rep{r + 1}-{i + 1}", chat_user_id=f"r{r}-{i}", oncall_order=r + 1)
        roster.add_member(core, team.id, name=f"Mgr-{i + 1}", chat_user_id=f"m-{i}", role="manager")
        teams.append(team)
        managers[team.id] = f"m-{i}"
    with transaction(core.engine) as session:
        reps = {t.id: list(session.exec(select(Member.id).where(Member.team_id == t.id, Member.role == "rep")))
                for t in teams}
    lead_rows, touch_rows = [], []
    lead_id = touch_id = 0
    touches_written = 0

    def flush(force: bool = False) -> None:
        nonlocal lead_rows, touch_rows, touches_written
        if lead_rows and (force or len(lead_rows) >= BATCH):
            with core.engine.begin() as connection:
                connection.execute(insert(Lead.__table__), lead_rows)
            lead_rows = []
        if touch_rows and (force or len(touch_rows) >= BATCH * 6 or not lead_rows):
            with core.engine.begin() as connection:
                connection.execute(insert(Touch.__table__), touch_rows)
            touches_written += len(touch_rows)
            touch_rows = []

    for team, share in zip(teams, shares):
        for _ in range(round(leads_total * share)):
            lead_id += 1
            submitted = submission(rng)
            age = NOW - submitted
            owner = rng.choice(reps[team.id]) if rng.random() < 0.93 else None
            claimed = first = second = None
            times: list[tuple[datetime, str]] = []
            if owner is not None:
                claimed = submitted + timedelta(seconds=lognormal_s(rng, 150, 1.2))
                if rng.random() < 0.915:
                    first = claimed + timedelta(seconds=lognormal_s(rng, 540, 1.4))
                    times.append((first, rng.choice(ATTEMPT_KINDS)))
                    if rng.random() < 0.68:
                        second = first + timedelta(seconds=lognormal_s(rng, 20 * 3600, 0.9))
                        times.append((second, rng.choice(ATTEMPT_KINDS)))
                        at = second
                        for _ in range(rng.randint(4, 12)):
                            at += timedelta(seconds=lognormal_s(rng, 40 * 3600, 1.0))
                            times.append((at, "note" if rng.random() < 0.2 else rng.choice(ATTEMPT_KINDS)))
            times = [(at, kind) for at, kind in times if at <= NOW]
            if first is not None and first > NOW:
                first = second = None
            if second is not None and second > NOW:
                second = None
            attempts = sum(1 for _, kind in times if kind != "note")
            last_touch = max((at for at, _ in times), default=None)
            last_activity = max([submitted, *(x for x in (claimed, last_touch) if x and x <= NOW)])
            status, closed_at = "open", None
            if age > timedelta(days=30) and rng.random() < 0.92 or age > timedelta(days=5) and rng.random() < 0.45:
                status = "won" if rng.random() < 0.17 else "lost"
                closed_at = min(NOW, last_activity + timedelta(hours=rng.uniform(1, 72)))
                last_activity = closed_at
            lead_rows.append({
                "id": lead_id, "team_id": team.id, "source": rng.choices(SOURCES, SOURCE_WEIGHTS)[0],
                "external_id": f"B{lead_id}", "submitted_at": submitted, "received_at": submitted,
                "posted_at": submitted, "customer_name": f"Customer {lead_id}", "phone": None, "email": None,
                "vehicle": None, "comments": None, "details": {}, "status": status, "owner_id": owner,
                "claimed_at": claimed if claimed and claimed <= NOW else None, "first_contact_at": first,
                "second_contact_at": second, "last_touch_at": last_touch, "last_activity_at": last_activity,
                "attempts": attempts, "closed_at": closed_at, "close_reason": None, "due_at": None, "due_rule": None,
                "due_level": None, "chat_channel": None, "chat_message_id": None, "returning_of_id": None,
                "after_hours": not HOURS.is_open(submitted), "history": age > timedelta(days=60),
            })
            for at, kind in times:
                touch_id += 1
                touch_rows.append({"id": touch_id, "lead_id": lead_id, "member_id": owner, "kind": kind,
                                   "outcome": None, "at": at, "logged_via": "import", "recorded_at": at,
                                   "external_id": None})
            flush()
    flush(force=True)
    flush(force=True)
    with core.engine.begin() as connection:
        if core.engine.dialect.name == "postgresql":
            connection.execute(text("SELECT setval('lead_id_seq', (SELECT max(id) FROM lead))"))
            connection.execute(text("SELECT setval('touch_id_seq', (SELECT max(id) FROM touch))"))
        else:
            connection.execute(text("ANALYZE"))
    if core.engine.dialect.name == "postgresql":  # what autovacuum does in production, now
        with core.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    return teams, managers, lead_id, touches_written


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


GROUP_SAMPLES: list[float] = []  # the group-wide runs, for --json


def p95_ms(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


def summary(name: str, samples: list[float], goal_ms: float) -> str:
    p95 = p95_ms(samples)
    verdict = "meets" if p95 <= goal_ms else "MISSES"
    return (f"| {name} | {len(samples)} | {statistics.median(samples):.1f} | {p95:.1f} | {max(samples):.1f} | "
            f"{goal_ms:.0f} ({verdict}) |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = 500k leads, ~3M touches")
    parser.add_argument("--rooftops", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per rooftop and command")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--database-url", default=None, help="a scratch database: it is EMPTIED first")
    parser.add_argument("--json", action="store_true", help="also print the figures as one JSON object (last line)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="group_year_"))
    url = args.database_url or f"sqlite:///{workdir}/group.db"
    core = bootstrap(url, ManualClock(NOW))  # report as of the end of the generated year
    with core.engine.begin() as connection:
        names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        if core.engine.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(SQLModel.metadata.sorted_tables):
                connection.execute(table.delete())
    started = time.perf_counter()
    teams, managers, leads, touches = generate(core, args.rooftops, round(500_000 * args.scale), args.seed)
    print(f"generated {leads:,} leads and {touches:,} touches over {len(teams)} rooftop(s) in "
          f"{time.perf_counter() - started:.0f} s | {url.split('@')[-1]}")
    print(f"{platform.node()} · {platform.processor() or platform.machine()} · Python {platform.python_version()} · "
          f"{core.engine.dialect.name} · {datetime.now():%Y-%m-%d %H:%M}")

    rows = ["| what | runs | p50 ms | p95 ms | max ms | goal ms |", "|---|---|---|---|---|---|"]
    base, stalled = [], []
    for team in teams:
        caller = Caller(team.id, managers[team.id])
        for line, into in (("baseline 30d", base), ("stalled", stalled)):
            reply = run_command(core, caller, line, PLAIN)  # warm-up, and a check that it answers
            assert not reply.refused, reply.text
            into += timed(lambda line=line: run_command(core, caller, line, PLAIN), args.runs)
    rows.append(summary("/baseline 30d, per rooftop (with the period before, after hours)", base, 100))
    rows.append(summary("/stalled, per rooftop (both sections)", stalled, 100))

    ids = tuple(team.id for team in teams)
    period = period_for("30d", HOURS, NOW)

    def group_wide() -> None:
        with transaction(core.engine) as session:
            baseline(session, teams[0], period, NOW, team_ids=ids)
            baseline(session, teams[0], period.previous(NOW), NOW, team_ids=ids)

    group_wide()
    GROUP_SAMPLES[:] = timed(group_wide, args.runs)
    rows.append(summary("group-wide baseline 30d (all rooftops, and the period before)", GROUP_SAMPLES, 300))
    print("\n".join(rows))
    if args.json:
        print(json.dumps({"database": core.engine.dialect.name, "leads": leads, "touches": touches,
                          "rooftops": len(teams), "p95_ms": {"baseline": p95_ms(base), "stalled": p95_ms(stalled),
                                                             "group_wide": p95_ms(GROUP_SAMPLES)}}))
    core.engine.dispose()


if __name__ == "__main__":
    main()
