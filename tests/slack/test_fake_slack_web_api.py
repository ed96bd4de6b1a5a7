"""Tests of the Slack fakes themselves, driven by the real slack_sdk WebClient over HTTP.

If these pass, a test that uses FakeSlack can trust that what the fake accepts Slack
accepts, and what it rejects Slack rejects in the same words.
"""

import threading
import time
import urllib.error
import urllib.request

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_bolt import App, BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler
from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack_signing import FIXTURES, fill, load_fixture, signed_request, to_body
from tests.fakes.slack_web_api import FakeSlack, check_blocks, load_spec

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def section(text):
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(text="Claim", action_id="claim", value="lead-1"):
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": action_id, "value": value}


def slack_error(call):
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value.response


# --- messages -------------------------------------------------------------------------------


def test_post_then_update(fake_slack, client):
    posted = client.chat_postMessage(channel="C0LEADS01", text="New lead", blocks=[section("*New lead*")])
    assert posted["channel"] == "C0LEADS01"
    assert posted["ts"].split(".")[1].isdigit() and len(posted["ts"].split(".")[1]) == 6

    updated = client.chat_update(channel="C0LEADS01", ts=posted["ts"], text="Claimed", blocks=[section("Claimed")])
    assert updated["ts"] == posted["ts"]

    (stored,) = fake_slack.messages["C0LEADS01"]
    assert stored["text"] == "Claimed" and stored["blocks"] == [section("Claimed")]
    assert [c.method for c in fake_slack.calls] == ["chat.postMessage", "chat.update"]
    assert fake_slack.calls_to("chat.postMessage")[0].args["text"] == "New lead"
    assert fake_slack.errors == []


def test_each_post_gets_a_fresh_ts_and_threads_are_kept(fake_slack, client):
    first = client.chat_postMessage(channel="C1", text="lead")["ts"]
    reply = client.chat_postMessage(channel="C1", text="nudge", thread_ts=first)["ts"]
    assert reply != first and float(reply) > float(first)
    assert fake_slack.message("C1", reply)["thread_ts"] == first
    assert slack_error(lambda: client.chat_postMessage(channel="C1", text="x", thread_ts="1.000001"))[
        "error"] == "thread_not_found"


def test_update_of_unknown_message_fails(fake_slack, client):
    client.chat_postMessage(channel="C1", text="lead")
    response = slack_error(lambda: client.chat_update(channel="C1", ts="1732440000.999999", text="x"))
    assert response["error"] == "message_not_found"
    assert fake_slack.errors == []  # a legitimate Slack answer, not a malformed call


def test_bad_token_is_invalid_auth(fake_slack):
    bad = WebClient(token="xoxb-not-the-right-one", base_url=fake_slack.base_url)
    assert slack_error(lambda: bad.chat_postMessage(channel="C1", text="x"))["error"] == "invalid_auth"
    assert slack_error(lambda: WebClient(base_url=fake_slack.base_url).auth_test())["error"] == "not_authed"
    assert fake_slack.messages == {}


def test_post_without_text_or_blocks_is_no_text(fake_slack, client):
    assert slack_error(lambda: client.api_call("chat.postMessage", json={"channel": "C1"}))["error"] == "no_text"
    assert [v.error for v in fake_slack.errors] == ["no_text"]


def test_unknown_and_missing_parameters_are_recorded(fake_slack, client):
    response = slack_error(lambda: client.api_call("chat.postMessage", json={"text": "x", "colour": "red"}))
    assert response["error"] == "invalid_arguments"
    (violation,) = fake_slack.errors
    assert violation.method == "chat.postMessage"
    assert set(violation.messages) == {"[ERROR] unknown parameter: colour", "[ERROR] missing required field: channel"}


def test_parameters_newer_than_the_spec_that_slack_sdk_sends_are_accepted(fake_slack, client):
    client.chat_postMessage(channel="C1", text="x", metadata={"event_type": "lead_posted", "event_payload": {}})
    assert fake_slack.errors == []


