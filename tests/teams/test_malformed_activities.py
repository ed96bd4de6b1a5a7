"""/api/messages with a good token and a body Teams would never send: a 4xx in the web app's
error body, nothing run and nothing written, and no traceback or customer text in the log.
Before adapters/teams/activity_body.py, every body the SDK's Activity model refused (`[1]`, `{}`,
`"type": 5`, `"from": null`, ...) was a 500 with a traceback quoting the body at ERROR.
"""

from __future__ import annotations

import json
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import snapshot
from tests.teams.harness import SAM

pytestmark = pytest.mark.parametrize("core", ["sqlite"], indirect=True)

NOT_ACTIVITY = "the body is not an activity the Bot Framework sends"


def send(teams, body: bytes, content_type: str = "application/json", service_url: str | None = None):
    token = teams.issuer.token(service_url=service_url or teams.connector.service_url)
    return teams.http.post("/api/messages", content=body,
                           headers={"Authorization": f"Bearer {token}", "Content-Type": content_type})


def a_message(teams, **changes) -> dict:
    return {**teams.personal(SAM, "leads"), **changes}


@pytest.mark.parametrize(("make", "status", "error", "where"), [
    (lambda t: b"[1]", 400, "the body is not an activity (a JSON object)", "body"),
    (lambda t: b'"leads"', 400, "the body is not an activity (a JSON object)", "body"),
    (lambda t: b"{}", 400, NOT_ACTIVITY, "type"),
    (lambda t: b'{"type": ', 400, "the body is not JSON", "body"),
    (lambda t: b'{"type": "\xff"}', 400, "the body is not JSON", "body"),
    (lambda t: json.dumps(a_message(t))[:-1].encode() + b', "channelData2": ' + b"9" * 5000 + b"}", 400,
     "the body is not JSON", "body"),
    (lambda t: json.dumps(a_message(t, type=5)).encode(), 400, NOT_ACTIVITY, "type"),
    (lambda t: json.dumps(a_message(t, text={"name": "Maria Gonzalez"})).encode(), 400, NOT_ACTIVITY, "text"),
    (lambda t: json.dumps(a_message(t, **{"from": None})).encode(), 400, NOT_ACTIVITY, "from"),
    (lambda t: json.dumps(a_message(t, conversation=None)).encode(), 400, NOT_ACTIVITY, "conversation"),
    (lambda t: json.dumps(a_message(t, conversation={"name": "x"})).encode(), 400, NOT_ACTIVITY, "conversation.id"),
    (lambda t: json.dumps({k: v for k, v in a_message(t).items() if k != "conversation"}).encode(), 400,
     "an activity needs a type and a conversation id", "type, conversation.id"),
])
def test_a_signed_in_body_that_is_not_an_activity_is_a_400_and_changes_nothing(teams, core, caplog, make, status,
                                                                              error, where):
    teams.install()
    before, posted = snapshot(core), len(teams.connector.posted)
    with caplog.at_level(logging.DEBUG):
        answer = send(teams, make(teams))
    assert (answer.status_code, answer.json()) == (status, {"error": error, "where": where})
    assert snapshot(core) == before and len(teams.connector.posted) == posted
    assert f'refused route=/api/messages status={status} reason="{error}"' in [r.getMessage() for r in caplog.records]
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR and "Validation" not in
                r.getMessage()]
    assert "Maria" not in caplog.text


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded", ""])
def test_an_activity_under_another_content_type_is_a_415(teams, content_type):
    answer = send(teams, json.dumps(a_message(teams)).encode(), content_type)
    shown = content_type or "(none)"
    assert (answer.status_code, answer.json()) == (415, {"error": f"Content-Type {shown} is not application/json",
                                                         "where": "Content-Type"})


def test_a_body_over_the_cap_is_a_413_without_reading_it_whole(teams):
    answer = send(teams, b'{"type": "message", "text": "' + b"a" * 1_000_001 + b'"}')
    assert (answer.status_code, answer.json()) == (413, {"error": "the body is larger than the limit of 1,000,000 bytes",
                                                         "where": "body"})


def test_a_refused_activity_is_one_line_naming_the_field_never_its_value(teams, caplog):
    with caplog.at_level(logging.DEBUG):
        send(teams, json.dumps(a_message(teams, text={"phone": "(312) 555-0147"})).encode())
    assert [r.getMessage() for r in caplog.records if r.name == "microsoft_agents.activity.activity"] == []
    assert f'refused route=/api/messages status=400 reason="{NOT_ACTIVITY}"' in [r.getMessage() for r in caplog.records]
    assert "555" not in caplog.text


def test_a_good_activity_still_goes_through(teams):
    teams.install()
    answer = teams.post(teams.personal(SAM, "leads"))
    assert answer.status_code == 202


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                      max_size=3), max_leaves=8)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(field=st.sampled_from(["type", "text", "from", "conversation", "recipient", "channelData", "value", "name",
                              "entities", "attachments", "replyToId", "serviceUrl"]), value=json_values,
       digits=st.one_of(st.none(), st.integers(4301, 20_000)))
def test_property_any_json_in_any_field_of_a_signed_in_activity_is_never_a_5xx(teams, field, value, digits):
    activity = a_message(teams, **{field: value})
    body = json.dumps(activity)
    if digits is not None:
        body = body[:-1] + ', "x": ' + "9" * digits + "}"
    answer = send(teams, body.encode())
    assert answer.status_code < 500, (field, answer.status_code, answer.text[:200])
