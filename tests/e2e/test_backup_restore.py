"""`chatbot backup` of a live deployment while leads arrive, `chatbot restore` into an empty
database: every lead acknowledged before the backup began is there, with every touch,
escalation, setting, person and key, row for row as in the source. On an SQLite file and on
PostgreSQL, each command run as a process of its own. Refusals are one line and change nothing."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text

from chatbot.core import bootstrap, head_revision, run
from chatbot.domain.clock import ManualClock, SystemClock
from chatbot.escalation.sweeper import sweep
from chatbot.intake import apikeys
from chatbot.leads import tracker
from chatbot.store.db import normalize_url
from chatbot.store.models import Role
from chatbot.team import roster
from chatbot.team.settings import change_setting
from entrypoints.operations import shown
from tests.e2e.processes import free_port, output_of, run_chatbot, sibling_database, start_chatbot, stop, wait_for_http
from tests.helpers import incoming

KEPT = ("team", "member", "apikey", "touch", "escalation", "teamschedule")  # made before the backup: all of it


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def two_databases(request, tmp_path):
    """The deployment's database and an empty one to restore into."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'live.db'}", f"sqlite:///{tmp_path / 'restored.db'}"
    else:
        server = request.getfixturevalue("postgres_url")
        with sibling_database(server) as live, sibling_database(server) as empty:
            yield live, empty


def a_dealership(url: str) -> str:
    """Demo Motors two hours into its day: settings changed, three leads, touches, escalations; its intake key."""
    clock = ManualClock(SystemClock().now() - timedelta(hours=2))
    core = bootstrap(url, clock)
    team = roster.create_team(core, name="Demo Motors", platform="api", platform_team_id="demo-motors",
                              timezone="America/Chicago")
    roster.add_member(core, team.id, name="Sam", chat_user_id="sam", oncall_order=1, email="sam@demo.example")
    roster.add_member(core, team.id, name="Pat", chat_user_id="pat", role=Role.MANAGER)
    for name, value in (("first-contact", "20m"), ("quiet-hours", "off"), ("playbook", "Call, then text.")):
        run(core, lambda work, n=name, v=value: change_setting(work, team.id, "pat", n, v))
    first = tracker.ingest(core, team.id, incoming("Maria Gonzalez", external_id="CARS-1")).lead_id
    tracker.ingest(core, team.id, incoming("James Carter", external_id="CARS-2", phone="(312) 555-0199"))
    tracker.ingest(core, team.id, incoming("Ann Lee", external_id="CARS-3", phone=None, email="ann@example.com"))
    tracker.claim(core, team.id, first, "sam")
    clock.advance(timedelta(minutes=3))
    tracker.log_touch(core, team.id, first, "sam", "call", outcome="no_answer")
    tracker.log_touch(core, team.id, first, "sam", "text")
    clock.advance(timedelta(hours=1))
    assert sweep(core)  # the unclaimed leads' claim windows lapsed an hour ago
    made = apikeys.create_key(core, team.id, "cars.com")
    apikeys.set_rate(core, made.prefix, 100_000)  # the burst posts as fast as it can: this key is allowed to
    core.engine.dispose()
    return made.key


def rows(url: str, table: str, where: str = "") -> list[tuple]:
    core = bootstrap(url, migrate=False)
    with core.engine.connect() as connection:
        found = [tuple(r) for r in connection.execute(text(f"SELECT * FROM {table} {where} ORDER BY 1"))]
    core.engine.dispose()
    return found


class Burst:
    """Leads posted to the intake API one after another until stopped; which were acknowledged (2xx)."""

    def __init__(self, base: str, key: str) -> None:
        self.base, self.key = base, key
        self.acknowledged: list[str] = []
        self.refused: list[int] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._post, daemon=True)

    def _post(self) -> None:
        with httpx.Client(base_url=self.base, headers={"Authorization": f"Bearer {self.key}"}, timeout=30) as http:
            number = 100
            while not self.stopping.is_set():
                number += 1
                answer = http.post("/intake/leads", json={
                    "source": "Cars.com", "external_id": f"CARS-{number}",
                    "customer": {"name": f"Shopper {number}", "phones": [{"number": f"(312) 555-{number:04d}"}]}})
                (self.acknowledged if answer.is_success else self.refused).append(
                    f"CARS-{number}" if answer.is_success else answer.status_code)

    def until(self, count: int) -> list[str]:
        while len(self.acknowledged) < count and self.thread.is_alive():
            self.stopping.wait(0.05)
        return list(self.acknowledged)