def test_unknown_method_is_recorded(fake_slack, client):
    assert slack_error(lambda: client.api_call("chat.sendCarrierPigeon"))["error"] == "unknown_method"
    assert fake_slack.errors[0].error == "unknown_method"


# --- Block Kit ------------------------------------------------------------------------------


def test_unknown_block_type_is_invalid_blocks(fake_slack, client):
    response = slack_error(lambda: client.chat_postMessage(channel="C1", text="x", blocks=[{"type": "carrot"}]))
    assert response["error"] == "invalid_blocks"
    assert response["response_metadata"]["messages"] == ["[ERROR] unsupported type: carrot [json-pointer:/blocks/0]"]
    assert [v.error for v in fake_slack.errors] == ["invalid_blocks"]
    assert fake_slack.messages == {}


@pytest.mark.parametrize(
    ("blocks", "pointer"),
    [
        ([section("x" * 3001)], "/blocks/0/text/text"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}], "/blocks/0/text/text"),
        ([{"type": "actions", "elements": [button(text="b" * 76)]}], "/blocks/0/elements/0/text/text"),
        ([{"type": "actions", "elements": [button(action_id="a" * 256)]}], "/blocks/0/elements/0/action_id"),
        ([{"type": "actions", "elements": [button(value="v" * 2001)]}], "/blocks/0/elements/0/value"),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "x"}, "accessory": button(text="b" * 76)}],
         "/blocks/0/accessory/text/text"),
        ([section("x")] * 51, "/blocks"),
        ([{"type": "actions", "elements": [button(), button()]}], "/blocks/0/elements/1/action_id"),
    ],
    ids=["section>3000", "header>150", "button>75", "action_id>255", "value>2000", "accessory", "51 blocks",
         "duplicate action_id"],
)
def test_block_kit_limits(fake_slack, client, blocks, pointer):
    response = slack_error(lambda: client.chat_postMessage(channel="C1", text="x", blocks=blocks))
    assert response["error"] == "invalid_blocks"
    assert any(m.endswith(f"[json-pointer:{pointer}]") for m in response["response_metadata"]["messages"])


def test_blocks_at_the_limits_pass(fake_slack, client):
    blocks = [section("x" * 3000), {"type": "header", "text": {"type": "plain_text", "text": "h" * 150}},
              {"type": "actions", "elements": [button(text="b" * 75, action_id="a" * 255, value="v" * 2000)]}]
    blocks += [{"type": "divider"}] * (50 - len(blocks))
    client.chat_postMessage(channel="C1", text="x", blocks=blocks)
    assert fake_slack.errors == []


def test_form_encoded_blocks_are_checked_too(fake_slack, client):
    """Older code passes blocks as a JSON string in a form body; Slack parses it the same."""
    response = slack_error(lambda: client.api_call(
        "chat.postMessage", params={"channel": "C1", "text": "x", "blocks": '[{"type": "nope"}]'}))
    assert response["error"] == "invalid_blocks"
    assert slack_error(lambda: client.api_call(
        "chat.postMessage", params={"channel": "C1", "blocks": "[not json"}))["error"] == "invalid_blocks_format"


@settings(max_examples=30, deadline=None)
@given(st.integers(min_value=0, max_value=3100))
def test_section_text_limit_is_3000(length):
    errors = check_blocks([section("x" * length)], max_blocks=50)
    assert (errors == []) == (length <= 3000)


# --- failures -------------------------------------------------------------------------------


def test_rate_limit_is_retried_after_retry_after(fake_slack):
    client = WebClient(token=fake_slack.token, base_url=fake_slack.base_url,
                       retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=1)
    started = time.monotonic()
    assert client.chat_postMessage(channel="C1", text="x")["ok"]
    assert time.monotonic() - started >= 1  # slack_sdk slept for Retry-After
    first, second = fake_slack.calls_to("chat.postMessage")
    assert (first.status, first.response["error"], second.status) == (429, "ratelimited", 200)
    assert len(fake_slack.messages["C1"]) == 1


