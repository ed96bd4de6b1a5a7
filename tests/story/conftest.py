"""The story runs Slack through the same harness as tests/slack, and Teams through the same
local token issuer and fake Bot Connector as tests/teams."""

from tests.slack.conftest import fake, slack  # noqa: F401  (fixtures)
from tests.teams.conftest import connector, issuer  # noqa: F401  (fixtures)
