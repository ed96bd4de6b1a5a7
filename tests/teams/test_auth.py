"""/api/messages runs the bot only for a request whose token the Agents SDK's own validator
accepts (signed by the issuer's published key, for our app id, not expired). Anything else is
401 and changes nothing: no team, no stored reference, no call to the Connector."""

from __future__ import annotations

import logging

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.teams.settings import TeamsSettings
from chatbot.team import roster
from tests.fakes.teams_auth import APP_ID
from tests.teams.harness import LOCAL_CONNECTOR, TeamsHarness, load


def install_activity(teams) -> dict:
    activity = teams.fill(load("msteams-docs_conversationUpdate_teamMemberAdded.json"))
    activity["membersAdded"] = [{"id": activity["recipient"]["id"]}]
    return activity


def nothing_happened(teams, connector) -> None:
    assert [t for t in roster.all_teams(teams.core) if t.platform == "teams"] == []
    assert connector.calls == []


OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize("how", ["no header", "not bearer", "garbage", "forged signature", "other audience",
                                 "expired", "unknown key id"])
def test_a_request_without_a_valid_token_is_refused_with_401_and_changes_nothing(teams, connector, issuer, how):
    activity = install_activity(teams)
    url = activity["serviceUrl"]
    token, headers = {
        "no header": (None, {}),
        "not bearer": (None, {"Authorization": "Basic dXNlcjpwYXNz"}),
        "garbage": ("not.a.jwt", {}),
        "forged signature": (issuer.token(service_url=url, key=OTHER_KEY), {}),
        "other audience": (issuer.token(service_url=url, audience="someone-elses-app"), {}),
        "expired": (issuer.token(service_url=url, expires_in=-3600), {}),
        "unknown key id": (issuer.token(service_url=url, key=OTHER_KEY, kid="attacker-key"), {}),
    }[how]
    response = teams.post(activity, token=token, headers=headers)
    assert response.status_code == 401
    assert "Traceback" not in response.text
    nothing_happened(teams, connector)


def test_a_valid_token_lets_the_activity_through_and_the_keys_come_from_the_issuer(teams, connector, issuer):
    response = teams.post(install_activity(teams))
    assert response.status_code == 202
    assert issuer.fetches >= 1, "the SDK fetched the signing keys from the (local) issuer's JWKS"
    assert [t.platform for t in roster.all_teams(teams.core)] == ["teams"]
    reply = connector.calls[0]
    claims = issuer.verify(reply.headers["Authorization"].split(" ", 1)[1])
    assert claims["appid"] == APP_ID, "the bot answers with its own token for the Connector"


def test_anonymous_mode_only_when_asked_and_it_warns(core, connector, issuer, monkeypatch, caplog):
    settings = TeamsSettings(_env_file=None, teams_allow_anonymous=True, teams_service_url_hosts=LOCAL_CONNECTOR)
    with caplog.at_level(logging.WARNING):
        teams = TeamsHarness(core, connector, issuer, monkeypatch, settings=settings)
    assert any("TEAMS_ALLOW_ANONYMOUS" in r.getMessage() for r in caplog.records)
    connector.verify_token = None  # development: nothing is signed either way
    assert teams.post(install_activity(teams), token=None).status_code == 202


def test_without_the_development_setting_anonymous_is_off(monkeypatch):
    monkeypatch.delenv("TEAMS_ALLOW_ANONYMOUS", raising=False)
    settings = TeamsSettings(_env_file=None, teams_app_id=APP_ID, teams_app_password="x")
    assert not settings.anonymous and settings.enabled
    assert not TeamsSettings(_env_file=None).enabled
