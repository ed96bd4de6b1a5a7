"""Property: whatever is sent to a Slack route, the web app never answers 5xx, and a refusal changes nothing.

Bodies are random bytes, random JSON, random forms, and Slack's own envelopes (events, block
actions, view submissions, slash commands) with hostile values inside, aimed at a lead whose
card is posted; each is sent signed (Slack's algorithm, on the raw bytes), unsigned, forged or
stale, with Slack's content types or others. The real web app, the real Bolt app, FakeSlack.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import quote, urlencode

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from adapters.slack.app import create_slack_app
from adapters.slack.chat import make_client
from adapters.slack.settings import SlackSettings
from adapters.slack.web import mount_slack
from entrypoints.web import create_web_app
from tests.fakes.slack_signing import FORM, JSON
from tests.helpers import incoming, snapshot
from tests.slack.harness import ALEX, LEADS, SAM, SECRET, wait_for

FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=20))
any_json = st.recursive(scalar, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                        st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                        max_leaves=10)
word = st.one_of(st.sampled_from(["", "U0REP0001", "T0FAKE001", "C0LEADS01", "1", "-1", "lead:call", "\x00",
                                  "<@U0REP0001>", "9" * 30]), st.text(max_size=12))
user = st.one_of(st.sampled_from([SAM, ALEX]), word)


@st.composite
def envelope(draw, ts: str, lead_id: int) -> dict:
    """One of Slack's payloads, its values partly real (the card's ts, the lead's id) and partly hostile."""
    value = st.one_of(st.just(str(lead_id)), st.just(f"{lead_id}:reached"), word, any_json)
    kind = draw(st.sampled_from(["event_callback", "block_actions", "view_submission", "url_verification",
                                 "app_rate_limited", "shortcut", "ssl_check", "other"]))
    payload: dict = {"type": kind if kind != "other" else draw(word),
                     "team_id": draw(st.one_of(st.just("T0FAKE001"), word)),
                     "api_app_id": draw(word), "token": draw(word)}
    if kind == "event_callback":
        payload["event_id"] = draw(word)
        payload["event"] = draw(st.one_of(any_json, st.fixed_dictionaries({
            "type": st.sampled_from(["reaction_added", "reaction_removed", "app_home_opened", "app_uninstalled",
                                     "tokens_revoked", "message"]),
            "user": user, "reaction": word,
            "item": st.one_of(any_json, st.fixed_dictionaries({"type": st.sampled_from(["message", "file"]),
                                                               "channel": st.just(LEADS) | word,
                                                               "ts": st.just(ts) | word}))})))
        payload["authorizations"] = draw(st.one_of(any_json, st.just([{"team_id": "T0FAKE001", "is_bot": True}])))
    elif kind in ("block_actions", "view_submission", "shortcut"):
        payload["user"] = draw(st.one_of(any_json, st.fixed_dictionaries({"id": user, "team_id": word})))
        payload["team"] = draw(st.one_of(any_json, st.fixed_dictionaries({"id": st.just("T0FAKE001") | word})))
        payload["actions"] = draw(st.one_of(any_json, st.lists(st.fixed_dictionaries({
            "action_id": st.sampled_from(["lead:call", "lead:note", "lead:lost", "lead:release", "lead:reassign",
                                          "lead:won", "share_report"]) | word,
            "value": value, "selected_option": st.one_of(any_json, st.fixed_dictionaries({"value": value}))},
        ), max_size=2)))
        payload["container"] = {"channel_id": LEADS, "message_ts": draw(st.just(ts) | word)}
        payload["channel"] = draw(st.one_of(any_json, st.just({"id": LEADS})))
        payload["view"] = draw(st.one_of(any_json, st.fixed_dictionaries({
            "callback_id": word, "private_metadata": value, "state": any_json})))
        payload["trigger_id"] = draw(word)
    elif kind == "url_verification":
        payload["challenge"] = draw(any_json)
    else:
        payload.update(draw(st.dictionaries(st.text(max_size=8), any_json, max_size=3)))
    return payload


