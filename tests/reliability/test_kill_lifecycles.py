"""Issue 13: kill -9 of the web and the worker processes at random points across lead lifecycles
(ingest, post, claim, touches, escalations, close) on PostgreSQL: no lead lost, no escalation
missed or doubled, every notice delivered; cards posted more than once are counted, with why.

The real Procfile processes (`chatbot db upgrade`, `chatbot web --port N`, `chatbot worker`) run
on a fresh PostgreSQL database, with Slack pointed (SLACK_API_URL) at the fake Web API over real
HTTP. Lifecycles are driven over HTTP only: the intake API (leads, the CRM's calls), signed
Slack reaction events (claims) and the card's Won button (block actions). Windows are seconds
long, so each lead's escalations fall due during the run. A seeded schedule SIGKILLs the web,
the worker or both and restarts them (KILL_SEED=N replays a schedule; the default is fixed).

Which steps must fire is computed by hand from the windows (tests/reliability/lifecycles.py):
an unclaimed lead's whole claim chain; a claimed lead's first-contact steps that fall due after
its claim and before its call; none after the action that closed the window. A step that falls
due within a second of the action that closes its window may go either way: counted as racing.

Short (20 lifecycles) by default; RELIABILITY_LONG=1: 1,000. Counts are asserted, never times.
Figures of a long run: docs/RELIABILITY.md, "Kill -9 across lead lifecycles".
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import time
import uuid

import pytest
from sqlalchemy import create_engine, text

from chatbot.core import bootstrap
from chatbot.domain.clock import SystemClock
from tests.conftest import POSTGRES_SERVER
from tests.reliability.lifecycles import (
    ROOT,
    Chaos,
    Driver,
    KillSlack,
    Snapshot,
    Stack,
    chatbot_command,
    make_teams,
    midday_zone,
    verify,
    wait_quiet,
)

try:  # the suite's figures section (tests/reliability/conftest.py), when there is one
    from tests.reliability.conftest import figure
except ImportError:  # pragma: no cover
    figure = print

pytestmark = pytest.mark.postgres

LONG = os.environ.get("RELIABILITY_LONG", "") not in ("", "0")  # as the rest of the suite reads it
SEED = int(os.environ.get("KILL_SEED", "0")) or 13
# lifecycles, teams, seconds over which leads arrive, pause between kills, seconds a process stays
# down, seconds from the start during which kills happen (None: until the last lifecycle ends)
SHORT_RUN = dict(count=20, teams=10, spread_s=8.0, pause=(2.0, 5.0), down=(0.1, 1.0), kill_for_s=15.0)
LONG_RUN = dict(count=1000, teams=20, spread_s=780.0, pause=(6.0, 16.0), down=(0.1, 2.0), kill_for_s=None)


@pytest.fixture
def kill_database(postgres_url, tmp_path):
    """A fresh database of its own (the session's is truncated by other tests), brought up to
    date by the Procfile's release command, dropped afterwards. `postgres_url` skips the test
    when no server answers (a failure under REQUIRE_POSTGRES=1)."""
    name = f"chatbot_kill_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = POSTGRES_SERVER.rsplit("/", 1)[0] + f"/{name}"
    try:
        stack_env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMS_", "DATABASE_"))}
        stack_env.update(DATABASE_URL=url, PYTHONPATH=str(ROOT))
        done = subprocess.run(chatbot_command() + ["db", "upgrade"], cwd=tmp_path,
                              env=stack_env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.xdist_group("processes")  # spawns processes: one such test at a time (pyproject.toml)
def test_kill_9_across_lead_lifecycles(kill_database, tmp_path):
    run = LONG_RUN if LONG else SHORT_RUN
    rng = random.Random(SEED)
    print(f"KILL_SEED={SEED} lifecycles={run['count']}")  # shown on failure: rerun the same schedule with it
    began = time.monotonic()
    core = bootstrap(kill_database, SystemClock(), migrate=False)
    fake = KillSlack().start()
    stack = Stack(kill_database, fake, tmp_path)
    snapshot = Snapshot(core.engine)
    chaos = Chaos(stack, random.Random(rng.random()), pause=run["pause"], down=run["down"],
                  for_s=run["kill_for_s"])
    try:
        teams = make_teams(core, run["teams"], midday_zone(time.time()), fake)
        stack.start("web")
        stack.start("worker")
        assert stack.web_ready(60), stack.output()
        snapshot.start()
        driver = Driver(stack, fake, snapshot, teams, random.Random(rng.random()), run["count"], run["spread_s"])
        chaos.start()
        driver.run()
        driven = time.monotonic() - began
        chaos.stop.set()
        chaos.join(timeout=60)
        quiet = wait_quiet(core.engine, stack, timeout=600)
        settled = time.monotonic() - began
        stack.stop_all()
        report = verify(core.engine, fake, driver, stack)
    finally:
        chaos.stop.set()
        snapshot.stop.set()
        stack.stop_all()
        fake.stop()
        core.engine.dispose()

    figures = {**report.figures(), "seed": SEED, "kills": dict(stack.kills),
               "duration_s": round(time.monotonic() - began, 1), "driven_s": round(driven, 1),
               "settled_s": round(settled, 1), "quiet": quiet,
               "web_restart_to_healthy_s": sorted(round(s, 1) for s in chaos.web_restart_s),
               "logs_with_tracebacks": stack.tracebacks()}
    print(json.dumps(figures, indent=2))
    figure(f"kill -9 across lead lifecycles: {json.dumps(figures)}")
    if os.environ.get("KILL_REPORT"):
        with open(os.environ["KILL_REPORT"], "w", encoding="utf-8") as out:
            json.dump({**figures, "unexpected": report.unexpected, "missed": report.missed,
                       "duplicated": report.duplicated, "problems": report.problems,
                       "cards_extra": report.cards_extra, "racing_steps": report.racing_steps, "notice_extra_leads": report.notice_extra_leads},
                      out, indent=2)
    assert chaos.error is None, chaos.error
    assert stack.kills["web"] >= 1 and stack.kills["worker"] >= 1, stack.kills
    assert quiet, f"the processes did not settle: KILL_SEED={SEED}\n{stack.output()[-6000:]}"
    failures = report.failures()
    assert not failures, f"KILL_SEED={SEED}\n" + "\n".join(failures)
    assert report.accepted == run["count"] and report.lost == []
