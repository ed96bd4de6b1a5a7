"""Shared fixtures for Slack tests: a running FakeSlack, a WebClient pointed at it, and the app harness."""

import pytest
from slack_sdk import WebClient

from tests.fakes.slack_web_api import FakeSlack
from tests.slack.harness import SlackHarness


@pytest.fixture
def fake_slack():
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(fake_slack):
    return WebClient(token=fake_slack.token, base_url=fake_slack.base_url)


@pytest.fixture
def fake():
    with FakeSlack() as running:
        yield running


@pytest.fixture
def slack(core, fake):
    """The real web app with the real Bolt app, on the `core` database, talking to `fake`."""
    harness = SlackHarness(core, fake)
    yield harness
    harness.close()
    assert fake.errors == [], "every call the app made must be one Slack accepts"
