"""Escalation delay: from a step's due time to its notice reaching the chat port (issue 10; goal p99 < 2 s).

    .venv/bin/python bench/escalation_delay.py                  # 300 steps falling due over 60 s, SQLite file
    .venv/bin/python bench/escalation_delay.py --postgres       # the same on a new database on 127.0.0.1:5432
    options: --steps 300 --seconds 60 --database-url URL (an empty, migrated or new database)

The worker as `chatbot worker` runs it (`build_scheduler`: the 5 s tick, the Alarm that sweeps
when the earliest `lead.due_at` falls due, the Courier), in this process, on the real clock,
delivering to a chat port that notes the wall time each notice arrives (it answers at once and
has no pace, so only our side is measured).

Before the worker starts, --steps leads are stored as if submitted five minutes before their
step, their cards posted and each claimed by one of ten reps: each lead's first-contact
deadline (level 1: the owner is reminded, in a direct message and under the card) falls on a
chosen whole second of the next --seconds, spread evenly, several leads on the same second.
Nothing else happens while it runs. Reported: p50/p99/max of (arrival at the port - the
step's due time), for the first of each step's notices and for every notice; steps whose
notices never came; notices that came twice (same lead, place and text).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from itertools import count
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, func, select, text  # noqa: E402

from chatbot.core import bootstrap  # noqa: E402
from chatbot.domain.clock import SystemClock  # noqa: E402
from chatbot.leads import tracker  # noqa: E402
from chatbot.messaging.outbox import deliver_pending  # noqa: E402
from chatbot.messaging.ports import Channel, MessageRef, Thread  # noqa: E402
from chatbot.messaging.views import Notice  # noqa: E402
from chatbot.store.db import transaction  # noqa: E402
from chatbot.store.models import Lead  # noqa: E402
from chatbot.team import roster  # noqa: E402
from chatbot.worker import build_scheduler, through  # noqa: E402
from tests.helpers import incoming  # noqa: E402

WINDOW_S = 300  # the team's first-contact window: no heads-up before it (it would come at the start)
REPS = 10
GOAL_P99_S = 2.0
LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


class ArrivalChat:
    """A chat port that notes when each notice arrives: (wall time, lead id), and what it said where."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, int]] = []
        self.said: Counter = Counter()
        self._ids = count(1)

    def post(self, to, view) -> MessageRef:
        if isinstance(view, Notice):
            self.arrivals.append((time.time(), view.lead_id))
            self.said[(view.lead_id, to, view.text)] += 1
        channel = to.channel if isinstance(to, Channel) else to.parent.channel if isinstance(to, Thread) else to.user_id
        return MessageRef(channel, f"{next(self._ids)}.0001")

    def update(self, ref, view) -> None:
        pass


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def prepare(core, chat: ArrivalChat, steps: int, seconds: int) -> dict[int, float]:
    """Leads whose level-1 step falls due over the coming `seconds`; lead id -> due (epoch s)."""
    team = roster.ensure_team(core, name="Bench Motors", platform="slack", platform_team_id=f"T{uuid.uuid4().hex[:8]}",
                              leads_channel="#leads", timezone="UTC", business_days="mon tue wed thu fri sat sun",
                              opens_at="00:00", closes_at="23:59", quiet_hours=False, first_contact_window_s=WINDOW_S)
    reps = [f"U0REP{n:02d}" for n in range(REPS)]
    for order, rep in enumerate(reps, start=1):
        roster.add_member(core, team.id, name=f"Rep {order}", chat_user_id=rep, oncall_order=order)
    setup_s = 10 + 0.12 * steps  # time to store, post and claim them all, before the first falls due
    first = core.clock.now() + timedelta(seconds=round(setup_s))
    due: dict[int, float] = {}
    for n in range(steps):
        at = first + timedelta(seconds=n * seconds // steps)
        lead_id = tracker.ingest(core, team.id, incoming(f"Bench Customer {n}", source="bench", external_id=f"E-{n}",
                                                         submitted_at=at - timedelta(seconds=WINDOW_S),
                                                         phone=None, email=None)).lead_id
        while deliver_pending(core, chat).sent:  # the card is posted...
            pass
        tracker.claim(core, team.id, lead_id, reps[n % REPS])  # ...and claimed: the owner is reminded
        due[lead_id] = at.timestamp()
    while deliver_pending(core, chat).sent:
        pass
    with transaction(core.engine) as session:  # each lead waits for exactly that step
        planned = dict(session.execute(select(Lead.id, Lead.due_at).where(Lead.team_id == team.id)).all())
    assert {lead: at.timestamp() for lead, at in planned.items()} == due, "a lead's next step is not the planned one"
    if time.time() > first.timestamp() - 1:
        sys.exit(f"setting up took longer than {setup_s:.0f} s: run fewer --steps")
    chat.arrivals.clear()
    chat.said.clear()
    return due


def measure(url: str, steps: int, seconds: int) -> dict:
    core = bootstrap(url, SystemClock())
    with transaction(core.engine) as session:
        if session.scalar(select(func.count()).select_from(Lead)):
            sys.exit("the database has leads already: give an empty one")
    chat = ArrivalChat()
    due = prepare(core, chat, steps, seconds)
    scheduler = build_scheduler(core, through(chat))
    scheduler.start()
    give_up = max(due.values()) + 15
    while time.time() < give_up and len({lead for _, lead in chat.arrivals}) < len(due):
        time.sleep(0.2)
    time.sleep(1.0)  # a second notice of each step, and any duplicate
    scheduler.shutdown(wait=True)
    core.engine.dispose()

    every = [at - due[lead] for at, lead in chat.arrivals]
    first: dict[int, float] = {}
    for at, lead in chat.arrivals:
        first.setdefault(lead, at - due[lead])
    return {"steps": len(due), "notices": len(every), "missing": len(due) - len(first),
            "twice": sum(1 for n in chat.said.values() if n > 1), "first": list(first.values()), "every": every}


def fresh_postgres() -> tuple[str, callable]:
    name = f"bench_escalation_{uuid.uuid4().hex[:8]}"
    admin = create_engine(LOCAL_POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return LOCAL_POSTGRES.rsplit("/", 1)[0] + f"/{name}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=60, help="the steps fall due evenly over this long")
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file in a temp directory")
    parser.add_argument("--postgres", action="store_true", help=f"a new database on {LOCAL_POSTGRES.split('@')[-1]}")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR, format="%(message)s")

    scratch = tempfile.TemporaryDirectory()
    drop = None
    if args.postgres:
        url, drop = fresh_postgres()
    else:
        url = args.database_url or f"sqlite:///{scratch.name}/bench.db"
    try:
        result = measure(url, args.steps, args.seconds)
    finally:
        if drop is not None:
            drop()
        scratch.cleanup()

    kind = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(f"{kind}: {result['steps']} steps due over {args.seconds} s, {result['notices']} notices; "
          f"steps never told: {result['missing']}; notices that came twice: {result['twice']}")
    print("| delay from due time to the chat port | n | p50 s | p99 s | max s | goal |")
    print("|---|---:|---:|---:|---:|---|")
    for label, values in (("first notice of each step", result["first"]), ("every notice", result["every"])):
        if values:
            p99 = percentile(values, 99)
            print(f"| {label} | {len(values)} | {percentile(values, 50):.2f} | {p99:.2f} | {max(values):.2f} | "
                  f"p99 < {GOAL_P99_S:g} s: {'met' if p99 < GOAL_P99_S else 'NOT met'} |")


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
