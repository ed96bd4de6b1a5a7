"""What the worker's 5-second tick costs when a big database has nothing due, how fast a burst of
due escalations is swept, and how much memory the worker holds (issue 10).

    python bench/sweep.py                          # 100k open leads, SQLite file in a temp dir
    python bench/sweep.py --database-url postgresql://postgres@127.0.0.1/bench_sweep
    python bench/sweep.py --leads 20000 --teams 5 --runs 20     # quicker

Real core, a chat port that returns at once (and takes the digest's chart, so the worker draws
it as for Slack). A few template leads are made through the real use cases (ingest, the card's
delivery, claim, calls, the sweep firing a stall window's ladder), then copied in bulk into the
real tables (lead, touch, escalation, outbox message), every time shifted by the copy's own
offset (the ladder snapshot's starts too), so each copy is the row the real code would have
written for a lead that arrived that much earlier; a sample of copies is checked against
`refresh_due`. Mix: 45% claimed and called once (waiting for the second contact), 45%
contacted twice (the stall window), 10% past their ladder (every stall rung fired; due_at NULL,
what the morning summary lists). Spread over --teams teams, 4 reps and a manager each.

Measured: a fresh worker process (what `chatbot worker` imports) doing the day's first tick (the
morning summary, the weekly digest) and then idle ticks, with its RSS; then in this process
`sweep(core)` and a whole `worker.tick` with nothing due, while the teams are open and after hours
(an on-call shift running), each part of the tick on its own, and the CPU time the tick costs
this process (not the database server's; steadier than wall time on a shared machine); then
1,000 leads falling due at once, swept to the end. Prints Markdown for docs/PERFORMANCE.md.
The PostgreSQL database is emptied first: give it a scratch one.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, text
from sqlmodel import Session, SQLModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from chatbot.core import bootstrap  # noqa: E402
from chatbot.domain.clock import ManualClock  # noqa: E402
from chatbot.escalation.handoffs import sweep_handoffs  # noqa: E402
from chatbot.escalation.sweeper import sweep  # noqa: E402
from chatbot.escalation.team_jobs import sweep_team_jobs  # noqa: E402
from chatbot.intake.lead import Customer, IncomingLead, Phone, Vehicle  # noqa: E402
from chatbot.ladder.deadlines import hours_of, refresh_due  # noqa: E402
from chatbot.leads import tracker  # noqa: E402
from chatbot.messaging.deliveries import forget_old_deliveries  # noqa: E402
from chatbot.messaging.platforms import deliver_all  # noqa: E402
from chatbot.messaging.ports import MessageRef  # noqa: E402
from chatbot.store.db import transaction  # noqa: E402
from chatbot.store.models import Escalation, Lead, LeadStatus, Member, OutboxMessage, Team, Touch  # noqa: E402
from chatbot.team import roster  # noqa: E402
from chatbot.worker import through  # noqa: E402

ZONE = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=ZONE)  # a Tuesday afternoon: every team open
EVENING = NOW + timedelta(hours=6)  # 21:00: closed, the on-call shift running
REPS = ("sam", "alex", "jordan", "casey")
MIX = (("second", 0.45), ("stall", 0.45), ("past", 0.10))
TICK_GOAL_MS, RSS_GOAL_MB = 10.0, 250.0


class NullChat:
    """A chat that takes everything instantly, so only the core is measured."""

    def __init__(self) -> None:
        self.n = 0

    def post(self, to, view):
        self.n += 1
        return MessageRef("#leads", f"{self.n}.0")

    def update(self, ref, view) -> None:
        self.n += 1

    def upload(self, to, view, png: bytes, filename: str):
        """Slack and Teams take the digest's chart: so the worker draws it, as it would for them."""
        self.n += 1
        return MessageRef("#leads", f"{self.n}.0")


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, round(q * len(ordered)) - 1))] * 1000


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def rss_mb() -> tuple[float, float]:
    """(resident now, peak) in MB, from /proc (ru_maxrss where there is no /proc)."""
    try:
        fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
    except (OSError, KeyError):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return peak, peak


# ------------------------------------------------------------------ the templates, made for real