def test_rate_limit_without_retry_handler_raises(fake_slack, client):
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=30)
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="C1", text="x")
    assert info.value.response.status_code == 429
    assert info.value.response.headers["Retry-After"] == "30"


def test_server_error_then_success(fake_slack):
    client = WebClient(token=fake_slack.token, base_url=fake_slack.base_url,
                       retry_handlers=[ServerErrorRetryHandler(max_retry_count=1)])
    fake_slack.fail_next("chat.postMessage", status=500)
    assert client.chat_postMessage(channel="C1", text="x")["ok"]
    assert [c.status for c in fake_slack.calls_to("chat.postMessage")] == [500, 200]


def test_slack_level_error_on_demand(fake_slack, client):
    fake_slack.fail_next("chat.postMessage", status=200, error="not_in_channel")
    assert slack_error(lambda: client.chat_postMessage(channel="C1", text="x"))["error"] == "not_in_channel"
    assert client.chat_postMessage(channel="C1", text="x")["ok"]  # only the next call fails


def test_outage_fails_every_call_until_over(fake_slack, client):
    with fake_slack.outage():
        for call in (client.auth_test, lambda: client.chat_postMessage(channel="C1", text="x")):
            with pytest.raises(SlackApiError) as info:
                call()
            assert info.value.response.status_code == 503
    assert client.auth_test()["ok"]
    assert fake_slack.messages == {}


# --- the other methods the bot uses ---------------------------------------------------------


def test_dm_reaction_permalink_ephemeral(fake_slack, client):
    dm = client.conversations_open(users="U0REP0001")["channel"]["id"]
    assert dm.startswith("D") and client.conversations_open(users=["U0REP0001"])["channel"]["id"] == dm
    ts = client.chat_postMessage(channel=dm, text="Your lead is waiting")["ts"]
    assert client.chat_postMessage(channel="U0REP0001", text="again")["channel"] == dm

    client.reactions_add(channel=dm, timestamp=ts, name="eyes")
    assert fake_slack.message(dm, ts)["reactions"] == [{"name": "eyes", "users": ["U0LEADBOT"], "count": 1}]
    assert slack_error(lambda: client.reactions_add(channel=dm, timestamp=ts, name="eyes"))["error"] == "already_reacted"

    link = client.chat_getPermalink(channel=dm, message_ts=ts)["permalink"]
    assert link == f"https://fake-motors.slack.com/archives/{dm}/p{ts.replace('.', '')}"

    assert client.chat_postEphemeral(channel="C1", user="U0REP0001", text="only you")["message_ts"]
    assert fake_slack.ephemeral[0]["text"] == "only you"
    assert fake_slack.errors == []


def test_auth_test_and_users_info(fake_slack, client):
    me = client.auth_test()
    assert (me["user_id"], me["team_id"], me["bot_id"]) == ("U0LEADBOT", "T0DEALER1", "B0LEADBOT")
    fake_slack.add_user("U0REP0001", real_name="Dana Rep", tz="America/Chicago")
    user = client.users_info(user="U0REP0001")["user"]
    assert (user["real_name"], user["tz"], user["profile"]["display_name"]) == ("Dana Rep", "America/Chicago", "spengler")
    assert slack_error(lambda: client.users_info(user="U0NOBODY"))["error"] == "user_not_found"


def test_views(fake_slack, client):
    home = {"type": "home", "blocks": [section("Your open leads")]}
    assert client.views_publish(user_id="U0REP0001", view=home)["view"]["id"].startswith("V")
    assert fake_slack.home_views["U0REP0001"]["blocks"] == home["blocks"]
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Settings"}, "blocks": []}
    client.views_open(trigger_id="111.222.valid", view=modal)
    assert fake_slack.opened_views[0]["title"]["text"] == "Settings"
    assert fake_slack.errors == []
    bad = {"type": "modal", "title": {"type": "plain_text", "text": "t" * 25}, "blocks": []}
    assert slack_error(lambda: client.views_open(trigger_id="1", view=bad))["error"] == "invalid_arguments"


