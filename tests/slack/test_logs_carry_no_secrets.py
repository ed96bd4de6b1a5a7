"""The logs an operator keeps: a customer's phone and e-mail and every secret stay out, at DEBUG too.

The flows: a lead with a name, phone and e-mail through the intake API, its card in Slack, a
claim by reaction, a slash command, forged and unreadable Slack requests, a refused API key and
an escalation, with logging set up as `chatbot web` sets it up (entrypoints/logs.py) at DEBUG.
Checked twice: the lines the handler writes, and what the project's own loggers said before
the handler's masking (the masking is a net, not the method).
"""

from __future__ import annotations

import base64
import io
import json
import logging
import socket
import threading
from contextlib import contextmanager
from datetime import timedelta

import httpx
import pytest
import uvicorn

from adapters.slack.app import create_slack_app
from adapters.slack.chat import make_client
from adapters.slack.services import SlackServices, register_slack
from adapters.slack.settings import SlackSettings
from adapters.slack.web import mount_slack
from adapters.teams.settings import TeamsSettings
from adapters.teams.web import mount_teams
from chatbot.core import bootstrap
from chatbot.domain.clock import ManualClock
from chatbot.escalation.sweeper import sweep
from chatbot.intake import apikeys
from chatbot.messaging.platforms import Platforms
from entrypoints import config, logs
from entrypoints.web import create_web_app
from tests.conftest import TUESDAY_10AM
from tests.fakes.slack_signing import fill, load_fixture, signed_request
from tests.fakes.slack_web_api import FakeSlack
from tests.fakes.teams_auth import APP_ID, LocalIssuer
from tests.fakes.teams_connector import FakeConnector
from tests.slack.harness import LEADS, PAT, SAM, SECRET, trigger_id, wait_for
from tests.teams.harness import BOT, LOCAL_CONNECTOR, TENANT, TeamsHarness, load
from tests.teams.harness import LEADS as TEAMS_LEADS
from tests.teams.harness import PAT as TEAMS_PAT
from tests.teams.harness import SAM as TEAMS_SAM

APP_TOKEN = "xapp-1-A0LEADAPP-1111-fakeapptoken"
PHONE_FORMS = ("(312) 555-0147", "312-555-0147", "+13125550147", "3125550147", "555-0147")
EMAIL = "maria.gonzalez@example.com"
LEAD = {"source": "Cars.com", "external_id": "CARS-1", "comments": "call me at (312) 555-0147",
        "customer": {"name": "Maria Gonzalez", "email": EMAIL, "phones": [{"number": "(312) 555-0147"}]},
        "vehicles": [{"year": 2022, "make": "Toyota", "model": "RAV4"}]}


