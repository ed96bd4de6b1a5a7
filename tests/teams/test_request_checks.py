"""Who may make the bot act at /api/messages, beyond a signature the Agents SDK verifies (issue 18).

A dealership has installed the bot and a lead is waiting. A caller holding tokens signed by
keys the bot trusts (a local issuer standing in for Microsoft's published keys) tries to act
there and to have the bot answer at the caller's own Connector: a token from another tenant's
Entra, a token issued for another serviceUrl, a key not endorsed for Teams, a serviceUrl off
Microsoft's hosts, a tenant the deployment does not let in. Each is refused 401/403, not one
row changes and nothing reaches the dealership's Connector or the caller's. Control cases
(the same request with what was wrong put right) are accepted, so each refusal has one cause.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest

from adapters.teams.settings import TeamsSettings
from chatbot.leads import tracker
from chatbot.messaging import conversations
from tests.fakes.teams_auth import APP_ID
from tests.fakes.teams_connector import FakeConnector
from tests.helpers import incoming
from tests.reliability.conftest import every_row, rows_changed
from tests.teams.harness import LEADS, SAM, TENANT, TeamsHarness

pytestmark = pytest.mark.parametrize("core", ["sqlite"], indirect=True)

OTHER_TENANT = "5f6e7d8c-0000-4b4b-9c9c-00000000beef"
MALLORY = "29:1mallory"
HOSTS = "smba.trafficmanager.net,127.0.0.1"


def settings(**changes) -> TeamsSettings:
    values = dict(teams_app_id=APP_ID, teams_app_password="not-used", teams_tenant_id=TENANT,
                  teams_team_name="Demo Motors", teams_service_url_hosts=HOSTS, teams_allowed_tenants=TENANT)
    return TeamsSettings(_env_file=None, **{**values, **changes})


class Dealership:
    """An installed dealership with a card waiting, and a caller with a Connector of their own."""

    def __init__(self, core, connector, issuer, monkeypatch, caller: FakeConnector, **changes) -> None:
        # Keys published before the first request (the SDK fetches a key set again 30 s later at
        # the soonest): endorsed for another channel, for none, and without the field at all.
        self.keys = {name: issuer.publish(endorsements)
                     for name, endorsements in (("webchat", ["webchat"]), ("none", []), ("no field", None))}
        self.h = TeamsHarness(core, connector, issuer, monkeypatch, settings=settings(**changes))
        self.core, self.connector, self.issuer, self.caller = core, connector, issuer, caller
        assert self.h.install().status_code == 202
        tracker.ingest(core, self.h.team_id, incoming())
        assert self.h.deliver().sent == 1
        self.card = connector.in_conversation(LEADS)[-1].id

    def claim(self, *, service_url: str | None = None, tenant: str | None = TENANT, channel: str = "msteams") -> dict:
        """Mallory presses Claim on the waiting card, with the bot to answer at `service_url`
        (tenant None: the activity names no tenant)."""
        activity = self.h.execute(MALLORY, self.card, "lead:claim", {"lead": 1})
        activity["serviceUrl"] = service_url or self.caller.service_url
        activity["conversation"].pop("tenantId")
        activity["channelData"].pop("tenant")
        if tenant is not None:
            activity["conversation"]["tenantId"] = tenant
            activity["channelData"]["tenant"] = {"id": tenant}
        activity["channelId"] = channel
        return activity

    def refused(self, activity: dict, token: str | None, status: int) -> None:
        """Posted with `token`: answered `status`, no row changed, no call to either Connector."""
        before, calls = every_row(self.core), len(self.connector.calls)
        response = self.h.post(activity, token=token)
        assert response.status_code == status, response.text
        assert set(response.json()) == {"error", "where"} and "Traceback" not in response.text
        assert rows_changed(before, every_row(self.core)) == {}
        assert len(self.connector.calls) == calls, "nothing reached the dealership's Connector"
        assert self.caller.calls == [], "nothing reached the caller's Connector"


@pytest.fixture
def caller(issuer):
    with FakeConnector(verify_token=issuer.verify) as running:
        yield running


@pytest.fixture
def dealership(core, connector, issuer, monkeypatch, caller):
    made = Dealership(core, connector, issuer, monkeypatch, caller)
    yield made
    made.h.http.close()


def refusal_logged(caplog, words: str) -> None:
    assert any(words in r.getMessage() for r in caplog.records), [r.getMessage() for r in caplog.records]
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]


def entra_issuer(form: str, tenant: str) -> str:
    return {"v1": f"https://sts.windows.net/{tenant}/", "v2": f"https://login.microsoftonline.com/{tenant}/v2.0"}[form]


# ---------------------------------------------------------------- the issuer


@pytest.mark.parametrize("form", ["v1", "v2"])
def test_a_token_from_another_tenants_entra_is_refused_though_its_key_is_published(dealership, issuer, monkeypatch,
                                                                                    caplog, form):
    foreign = entra_issuer(form, OTHER_TENANT)
    issuer.trust(monkeypatch, issuer=foreign)  # its keys are fetchable: only the issuer can be wrong
    activity = dealership.claim()
    token = issuer.token(service_url=activity["serviceUrl"], iss=foreign, tid=OTHER_TENANT)
    with caplog.at_level(logging.WARNING):
        dealership.refused(activity, token, 401)
    refusal_logged(caplog, "JWT issuer not accepted")  # the SDK's issuer allow-list, not a failed key fetch


@pytest.mark.parametrize("form", ["v1", "v2"])
def test_a_single_tenant_bot_takes_entra_tokens_from_its_own_tenant(dealership, issuer, monkeypatch, form):
    own = entra_issuer(form, TENANT)
    issuer.trust(monkeypatch, issuer=own)
    activity = dealership.h.personal(SAM, "help")
    token = issuer.token(service_url=activity["serviceUrl"], iss=own, tid=TENANT)
    assert dealership.h.post(activity, token=token).status_code == 202


def test_a_token_from_the_bots_own_tenant_cannot_speak_for_another_tenant(dealership, issuer, monkeypatch):
    own = entra_issuer("v2", TENANT)
    issuer.trust(monkeypatch, issuer=own)
    activity = dealership.claim(service_url=dealership.connector.service_url, tenant=OTHER_TENANT)
    dealership.refused(activity, issuer.token(service_url=activity["serviceUrl"], iss=own, tid=TENANT), 401)


def test_a_multi_tenant_bot_takes_entra_tokens_from_no_tenant(core, connector, issuer, monkeypatch, caller):
    dealership = Dealership(core, connector, issuer, monkeypatch, caller, teams_tenant_id=None)
    own = entra_issuer("v1", TENANT)
    issuer.trust(monkeypatch, issuer=own)
    activity = dealership.claim(service_url=connector.service_url)
    dealership.refused(activity, issuer.token(service_url=activity["serviceUrl"], iss=own, tid=TENANT), 401)
    dealership.h.http.close()


# ---------------------------------------------------------------- the serviceurl claim


def test_a_token_issued_for_the_dealerships_service_url_is_refused_with_the_callers(dealership, issuer, caplog):
    activity = dealership.claim()  # the caller's Connector, on the allowed hosts
    token = issuer.token(service_url=dealership.connector.service_url)  # a genuine token, replayed
    with caplog.at_level(logging.WARNING):
        dealership.refused(activity, token, 401)
    refusal_logged(caplog, "not issued for this activity's serviceUrl")


def test_a_token_without_a_serviceurl_claim_vouches_for_no_service_url(dealership, issuer):
    dealership.refused(dealership.claim(), issuer.token(), 401)


def test_the_serviceurl_claim_and_the_activitys_may_differ_in_case_and_a_final_slash_only(dealership, issuer):
    activity = dealership.h.personal(SAM, "help")
    claimed = activity["serviceUrl"].rstrip("/").upper().replace("HTTP://", "http://")
    assert dealership.h.post(activity, token=issuer.token(service_url=claimed)).status_code == 202


# ---------------------------------------------------------------- endorsements


@pytest.mark.parametrize("keyed", ["webchat", "none", "no field"])
def test_a_published_key_not_endorsed_for_teams_is_refused(dealership, issuer, caplog, keyed):
    key, kid = dealership.keys[keyed]
    activity = dealership.claim()
    with caplog.at_level(logging.WARNING):
        dealership.refused(activity, issuer.token(service_url=activity["serviceUrl"], key=key, kid=kid), 401)
    refusal_logged(caplog, "not endorsed for this channel")


def test_a_key_endorsed_for_another_channel_cannot_speak_for_that_channel_either(dealership, issuer, caplog):
    key, kid = dealership.keys["webchat"]
    activity = dealership.claim(channel="webchat")
    with caplog.at_level(logging.WARNING):
        dealership.refused(activity, issuer.token(service_url=activity["serviceUrl"], key=key, kid=kid), 403)
    refusal_logged(caplog, "Microsoft Teams only")


# ---------------------------------------------------------------- the serviceUrl's host


@pytest.mark.parametrize("url", ["https://attacker.example/teams/", "https://smba.trafficmanager.net.attacker.example/",
                                 "http://smba.trafficmanager.net/amer/", "https://me:pw@attacker.example/",
                                 "not a url", "https:///no-host"])
def test_a_service_url_off_the_allowed_hosts_is_refused(dealership, issuer, url):
    activity = dealership.claim(service_url=url)
    dealership.refused(activity, issuer.token(service_url=url), 403)


# ---------------------------------------------------------------- the tenant


@pytest.mark.parametrize("tenant", [OTHER_TENANT, None])
def test_a_tenant_not_allowed_is_refused_with_one_log_line(dealership, issuer, caplog, tenant):
    activity = dealership.claim(service_url=dealership.connector.service_url, tenant=tenant)
    with caplog.at_level(logging.INFO, logger="adapters"):
        dealership.refused(activity, issuer.token(service_url=activity["serviceUrl"]), 403)
    said = [r.getMessage() for r in caplog.records if r.name.startswith("adapters")]
    assert said == ['refused route=/api/messages status=403 reason="this tenant may not use the bot '
                    f'(TEAMS_ALLOWED_TENANTS)" tenant={tenant!r}']


def test_an_allowed_tenant_is_served(dealership, issuer):
    activity = dealership.claim(service_url=dealership.connector.service_url)
    answer = dealership.h.post(activity)
    assert answer.status_code == 200, answer.text  # the invoke's answer, to the person who pressed
    assert answer.json()["value"].startswith("Maria Gonzalez is yours (claimed")


# ---------------------------------------------------------------- the body


BODIES = {
    "a JSON array": b'[{"type": "message"}]',
    "conversation is a string": None,  # made from a real activity below
    "not JSON": b"type=message&text=hi",
    "empty": b"",
    "JSON null": b"null",
    "a JSON string": b'"message"',
    "type is a number": None,
    "serviceUrl is a number": None,
    "membersAdded is a string": None,
    "from is a list": None,
    "entities is an object": None,
    "no conversation": None,
    "no serviceUrl": None,
    "no type": None,
    "not UTF-8": b'{"type": "\xff\xfe"}',
    "a sub-channel its productInfo disputes": None,
    "channelData is a string": None,
    "channelData.tenant is a string": None,
    "channelData.team is a list": None,
    "channelData.channel's id is a number": None,
    "channelData.eventType is a number": None,
    "from has no id": None,
    "no recipient": None,
}


def malformed(dealership, how: str) -> bytes:
    if BODIES[how] is not None:
        return BODIES[how]
    activity = dealership.claim(service_url=dealership.connector.service_url)
    change = {"conversation is a string": ("conversation", "x"), "type is a number": ("type", 5),
              "serviceUrl is a number": ("serviceUrl", 7), "membersAdded is a string": ("membersAdded", "x"),
              "from is a list": ("from", []), "entities is an object": ("entities", {"type": "mention"}),
              "channelData is a string": ("channelData", "x"), "from has no id": ("from", {"name": "Mallory"})}
    data = {"channelData.tenant is a string": ("tenant", "x"), "channelData.team is a list": ("team", []),
            "channelData.channel's id is a number": ("channel", {"id": 5}),
            "channelData.eventType is a number": ("eventType", 7)}
    if how == "a sub-channel its productInfo disputes":
        activity["channelId"] = "msteams:copilot"
        activity["entities"] = [{"type": "ProductInfo", "id": "outlook"}]
    elif how in change:
        key, value = change[how]
        activity[key] = value
    elif how in data:
        key, value = data[how]
        activity["conversation"].pop("tenantId")
        activity["channelData"][key] = value
    else:
        activity.pop({"no conversation": "conversation", "no serviceUrl": "serviceUrl", "no type": "type",
                      "no recipient": "recipient"}[how])
    return json.dumps(activity).encode()


@pytest.mark.parametrize("how", list(BODIES))
def test_a_malformed_body_with_a_valid_token_is_a_400_with_a_short_reason(dealership, issuer, caplog, how):
    before, calls = every_row(dealership.core), len(dealership.connector.calls)
    token = issuer.token(service_url=dealership.connector.service_url)
    response = dealership.h.http.post("/api/messages", content=malformed(dealership, how),
                                      headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert response.status_code == 400, response.text
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], "one warning line, no traceback"
    error = response.json()["error"]
    assert isinstance(error, str) and len(error) < 300 and "Traceback" not in response.text
    assert rows_changed(before, every_row(dealership.core)) == {}
    assert len(dealership.connector.calls) == calls


# ---------------------------------------------------------------- a reference stored before the checks


def test_a_service_url_stored_before_the_checks_existed_gets_no_token_until_teams_speaks_again(dealership, caller,
                                                                                              clock):
    """A deployment attacked before this release may hold a caller's serviceUrl: the bot sends it
    nothing (the card waits), and the next genuine activity puts the right one back."""
    h = dealership.h
    stored = conversations.recall(dealership.core, h.team_id, conversations.SERVICE)
    callers = caller.service_url.replace("127.0.0.1", "localhost")  # a loopback host, but not an allowed one
    conversations.remember(dealership.core, h.team_id, conversations.SERVICE, {**stored, "service_url": callers})
    tracker.ingest(dealership.core, h.team_id, incoming(external_id="after-the-attack"))

    waited = h.deliver()

    assert (waited.sent, waited.failed) == (0, 1)
    assert caller.calls == []
    clock.advance(timedelta(seconds=10))  # the refused card is due again
    assert h.post(h.mention(SAM, "help")).status_code == 202  # the team speaks: its serviceUrl is stored again
    posted = dealership.connector.in_conversation(LEADS)  # the welcome, lead 1's card, now lead 2's card
    assert len(posted) == 3 and '"lead": 2' in json.dumps(posted[-1].activity)
    assert caller.calls == []
