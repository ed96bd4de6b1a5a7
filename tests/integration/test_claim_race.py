"""20 reps in 4 processes react to the same card at the same instant: exactly one owns it.

Runs against PostgreSQL, where the processes really race (SQLite serialises writers anyway).
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone

import pytest
from sqlmodel import select

from chatbot.core import bootstrap
from chatbot.domain.clock import ManualClock
from chatbot.leads import tracker
from chatbot.store.db import transaction
from chatbot.store.models import Lead, Member
from chatbot.team import roster
from tests.helpers import incoming

PROCESSES, THREADS_EACH, TRIALS = 4, 5, 25
pytestmark = pytest.mark.postgres

_worker_core = None


def _start_worker(url: str) -> None:
    global _worker_core
    _worker_core = bootstrap(url, ManualClock(datetime(2026, 11, 24, 16, tzinfo=timezone.utc)), migrate=False)


def _race(team_id: int, lead_id: int, reps: list[str], start_at: float) -> list[str]:
    """Claim from several threads released together at `start_at` (a shared wall-clock instant)."""
    barrier = threading.Barrier(len(reps))
    winners: list[str] = []

    def react(rep: str) -> None:
        barrier.wait()
        time.sleep(max(0.0, start_at - time.time()))  # clock-ok: aligning processes in a test
        if tracker.claim(_worker_core, team_id, lead_id, rep).won:
            winners.append(rep)

    threads = [threading.Thread(target=react, args=(rep,)) for rep in reps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return winners


@pytest.mark.xdist_group("processes")  # spawns processes: one such test at a time (pyproject.toml)
def test_twenty_concurrent_claims_from_four_processes_give_exactly_one_owner(postgres_url, clock):
    core = bootstrap(postgres_url, clock, migrate=False)
    team = roster.ensure_team(core, name="Race Motors", platform="console", platform_team_id="race")
    reps = [f"rep{n:02d}" for n in range(PROCESSES * THREADS_EACH)]
    for rep in reps:
        roster.add_member(core, team.id, name=rep, chat_user_id=rep)
    context = mp.get_context("spawn")
    with ProcessPoolExecutor(PROCESSES, mp_context=context, initializer=_start_worker,
                             initargs=(postgres_url,)) as pool:
        list(pool.map(_start_worker, [postgres_url] * PROCESSES))  # warm every worker up
        for trial in range(TRIALS):
            lead_id = tracker.ingest(core, team.id, incoming(external_id=f"race-{trial}")).lead_id
            start_at = time.time() + 0.3  # clock-ok
            futures = [pool.submit(_race, team.id, lead_id, reps[p::PROCESSES], start_at) for p in range(PROCESSES)]
            winners = [w for f in futures for w in f.result()]
            assert len(winners) == 1, f"trial {trial}: {len(winners)} winners {winners}"
            with transaction(core.engine) as session:
                owner = session.exec(select(Member.chat_user_id).join(Lead, Lead.owner_id == Member.id)
                                     .where(Lead.id == lead_id)).one()
            assert owner == winners[0]
    core.engine.dispose()
