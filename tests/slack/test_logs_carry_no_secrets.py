"""The logs an operator keeps: a customer's phone and e-mail and every secret stay out, at DEBUG too.

The flows: a lead with a name, phone and e-mail through the intake API, its card in Slack, a
claim by reaction, a slash command, forged and unreadable Slack requests, a refused API key and
an escalation, with logging set up as `chatbot web` sets it up (entrypoints/logs.py) at DEBUG.
Checked twice: the lines the handler writes, and what the project's own loggers said before
the handler's masking (the masking is a net, not the method).
"""

from __future__ import annotations

import io
import logging
from datetime import timedelta

import pytest

from chatbot.escalation.sweeper import sweep
from chatbot.intake import apikeys
from entrypoints import logs
from tests.slack.harness import LEADS, SAM, SECRET, wait_for

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