class Raw(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append((record.name, record.getMessage()))


@pytest.fixture
def captured(slack):
    root = logging.getLogger()
    saved = (root.level, list(root.handlers))
    raw = Raw()
    root.addHandler(raw)  # first: it sees each record before the configured handler masks it
    stream = io.StringIO()
    handler = logs.configure(logging.DEBUG, stream=stream,
                             secrets=(slack.fake.token, APP_TOKEN, SECRET, "fake-client-secret"))
    yield stream, raw
    root.removeHandler(handler)
    root.removeHandler(raw)
    logging.getLogger("uvicorn.access").handlers.clear()
    root.setLevel(saved[0])


def test_representative_flows_log_no_contact_details_and_no_secret(slack, core, captured):
    stream, raw = captured
    key = apikeys.create_key(core, slack.team_id, "cars.com")

    stored = slack.http.post("/intake/leads", json=LEAD, headers={"Authorization": f"Bearer {key.key}"})
    refused_key = slack.http.post("/intake/leads", json=LEAD,
                                  headers={"Authorization": f"Bearer {key.key.split('.')[0]}.wrong-secret-123"})
    slack.deliver()
    (card,) = wait_for(lambda: slack.fake.messages.get(LEADS))
    forged = slack.post(slack.reaction(SAM, card["ts"]), secret="not-the-secret")
    unreadable = slack.http.post("/slack/events", content=b"{", headers={"Content-Type": "application/json"})
    core.clock.advance(timedelta(minutes=6))  # nobody claimed it within 5 minutes
    fired = sweep(core)
    slack.deliver()
    claimed = slack.post(slack.reaction(SAM, card["ts"]))
    wait_for(lambda: any(c.method == "chat.update" for c in slack.fake.calls[-3:]))
    command = slack.post(slack.command(SAM, "/leads"))
    wait_for(lambda: slack.fake.responses)

    assert (stored.status_code, refused_key.status_code, forged.status_code, unreadable.status_code) == (201, 401,
                                                                                                         401, 401)
    assert (claimed.status_code, command.status_code, len(fired)) == (200, 200, 1)
    written = stream.getvalue()
    lead_id = stored.json()["lead_id"]
    # what an operator can use: refusals and escalations, one line each, by id
    assert f'msg="escalation fired" lead={lead_id} rule=claim level=1 to=channel' in written
    assert 'msg=refused route=/slack/events status=401 reason="X-Slack-Signature does not match"' in written
    assert 'msg="intake: refused 401 at Authorization"' in written

    secrets = (slack.fake.token, "xoxb-", "xapp-", SECRET, key.key, key.key.split(".", 1)[1], "wrong-secret-123")
    for text in [written] + [message for name, message in raw.records
                             if name.split(".")[0] in ("chatbot", "adapters", "entrypoints")]:
        for secret in secrets + PHONE_FORMS + (EMAIL,):
            assert secret not in text, f"{secret!r} was logged"


# ---------------------------------------------------------------- every route, served by uvicorn, at DEBUG

CLIENT_SECRET = "fake-client-secret-5e1d"
METRICS_TOKEN = "metrics-token-0b7e44c2a9"
SECRET_KEY = "ZXZlcnktcm91dGUtdGVzdC1rZXktMzItYnl0ZXMhISE="  # a Fernet key: it seals the installed token
TEAMS_PASSWORD = "teams-app-password-9f3c"
DATABASE_PASSWORD = "db-password-71aa"
CUSTOMERS = {  # per route: a name, an e-mail and a phone used nowhere else
    "json": ("Maria Gonzalez", "maria.gonzalez@example.com", "(312) 555-0147"),
    "adf": ("Olufemi Adeyemi", "olufemi.adeyemi@example.org", "(773) 555-0188"),
    "email": ("Zofia Kowalczyk", "zofia.k@example.net", "(630) 555-0123"),
    "teams": ("Kenji Watanabe", "kenji.watanabe@example.com", "(847) 555-0166"),
}


@contextmanager
def served(app):
    """`app` under the real uvicorn (its access log included), on a free loopback port, in a thread."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_config=logs.UVICORN_LOG_CONFIG, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    wait_for(lambda: server.started)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}", timeout=10) as http:
            yield http
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def adf_lead(name: str, email: str, phone: str) -> bytes:
    return (f"<?xml version='1.0'?><adf><prospect><id source='Cars.com'>ADF-1</id><customer><contact>"
            f"<name part='full'>{name}</name><email>{email}</email><phone>{phone}</phone></contact></customer>"
            "</prospect></adf>").encode()


def email_lead(name: str, email: str, phone: str) -> bytes:
    return (f"From: Leads <leads@cars.example.com>\r\nMessage-ID: <1@cars.example.com>\r\nSubject: Lead\r\n"
            f"Content-Type: text/plain\r\n\r\nName: {name}\r\nE-mail: {email}\r\nPhone: {phone}\r\n").encode()


def test_every_route_at_debug_logs_no_secret_no_oauth_code_or_state_and_no_customer_value(tmp_path, monkeypatch):
    """Intake (JSON, ADF, e-mail, touches, refused keys and signatures), Slack (OAuth install and
    redirect, events, a slash command, a button), Teams (install, a message, a reaction, an invoke),
    /healthz, /readyz and /metrics, all through uvicorn with `configure()` at DEBUG and the secrets
    `chatbot web` passes it (config.Settings.secrets()). Then no line holds any secret, key, token,
    OAuth code or state, name, phone or e-mail the test used; the access lines are there, without query."""
    core = bootstrap(f"sqlite:///{tmp_path / 'every.db'}", ManualClock(TUESDAY_10AM), secret_keys=SECRET_KEY)
    settings = config.Settings(_env_file=None, slack_client_id="1111.2222", slack_client_secret=CLIENT_SECRET,
                               slack_signing_secret=SECRET, teams_app_password=TEAMS_PASSWORD,
                               metrics_token=METRICS_TOKEN, secret_keys=SECRET_KEY,
                               database_url=f"postgresql://bot:{DATABASE_PASSWORD}@db.internal/leads")
    stream = io.StringIO()
    raw = Raw()
    root = logging.getLogger()
    root.addHandler(raw)
    handler = logs.configure(logging.DEBUG, stream=stream, secrets=settings.secrets())
    code, tokens = "code-4f1b9e7d2c", []
    try:
        with FakeSlack(client_id="1111.2222", client_secret=CLIENT_SECRET) as fake, LocalIssuer() as issuer, \
                FakeConnector(verify_token=issuer.verify) as connector:
            for user, name in ((SAM, "Sam Rivera"), (PAT, "Pat Lee")):
                fake.add_user(user, name=name.split()[0].lower(), real_name=name, is_admin=user == PAT,
                              profile={"display_name": name.split()[0]})
            slack_settings = SlackSettings(_env_file=None, slack_client_id=fake.client_id,
                                           slack_client_secret=CLIENT_SECRET, slack_signing_secret=SECRET,
                                           slack_api_url=fake.base_url, leads_channel=LEADS, secret_keys=SECRET_KEY)
            platforms = register_slack(Platforms(), core, slack_settings)
            teams = TeamsHarness(core, connector, issuer, monkeypatch, platforms=platforms,
                                 settings=TeamsSettings(_env_file=None, teams_app_id=APP_ID,
                                                        teams_app_password=TEAMS_PASSWORD, teams_tenant_id=TENANT,
                                                        teams_team_name="Lakeside Honda",
                                                        teams_service_url_hosts=LOCAL_CONNECTOR))
            slack_app = create_slack_app(core, slack_settings, make_client(None, fake.base_url))
            web = mount_slack(create_web_app(core, platforms, metrics_token=settings.metrics_token), slack_app)
            mount_teams(web, teams.app)

            with served(web) as http:
                # Slack: install, then the OAuth redirect with its code and state (and a forged one)
                started = http.get("/slack/install")
                state = started.cookies["slack-app-oauth-state"]
                done = http.get(f"/slack/oauth_redirect?code={code}&state={state}",
                                headers={"Cookie": f"slack-app-oauth-state={state}"})
                stale = http.get("/slack/oauth_redirect?code=code-stolen-77a1&state=state-forged-0c3e")
                slack_team = SlackServices(core, slack_settings).team_id(fake.team_id)

                # intake: every format, a touch, a refused key and a refused signature
                key = apikeys.create_key(core, slack_team, "cars.com")
                crm = apikeys.create_key(core, slack_team, "crm", signed=True)
                bearer = {"Authorization": f"Bearer {key.key}"}
                name, email, phone = CUSTOMERS["json"]
                lead = {"source": "Cars.com", "external_id": "CARS-1", "comments": f"call me at {phone}",
                        "customer": {"name": name, "email": email, "phones": [{"number": phone}]}}
                by_json = http.post("/intake/leads", json=lead, headers=bearer)
                by_adf = http.post("/intake/leads/adf", content=adf_lead(*CUSTOMERS["adf"]),
                                   headers={**bearer, "Content-Type": "application/xml"})
                by_email = http.post("/intake/email", content=email_lead(*CUSTOMERS["email"]),
                                     headers={"Authorization": "Basic " + base64.b64encode(
                                         f"sendgrid:{key.key}".encode()).decode(), "Content-Type": "message/rfc822"})
                wrong = http.post("/intake/leads", json=lead, headers={"X-Api-Key": key.key[:-4] + "zzzz"})

                # Slack: the card, a reaction, a slash command, a button
                ts = wait_for(lambda: fake.messages.get(LEADS))[0]["ts"]
                reaction = fill(load_fixture("docs_reaction_added_event_callback.json"), channel=LEADS, ts=ts,
                                user=SAM, team=fake.team_id,
                                overrides={"authorizations.0.team_id": fake.team_id,
                                           "authorizations.0.user_id": fake.bot_user_id, "api_app_id": fake.app_id})
                command = fill(load_fixture("bolt_slash_command_request_body.txt"), channel=LEADS, user=SAM,
                               team=fake.team_id, overrides={"command": "/leads", "text": "all",
                                                             "response_url": fake.response_url,
                                                             "api_app_id": fake.app_id, "trigger_id": trigger_id()})
                button = fill(load_fixture("bolt_block_actions_request_body.txt"), channel=LEADS, ts=ts, user=SAM,
                              team=fake.team_id,
                              overrides={"actions.0.action_id": "lead:text", "actions.0.value": str(by_json.json()[
                                  "lead_id"]), "actions.0.block_id": "lead_actions", "container.is_ephemeral": False,
                                  "trigger_id": trigger_id(), "response_url": fake.response_url,
                                  "api_app_id": fake.app_id})
                slack_answers = []
                for payload in (reaction, command, button):
                    request = signed_request(payload, SECRET)
                    slack_answers.append(http.post("/slack/events", content=request.body.encode(),
                                                   headers=request.headers).status_code)
                wait_for(lambda: fake.calls_to("chat.update"))
                touch = json.dumps({"source": "Cars.com", "external_id": "CARS-1", "kind": "call",
                                    "at": "2026-11-24T10:01:00-06:00", "rep": SAM}).encode()
                by_crm = http.post("/intake/touches", content=touch,
                                   headers={"Authorization": f"Bearer {crm.key}", "Content-Type": "application/json",
                                            "X-Signature": apikeys.sign(crm.hmac_secret, touch)})
                forged = http.post("/intake/touches", content=touch,
                                   headers={"Authorization": f"Bearer {crm.key}", "Content-Type": "application/json",
                                            "X-Signature": "sha256=" + "0" * 64})

                # Teams: install, a lead on its team, its card, a message, a reaction and a button
                def to_teams(activity: dict):
                    token = issuer.token(service_url=activity.get("serviceUrl"))
                    tokens.append(token)
                    return http.post("/api/messages", json=activity, headers={"Authorization": f"Bearer {token}"})

                installed = teams.fill(load("msteams-docs_conversationUpdate_teamMemberAdded.json"), user=TEAMS_PAT)
                installed["membersAdded"] = [{"id": BOT}]
                installed["channelData"]["eventType"] = "teamMemberAdded"
                teams_answers = [to_teams(installed).status_code]
                teams_key = apikeys.create_key(core, teams.team_id, "website")
                name, email, phone = CUSTOMERS["teams"]
                teams_lead = {"source": "Website", "external_id": "WEB-1",
                              "customer": {"name": name, "email": email, "phones": [{"number": phone}]}}
                assert http.post("/intake/leads", json=teams_lead,
                                 headers={"Authorization": f"Bearer {teams_key.key}"}).status_code == 201
                card_id = wait_for(lambda: connector.in_conversation(TEAMS_LEADS)[1:])[-1].id
                teams_answers.append(to_teams(teams.personal(TEAMS_SAM, "leads all")).status_code)
                teams_answers.append(to_teams(teams.reaction(TEAMS_SAM, card_id)).status_code)
                teams_answers.append(to_teams(teams.execute(TEAMS_SAM, card_id, "lead:note",
                                                            {"lead": 2, "detail": "asked for (847) 555-0166"}))
                                     .status_code)

                # health and metrics
                health = [http.get(path).status_code for path in ("/healthz", "/readyz")]
                metrics = [http.get("/metrics").status_code,
                           http.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code]
                missing = http.get(f"/no/such/page?token={METRICS_TOKEN}&email={email}").status_code
            assert fake.errors == [] and connector.errors == []
    finally:
        root.removeHandler(handler)
        root.removeHandler(raw)
        logging.getLogger("uvicorn.access").handlers.clear()
        core.engine.dispose()

    assert (started.status_code, done.status_code, stale.status_code) == (200, 200, 400)
    assert [r.status_code for r in (by_json, by_adf, by_email, by_crm, forged, wrong)] == [201, 201, 201, 201, 401,
                                                                                             401]
    assert slack_answers == [200, 200, 200]
    assert teams_answers == [202, 202, 202, 200]
    assert (health, metrics, missing) == ([200, 503], [401, 200], 404)  # /readyz: no worker beats here

    written = stream.getvalue()
    # the access log is there, one line per request, the path without its query
    assert "msg=request method=GET path=/slack/oauth_redirect status=200" in written
    assert "msg=request method=POST path=/intake/leads status=201" in written
    assert "msg=request method=POST path=/api/messages status=200" in written
    assert "msg=request method=GET path=/no/such/page status=404" in written

    secrets = [SECRET, CLIENT_SECRET, METRICS_TOKEN, SECRET_KEY, TEAMS_PASSWORD, DATABASE_PASSWORD, fake.token, "xoxb-",
               code, state, "code-stolen-77a1", "state-forged-0c3e", key.key, key.key.split(".", 1)[1],
               crm.key.split(".", 1)[1], crm.hmac_secret, teams_key.key.split(".", 1)[1], *tokens,
               *(t.split(".")[2] for t in tokens)]
    customer_values = [value for customer in CUSTOMERS.values() for value in customer]
    customer_values += [part for name, _, _ in CUSTOMERS.values() for part in name.split()]
    customer_values += ["+13125550147", "3125550147", "555-0147", "555-0188",
                        "555-0123", "555-0166"]
    ours = [message for logger, message in raw.records if logger.split(".")[0] in ("chatbot", "adapters",
                                                                                    "entrypoints")]
    for text in [written] + ours:
        for value in secrets + customer_values:
            assert value not in text, f"{value!r} was logged"
