"""The story runs Slack through the same harness as tests/slack."""

from tests.slack.conftest import fake, slack  # noqa: F401  (fixtures)
