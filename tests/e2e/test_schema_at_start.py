"""`chatbot web` and `chatbot worker` on a database that is not at the newest migration, run as a
host runs them (processes of their own): on an SQLite file they bring it up themselves, as
`chatbot run` does; on PostgreSQL they refuse in one line and exit 1, and change nothing.
Never a traceback."""

from __future__ import annotations

import time

import httpx
import pytest
from alembic import command
from sqlalchemy import text

from chatbot.core import alembic_config, head_revision, known_revisions, schema_revision
from chatbot.store.db import make_engine
from tests.e2e.processes import (
    free_port,
    output_of,
    port_is_closed,
    run_chatbot,
    sibling_database,
    start_chatbot,
    stop,
    wait_for_http,
)

HEAD = head_revision()
PROCESSES = [pytest.param(["web", "--host", "127.0.0.1", "--port", "0"], id="web"),
             pytest.param(["worker"], id="worker")]


def revision_of(url: str) -> str | None:
    engine = make_engine(url)
    try:
        return schema_revision(engine)
    finally:
        engine.dispose()


def test_web_and_worker_started_together_on_a_fresh_sqlite_file_bring_it_up_and_run(tmp_path):
    """The issue's morning: a fresh file, `web` and `worker` started side by side. Both stay up:
    the web answers /healthz and /readyz's schema check, and the worker beats."""
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    port = free_port()
    web = start_chatbot(["web", "--host", "127.0.0.1", "--port", str(port)], tmp_path, DATABASE_URL=url)
    worker = start_chatbot(["worker"], tmp_path, DATABASE_URL=url)
    try:
        health = wait_for_http(f"http://127.0.0.1:{port}/healthz", web)
        deadline = time.monotonic() + 30
        while (ready := httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).json())["failed"] \
                and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.2)  # until the worker's first beat
        assert worker.poll() is None and web.poll() is None, output_of(worker) + output_of(web)
    finally:
        codes = stop(web), stop(worker)
    assert health.status_code == 200 and health.json() == {"ok": True}
    assert ready["checks"]["migrations"] == {"ok": True, "detail": f"at head {HEAD}"}
    assert ready["checks"]["worker"]["ok"] is True, ready
    assert revision_of(url) == HEAD
    said = output_of(web) + output_of(worker)
    assert "Traceback" not in said and "no such table" not in said
    # exactly one of them migrated; the other found the schema already there
    assert said.count(f"Brought the SQLite database up to {HEAD} (applied 0001, ") == 1, said
    web_code, worker_code = codes
    assert worker_code == 0
    assert web_code in (0, -15)  # uvicorn shuts down cleanly, then re-raises SIGTERM (systemd: a clean stop)


def test_the_worker_brings_an_sqlite_file_at_an_old_revision_up_and_keeps_its_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    command.upgrade(alembic_config(engine), "0009")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO team (name, platform, platform_team_id, timezone, business_days, "
                                "opens_at, closes_at, claim_window_s, first_contact_window_s, second_contact_window_s,"
                                " stall_window_s, playbook, phone_region, created_at, quiet_hours, away_after_lapses)"
                                " VALUES ('Demo Motors', 'api', 'demo', 'America/Chicago', 'mon tue', '09:00', "
                                "'19:00', 300, 900, 172800, 259200, 'Call now.', 'US', '2026-11-24 16:00:00', 1, 3)"))
    engine.dispose()

    done = run_chatbot(["worker", "--once", "--database-url", url], tmp_path)

    assert done.returncode == 0, done.stderr
    after_0009 = ", ".join(known_revisions()[known_revisions().index("0009") + 1:])  # 0010, and any newer
    assert done.stdout.splitlines()[0] == f"Brought the SQLite database up to {HEAD} (applied {after_0009})."
    assert "Traceback" not in done.stdout + done.stderr
    engine = make_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT name FROM team")).scalars().all() == ["Demo Motors"]
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("process", PROCESSES)
def test_on_an_empty_postgresql_database_web_and_worker_refuse_in_one_line(postgres_url, tmp_path, process):
    with sibling_database(postgres_url) as url:
        done = run_chatbot([*process, "--database-url", url], tmp_path)
        assert revision_of(url) is None  # nothing was created
    assert done.returncode == 1
    assert done.stderr == (f"The database is at revision none (no tables yet), the code needs {HEAD}: "
                           f"run `chatbot db upgrade`.\n")
    assert done.stdout == ""