@st.composite
def bodies(draw, ts: str, lead_id: int) -> tuple[bytes, str]:
    shape = draw(st.sampled_from(["bytes", "json", "form", "envelope", "payload", "command"]))
    if shape == "bytes":
        return draw(st.binary(max_size=300)), draw(st.sampled_from([JSON, FORM]))
    if shape == "json":
        return json.dumps(draw(any_json)).encode(), JSON
    if shape == "form":
        return urlencode(draw(st.dictionaries(st.text(max_size=10), st.text(max_size=20), max_size=4))).encode(), FORM
    if shape == "envelope":
        return json.dumps(draw(envelope(ts, lead_id))).encode(), JSON
    if shape == "payload":
        inner = draw(st.one_of(envelope(ts, lead_id), any_json).map(json.dumps)
                     | st.text(max_size=30))  # broken JSON too
        return ("payload=" + quote(inner)).encode(), FORM
    command = {"command": draw(st.sampled_from(["/leads", "/oncall", "/followup", "/baseline", "/stalled"]) | word),
               "text": draw(st.one_of(st.sampled_from([f"call {lead_id} reached", f"claim {lead_id}", "settings",
                                                       "set first-contact 5m", "help"]), word)),
               "user_id": draw(user), "team_id": draw(st.just("T0FAKE001") | word), "channel_id": LEADS,
               "response_url": draw(word), "trigger_id": draw(word)}
    return urlencode(command).encode(), FORM


def signed_headers(body: bytes, how: str, content_type: str | None) -> dict[str, str]:
    now = int(time.time())
    ts = {"good": now, "forged": now, "stale": now - 600, "future": now + 600}.get(how, now)
    secret = "wrong-secret" if how == "forged" else SECRET
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    headers = {} if how == "none" else {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}
    if how == "garbled":
        headers["X-Slack-Request-Timestamp"] = "1e9"
    if content_type:
        headers["Content-Type"] = content_type
    return headers


@pytest.fixture
def posted(slack):
    """A lead whose card is in the channel: what aimed payloads point at."""
    from chatbot.leads import tracker

    lead_id = tracker.ingest(slack.core, slack.team_id, incoming()).lead_id
    slack.deliver()
    (card,) = wait_for(lambda: slack.fake.messages.get(LEADS))
    return card["ts"], lead_id


@FUZZ
@given(data=st.data())
def test_no_request_to_slack_events_gets_a_5xx_and_a_refused_one_changes_nothing(slack, core, posted, data):
    ts, lead_id = posted
    body, natural_type = data.draw(bodies(ts, lead_id))
    content_type = data.draw(st.sampled_from([natural_type] * 6 + [JSON, FORM, "text/plain", None]))
    how = data.draw(st.sampled_from(["good"] * 6 + ["none", "forged", "stale", "future", "garbled"]))
    before = snapshot(core)

    response = slack.http.post("/slack/events", content=body, headers=signed_headers(body, how, content_type))

    event(f"{how} -> {response.status_code}")
    assert response.status_code < 500, response.text
    if how != "good":
        assert response.status_code == 401  # the guard: Bolt never saw it
    if response.status_code >= 400:
        assert snapshot(core) == before
    else:
        slack.settle()  # a listener runs after the ack: let it finish inside this example


# ---------------------------------------------------------------- OAuth pages


@pytest.fixture
def oauth_http(tmp_path, clock):
    from chatbot.core import bootstrap
    from tests.fakes.slack_web_api import FakeSlack
    from tests.slack.test_oauth import KEY

    with FakeSlack(client_id="1111.2222", client_secret="fake-client-secret") as fake:
        oauth_core = bootstrap(f"sqlite:///{tmp_path / 'oauth.db'}", clock)
        settings_ = SlackSettings(_env_file=None, slack_client_id=fake.client_id,
                                  slack_client_secret=fake.client_secret, slack_signing_secret=SECRET,
                                  slack_api_url=fake.base_url, secret_keys=KEY)
        app = create_slack_app(oauth_core, settings_, make_client(None, fake.base_url))
        with TestClient(mount_slack(create_web_app(oauth_core), app)) as http:
            yield http, oauth_core


def installations(core) -> int:
    with core.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(text("slack_installations"))).scalar_one()


@FUZZ
@given(path=st.sampled_from(["/slack/install", "/slack/oauth_redirect", "/slack/events"]),
       query=st.one_of(st.text(max_size=40), st.dictionaries(st.sampled_from(["code", "state", "error", "x"]),
                                                             st.text(max_size=20), max_size=3).map(urlencode)),
       body=st.binary(max_size=200), cookie=st.one_of(st.none(), st.text(alphabet=st.characters(
           min_codepoint=33, max_codepoint=126, blacklist_characters=";,"), max_size=30)))
def test_no_request_to_the_oauth_pages_gets_a_5xx_or_installs_anything(oauth_http, path, query, body, cookie):
    http, oauth_core = oauth_http
    headers = {"Cookie": f"slack-app-oauth-state={cookie}"} if cookie is not None else {}
    method = "POST" if path == "/slack/events" else "GET"
    response = http.request(method, f"{path}?{quote(query, safe='=&')}", content=body, headers=headers)
    event(f"{path} -> {response.status_code}")
    assert response.status_code < 500, response.text
    assert installations(oauth_core) == 0
