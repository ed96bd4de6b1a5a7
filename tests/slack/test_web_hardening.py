"""The guard in front of Bolt: whatever arrives at a Slack route gets a 4xx with a short reason, never a 5xx.

Order of checks (adapters/slack/web.py): body read up to the cap (413), timestamp and signature
with Slack's algorithm on the raw bytes (401), then the Content-Type (415) and the body read as
Slack's JSON or form (400). Every refusal is the intake API's body, `{"error": ..., "where": ...}`.
Each refusal is one `refused route=... status=... reason=...` log line. The requests are the
issue's (#9) own examples, sent to the real web app with the real Bolt app behind it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from adapters.slack.app import create_slack_app
from adapters.slack.chat import make_client
from adapters.slack.settings import SlackSettings
from adapters.slack.web import MAX_SLACK_BODY, mount_slack
from entrypoints.cli import app as cli
from entrypoints.web import create_web_app
from tests.fakes.slack_signing import FORM, JSON, load_fixture, sign_headers, signed_request
from tests.helpers import snapshot
from tests.slack.harness import SECRET, wait_for

UNREADABLE = "the body is not Slack's JSON or form"
MISMATCH = "X-Slack-Signature does not match"
MISSING = "X-Slack-Signature and X-Slack-Request-Timestamp are required"
NOT_A_TIME = "X-Slack-Request-Timestamp is not a Unix time"
STALE = "X-Slack-Request-Timestamp is more than 5 minutes from now"
TOO_BIG = f"the body is larger than the limit of {MAX_SLACK_BODY:,} bytes"


def raw_signed(body: bytes, secret: str = SECRET, timestamp: int | None = None, content_type: str = JSON) -> dict:
    """Slack's formula on raw bytes (tests/fakes' helper takes text; a non-UTF-8 body needs this)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": "v0=" + digest}


def post(slack, body: bytes, headers: dict):
    """Header values as bytes, as they travel (latin-1)."""
    return slack.http.post("/slack/events", content=body, headers={k: v.encode("latin-1") for k, v in headers.items()})


# The issue's inputs: each refused with 400 once signed, 401 unsigned, and never a 5xx.
ISSUE_BODIES = [
    (b"{not json", JSON, UNREADABLE),
    (b"[1, 2]", JSON, UNREADABLE),  # Bolt reads it, then cannot use a list: still unreadable
    (b'"a string"', JSON, UNREADABLE),
    (b"null", JSON, UNREADABLE),
    (b"\xff\xfe\x00{", JSON, UNREADABLE),
    (b"\xc3\x28=1", FORM, UNREADABLE),
    (b"payload=%7Bbroken", FORM, UNREADABLE),
    (b"payload=" + quote("[1]").encode(), FORM, UNREADABLE),
    (b"payload=null", FORM, UNREADABLE),
    (b"payload=", FORM, UNREADABLE),
]


@pytest.mark.parametrize(("body", "content_type", "reason"), ISSUE_BODIES)
def test_a_signed_body_slack_would_never_send_is_a_400_and_changes_nothing(slack, core, body, content_type, reason):
    before = snapshot(core)
    response = post(slack, body, raw_signed(body, content_type=content_type))
    assert (response.status_code, response.json()) == (400, {"error": reason, "where": "body"})
    assert snapshot(core) == before


@pytest.mark.parametrize(("body", "content_type", "reason"), ISSUE_BODIES)
def test_the_same_bodies_unsigned_or_forged_are_a_401(slack, core, body, content_type, reason):
    unsigned = post(slack, body, {"Content-Type": content_type})
    forged = post(slack, body, raw_signed(body, secret="not-the-secret", content_type=content_type))
    assert (unsigned.status_code, unsigned.json()["error"]) == (401, MISSING)
    assert (forged.status_code, forged.json()["error"]) == (401, MISMATCH)


@pytest.mark.parametrize(("timestamp", "reason"), [
    ("", MISSING), ("abc", NOT_A_TIME), ("1e9", NOT_A_TIME), ("-1", NOT_A_TIME), (" 1 ", NOT_A_TIME),
    ("1\u00b2", NOT_A_TIME),  # a superscript two: str.isdigit() says yes, int() says no
    ("9" * 40, NOT_A_TIME), ("0", STALE), (-301, STALE), (+400, STALE),  # numbers: seconds from now
])
def test_a_missing_malformed_or_stale_timestamp_is_a_401(slack, timestamp, reason):
    if isinstance(timestamp, int):
        timestamp = str(int(time.time()) + timestamp)
    body = b'{"type": "url_verification", "challenge": "c"}'
    headers = raw_signed(body, timestamp=int(time.time()))
    headers["X-Slack-Request-Timestamp"] = timestamp  # the signature is of now: only the timestamp is wrong
    response = post(slack, body, headers)
    assert (response.status_code, response.json()["error"]) == (401, reason)