@pytest.mark.postgres
@pytest.mark.parametrize("process", PROCESSES)
def test_on_a_postgresql_database_one_migration_behind_web_and_worker_refuse_and_change_nothing(
        postgres_url, tmp_path, process):
    with sibling_database(postgres_url) as url:
        engine = make_engine(url)
        command.upgrade(alembic_config(engine), "0009")
        engine.dispose()
        done = run_chatbot([*process, "--database-url", url], tmp_path)
        assert revision_of(url) == "0009"
    assert done.returncode == 1
    assert done.stderr == f"The database is at revision 0009, the code needs {HEAD}: run `chatbot db upgrade`.\n"
    assert "Traceback" not in done.stdout


def migrated_by_a_newer_release(tmp_path) -> str:
    """An SQLite file at a revision this code does not know (9999), as a newer release leaves it."""
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    engine = make_engine(url)
    command.upgrade(alembic_config(engine), "head")
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    return url


@pytest.mark.parametrize("process", PROCESSES)
def test_a_database_migrated_by_a_newer_release_is_refused_in_one_line(tmp_path, process):
    url = migrated_by_a_newer_release(tmp_path)

    done = run_chatbot([*process, "--database-url", url], tmp_path)

    assert done.returncode == 1
    assert done.stderr == ("The database is at revision 9999, which this code does not know: a newer release "
                           "migrated it. Deploy that release (or restore a backup taken with this one).\n")
    assert revision_of(url) == "9999"


@pytest.mark.parametrize("process", PROCESSES)
def test_a_postgresql_server_that_does_not_answer_is_one_line_without_the_password(tmp_path, process):
    url = f"postgresql://leads:hunter2@127.0.0.1:{port_is_closed()}/leads?connect_timeout=3"

    done = run_chatbot([*process, "--database-url", url], tmp_path)

    assert done.returncode == 1
    assert done.stderr.startswith("Cannot reach the database at postgresql+psycopg://leads:***@127.0.0.1:")
    assert done.stderr.endswith(": check DATABASE_URL and that the server is up and lets this host in.\n")
    assert done.stderr.count("\n") == 1 and "hunter2" not in done.stderr + done.stdout


# ---------------------------------------------------------------- chatbot db upgrade


def test_db_upgrade_names_the_migrations_it_applied_then_that_none_was_needed(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"

    first = run_chatbot(["db", "upgrade", "--database-url", url], tmp_path)
    again = run_chatbot(["db", "upgrade", "--database-url", url], tmp_path)

    assert first.returncode == 0 and again.returncode == 0, first.stderr + again.stderr
    assert first.stdout == (f"Applied {', '.join(known_revisions())}: the database (sqlite:///{tmp_path}/new.db) "
                            f"went from empty to {HEAD}.\n")
    assert again.stdout == f"No migration was needed: the database (sqlite:///{tmp_path}/new.db) is at {HEAD}, " \
                           f"the newest.\n"


@pytest.mark.postgres
def test_db_upgrade_on_postgresql_one_migration_behind_applies_just_that_one(postgres_url, tmp_path):
    with sibling_database(postgres_url) as url:
        engine = make_engine(url)
        command.upgrade(alembic_config(engine), "0009")
        engine.dispose()
        done = run_chatbot(["db", "upgrade"], tmp_path, DATABASE_URL=url)
        assert revision_of(url) == HEAD
    after_0009 = ", ".join(known_revisions()[known_revisions().index("0009") + 1:])
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"Applied {after_0009}: the database ({url}) went from 0009 to {HEAD}.\n"


def test_db_upgrade_refuses_a_database_migrated_by_a_newer_release_and_changes_nothing(tmp_path):
    url = migrated_by_a_newer_release(tmp_path)

    done = run_chatbot(["db", "upgrade", "--database-url", url], tmp_path)

    assert done.returncode == 1
    assert done.stderr == ("The database is at revision 9999, which this code does not know: a newer release "
                           "migrated it. Nothing was changed.\n")
    assert revision_of(url) == "9999"
