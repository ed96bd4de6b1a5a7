"""Shared fixtures for Slack tests: a running FakeSlack and a WebClient pointed at it."""

import pytest
from slack_sdk import WebClient

from tests.fakes.slack_web_api import FakeSlack


@pytest.fixture
def fake_slack():
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(fake_slack):
    return WebClient(token=fake_slack.token, base_url=fake_slack.base_url)
