"""Forged, stale and replayed credentials on every route that takes a request from outside:
none accepted, each refused with 401/403, and not one row written (issue 13).

- Slack (/slack/events), every kind of payload the app handles (event, block action, slash
  command, view submission, url_verification): signed with the wrong secret, a timestamp more than
  5 minutes old or ahead, a replayed body with one byte changed, the timestamp header changed
  after signing, headers missing.
- Teams (/api/messages), every kind of activity (install, message, reaction, invoke): no token,
  a signature by another key, expired, not yet valid, another app's audience, an issuer we do not
  trust, another Microsoft tenant's Entra, a token issued for another serviceUrl, a key endorsed
  for another channel only, `alg: none`, garbage.
- Intake (/intake/leads, /leads/adf, /email, /touches): no key, a wrong key, a revoked key, a key
  in an unknown scheme, and for an HMAC key a missing, wrong or replayed (other body's) signature.

Where tests/slack/test_web_hardening.py and tests/teams/test_auth.py try one payload each, this
tries every kind against every forgery and counts them. "No row written" is every row of every
table compared before and after (tests/reliability/conftest.py:every_row).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chatbot.intake import apikeys
from chatbot.leads import tracker
from tests.fakes.slack_signing import signed_request
from tests.fakes.slack_web_api import FakeSlack
from tests.fakes.teams_auth import APP_ID, LocalIssuer
from tests.fakes.teams_connector import FakeConnector
from tests.helpers import incoming
from tests.reliability.conftest import every_row, figure, rows_changed
from tests.slack.harness import LEADS, SAM, SECRET, SlackHarness
from tests.teams import harness as teams_harness
from tests.teams.harness import TeamsHarness, load

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.parametrize("core", ["sqlite"], indirect=True)]

OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
REFUSED = {401, 403}


# ============================================================================== Slack


def slack_payloads(h: SlackHarness, lead_id: int, ts: str) -> dict[str, dict]:
    view = {"id": "V0FORGED01", "type": "modal", "callback_id": "lead:note", "private_metadata": f"{lead_id}|{LEADS}",
            "title": {"type": "plain_text", "text": "Note"}, "blocks": []}
    return {
        "event reaction_added": h.reaction(SAM, ts, event_id="Ev0FORGED01"),
        "block_actions lead:claim": h.button(SAM, ts, "lead:claim", str(lead_id)),
        "block_actions lead:text": h.button(SAM, ts, "lead:text", str(lead_id)),
        "slash command /followup claim": h.command(SAM, "/followup", f"claim {lead_id}"),
        "slash command /leads": h.command(SAM, "/leads", "all"),
        "view_submission lead:note": h.view_submission(SAM, view, {"detail": {"detail_input": {"value": "forged"}}}),
        "url_verification": {"type": "url_verification", "token": "x", "challenge": "forged-challenge"},
    }


def slack_forgeries(payload: dict) -> dict[str, tuple[bytes, dict]]:
    now = int(time.time())
    good = signed_request(payload, SECRET)
    body = good.body.encode()
    flipped = bytearray(body)
    flipped[len(flipped) // 2] ^= 0x01  # one bit of one byte
    moved = dict(good.headers, **{"X-Slack-Request-Timestamp": str(now - 1)})
    return {
        "wrong secret": (body, signed_request(payload, "not-the-signing-secret").headers),
        "timestamp 6 min old": (body, signed_request(payload, SECRET, now - 360).headers),
        "timestamp 1 h old": (body, signed_request(payload, SECRET, now - 3600).headers),
        "timestamp 6 min ahead": (body, signed_request(payload, SECRET, now + 360).headers),
        "replayed body, one byte changed": (bytes(flipped), good.headers),
        "timestamp changed after signing": (body, moved),
        "no signature headers": (body, {"Content-Type": good.headers["Content-Type"]}),
        "signature of an empty secret": (body, signed_request(payload, "").headers),
    }


def test_every_slack_payload_with_every_forgery_is_refused_and_writes_nothing(core):
    with FakeSlack() as fake:
        h = SlackHarness(core, fake)
        lead_id = tracker.ingest(core, h.team_id, incoming()).lead_id
        assert h.deliver().sent == 1
        ts = fake.calls_to("chat.postMessage")[-1].response["ts"]
        calls_before = len(fake.calls)
        before = every_row(core)
        tried, statuses = 0, {}
        for kind, payload in slack_payloads(h, lead_id, ts).items():
            for how, (body, headers) in slack_forgeries(payload).items():
                response = h.http.post("/slack/events", content=body, headers=headers)
                tried += 1
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                assert response.status_code in REFUSED, (kind, how, response.status_code, response.text)
        h.settle()  # every listener a request started has finished: a wrongly run one has acted
        assert rows_changed(before, every_row(core)) == {}
        assert len(fake.calls) == calls_before, "nothing reached Slack"
        h.close()
    figure(f"forgery slack /slack/events: {tried} forged requests (7 payload kinds x 8 forgeries), "
           f"accepted 0, answers {statuses}, rows written 0")


# ============================================================================== Teams


def teams_activities(h: TeamsHarness, card_id: str) -> dict[str, dict]:
    install = h.fill(load("msteams-docs_conversationUpdate_teamMemberAdded.json"))
    install["membersAdded"] = [{"id": teams_harness.BOT}]
    return {
        "conversationUpdate install": install,
        "message @mention": h.mention(teams_harness.SAM, "claim 1"),
        "message personal": h.personal(teams_harness.SAM, "leads all"),
        "messageReaction": h.reaction(teams_harness.SAM, card_id),
        "invoke adaptiveCard/action": h.execute(teams_harness.SAM, card_id, "lead:claim", {"lead": 1}),
    }


UNTRUSTED = "https://login.attacker.example/"  # its keys are served (trusted for fetching): only the issuer is wrong
OTHER_TENANT = "5f6e7d8c-0000-4b4b-9c9c-00000000beef"
FOREIGN_ENTRA = f"https://sts.windows.net/{OTHER_TENANT}/"  # another Microsoft tenant's Entra, keys served too


def teams_tokens(issuer: LocalIssuer, service_url: str, webchat_key) -> dict[str, str | None]:
    now = int(time.time())
    claims = {"aud": APP_ID, "iat": now - 5, "nbf": now - 5, "exp": now + 3600, "serviceurl": service_url}
    return {
        "no token": None,
        "garbage": "not.a.jwt",
        "signed by another key": issuer.token(service_url=service_url, key=OTHER_KEY),
        "another key, unknown key id": issuer.token(service_url=service_url, key=OTHER_KEY, kid="attacker"),
        "expired": issuer.token(service_url=service_url, expires_in=-3600),
        "not yet valid": jwt.encode({**claims, "iss": issuer.issuer, "nbf": now + 3600, "iat": now + 3600},
                                    issuer.key, algorithm="RS256", headers={"kid": issuer.kid}),
        "another app's audience": issuer.token(service_url=service_url, audience="someone-elses-app"),
        "an issuer we do not trust": jwt.encode({**claims, "iss": UNTRUSTED}, issuer.key,
                                                algorithm="RS256", headers={"kid": issuer.kid}),
        "another tenant's Entra": issuer.token(service_url=service_url, iss=FOREIGN_ENTRA, tid=OTHER_TENANT),
        "issued for another serviceUrl": issuer.token(service_url="https://smba.trafficmanager.net/amer/"),
        "a key endorsed for webchat only": issuer.token(service_url=service_url, key=webchat_key[0],
                                                        kid=webchat_key[1]),
    }
    # Tokens the SDK's validator cannot even read (no `kid`, alg none, not a JWT): test_teams_bad_tokens.py.


def test_every_teams_activity_with_every_bad_token_is_refused_and_writes_nothing(core, monkeypatch):
    with LocalIssuer() as issuer, FakeConnector(verify_token=issuer.verify) as connector:
        webchat_key = issuer.publish(["webchat"])  # before the first request: keys are fetched once
        h = TeamsHarness(core, connector, issuer, monkeypatch)
        issuer.trust(monkeypatch, issuer=UNTRUSTED)
        issuer.trust(monkeypatch, issuer=FOREIGN_ENTRA)
        assert h.install().status_code == 202
        tracker.ingest(core, h.team_id, incoming())
        assert h.deliver().sent >= 1
        card_id = connector.in_conversation(teams_harness.LEADS)[-1].id
        calls_before = len(connector.calls)
        before = every_row(core)
        tried, statuses = 0, {}
        for kind, activity in teams_activities(h, card_id).items():
            for how, token in teams_tokens(issuer, activity["serviceUrl"], webchat_key).items():
                response = h.post(activity, token=token)
                tried += 1
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                assert response.status_code in REFUSED, (kind, how, response.status_code, response.text)
        assert rows_changed(before, every_row(core)) == {}
        assert len(connector.calls) == calls_before, "nothing reached the Connector"
        h.http.close()
    figure(f"forgery teams /api/messages: {tried} requests with bad tokens (5 activity kinds x 11 tokens), "
           f"accepted 0, answers {statuses}, rows written 0")


# ============================================================================== intake


LEAD = {"source": "Cars.com", "external_id": "F-1", "customer": {"name": "Forged Lead"}}
TOUCH = {"source": "Cars.com", "external_id": "KNOWN", "kind": "call", "at": "2026-11-24T10:04:00-06:00",
         "rep": "sam"}
ADF = (b"<?xml version='1.0'?><adf><prospect><customer><contact><name part='full'>Forged Lead</name>"
       b"<phone>(312) 555-0100</phone></contact></customer></prospect></adf>")
EMAIL = b"From: Leads <leads@cars.example.com>\r\nSubject: Lead\r\n\r\nName: Forged Lead\r\nPhone: (312) 555-0100\r\n"
ROUTES = {
    "/intake/leads": ("application/json", json.dumps(LEAD).encode()),
    "/intake/leads/adf": ("application/xml", ADF),
    "/intake/email": ("message/rfc822", EMAIL),
    "/intake/touches": ("application/json", json.dumps(TOUCH).encode()),
}


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_every_intake_route_with_every_bad_key_is_refused_and_writes_nothing(core, team):
    from fastapi.testclient import TestClient

    from entrypoints.web import create_web_app

    good = apikeys.create_key(core, team.id, "crm")
    revoked = apikeys.create_key(core, team.id, "old provider")
    apikeys.revoke_key(core, revoked.prefix)
    signed_key = apikeys.create_key(core, team.id, "signed", signed=True)
    client = TestClient(create_web_app(core))
    known = client.post("/intake/leads", json={**LEAD, "external_id": "KNOWN"},
                        headers={"Authorization": f"Bearer {good.key}"})
    assert known.status_code == 201, known.text
    before = every_row(core)
    tried, statuses = 0, {}
    for route, (content_type, body) in ROUTES.items():
        forgeries = {
            "no key": {},
            "wrong key": {"Authorization": f"Bearer {good.key}x"},
            "a key's prefix alone": {"Authorization": f"Bearer {good.prefix}"},
            "revoked key (Bearer)": {"Authorization": f"Bearer {revoked.key}"},
            "revoked key (X-Api-Key)": {"X-Api-Key": revoked.key},
            "revoked key (Basic)": {"Authorization": "Basic " + base64.b64encode(f"x:{revoked.key}".encode()).decode()},
            "key in an unknown scheme": {"Authorization": f"Token {good.key}"},
            "empty bearer": {"Authorization": "Bearer "},
        }
        secret = signed_key.hmac_secret
        if True:
            forgeries.update({
                "HMAC key, no signature": {"Authorization": f"Bearer {signed_key.key}"},
                "HMAC key, wrong signature": {"Authorization": f"Bearer {signed_key.key}",
                                              "X-Signature": sign("wrong", body)},
                "HMAC key, replayed signature of another body": {"Authorization": f"Bearer {signed_key.key}",
                                                                 "X-Signature": sign(secret, body + b" ")},
            })
        for how, headers in forgeries.items():
            response = client.post(route, content=body, headers={"Content-Type": content_type, **headers})
            tried += 1
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            assert response.status_code in REFUSED, (route, how, response.status_code, response.text)
            assert set(response.json()) == {"error", "where"}
    assert rows_changed(before, every_row(core)) == {}
    figure(f"forgery intake (4 routes): {tried} requests with missing/wrong/revoked keys or signatures, "
           f"accepted 0, answers {statuses}, rows written 0")