def test_a_signature_header_that_is_not_ascii_is_a_401(slack):
    body = b"{}"
    headers = {**raw_signed(body), "X-Slack-Signature": "v0=\u00ff"}
    response = slack.http.post("/slack/events", content=body,
                               headers={k: v.encode("latin-1") for k, v in headers.items()})
    assert (response.status_code, response.json()["error"]) == (401, MISMATCH)


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "multipart/form-data; boundary=x", ""])
def test_a_signed_body_under_a_content_type_slack_never_sends_is_a_415_and_changes_nothing(slack, core, content_type):
    body = b'{"type": "url_verification", "challenge": "c"}'
    before = snapshot(core)
    headers = raw_signed(body, content_type=content_type)
    if not content_type:
        del headers["Content-Type"]
    response = post(slack, body, headers)
    shown = content_type.split(";")[0] or "(none)"
    assert (response.status_code, response.json()) == (415, {
        "error": f"Content-Type {shown} is not Slack's: application/json or application/x-www-form-urlencoded",
        "where": "Content-Type"})
    assert snapshot(core) == before


def test_slack_own_requests_still_work(slack):
    challenge = load_fixture("bolt_url_verification.json")
    answered = slack.post(challenge)
    assert answered.status_code == 200 and answered.json()["challenge"] == challenge["challenge"]
    command = slack.post(slack.command("U0REP0001", "/oncall"))
    assert command.status_code == 200
    assert wait_for(lambda: slack.fake.responses)  # the listener answered through response_url


def test_every_refusal_is_one_structured_log_line(slack, caplog):
    caplog.set_level(logging.INFO, logger="adapters.slack.web")
    post(slack, b"{not json", raw_signed(b"{not json"))
    post(slack, b"{}", {"Content-Type": JSON})
    lines = [r.getMessage() for r in caplog.records if r.name == "adapters.slack.web"]
    assert lines == [
        'refused route=/slack/events status=400 reason="the body is not Slack\'s JSON or form"',
        'refused route=/slack/events status=401 reason="X-Slack-Signature and X-Slack-Request-Timestamp are required"',
    ]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]  # no traceback


# ---------------------------------------------------------------- the size cap


def call_asgi(app, path: str, headers: dict[str, str], total: int, chunk: int = 64 * 1024,
              method: str = "POST") -> tuple[int, int, bytes]:
    """Drive the ASGI app directly with a body sent in chunks: (status, bytes the app read, response body)."""
    read = 0
    sent: dict = {"status": None, "body": b""}

    async def receive():
        nonlocal read
        if read >= total:
            return {"type": "http.request", "body": b"", "more_body": False}
        size = min(chunk, total - read)
        read += size
        return {"type": "http.request", "body": b"x" * size, "more_body": read < total}

    async def send(message):
        if message["type"] == "http.response.start":
            sent["status"] = message["status"]
        elif message["type"] == "http.response.body":
            sent["body"] += message.get("body", b"")

    path, _, query = path.partition("?")
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
             "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
             "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
    asyncio.run(app(scope, receive, send))
    return sent["status"], read, sent["body"]


FIFTY_MB = 50 * 1024 * 1024


def test_a_50_mb_body_is_refused_after_reading_no_more_than_the_cap(slack):
    status, read, body = call_asgi(slack.web, "/slack/events", sign_headers("", SECRET), FIFTY_MB)
    assert status == 413 and TOO_BIG in body.decode()
    assert read <= MAX_SLACK_BODY + 64 * 1024


def test_a_declared_content_length_over_the_cap_is_refused_before_reading(slack):
    headers = {**sign_headers("", SECRET), "Content-Length": str(FIFTY_MB)}
    status, read, _ = call_asgi(slack.web, "/slack/events", headers, FIFTY_MB)
    assert (status, read) == (413, 0)


def test_a_body_at_the_cap_is_read_and_then_judged_by_its_signature(slack):
    status, read, body = call_asgi(slack.web, "/slack/events", {"Content-Type": JSON}, MAX_SLACK_BODY)
    assert (status, read) == (401, MAX_SLACK_BODY) and MISSING in body.decode()


# ---------------------------------------------------------------- other ways in