def make_templates(core, clock: ManualClock, team: Team) -> dict[str, int]:
    """One lead of each kind, made by the real use cases at the moments a rep would act."""
    platforms = through(NullChat())

    def new(name: str) -> int:
        lead = IncomingLead(source="Bench", external_id=f"template-{name}",
                            customer=Customer(name=f"Template {name}", email=f"template-{name}@example.com",
                                              phones=[Phone(number="3125550100", type="cell")]),
                            vehicles=[Vehicle(year=2024, make="Honda", model="CR-V")])
        lead_id = tracker.ingest(core, team.id, lead).lead_id
        deliver_all(core, platforms)  # the card is posted: the claim window starts
        return lead_id

    def step(by: timedelta) -> None:
        clock.advance(by)

    # past: claimed, called twice, then silent for six days; the sweep fired all three stall rungs
    clock.set(NOW - timedelta(days=7))
    past = new("past")
    step(timedelta(minutes=2))
    tracker.claim(core, team.id, past, "sam")
    step(timedelta(minutes=3))
    tracker.log_touch(core, team.id, past, "sam", "call")
    step(timedelta(days=1))
    tracker.log_touch(core, team.id, past, "sam", "call")
    for day in (3, 2, 1):
        clock.set(NOW - timedelta(days=day, minutes=-10))
        sweep(core)
        deliver_all(core, platforms)
    # stall: claimed and called, then called again a day later: the stall window runs
    clock.set(NOW - timedelta(days=1, minutes=-20))
    stall = new("stall")
    step(timedelta(minutes=1))
    tracker.claim(core, team.id, stall, "alex")
    step(timedelta(minutes=2))
    tracker.log_touch(core, team.id, stall, "alex", "call")
    # second: claimed and called this morning: waiting for the second contact (48 h)
    clock.set(NOW - timedelta(hours=5))
    second = new("second")
    step(timedelta(minutes=1))
    tracker.claim(core, team.id, second, "jordan")
    step(timedelta(minutes=2))
    tracker.log_touch(core, team.id, second, "jordan", "call")
    clock.set(NOW - timedelta(hours=2))
    tracker.log_touch(core, team.id, stall, "alex", "call", outcome="reached")
    deliver_all(core, platforms)
    clock.set(NOW)
    return {"past": past, "stall": stall, "second": second}


def _rows(connection, table, where) -> list[dict]:
    return [dict(row) for row in connection.execute(select(table).where(where)).mappings()]


def read_template(core, lead_id: int) -> dict:
    with core.engine.connect() as connection:
        return {
            "lead": _rows(connection, Lead.__table__, Lead.__table__.c.id == lead_id)[0],
            "touch": _rows(connection, Touch.__table__, Touch.__table__.c.lead_id == lead_id),
            "escalation": _rows(connection, Escalation.__table__, Escalation.__table__.c.lead_id == lead_id),
            "outbox_message": _rows(connection, OutboxMessage.__table__, OutboxMessage.__table__.c.lead_id == lead_id),
        }


def delta_range(kind: str) -> tuple[timedelta, timedelta]:
    """How much earlier a copy may have arrived and still be what its kind says, with nothing
    due before 21:00 today (the evening measurement) plus a margin."""
    return {"second": (-timedelta(hours=34), timedelta(0)),  # second contact due >= 23:03
            "stall": (-timedelta(days=2), timedelta(0)),  # stall reminder due >= tomorrow 13:00
            "past": (-timedelta(days=20), timedelta(0))}[kind]


def _shift(value, delta: timedelta):
    if isinstance(value, datetime):
        return value + delta
    if isinstance(value, date):
        return value + timedelta(days=round(delta / timedelta(days=1)))
    return value


