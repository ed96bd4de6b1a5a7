"""Shared fixtures for Teams tests: a local token issuer, a fake Bot Connector, the app harness."""

import pytest

from tests.fakes.teams_auth import LocalIssuer
from tests.fakes.teams_connector import FakeConnector
from tests.teams.harness import TeamsHarness


@pytest.fixture
def issuer():
    with LocalIssuer() as running:
        yield running


@pytest.fixture
def connector(issuer):
    with FakeConnector(verify_token=issuer.verify) as running:
        yield running


@pytest.fixture
def teams(core, connector, issuer, monkeypatch):
    """The real web app with the real Agents SDK, on the `core` database, talking to `connector`."""
    harness = TeamsHarness(core, connector, issuer, monkeypatch)
    yield harness
    harness.http.close()
    assert connector.errors == [], "every call the bot made must be one the Connector API accepts"
