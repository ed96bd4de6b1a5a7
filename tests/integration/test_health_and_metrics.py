"""/healthz, /readyz and /metrics over HTTP against the real web app (SQLite, then PostgreSQL):
health is the database, readiness names the check that failed, and the metrics say what the
leads ingested through the intake API did, with no customer's name, phone or e-mail in them."""

from __future__ import annotations

import asyncio
import re
import shutil
import threading
from datetime import timedelta

import httpx
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import select

from adapters import intake_api
from adapters.slack.chat import SlackChat, make_client
from adapters.teams.chat import TeamsChat
from chatbot.core import alembic_config, bootstrap
from chatbot.escalation.sweeper import sweep
from chatbot.intake import apikeys
from chatbot.leads import tracker
from chatbot.messaging import conversations
from chatbot.messaging.platforms import deliver_all
from chatbot.messaging.ports import Channel, ChatUnavailable
from chatbot.messaging.views import Notice
from chatbot.ops.heartbeat import beat, last_beat
from chatbot.ops.metrics import registry_for
from chatbot.store.db import make_engine, transaction
from chatbot.store.models import Lead
from chatbot.team import roster
from chatbot.worker import through, tick
from entrypoints.scrape import serve_metrics
from entrypoints.web import create_web_app
from tests.fakes.chat import FakeChat

CUSTOMERS = [  # (source, external id, submitted, name, e-mail, phone as sent, phone as stored)
    ("Cars.com", "CARS-1", "2026-11-24T09:58:00-06:00", "Maria Gonzalez", "maria@example.com",
     "(312) 555-0147", "+13125550147"),
    ("Cars.com", "CARS-2", "2026-11-24T09:59:30-06:00", "Olufemi Adeyemi", "olufemi@example.org",
     "312-555-0199", "+13125550199"),
    ("Dealer website", "WEB-1", "2026-11-24T10:00:00-06:00", "Zofia Kowalczyk", "zofia@example.net",
     "312 555 0123", "+13125550123"),
]


def lead_json(source, external_id, submitted, name, email, phone, _stored) -> dict:
    return {"source": source, "external_id": external_id, "submitted_at": submitted,
            "customer": {"name": name, "email": email, "phones": [{"number": phone, "type": "cell"}]},
            "vehicles": [{"year": 2022, "make": "Toyota", "model": "RAV4", "status": "used"}]}


@pytest.fixture
def web(core, team):
    with TestClient(create_web_app(core)) as client:  # no chat configured: cards wait in the outbox
        yield client


