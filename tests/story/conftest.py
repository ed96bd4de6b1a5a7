"""The story runs Slack through the same harness as tests/slack, and Teams through the same
local token issuer and fake Bot Connector as tests/teams."""

import pytest

from chatbot.core import bootstrap
from tests.slack.conftest import fake, slack  # noqa: F401  (fixtures)
from tests.teams.conftest import connector, issuer  # noqa: F401  (fixtures)
from tests.teams.harness import TeamsHarness


@pytest.fixture
def teams(tmp_path, clock, connector, issuer, monkeypatch):  # noqa: F811  (the imported fixtures)
    """The real Teams app on an SQLite database of its own (its leads are #1 and #2 too; tests/teams
    runs the Teams adapter on PostgreSQL as well)."""
    core = bootstrap(f"sqlite:///{tmp_path / 'teams.db'}", clock)
    harness = TeamsHarness(core, connector, issuer, monkeypatch)
    yield harness
    harness.http.close()
    core.engine.dispose()
    assert connector.errors == [], "every call the bot made must be one the Connector API accepts"