@pytest.fixture
def oauth_web(tmp_path, clock):
    from chatbot.core import bootstrap
    from tests.fakes.slack_web_api import FakeSlack
    from tests.slack.test_oauth import KEY

    with FakeSlack(client_id="1111.2222", client_secret="fake-client-secret") as fake:
        core = bootstrap(f"sqlite:///{tmp_path / 'oauth.db'}", clock)
        settings = SlackSettings(_env_file=None, slack_client_id=fake.client_id, slack_client_secret=fake.client_secret,
                                 slack_signing_secret=SECRET, slack_api_url=fake.base_url, secret_keys=KEY)
        web = mount_slack(create_web_app(core), create_slack_app(core, settings, make_client(None, fake.base_url)))
        with TestClient(web) as http:
            yield http, web, core
        assert fake.errors == []


def test_oauth_pages_ignore_a_body_and_cap_it(oauth_web):
    http, web, _ = oauth_web
    page = http.request("GET", "/slack/install", content=b"{not json \xff")
    assert page.status_code == 200 and "slack.com/oauth/v2/authorize" in page.text
    status, read, _ = call_asgi(web, "/slack/install", {}, FIFTY_MB, method="GET")
    assert status == 413 and read <= MAX_SLACK_BODY + 64 * 1024
    forged = http.get("/slack/oauth_redirect?code=c&state=%00%ff")
    assert 400 <= forged.status_code < 500


def test_without_a_signing_secret_http_requests_are_refused(core, fake):
    """Socket Mode needs no signing secret; then nothing over HTTP is trusted."""
    settings = SlackSettings(_env_file=None, slack_bot_token=fake.token, slack_app_token="xapp-1-A-1-x",
                             slack_api_url=fake.base_url)
    web = TestClient(mount_slack(create_web_app(core), create_slack_app(core, settings, make_client(fake.token,
                                                                                                   fake.base_url))))
    signed = signed_request(load_fixture("bolt_url_verification.json"), "anything")
    response = web.post("/slack/events", content=signed.body.encode(), headers=signed.headers)
    assert response.status_code == 401
    assert response.json()["error"] == "this app takes no signed requests over HTTP (no signing secret is set)"


# ---------------------------------------------------------------- tokens at start-up


@pytest.mark.parametrize(("env", "sentence"), [
    ({"SLACK_BOT_TOKEN": "xoxp-1234-user-token"},
     "SLACK_BOT_TOKEN should be the Bot User OAuth Token, which starts with xoxb- (api.slack.com/apps → "
     "your app → OAuth & Permissions)."),
    ({"SLACK_BOT_TOKEN": "xoxb-1111-2222-fake", "SLACK_APP_TOKEN": "xoxb-1111-2222-fake"},
     "SLACK_APP_TOKEN should be an App-Level Token, which starts with xapp- (api.slack.com/apps → your app → "
     "Basic Information → App-Level Tokens, with the connections:write scope)."),
])
@pytest.mark.parametrize("command", [["run"], ["web"], ["worker", "--once"]])
def test_a_token_of_the_wrong_kind_stops_start_up_with_one_sentence(tmp_path, monkeypatch, env, sentence, command):
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s3cret")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api/")  # nothing is called before the check
    monkeypatch.chdir(tmp_path)

    result = CliRunner().invoke(cli, [*command, "--database-url", f"sqlite:///{tmp_path / 't.db'}"])

    assert result.exit_code == 1
    assert result.output.strip() == sentence
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


# ---------------------------------------------------------------- properties: headers and huge numbers

latin1 = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"),
                 max_size=300)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(header=st.sampled_from(["X-Slack-Signature", "X-Slack-Request-Timestamp", "Content-Type"]),
       value=st.one_of(latin1, st.integers(1000, 20_000).map(lambda n: "v0=" + "a" * n)))
def test_property_any_text_in_a_slack_header_is_a_4xx_in_the_documented_body(slack, core, header, value):
    body = b'{"type": "url_verification", "challenge": "c"}'
    headers = {**raw_signed(body), header: value.strip()}
    before = snapshot(core)
    response = post(slack, body, headers)
    if response.status_code == 200:  # the header still said what Slack says (e.g. "application/json ")
        assert response.json() == {"challenge": "c"}
        return
    assert 400 <= response.status_code < 500 and set(response.json()) == {"error", "where"}
    assert snapshot(core) == before


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(digits=st.integers(4301, 60_000), form=st.booleans())
def test_property_a_signed_body_with_a_huge_integer_is_a_400(slack, core, digits, form):
    document = '{"type": "event_callback", "event": {"type": "reaction_added"}, "n": ' + "9" * digits + "}"
    body = (b"payload=" + quote(document).encode()) if form else document.encode()
    response = post(slack, body, raw_signed(body, content_type=FORM if form else JSON))
    assert (response.status_code, response.json()) == (400, {"error": UNREADABLE, "where": "body"})