def metric(text: str, name: str, **labels) -> float | None:
    """The value of one sample of the exposition text, read by prometheus_client's own parser
    (None: not there)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    return None


# ---------------------------------------------------------------- /healthz


def test_healthz_is_200_while_the_database_answers_and_503_in_one_plain_line_when_it_is_gone(tmp_path, clock):
    home = tmp_path / "db"
    home.mkdir()
    core = bootstrap(f"sqlite:///{home / 'bot.db'}", clock)
    with TestClient(create_web_app(core)) as web:
        assert (web.get("/healthz").status_code, web.get("/healthz").json()) == (200, {"ok": True})
        core.engine.dispose()
        shutil.rmtree(home)  # the database is gone (and cannot be made again there)
        gone = web.get("/healthz")
        ready = web.get("/readyz")
    assert gone.status_code == 503 and gone.headers["content-type"].startswith("text/plain")
    assert gone.text == "database unreachable (OperationalError)\n"
    assert ready.status_code == 503 and ready.json()["failed"][0] == "database"


# ---------------------------------------------------------------- /readyz


def test_readyz_is_200_with_each_check_when_all_is_well(web, core, clock):
    beat(core, "worker")
    clock.advance(timedelta(seconds=59))
    answer = web.get("/readyz")
    assert answer.status_code == 200
    head = ScriptDirectory.from_config(alembic_config(core.engine)).get_current_head()
    assert answer.json() == {"ok": True, "failed": [], "checks": {
        "database": {"ok": True, "detail": "reachable"},
        "migrations": {"ok": True, "detail": f"at head {head}"},
        "worker": {"ok": True, "detail": "last beat 59 s ago"},
        "outbox": {"ok": True, "detail": "nothing waiting"},
        "rooftops": {"ok": True, "detail": "every rooftop's chat takes our messages"}}}


def test_a_readiness_probe_every_few_seconds_writes_no_log_lines_of_its_own(web, core, caplog):
    beat(core, "worker")
    with caplog.at_level("DEBUG", logger="alembic"):
        for _ in range(3):
            assert web.get("/readyz").status_code == 200
    assert [r.getMessage() for r in caplog.records if r.name.startswith("alembic")] == []


def test_readyz_names_a_worker_that_never_beat_or_stopped_beating(web, core, clock):
    never = web.get("/readyz")
    assert never.status_code == 503 and never.json()["failed"] == ["worker"]
    assert never.json()["checks"]["worker"] == {"ok": False, "detail": "no worker has ever beaten"}

    beat(core, "worker")
    assert last_beat(core) == clock.now()
    clock.advance(timedelta(seconds=60))
    stale = web.get("/readyz")
    assert stale.status_code == 503 and stale.json()["failed"] == ["worker"]
    assert stale.json()["checks"]["worker"]["detail"] == "last beat 60 s ago (limit 60 s)"

    beat(core, "worker-2")  # any worker alive is enough
    assert web.get("/readyz").status_code == 200


def test_readyz_names_an_outbox_message_waiting_five_minutes(web, core, team, clock):
    key = apikeys.create_key(core, team.id, "cars.com")
    stored = web.post("/intake/leads", json=lead_json(*CUSTOMERS[0]), headers={"Authorization": f"Bearer {key.key}"})
    assert stored.status_code == 201  # its card waits: no chat is configured in this app
    clock.advance(timedelta(minutes=4, seconds=59))
    beat(core, "worker")
    assert web.get("/readyz").json()["checks"]["outbox"] == {"ok": True, "detail": "1 waiting, the oldest for 299 s"}
    clock.advance(timedelta(seconds=1))
    beat(core, "worker")
    late = web.get("/readyz")
    assert late.status_code == 503 and late.json()["failed"] == ["outbox"]
    assert late.json()["checks"]["outbox"] == {"ok": False, "detail": "1 waiting, the oldest for 300 s (limit 300 s)"}


def test_readyz_names_a_database_behind_the_newest_migration(tmp_path, clock):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    command.upgrade(alembic_config(engine), "0009")  # the schema before the heartbeat table
    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    core = bootstrap(f"sqlite:///{tmp_path / 'old.db'}", clock, migrate=False)
    with TestClient(create_web_app(core)) as web:
        answer = web.get("/readyz")
        health = web.get("/healthz")
    assert answer.status_code == 503
    assert answer.json()["failed"][0] == "migrations"
    assert answer.json()["checks"]["migrations"] == {"ok": False,
                                                     "detail": f"at 0009, head is {head} (run chatbot db upgrade)"}
    assert health.status_code == 200  # the database is there: the process can serve
    engine.dispose()
    core.engine.dispose()


# ---------------------------------------------------------------- /metrics


def test_metrics_after_leads_through_the_intake_api(web, core, team, clock):
    key = apikeys.create_key(core, team.id, "cars.com")
    auth = {"Authorization": f"Bearer {key.key}"}
    for customer in CUSTOMERS:  # received at 10:00:00, submitted 120 s, 30 s and 0 s before
        assert web.post("/intake/leads", json=lead_json(*customer), headers=auth).status_code == 201
    assert web.post("/intake/leads", json=lead_json(*CUSTOMERS[0]), headers=auth).json()["duplicate"] is True
    ids = [lead["lead_id"] for lead in (web.post("/intake/leads", json=lead_json(*c), headers=auth).json()
                                        for c in CUSTOMERS)]  # three more duplicates: their ids
    chat = FakeChat()

    clock.advance(timedelta(seconds=3))  # 10:00:03: the three cards are posted, 3 s after arrival
    assert deliver_all(core, through(chat)).sent == 3
    clock.advance(timedelta(minutes=2))  # 10:02:03: Sam claims Maria's lead and calls, Alex claims Zofia's
    tracker.claim(core, team.id, ids[0], "sam")
    tracker.log_touch(core, team.id, ids[0], "sam", "call")
    tracker.claim(core, team.id, ids[2], "alex")
    deliver_all(core, through(chat))
    clock.advance(timedelta(minutes=4))  # 10:06:03: Olufemi's lead passed its claim deadline (10:05:03)
    assert len(sweep(core)) == 1
    clock.advance(timedelta(seconds=30))  # its messages have waited 30 s
    text = web.get("/metrics").text

    assert metric(text, "chatbot_database_up") == 1
    assert metric(text, "chatbot_leads_received_total", source="Cars.com") == 2
    assert metric(text, "chatbot_leads_received_total", source="Website") == 1  # "Dealer website" is a known spelling
    assert metric(text, "chatbot_leads_received_total", source="other") == 0
    # lead to post: 3 s for each of the three
    assert metric(text, "chatbot_lead_post_seconds_bucket", le="2.0") == 0
    assert metric(text, "chatbot_lead_post_seconds_bucket", le="5.0") == 3
    assert metric(text, "chatbot_lead_post_seconds_count") == 3
    assert metric(text, "chatbot_lead_post_seconds_sum") == 9
    # time to claim, from submission: Maria 09:58:00 -> 10:02:03 = 243 s, Zofia 10:00:00 -> 10:02:03 = 123 s
    assert metric(text, "chatbot_time_to_claim_seconds_bucket", le="120.0") == 0
    assert metric(text, "chatbot_time_to_claim_seconds_bucket", le="300.0") == 2
    assert metric(text, "chatbot_time_to_claim_seconds_count") == 2
    assert metric(text, "chatbot_time_to_claim_seconds_sum") == 366
    # first contact: Maria's call, 243 s after she asked
    assert metric(text, "chatbot_time_to_first_contact_seconds_bucket", le="60.0") == 0
    assert metric(text, "chatbot_time_to_first_contact_seconds_bucket", le="300.0") == 1
    assert metric(text, "chatbot_time_to_first_contact_seconds_count") == 1
    assert metric(text, "chatbot_time_to_first_contact_seconds_sum") == 243
    # one escalation: the claim window's first rung, for Olufemi's lead; its messages wait
    assert metric(text, "chatbot_escalations_total", rule="claim", level="1") == 1
    assert len(re.findall(r"^chatbot_escalations_total\{", text, re.MULTILINE)) == 1
    assert metric(text, "chatbot_outbox_depth") == 2  # the thread notice and the card's update (what is due next)
    assert metric(text, "chatbot_outbox_oldest_age_seconds") == 30
    assert metric(text, "chatbot_worker_heartbeat_age_seconds") is None  # no worker ever beat
    # request latency by route template: seven intake posts, all 2xx
    assert metric(text, "chatbot_http_request_duration_seconds_count", method="POST", route="/intake/leads",
                  status="2xx") == 7
    web.get("/no/such/page/maria@example.com")
    again = web.get("/metrics").text
    assert metric(again, "chatbot_http_request_duration_seconds_count", method="GET", route="unmatched",
                  status="4xx") == 1
    # no customer's name, phone or e-mail anywhere, not even the path of a 404
    for _source, _id, _submitted, name, email, phone, stored in CUSTOMERS:
        for part in (*name.split(), email, email.split("@")[0], phone, stored, stored[-7:]):
            assert part.lower() not in again.lower(), part
    assert "@" not in again


def test_a_source_the_product_does_not_know_is_other_so_senders_cannot_add_series_or_words(web, core, team):
    key = apikeys.create_key(core, team.id, "website")
    auth = {"Authorization": f"Bearer {key.key}"}
    sources = ["cars.com", "CARS.COM", "CarGurus", "walk in", "x' OR 1=1; DROP TABLE lead;--", "maria@example.com",
               "+1 312 555 0147", "Demo Motors website"] + [f"Provider {n}" for n in range(30)]
    for n, source in enumerate(sources):
        lead = lead_json(source, f"X-{n}", "2026-11-24T09:58:00-06:00", f"Customer {n}", f"c{n}@example.com",
                         "(312) 555-0147", "")
        assert web.post("/intake/leads", json=lead, headers=auth).status_code == 201
    text = web.get("/metrics").text
    named = re.findall(r'^chatbot_leads_received_total\{source="([^"]*)"\}', text, re.MULTILINE)
    assert named == ["CarGurus", "Cars.com", "Walk-in", "other"]  # by name, then other
    assert metric(text, "chatbot_leads_received_total", source="Cars.com") == 2
    assert metric(text, "chatbot_leads_received_total", source="other") == 34
    for word in ("DROP", "OR 1=1", "maria", "312 555", "Demo Motors", "Provider"):
        assert word not in text, word


def test_escalation_labels_are_the_cores_rules_and_no_label_names_a_dealership(web, core, team, clock):
    other = roster.ensure_team(core, name="Lakeside Honda", platform="console", platform_team_id="T2",
                               leads_channel="#leads")
    for rooftop in (team, other):
        key = apikeys.create_key(core, rooftop.id, "cars.com")
        lead = lead_json("Cars.com", f"CARS-{rooftop.id}", "2026-11-24T09:58:00-06:00", "Maria Gonzalez",
                         "maria@example.com", "(312) 555-0147", "")
        assert web.post("/intake/leads", json=lead, headers={"Authorization": f"Bearer {key.key}"}).status_code == 201
    assert deliver_all(core, through(FakeChat())).sent == 2
    clock.advance(timedelta(minutes=6))
    assert len(sweep(core)) == 2
    text = web.get("/metrics").text

    assert metric(text, "chatbot_leads_received_total", source="Cars.com") == 2  # both rooftops, summed
    assert metric(text, "chatbot_escalations_total", rule="claim", level="1") == 2
    labels = {name: value for family in text_string_to_metric_families(text) for sample in family.samples
              for name, value in sample.labels.items()}
    assert set(labels) <= {"source", "rule", "level", "method", "route", "status", "platform", "code", "le"}
    for word in ("Demo Motors", "Lakeside", "#leads"):  # (chat error codes are this process's: any test's)
        assert word not in text, word


# ---------------------------------------------------------------- /metrics behind METRICS_TOKEN

TOKEN = "metrics-token-8c1f0a7e5d"


@pytest.fixture
def guarded(core, team):
    with TestClient(create_web_app(core, metrics_token=TOKEN)) as client:
        yield client


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer ", f"Basic {TOKEN}", f"Bearer {TOKEN}x",
                                           f"Bearer {TOKEN[:-1]}", "Bearer " + "a" * 10_000,
                                           f"Bearer {TOKEN[:-1]}\u00e9"])
def test_with_a_token_set_metrics_refuses_any_other_authorization_with_401(guarded, authorization):
    headers = {} if authorization is None else {"Authorization": authorization.encode("latin-1")}
    answer = guarded.get("/metrics", headers=headers)
    assert answer.status_code == 401
    assert answer.json() == {"error": "send 'Authorization: Bearer <METRICS_TOKEN>' to read the metrics",
                             "where": "Authorization"}
    assert answer.headers["www-authenticate"] == "Bearer"
    assert "chatbot_" not in answer.text


def test_with_a_token_set_metrics_answers_the_bearer_and_health_stays_open(guarded):
    for scheme in ("Bearer", "bearer"):
        answer = guarded.get("/metrics", headers={"Authorization": f"{scheme} {TOKEN}"})
        assert answer.status_code == 200 and metric(answer.text, "chatbot_database_up") == 1
    assert guarded.get("/healthz").status_code == 200  # the platform's health check sends no token


def test_without_a_token_metrics_answers_anyone(web):
    assert web.get("/metrics").status_code == 200


def test_the_workers_metrics_server_asks_for_the_same_token(core):
    import httpx

    server = serve_metrics(0, registry_for(core), TOKEN, addr="127.0.0.1")
    try:
        url = f"http://127.0.0.1:{server.server_port}/metrics"
        refused = httpx.get(url, headers={"Authorization": "Bearer wrong"}, timeout=5)
        bare = httpx.get(url, timeout=5)
        served = httpx.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)
    finally:
        server.shutdown()
        server.server_close()
    assert (refused.status_code, bare.status_code, served.status_code) == (401, 401, 200)
    assert refused.json() == {"error": "send 'Authorization: Bearer <METRICS_TOKEN>' to read the metrics",
                              "where": "Authorization"}
    assert metric(served.text, "chatbot_database_up") == 1


def test_chat_api_errors_are_counted_by_platform_and_code(web, core, team):
    def errors(platform: str, code: str) -> float:
        return metric(web.get("/metrics").text, "chatbot_chat_api_errors_total", platform=platform, code=code) or 0

    slack_before = errors("slack", "unreachable_ConnectionRefusedError")
    teams_before = errors("teams", "unreachable_ClientConnectorError")
    slack = SlackChat(make_client("xoxb-test", "http://127.0.0.1:1/", max_retries=0, timeout=2))
    with pytest.raises(ChatUnavailable):
        slack.post(Channel("C0LEADS01"), Notice("Maria Gonzalez is waiting"))
    conversations.remember(core, team.id, conversations.SERVICE, {"service_url": "http://127.0.0.1:1/"})
    teams = TeamsChat(core, team.id, lambda: "token", retries=0)
    with pytest.raises(ChatUnavailable):
        teams.post(Channel("19:leads@thread.skype"), Notice("Maria Gonzalez is waiting"))

    assert errors("slack", "unreachable_ConnectionRefusedError") == slack_before + 1
    assert errors("teams", "unreachable_ClientConnectorError") == teams_before + 1
    assert "Maria" not in web.get("/metrics").text


def test_each_worker_tick_beats(web, core, clock):
    tick(core, through(FakeChat()))
    assert last_beat(core) == clock.now()
    clock.advance(timedelta(seconds=5))
    tick(core, through(FakeChat()))
    assert last_beat(core) == clock.now()
    assert web.get("/readyz").status_code == 200


# ---------------------------------------------------------------- the documented error body everywhere


def test_a_route_that_is_not_there_or_a_wrong_method_answers_the_documented_error_body(web):
    assert (web.get("/no/such/page").status_code, web.get("/no/such/page").json()) == (
        404, {"error": "Not Found", "where": None})
    assert (web.post("/healthz").status_code, web.post("/healthz").json()) == (
        405, {"error": "Method Not Allowed", "where": None})
    assert web.get("/intake/leads").json() == {"error": "Method Not Allowed", "where": None}


def test_a_server_fault_is_a_500_in_the_documented_body_and_one_line_by_type_without_a_traceback(tmp_path, clock,
                                                                                               caplog):
    home = tmp_path / "db"
    home.mkdir()
    core = bootstrap(f"sqlite:///{home / 'bot.db'}", clock)
    team = roster.ensure_team(core, name="Demo Motors", platform="console", platform_team_id="T1",
                              leads_channel="#leads")
    key = apikeys.create_key(core, team.id, "cars.com")
    with TestClient(create_web_app(core)) as web:
        core.engine.dispose()
        shutil.rmtree(home)  # the database is gone: a fault of the server's, not of the request
        with caplog.at_level("DEBUG"):
            answer = web.post("/intake/leads", json=lead_json(*CUSTOMERS[0]),
                              headers={"Authorization": f"Bearer {key.key}"})
    assert (answer.status_code, answer.json()) == (500, {
        "error": "the server failed on this request (logged by its kind); try again later", "where": None})
    failed = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(failed) == 1 and not failed[0].exc_info
    assert re.fullmatch(r"request_failed route=/intake/leads method=POST error=OperationalError at=\S+:\d+",
                        failed[0].getMessage())
    for value in ("Maria", "maria@example.com", "555-0147", key.key.split(".", 1)[1]):
        assert value not in caplog.text


def test_a_sender_that_hangs_up_before_its_body_arrives_costs_one_debug_line_and_stores_nothing(core, caplog):
    team = roster.ensure_team(core, name="Demo Motors", platform="console", platform_team_id="T1",
                              leads_channel="#leads")
    key = apikeys.create_key(core, team.id, "cars.com")
    app = create_web_app(core)
    arriving = [{"type": "http.request", "body": b'{"source": "Cars.com", "cust', "more_body": True},
                {"type": "http.disconnect"}]
    sent: list[dict] = []

    async def receive():
        return arriving.pop(0) if arriving else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/intake/leads", "raw_path": b"/intake/leads", "query_string": b"", "root_path": "",
             "server": ("testserver", 80), "client": ("127.0.0.1", 5000),
             "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"),
                         (b"authorization", f"Bearer {key.key}".encode())]}
    with caplog.at_level("DEBUG"):
        asyncio.run(app(scope, receive, send))

    said = [r for r in caplog.records if r.name == "entrypoints.web"]
    assert [(r.levelname, r.getMessage()) for r in said] == [("DEBUG", "client_gone route=/intake/leads method=POST")]
    assert not any(r.exc_info for r in caplog.records)
    with transaction(core.engine) as session:
        assert session.exec(select(Lead)).all() == []


def test_while_an_email_is_being_parsed_the_web_app_still_answers(core, monkeypatch):
    """The parser runs in a worker thread: here it waits until /healthz has answered, which it could
    not do if it held the event loop (the wait would then time out and the order be reversed)."""
    team = roster.ensure_team(core, name="Demo Motors", platform="console", platform_team_id="T1",
                              leads_channel="#leads")
    key = apikeys.create_key(core, team.id, "cars.com")
    parsing, healthz_answered = threading.Event(), threading.Event()
    order: list[str] = []
    real_parse = intake_api.parse_email

    def slow_parse(raw, default_tz="UTC"):
        parsing.set()
        healthz_answered.wait(timeout=10)
        order.append("parsed")
        return real_parse(raw, default_tz=default_tz)

    monkeypatch.setattr(intake_api, "parse_email", slow_parse)
    raw = (b"From: leads@cars.example.com\r\nMessage-ID: <1@cars.example.com>\r\nContent-Type: text/plain\r\n\r\n"
           b"Name: Maria Gonzalez\r\nPhone: (312) 555-0147\r\n")

    async def both():
        transport = httpx.ASGITransport(app=create_web_app(core))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            email = asyncio.create_task(client.post("/intake/email", content=raw, headers={
                "Authorization": f"Bearer {key.key}", "Content-Type": "message/rfc822"}))
            await asyncio.to_thread(parsing.wait, 10)  # the e-mail is being parsed
            health = await client.get("/healthz")
            order.append(f"healthz {health.status_code}")
            healthz_answered.set()
            return (await email).status_code

    assert asyncio.run(both()) == 201
    assert order == ["healthz 200", "parsed"]