def test_files_upload_v2_goes_through_the_fakes_upload_url(fake_slack, client):
    result = client.files_upload_v2(channel="C0MANAGERS", content=b"\x89PNG chart", filename="digest.png",
                                    title="Weekly follow-up")
    file_id = result["file"]["id"]
    assert fake_slack.uploads[file_id] == b"\x89PNG chart"
    assert result["file"]["title"] == "Weekly follow-up"
    assert [c.method for c in fake_slack.calls] == [
        "files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    assert fake_slack.errors == []


def test_oauth_v2_access(fake_slack):
    anonymous = WebClient(base_url=fake_slack.base_url)
    result = anonymous.oauth_v2_access(client_id=fake_slack.client_id, client_secret=fake_slack.client_secret,
                                       code="one-time-code", redirect_uri="https://example.test/slack/oauth_redirect")
    assert result["access_token"] in fake_slack.tokens
    assert (result["bot_user_id"], result["team"]["id"], result["token_type"]) == ("U0LEADBOT", "T0DEALER1", "bot")
    again = lambda: anonymous.oauth_v2_access(client_id=fake_slack.client_id,  # noqa: E731
                                              client_secret=fake_slack.client_secret, code="one-time-code")
    assert slack_error(again)["error"] == "invalid_code"
    wrong = lambda: anonymous.oauth_v2_access(client_id=fake_slack.client_id, client_secret="x", code="c2")  # noqa: E731
    assert slack_error(wrong)["error"] == "bad_client_secret"


def test_scopes_are_enforced_when_given():
    with FakeSlack(scopes=["chat:write"]) as fake:
        client = WebClient(token=fake.token, base_url=fake.base_url)
        client.chat_postMessage(channel="C1", text="x")  # spec says chat:write:bot, the modern name is chat:write
        response = slack_error(lambda: client.users_info(user="U1"))
        assert (response["error"], response["needed"]) == ("missing_scope", "users:read")
        assert [v.error for v in fake.errors] == ["missing_scope"]


def test_spec_is_loaded_from_the_repo_copy():
    spec = load_spec()
    assert {"channel"} <= spec["chat.postMessage"]["required"]
    assert spec["reactions.add"]["scopes"] == ["reactions:write"]


# --- robustness -----------------------------------------------------------------------------


def test_concurrent_posts_are_all_stored_with_unique_ts(fake_slack):
    client = WebClient(token=fake_slack.token, base_url=fake_slack.base_url)
    results = []

    def post(i):
        results.append(client.chat_postMessage(channel="C1", text=f"lead {i}")["ts"])

    threads = [threading.Thread(target=post, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 20 == len(fake_slack.messages["C1"]) == len(fake_slack.calls)


def test_stops_cleanly():
    fake = FakeSlack().start()
    url = fake.base_url + "auth.test"
    fake.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, data=b"", timeout=2)
    fake.stop()  # idempotent


# --- signed requests ------------------------------------------------------------------------

SIGNABLE = [
    "bolt_reaction_added_event_callback.json",
    "bolt_slash_command_request_body.txt",
    "bolt_block_actions_request_body.txt",
    "bolt_url_verification.json",
    "docs_reaction_added_event_callback.json",
    "docs_reaction_removed_event_callback.json",
    "java-slack-sdk-samples/events__ReactionAddedPayload.json",
]


@pytest.mark.parametrize("name", SIGNABLE)
def test_signed_fixture_verifies_and_tampering_does_not(name):
    request = signed_request(load_fixture(name), SECRET)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid_request(request.body, request.headers)
    assert not verifier.is_valid_request(request.body + " ", request.headers)
    assert not SignatureVerifier("another-secret").is_valid_request(request.body, request.headers)


def test_stale_timestamp_is_rejected():
    request = signed_request(load_fixture("bolt_url_verification.json"), SECRET, timestamp=int(time.time()) - 600)
    assert not SignatureVerifier(SECRET).is_valid_request(request.body, request.headers)


def test_raw_fixture_body_signs_byte_for_byte():
    raw = (FIXTURES / "bolt_slash_command_request_body.txt").read_text()
    request = signed_request(raw, SECRET)
    assert request.body == raw and request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert SignatureVerifier(SECRET).is_valid_request(raw, request.headers)


@pytest.mark.parametrize("name", [n for n in SIGNABLE if "reaction" in n])
def test_fill_reaction_events(name):
    event = fill(load_fixture(name), channel="C0LEADS01", ts="1732440000.000100", user="U0REP0001",
                 overrides={"event.reaction": "white_check_mark"})
    assert event["event"]["item"] == {**event["event"]["item"], "channel": "C0LEADS01", "ts": "1732440000.000100"}
    assert (event["event"]["user"], event["event"]["reaction"]) == ("U0REP0001", "white_check_mark")
    body, content_type = to_body(event)
    assert content_type == "application/json" and '"C0LEADS01"' in body


def test_fill_slash_command_and_block_actions():
    command = fill(load_fixture("bolt_slash_command_request_body.txt"), channel="C0LEADS01", user="U0MGR0001",
                   overrides={"command": "/baseline", "text": "7d"})
    assert load_fixture("bolt_slash_command_request_body.txt")["command"] == "/hello-world"  # copy, not mutated
    assert (command["command"], command["text"], command["channel_id"], command["user_id"]) == (
        "/baseline", "7d", "C0LEADS01", "U0MGR0001")
    assert "command=%2Fbaseline" in to_body(command)[0]

    action = fill(load_fixture("bolt_block_actions_request_body.txt"), channel="C0LEADS01", ts="1732440000.000100",
                  user="U0REP0001", overrides={"actions.0.action_id": "claim_lead", "actions.0.value": "lead-42"})
    assert action["container"]["message_ts"] == "1732440000.000100"
    assert action["channel"]["id"] == action["container"]["channel_id"] == "C0LEADS01"
    assert action["actions"][0]["action_id"] == "claim_lead"
    assert to_body(action)[0].startswith("payload=%7B")
    with pytest.raises(ValueError):
        fill(load_fixture("bolt_slash_command_request_body.txt"), ts="1.2")  # slash commands carry no message ts


def test_bolt_app_end_to_end_against_the_fake(fake_slack, client):
    """The pieces fit: bolt verifies our signature, its client talks to the fake."""
    app = App(signing_secret=SECRET, client=WebClient(token=fake_slack.token, base_url=fake_slack.base_url))
    assert fake_slack.calls_to("auth.test")  # bolt checks its token at start-up

    @app.event("reaction_added")
    def claimed(event, client):
        client.chat_postMessage(channel=event["item"]["channel"], thread_ts=event["item"]["ts"],
                                text=f"<@{event['user']}> claimed this lead")

    lead_ts = client.chat_postMessage(channel="C0LEADS01", text="New lead")["ts"]
    event = fill(load_fixture("docs_reaction_added_event_callback.json"), channel="C0LEADS01", ts=lead_ts,
                 user="U0REP0001")
    request = signed_request(event, SECRET)
    assert app.dispatch(BoltRequest(body=request.body, headers=request.headers)).status == 200
    deadline = time.monotonic() + 5  # bolt acks events first and runs listeners in a thread
    while len(fake_slack.messages["C0LEADS01"]) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    reply = fake_slack.messages["C0LEADS01"][1]
    assert (reply["thread_ts"], reply["text"]) == (lead_ts, "<@U0REP0001> claimed this lead")

    forged = signed_request(event, "wrong-secret")
    assert app.dispatch(BoltRequest(body=forged.body, headers=forged.headers)).status == 401
    assert fake_slack.errors == []


def test_response_url_answers_are_recorded(fake_slack):
    from slack_sdk.webhook import WebhookClient

    sent = WebhookClient(fake_slack.response_url).send(text="Baseline ...", response_type="ephemeral")
    assert sent.status_code == 200
    assert fake_slack.responses == [{"text": "Baseline ...", "response_type": "ephemeral"}]
    assert fake_slack.errors == []
