"""A worker killed with SIGKILL mid-ladder, again and again, sometimes beside a second worker
(issue 10): every step of every ladder still fires exactly once.

Real `chatbot worker` processes on PostgreSQL, on the real clock, with no chat configured, so
every notice a step queues stays in the outbox to be counted. Leads are stored as if they had
arrived 15 to 35 minutes ago, so that some of each lead's first-contact steps are already due
when the first worker starts and one more falls due at a random second of the next ~20 s,
while workers are being killed and restarted at random moments. The test asserts counts only:
each step once in the escalation table, each of its notices once in the outbox. How late a
step is swept is measured by bench/escalation_delay.py, not asserted here.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlmodel import SQLModel

from chatbot.core import bootstrap
from chatbot.domain.clock import SystemClock
from chatbot.leads import tracker
from chatbot.messaging.queue import NOTICE
from chatbot.store.db import transaction
from chatbot.store.models import Escalation, OutboxMessage, Role, Rollup
from chatbot.team import roster
from tests.helpers import incoming

pytestmark = pytest.mark.postgres

ROOT = Path(__file__).resolve().parents[2]
LEADS = 24
WINDOW = timedelta(minutes=15)  # the team's first-contact window: rungs at -5, 0, +10, +20 min
LEVEL_AT = {1: timedelta(0), 2: timedelta(minutes=10), 3: timedelta(minutes=20)}
SPREAD_S = (4, 20)  # the in-window step of each lead falls due this many seconds after the start
SEED = int(os.environ.get("KILL_SEED", "0")) or random.randrange(1, 10**6)


@pytest.fixture
def core(postgres_url):
    """The core on the real clock, on empty tables of the session's PostgreSQL database."""
    made = bootstrap(postgres_url, SystemClock(), migrate=False)
    tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with made.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield made
    made.engine.dispose()


class Workers:
    """`chatbot worker` processes; each one's output goes to a file of its own (`logs`)."""

    def __init__(self, url: str, scratch: Path) -> None:
        self.scratch, self.running, self.logs, self.kills = scratch, [], {}, 0
        self.env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "TEAMS_"))}
        self.env.update(DATABASE_URL=url, PYTHONPATH=str(ROOT), LOG_LEVEL="INFO")

    def start(self) -> None:
        log = self.scratch / f"worker-{len(self.logs) + 1}.log"
        with log.open("wb") as out:  # cwd: the scratch directory, so no .env of the checkout is read
            proc = subprocess.Popen([sys.executable, "-m", "entrypoints.cli", "worker"],
                                    cwd=self.scratch, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self.running.append(proc)
        self.logs[proc] = log

    def kill_one(self, rng: random.Random, *, mid_sweep: bool) -> None:
        """SIGKILL one worker: no shutdown, whatever it was in the middle of. `mid_sweep`: the
        first one to log "escalation fired" from now on (the line is written before its
        transaction commits), else a random one after a random pause."""
        pause = rng.uniform(0.3, 2.5)
        victim = self.running[rng.randrange(len(self.running))]
        if mid_sweep:
            seen = {proc: self._fired_lines(proc) for proc in self.running}
            give_up = time.monotonic() + 3 * pause
            while time.monotonic() < give_up and not any(self._fired_lines(p) > n for p, n in seen.items()):
                time.sleep(0.005)
            victim = next((p for p, n in seen.items() if self._fired_lines(p) > n), victim)
        else:
            time.sleep(pause)
        victim.kill()
        victim.wait(timeout=10)
        self.running.remove(victim)
        self.kills += 1

    def _fired_lines(self, proc: subprocess.Popen) -> int:
        return self.logs[proc].read_text(errors="replace").count("escalation fired")

    def kill_all(self) -> None:
        while self.running:
            proc = self.running.pop()
            proc.kill()
            proc.wait(timeout=10)

    def output(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')}" for log in self.logs.values())


def store_leads(core, rng: random.Random) -> dict[int, int]:
    """LEADS leads whose `level` falls due 4-20 s from now (levels below it are due already);
    returns each lead's in-window level."""
    team = roster.ensure_team(core, name="Kill Motors", platform="slack", platform_team_id="T0KILL",
                              leads_channel="#leads", managers_channel="#managers", timezone="UTC",
                              business_days="mon tue wed thu fri sat sun", opens_at="00:00", closes_at="23:59",
                              first_contact_window_s=int(WINDOW.total_seconds()), quiet_hours=False)
    for order, name in enumerate(["Rep A", "Rep B", "Rep C"], start=1):
        roster.add_member(core, team.id, name=name, chat_user_id=f"U0REP{order}", oncall_order=order)
    roster.add_member(core, team.id, name="Manager", chat_user_id="U0MGR", role=Role.MANAGER)
    start = core.clock.now()
    levels = {}
    for n in range(LEADS):
        level = 1 + n % 3
        due = start + timedelta(seconds=rng.randint(*SPREAD_S))
        submitted = due - WINDOW - LEVEL_AT[level]
        lead_id = tracker.ingest(core, team.id, incoming(f"Customer {n}", external_id=f"K-{n}", submitted_at=submitted,
                                                         phone=None, email=None)).lead_id
        levels[lead_id] = level
    return levels


def escalation_rows(core) -> list[Escalation]:
    with transaction(core.engine) as session:
        return list(session.scalars(select(Escalation).order_by(Escalation.id)).all())


def notices(core) -> list[OutboxMessage]:
    with transaction(core.engine) as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == NOTICE)).all())