def copy_lead(template: dict, n: int, kind: str, team_id: int, members: dict[int, int], ids: dict[str, int],
              delta: timedelta, hours) -> dict[str, list[dict]]:
    """The template's rows as they would be for a lead that arrived `delta` earlier, on another team."""
    source = template["lead"]
    lead_id = ids["lead"] = ids["lead"] + 1
    lead = {key: _shift(value, delta) for key, value in source.items()}
    lead.update(id=lead_id, team_id=team_id, external_id=f"{kind}-{n}", customer_name=f"Customer {n}",
                phone=f"+1312{n % 10_000_000:07d}", email=f"c{n}@example.com",
                owner_id=members.get(source["owner_id"]), chat_message_id=f"{n}.000100",
                details=source["details"], after_hours=not hours.is_open(lead["submitted_at"]))
    if source["ladder"]:
        lead["ladder"] = {rule: {**plan, "start": (datetime.fromisoformat(plan["start"]) + delta).isoformat()}
                          for rule, plan in source["ladder"].items()}
    out: dict[str, list[dict]] = {"lead": [lead], "touch": [], "escalation": [], "outbox_message": []}
    for table in ("touch", "escalation", "outbox_message"):
        for row in template[table]:
            copy = {key: _shift(value, delta) for key, value in row.items()}
            ids[table] += 1
            copy.update(id=ids[table], lead_id=lead_id)
            if "member_id" in copy:
                copy["member_id"] = members.get(copy["member_id"])
            if "target_member_id" in copy:
                copy["target_member_id"] = members.get(copy["target_member_id"])
            if "external_id" in copy:
                copy["external_id"] = None
            if table == "outbox_message":
                copy["team_id"] = team_id
                payload = dict(copy["payload"] or {})
                if payload.get("text"):
                    payload["text"] = payload["text"].replace(source["customer_name"], lead["customer_name"])
                copy["payload"] = payload
            out[table].append(copy)
    return out


def seed(core, templates: dict[str, dict], teams: list[Team], count: int, start: int,
         kinds: list[str] | None = None, deltas: list[timedelta] | None = None, seed_: int = 10) -> list[int]:
    """Bulk copies of the templates, spread over the teams; returns the new leads' ids."""
    tables = {"lead": Lead.__table__, "touch": Touch.__table__, "escalation": Escalation.__table__,
              "outbox_message": OutboxMessage.__table__}
    with core.engine.connect() as connection:
        ids = {name: connection.execute(select(func.coalesce(func.max(t.c.id), 0))).scalar_one()
               for name, t in tables.items()}
    template_team = templates["second"]["lead"]["team_id"]
    with transaction(core.engine) as session:
        people = session.scalars(select(Member)).all()
        hours = {team.id: hours_of(team) for team in teams}
    chat_id_of = {m.id: m.chat_user_id for m in people if m.team_id == template_team}
    by_team = {(m.team_id, m.chat_user_id): m.id for m in people}
    member_maps = {team.id: {mid: by_team[(team.id, chat_id)] for mid, chat_id in chat_id_of.items()}
                   for team in teams}
    rng = random.Random(seed_)
    weights = [w for _, w in MIX]
    made: list[int] = []
    batch: dict[str, list[dict]] = {name: [] for name in tables}

    def flush() -> None:
        with core.engine.begin() as connection:
            for name, table in tables.items():
                if batch[name]:
                    connection.execute(insert(table), batch[name])
                    batch[name].clear()

    for i in range(count):
        n = start + i
        kind = kinds[i] if kinds else rng.choices([k for k, _ in MIX], weights)[0]
        low, high = delta_range(kind)
        delta = deltas[i] if deltas else timedelta(seconds=rng.randint(int(low.total_seconds()),
                                                                       int(high.total_seconds())))
        team = teams[n % len(teams)]
        rows = copy_lead(templates[kind], n, kind, team.id, member_maps[team.id], ids, delta, hours[team.id])
        made.append(rows["lead"][0]["id"])
        for name, new in rows.items():
            batch[name].extend(new)
        if len(batch["lead"]) >= 5000:
            flush()
    flush()
    if core.engine.dialect.name == "postgresql":
        with core.engine.begin() as connection:
            for table in tables.values():
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                        f"(SELECT max(id) FROM {table.name}))"))
            connection.execute(text("ANALYZE"))  # what autovacuum does soon after a bulk load
    return made


def check_copies(core, lead_ids: list[int], sample: int = 300) -> int:
    """refresh_due on a sample of copies must change nothing: they are what the real code writes."""
    rng = random.Random(3)
    picked = rng.sample(lead_ids, min(sample, len(lead_ids)))
    agree = 0
    with Session(core.engine) as session:
        for lead_id in picked:
            lead = session.get(Lead, lead_id)
            before = (lead.due_at, lead.due_rule, lead.due_level, json.dumps(lead.ladder, sort_keys=True))
            refresh_due(session, lead, session.get(Team, lead.team_id))
            after = (lead.due_at, lead.due_rule, lead.due_level, json.dumps(lead.ladder, sort_keys=True))
            agree += before == after
        session.rollback()
    return agree