def test_a_backup_taken_while_leads_arrive_restores_every_acknowledged_lead_and_everything_else(two_databases,
                                                                                              tmp_path):
    live, empty = two_databases
    key = a_dealership(live)
    port = free_port()
    web = start_chatbot(["web", "--host", "127.0.0.1", "--port", str(port)], tmp_path, DATABASE_URL=live)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", web)
        burst = Burst(f"http://127.0.0.1:{port}", key)
        burst.thread.start()
        before = burst.until(10)
        made = run_chatbot(["backup", "--out", str(tmp_path / "nightly.backup"), "--database-url", live], tmp_path)
        burst.until(len(burst.acknowledged) + 10)  # leads keep arriving after it
    finally:
        burst.stopping.set()
        burst.thread.join(timeout=30)
        stop(web)
    assert made.returncode == 0, made.stderr
    assert re.fullmatch(rf"Backed up .* \(schema at {head_revision()}\) to .*nightly\.backup, \d+ bytes, readable "
                        rf"by this user only\.\n", made.stdout), made.stdout
    assert (tmp_path / "nightly.backup").stat().st_mode & 0o777 == 0o600
    assert burst.refused == [] and "Traceback" not in output_of(web)

    restored = run_chatbot(["restore", str(tmp_path / "nightly.backup")], tmp_path, DATABASE_URL=empty)

    assert restored.returncode == 0, restored.stderr
    back = {row[0]: row for row in rows(empty, "lead")}
    external = {row[3] for row in back.values()}  # lead.external_id
    assert {"CARS-1", "CARS-2", "CARS-3", *before} <= external  # every lead acknowledged before it began
    assert external <= {"CARS-1", "CARS-2", "CARS-3", *burst.acknowledged}  # and nothing else
    assert list(back.values()) == [row for row in rows(live, "lead") if row[0] in back]  # each as it was
    for table in KEPT:
        assert rows(empty, table) == rows(live, table), table
    assert rows(empty, "outboxmessage") == [row for row in rows(live, "outboxmessage") if row[2] in back]  # lead_id
    assert len(rows(empty, "touch")) == 2 and len(rows(empty, "escalation")) >= 2
    assert restored.stdout == (f"Restored {tmp_path / 'nightly.backup'} into {shown(normalize_url(empty))}: 1 team, 2 people, "
                               f"{len(external)} leads, 2 touches, {len(rows(empty, 'escalation'))} escalations; "
                               f"schema at {head_revision()}, the newest.\n")


def test_restore_refuses_a_database_that_has_tables_and_changes_nothing(tmp_path):
    live, other = f"sqlite:///{tmp_path / 'live.db'}", f"sqlite:///{tmp_path / 'other.db'}"
    a_dealership(live)
    a_dealership(other)
    assert run_chatbot(["backup", "--out", "b.db", "--database-url", live], tmp_path).returncode == 0
    before = rows(other, "lead")

    done = run_chatbot(["restore", "b.db", "--database-url", other], tmp_path)

    assert done.returncode == 1
    assert done.stderr == (f"{other} already has tables (1 team, 2 people, 3 leads, 2 touches, "
                           f"{len(rows(other, 'escalation'))} escalations): restore into an empty database "
                           f"(a restore never mixes two).\n")
    assert rows(other, "lead") == before


def test_backup_never_overwrites_a_file_and_restore_takes_only_a_backup(tmp_path):
    live = f"sqlite:///{tmp_path / 'live.db'}"
    a_dealership(live)
    (tmp_path / "taken.db").write_bytes(b"last night's")
    (tmp_path / "notes.txt").write_text("not a backup")

    again = run_chatbot(["backup", "--out", "taken.db", "--database-url", live], tmp_path)
    wrong = run_chatbot(["restore", "notes.txt", "--database-url", f"sqlite:///{tmp_path / 'new.db'}"], tmp_path)

    assert (again.returncode, again.stderr) == (1, "taken.db already exists: give a new name (a backup never "
                                                   "overwrites one).\n")
    assert (tmp_path / "taken.db").read_bytes() == b"last night's"
    assert (wrong.returncode, wrong.stderr) == (1, "notes.txt is not a backup made by `chatbot backup` (neither a "
                                                   "pg_dump archive nor SQLite).\n")


@pytest.mark.postgres
def test_an_sqlite_backup_does_not_go_into_postgresql(postgres_url, tmp_path):
    live = f"sqlite:///{tmp_path / 'live.db'}"
    a_dealership(live)
    assert run_chatbot(["backup", "--out", "b.db", "--database-url", live], tmp_path).returncode == 0
    with sibling_database(postgres_url) as empty:
        done = run_chatbot(["restore", "b.db", "--database-url", empty], tmp_path)
        assert rows(empty, "information_schema.tables", "WHERE table_schema = 'public'") == []
    assert done.returncode == 1
    assert done.stderr.endswith("is PostgreSQL: a backup goes back into the kind of database it came from.\n")



def test_a_backups_secrets_open_only_with_the_key_that_sealed_them(two_databases, tmp_path):
    """A backup holds the stored secrets sealed, never in plain text: restored, a signed key's secret
    (like a workspace's chat token) opens with the deployment's SECRET_KEYS and with no other key."""
    live, empty = two_databases
    sealing, stranger = "YmFja3VwLXNlYWxlZC13aXRoLXRoaXMta2V5LW9ubHk=", "YW5vdGhlci1rZXktdGhhdC1zZWFsZWQtbm90aGluZyE="
    core = bootstrap(live, secret_keys=sealing)
    team = roster.create_team(core, name="Demo Motors", platform="api", platform_team_id="demo-motors",
                              timezone="America/Chicago")
    signed = apikeys.create_key(core, team.id, "crm", signed=True)
    core.engine.dispose()
    assert run_chatbot(["backup", "--out", "b.db", "--database-url", live], tmp_path).returncode == 0
    assert signed.hmac_secret.encode() not in (tmp_path / "b.db").read_bytes()
    assert run_chatbot(["restore", "b.db", "--database-url", empty], tmp_path).returncode == 0

    body = b'{"source": "crm"}'
    with_stranger = bootstrap(empty, secret_keys=stranger)
    assert apikeys.authenticate(with_stranger, signed.key) is None
    with_stranger.engine.dispose()
    restored = bootstrap(empty, secret_keys=sealing)
    assert apikeys.signature_ok(apikeys.authenticate(restored, signed.key), body, apikeys.sign(signed.hmac_secret, body))
    restored.engine.dispose()
