"""SIGTERM to `chatbot web` (systemd's stop, a platform's restart): it takes no new connection,
finishes the requests already in flight, and answers nothing half-done. Every lead it
acknowledged is stored with its card queued; no request gets a 5xx. On an SQLite file and on
PostgreSQL, the web run as a process of its own."""

from __future__ import annotations

import json
import signal
import socket
import threading
import time

import httpx
import pytest
from sqlalchemy import text

from chatbot.core import bootstrap
from chatbot.intake import apikeys
from chatbot.team import roster
from tests.e2e.processes import free_port, output_of, sibling_database, start_chatbot, stop, wait_for_http


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'live.db'}"
    else:
        with sibling_database(request.getfixturevalue("postgres_url")) as url:
            yield url


def intake_key(url: str) -> str:
    core = bootstrap(url)
    team = roster.create_team(core, name="Demo Motors", platform="api", platform_team_id="demo-motors")
    key = apikeys.create_key(core, team.id, "cars.com").key
    core.engine.dispose()
    return key


def stored(url: str) -> dict[str, int]:
    """Each stored lead's external id -> how many card messages it has queued."""
    core = bootstrap(url, migrate=False)
    with core.engine.connect() as connection:
        found = dict(connection.execute(text(
            "SELECT lead.external_id, COUNT(outboxmessage.id) FROM lead LEFT JOIN outboxmessage "
            "ON outboxmessage.lead_id = lead.id AND outboxmessage.kind = 'card' GROUP BY lead.external_id")).all())
    core.engine.dispose()
    return found


def lead_body(external_id: str) -> bytes:
    return json.dumps({"source": "Cars.com", "external_id": external_id,
                       "customer": {"name": "Shopper", "phones": [{"number": "(312) 555-0147"}]}}).encode()


def test_a_lead_half_uploaded_when_sigterm_arrives_is_still_stored_and_acknowledged(database, tmp_path):
    key = intake_key(database)
    port = free_port()
    web = start_chatbot(["web", "--host", "127.0.0.1", "--port", str(port)], tmp_path, DATABASE_URL=database)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", web)
        body = lead_body("CARS-INFLIGHT")
        with socket.create_connection(("127.0.0.1", port), timeout=20) as upload:
            upload.sendall(f"POST /intake/leads HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n"
                           f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                           + body[:20])
            time.sleep(0.5)
            web.send_signal(signal.SIGTERM)
            time.sleep(1)
            refused_new = _connects(port)  # the listening socket is closed: no new request is taken
            upload.sendall(body[20:])
            answer = _read_response(upload)
            closed_after = upload.recv(1) == b""  # then it closes the connection: nothing more is taken
        assert web.wait(timeout=20) in (0, -signal.SIGTERM)
    finally:
        stop(web)
    assert answer.startswith("HTTP/1.1 201 "), answer
    assert closed_after
    assert not refused_new
    assert stored(database) == {"CARS-INFLIGHT": 1}
    assert "Traceback" not in output_of(web)


def test_sigterm_in_the_middle_of_a_burst_loses_no_acknowledged_lead(database, tmp_path):
    key = intake_key(database)
    port = free_port()
    web = start_chatbot(["web", "--host", "127.0.0.1", "--port", str(port)], tmp_path, DATABASE_URL=database)
    acknowledged: list[str] = []
    answered_5xx: list[int] = []
    attempted: list[str] = []
    stopping = threading.Event()

    def sender(name: str) -> None:
        number, failures = 0, 0
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=20,
                          headers={"Authorization": f"Bearer {key}"}) as http:
            while failures < 3 and not stopping.is_set():
                number += 1
                external_id = f"CARS-{name}-{number}"
                attempted.append(external_id)
                try:
                    answer = http.post("/intake/leads", content=lead_body(external_id),
                                       headers={"Content-Type": "application/json"})
                except httpx.TransportError:  # no answer at all: a sender tries again later
                    failures += 1
                    time.sleep(0.05)
                    continue
                if answer.status_code >= 500:
                    answered_5xx.append(answer.status_code)
                elif answer.is_success:
                    acknowledged.append(external_id)

    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", web)
        senders = [threading.Thread(target=sender, args=(name,), daemon=True) for name in "ABCD"]
        for thread in senders:
            thread.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 40 and time.monotonic() < deadline:
            time.sleep(0.02)
        web.send_signal(signal.SIGTERM)
        code = web.wait(timeout=30)
        for thread in senders:
            thread.join(timeout=30)
    finally:
        stopping.set()
        stop(web)
    leads = stored(database)
    assert len(acknowledged) >= 40
    assert answered_5xx == []
    assert set(acknowledged) <= set(leads)  # every acknowledged lead is there
    assert set(leads) <= set(attempted)
    assert set(leads.values()) == {1}  # each with its card queued: nothing half-done
    assert code in (0, -signal.SIGTERM)
    assert "Traceback" not in output_of(web)


def _connects(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return True
    except OSError:
        return False


def _read_response(connection: socket.socket) -> str:
    data = b""
    while b"\r\n\r\n" not in data or not _complete(data):
        chunk = connection.recv(65536)
        if not chunk:
            break
        data += chunk
    return data.decode(errors="replace")


def _complete(data: bytes) -> bool:
    head, _, rest = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(rest) >= int(line.split(b":")[1])
    return True