# ------------------------------------------------------------------ measuring


def tick_parts(core, platforms) -> dict[str, float]:
    """worker.tick's parts, each timed (in the tick's order)."""
    parts = {}
    parts["sweep (incl. rollup.sweep_mornings)"], _ = timed(sweep, core)
    parts["sweep_handoffs"], _ = timed(sweep_handoffs, core)
    parts["sweep_team_jobs"], _ = timed(sweep_team_jobs, core)
    parts["deliver_all"], _ = timed(deliver_all, core, platforms)
    parts["forget_old_deliveries"], _ = timed(forget_old_deliveries, core)
    return parts


def idle_runs(core, platforms, runs: int) -> dict[str, list[float]]:
    from chatbot.worker import tick

    for _ in range(3):  # warm-up: caches, the day's rows
        tick(core, platforms)
    samples: dict[str, list[float]] = {"sweep(core)": [], "worker.tick": [], "  worker.tick, this process's CPU": []}
    for _ in range(runs):
        elapsed, fired = timed(sweep, core)
        assert not fired, "nothing should be due"
        samples["sweep(core)"].append(elapsed)
    for _ in range(runs):
        cpu = time.process_time()
        elapsed, result = timed(tick, core, platforms)
        samples["  worker.tick, this process's CPU"].append(time.process_time() - cpu)
        assert result.escalations == 0 and result.delivery.sent == 0, result
        samples["worker.tick"].append(elapsed)
    for _ in range(runs):
        for name, elapsed in tick_parts(core, platforms).items():
            samples.setdefault(f"  {name}", []).append(elapsed)
    return samples


