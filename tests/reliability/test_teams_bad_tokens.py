"""Bearer tokens the SDK's validator cannot even read are refused 401, like every other bad token,
with one log line and no traceback; nothing is written (was failing_teams_token_without_kid.py).

What was wrong: a JWT whose header has no `kid` (an `alg: none` token, or one signed without a
key id) raised KeyError: 'kid' inside the SDK's JwtTokenValidator.get_signing_key, through its
JWT decorator, unhandled: HTTP 500 with a traceback, for an unauthenticated request.
adapters/teams/web.py now answers 401 for any exception raised while the token is checked.
"""

from __future__ import annotations

import logging
import time

import jwt
import pytest
from fastapi.testclient import TestClient

from tests.fakes.teams_auth import APP_ID, LocalIssuer
from tests.fakes.teams_connector import FakeConnector
from tests.reliability.conftest import every_row, figure, rows_changed
from tests.teams.harness import TeamsHarness

HOW = ["alg none", "RS256 without kid", "RS256 with an unknown kid", "not a JWT at all", "header not JSON"]


def bad_token(how: str, issuer: LocalIssuer, service_url: str) -> str:
    now = int(time.time())
    claims = {"iss": issuer.issuer, "aud": APP_ID, "iat": now, "nbf": now, "exp": now + 3600, "serviceurl": service_url}
    if how == "alg none":
        return jwt.encode(claims, None, algorithm="none")
    if how == "RS256 without kid":
        return jwt.encode(claims, issuer.key, algorithm="RS256")
    if how == "RS256 with an unknown kid":
        return jwt.encode(claims, issuer.key, algorithm="RS256", headers={"kid": "no-such-key"})
    if how == "not a JWT at all":
        return "definitely-not-a-token"
    return "bm90IGpzb24.e30.c2ln"  # "not json" . {} . sig


@pytest.mark.parametrize("core", ["sqlite"], indirect=True)
def test_a_token_the_validator_cannot_read_is_a_401_not_a_500(core, monkeypatch, caplog):
    answers = {}
    with LocalIssuer() as issuer, FakeConnector(verify_token=issuer.verify) as connector:
        h = TeamsHarness(core, connector, issuer, monkeypatch)
        client = TestClient(h.web, raise_server_exceptions=False)
        for how in HOW:
            activity = h.personal("29:1sam-rivera", "leads")
            before = every_row(core)
            caplog.clear()
            response = client.post("/api/messages", json=activity,
                                   headers={"Authorization": f"Bearer {bad_token(how, issuer, activity['serviceUrl'])}"})
            answers[how] = response.status_code
            assert response.status_code == 401, (how, response.status_code)
            assert rows_changed(before, every_row(core)) == {}, how
            assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR], how
        assert connector.calls == []
    figure(f"teams unreadable tokens: {answers}")
