"""The outbox bell: on PostgreSQL a message queued in one process wakes a worker listening in
another at once, instead of on its next poll."""

from __future__ import annotations

import threading

import pytest

from chatbot.core import bootstrap
from chatbot.leads import tracker
from chatbot.messaging.bell import Bell
from chatbot.team import roster
from tests.helpers import incoming


@pytest.mark.parametrize("core", ["postgres"], indirect=True)
def test_a_lead_stored_by_one_process_rings_the_bell_of_a_worker_on_another_connection(core, clock):
    worker_core = bootstrap(core.engine.url.render_as_string(hide_password=False), clock, migrate=False)
    team = roster.ensure_team(core, name="Demo Motors", platform="console", platform_team_id="T1",
                              leads_channel="#leads")
    rung = threading.Event()
    bell = Bell(worker_core.engine, rung.set)
    bell.start()
    try:
        assert rung.wait(10), "listening: the bell wakes once at the start for what was queued before"
        rung.clear()

        tracker.ingest(core, team.id, incoming())

        assert rung.wait(10), "the stored lead's card rang the worker's bell"
    finally:
        bell.stop()
        worker_core.engine.dispose()


@pytest.mark.parametrize("core", ["sqlite"], indirect=True)
def test_on_sqlite_there_is_no_bell_to_listen_to(core):
    assert Bell(core.engine, lambda: None).listens is False