def child_worker(url: str, ticks: int) -> None:
    """A fresh worker process: what `chatbot worker` imports, the day's first tick, then idle ticks."""
    import adapters.slack.settings  # noqa: F401 - the worker command loads these
    import entrypoints.cli  # noqa: F401
    from chatbot.worker import tick

    core = bootstrap(url, ManualClock(NOW), migrate=False)
    platforms = through(NullChat())
    with transaction(core.engine) as session:
        session.scalars(select(Team.id)).all()  # connect before the baseline
    before, _ = rss_mb()
    first, result = timed(tick, core, platforms)
    after_first, _ = rss_mb()
    idle = []
    for _ in range(ticks):
        elapsed, _ = timed(tick, core, platforms)
        idle.append(elapsed)
    after, peak = rss_mb()
    print(json.dumps({"before": before, "first_tick_s": first, "first_sent": result.delivery.sent,
                      "after_first": after_first, "after": after, "peak": peak,
                      "idle_p50_ms": pct(idle, .5), "idle_p99_ms": pct(idle, .99)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url")
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--due", type=int, default=1000)
    parser.add_argument("--child-worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_worker:
        child_worker(args.child_worker, args.runs)
        return
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    clock = ManualClock(NOW - timedelta(days=8))
    core = bootstrap(url, clock)
    if core.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        with core.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    teams = []
    for t in range(args.teams):
        team = roster.ensure_team(core, name=f"Bench Motors {t}", platform="console", platform_team_id=f"bench{t}",
                                  leads_channel="#leads", managers_channel="#managers")
        for order, name in enumerate(REPS, start=1):
            roster.add_member(core, team.id, name=name.title(), chat_user_id=name, oncall_order=order)
        roster.add_member(core, team.id, name="Morgan", chat_user_id="morgan", role="manager")
        teams.append(team)
    start = time.perf_counter()
    made = make_templates(core, clock, teams[0])
    templates = {kind: read_template(core, lead_id) for kind, lead_id in made.items()}
    for kind, template in templates.items():
        lead = template["lead"]
        print(f"template {kind}: due_at={lead['due_at']} rule={lead['due_rule']} level={lead['due_level']} "
              f"touches={len(template['touch'])} escalations={len(template['escalation'])} "
              f"outbox={len(template['outbox_message'])}", file=sys.stderr)
    seeded = seed(core, templates, teams, args.leads - len(made), start=1)
    seed_s = time.perf_counter() - start
    agree = check_copies(core, seeded)
    with core.engine.connect() as connection:
        counts = {table.name: connection.execute(select(func.count()).select_from(table)).scalar_one()
                  for table in (Lead.__table__, Touch.__table__, Escalation.__table__, OutboxMessage.__table__)}
        open_leads = connection.execute(select(func.count()).select_from(Lead.__table__).where(
            Lead.__table__.c.status == LeadStatus.OPEN)).scalar_one()
    print(f"seeded in {seed_s:.1f} s: {counts}; refresh_due agrees on {agree} of {min(300, len(seeded))} "
          f"sampled copies", file=sys.stderr)
    if agree != min(300, len(seeded)):
        raise SystemExit("the copies are not what the real code writes")

    # a fresh worker: the day's first tick (morning summary, weekly digest), then idle ticks
    out = subprocess.run([sys.executable, __file__, "--child-worker", url, "--runs", "20"], check=True,
                         capture_output=True, text=True)
    worker = json.loads(out.stdout.strip().splitlines()[-1])

    platforms = through(NullChat())
    open_samples = idle_runs(core, platforms, args.runs)
    clock.set(EVENING)
    first_evening, _ = timed(lambda: (sweep_handoffs(core), deliver_all(core, platforms)))  # the reps' notices
    evening_samples = idle_runs(core, platforms, args.runs)

    # a burst: leads whose second-contact window lapsed in the last half hour, all due at once
    now = clock.now()
    due_at = templates["second"]["lead"]["due_at"]
    rng = random.Random(11)
    deltas = [now - due_at - timedelta(seconds=rng.randint(0, 1799)) for _ in range(args.due)]
    seed(core, templates, teams, args.due, start=args.leads + 1, kinds=["second"] * args.due, deltas=deltas)
    start = time.perf_counter()
    fired = sweeps = 0
    while batch := sweep(core):
        fired += len(batch)
        sweeps += 1
    burst_s = time.perf_counter() - start
    start = time.perf_counter()
    delivered = deliver_all(core, platforms, limit=10_000)
    deliver_s = time.perf_counter() - start

    name = core.engine.dialect.name
    print(f"Database: {name}; {open_leads} open leads on {args.teams} teams "
          f"({counts['touch']} touches, {counts['escalation']} escalations, {counts['outboxmessage']} outbox rows); "
          f"load average {os.getloadavg()[1]:.1f} over the last 5 minutes on {os.cpu_count()} cores\n")
    print("| nothing due | runs | p50 ms | p99 ms | max ms | goal |\n|---|---|---|---|---|---|")
    for label, samples in (("open (15:00)", open_samples), ("after hours (21:00)", evening_samples)):
        for what, values in samples.items():
            goal = ""
            if not what.startswith(" "):
                goal = f"{TICK_GOAL_MS:.0f} ms: " + ("met" if pct(values, .99) <= TICK_GOAL_MS else "**missed**")
            print(f"| {label}: {what} | {len(values)} | {pct(values, .5):.2f} | {pct(values, .99):.2f} | "
                  f"{max(values) * 1000:.2f} | {goal} |")
    print(f"\nOne-offs: a fresh worker's first tick of the day (morning summary and weekly digest for "
          f"{args.teams} teams) {worker['first_tick_s'] * 1000:.0f} ms; the evening's handoff notices "
          f"({args.teams} on-call reps) {first_evening * 1000:.0f} ms.")
    print(f"\nBurst: {fired} escalations for {args.due} leads due at once, {sweeps} sweep(s), {burst_s:.2f} s "
          f"({fired / burst_s:.0f} escalations/s); delivering their {delivered.sent} notices {deliver_s:.2f} s "
          f"({delivered.sent / deliver_s:.0f}/s).")
    rss_ok = "met" if worker["after"] <= RSS_GOAL_MB and worker["peak"] <= RSS_GOAL_MB else "**missed**"
    print(f"\nWorker memory (a fresh process, what `chatbot worker` imports): RSS {worker['before']:.0f} MB before "
          f"the first tick, {worker['after_first']:.0f} MB after it, {worker['after']:.0f} MB after 20 idle ticks "
          f"(p50 {worker['idle_p50_ms']:.2f} ms), peak {worker['peak']:.0f} MB; goal {RSS_GOAL_MB:.0f} MB: {rss_ok}.")


if __name__ == "__main__":
    main()