def rollups(core) -> list[Rollup]:
    with transaction(core.engine) as session:
        return list(session.scalars(select(Rollup).order_by(Rollup.created_at)).all())


def notices_of(escalation: Escalation, leads_channel: str) -> int:
    """How many notices the sweep queues with this step (chatbot/escalation/sweeper.py): none for
    one kept for the morning summary or a heads-up caught up after its deadline; else one under
    the card, and one to the person or the other channel it names."""
    if escalation.held_for is not None or escalation.due_at < escalation.deadline <= escalation.fired_at:
        return 0
    return 1 + (escalation.target_member_id is not None) + (
        escalation.target_channel is not None and escalation.target_channel != leads_channel)


@pytest.mark.xdist_group("processes")  # spawns processes: one such test at a time (pyproject.toml)
def test_workers_killed_mid_ladder_fire_every_step_exactly_once(core, tmp_path):
    rng = random.Random(SEED)
    print(f"KILL_SEED={SEED}")  # shown on failure: rerun the same schedule with it
    levels = store_leads(core, rng)
    expected = Counter({(lead_id, level): 1 for lead_id, top in levels.items() for level in range(top + 1)})
    workers = Workers(core.engine.url.render_as_string(hide_password=False), tmp_path)
    last_due = time.monotonic() + SPREAD_S[1] + 1
    stretches = Counter()
    try:
        workers.start()
        stretch = 0
        while time.monotonic() < last_due:  # kill one, often mid-sweep; every third stretch runs two
            workers.kill_one(rng, mid_sweep=rng.random() < 0.5)
            stretch += 1
            wanted = 2 if stretch % 3 == 1 else 1
            while len(workers.running) < wanted:
                workers.start()
            stretches[len(workers.running)] += 1
        if not workers.running:
            workers.start()
        give_up = time.monotonic() + 20  # the steps have all fallen due: a surviving worker fires the rest
        while len(escalation_rows(core)) < sum(expected.values()) and time.monotonic() < give_up:
            time.sleep(0.2)
        time.sleep(1.5)  # room for a step fired twice to show up
    finally:
        workers.kill_all()

    assert workers.kills >= 5 and stretches[2] >= 2, (workers.kills, stretches)
    rows = escalation_rows(core)
    fired = Counter((e.lead_id, e.level) for e in rows)
    assert {e.rule for e in rows} == {"first_contact"}  # no chat: no card posted, no claim window
    assert fired == expected, (f"missing {expected - fired}, doubled or extra {fired - expected}; "
                               f"KILL_SEED={SEED}\n{workers.output()[-4000:]}")
    # each step's notices were queued once, in the transaction of its escalation row (same lead, same
    # moment); besides them only the morning summary (escalation/rollup.py), once, if it had anything
    wanted = Counter()
    for e in rows:
        wanted[(e.lead_id, e.fired_at)] += notices_of(e, "#leads")
    queued = notices(core)
    found = Counter((n.lead_id, n.created_at) for n in queued)
    assert not wanted - found, f"notices missing: {wanted - found}"
    summaries = [r.created_at for r in rollups(core) if r.held or r.past_ladder]
    besides = found - wanted
    assert sorted(at for _, at in besides.elements()) == summaries, f"notices besides the steps': {besides}"
    said = Counter((n.lead_id, n.payload["to"], n.payload["address"], n.payload["text"]) for n in queued)
    assert max(said.values()) == 1  # nothing said twice
    assert "Traceback" not in workers.output(), workers.output()[-4000:]
