"""Which Slack workspaces are tenants. With one bot token (SLACK_BOT_TOKEN): only the token's own
workspace (learned from auth.test when the app starts). With OAuth: only a workspace whose
install through /slack/install completed. A correctly signed request from any other workspace
is answered 200 and dropped: no team, no member, no lead, no call to Slack, one log line with
ids only. Runs on SQLite and PostgreSQL (the `core` fixture)."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from adapters.slack.app import create_slack_app
from adapters.slack.chat import make_client
from adapters.slack.services import NotServed, SlackServices, register_slack
from adapters.slack.settings import SlackSettings
from adapters.slack.web import mount_slack
from chatbot.domain.clock import ManualClock
from chatbot.messaging.platforms import Platforms
from chatbot.team import roster
from entrypoints.web import create_web_app
from tests.conftest import TUESDAY_10AM
from tests.fakes.slack_signing import fill, load_fixture, signed_request
from tests.fakes.slack_web_api import FakeSlack
from tests.slack.harness import LEADS, PAT, SAM, SECRET, count_listeners, settle, wait_for
from tests.slack.test_oauth import KEY, install

OTHER = "T0OTHER01"


def from_other_workspace(slack, team: str = OTHER) -> list[dict]:
    """A slash command, a reaction and a button, each signed with the app's secret, from `team`."""
    command = slack.command(SAM, "/leads")
    command["team_id"] = team
    reaction = fill(slack.reaction(SAM, "1732440000.000100"), team=team,
                    overrides={"authorizations.0.team_id": team, "event_id": "Ev0OTHER0001"})
    button = fill(slack.button(PAT, "1732440000.000100", "lead:call", "1"), team=team)
    return [command, reaction, button]


def refusals(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("Slack request refused")]


def test_a_signed_request_from_another_workspace_is_answered_and_changes_nothing(slack, caplog):
    caplog.set_level(logging.WARNING, logger="adapters.slack.app")
    teams_before = [(t.name, t.platform_team_id) for t in roster.all_teams(slack.core)]
    calls_before = len(slack.fake.calls)

    answers = [slack.post(payload) for payload in from_other_workspace(slack)]
    slack.settle()

    assert [(a.status_code, a.text) for a in answers] == [(200, "")] * 3
    assert [(t.name, t.platform_team_id) for t in roster.all_teams(slack.core)] == teams_before == [
        ("Dealership", "T0DEALER1")]
    assert roster.members(slack.core, slack.team_id) == []
    assert slack.fake.calls[calls_before:] == []  # nothing posted, nothing asked: not even users.info
    assert refusals(caplog) == [  # the ids in the recorded payloads (the command and the button carry an Enterprise Grid org's)
        f'Slack request refused: workspace not served team="{OTHER}" enterprise="E111" app="A0LEADAPP" kind="command"',
        f'Slack request refused: workspace not served team="{OTHER}" enterprise=null app="A0LEADAPP" '
        f'kind="reaction_added"',
        f'Slack request refused: workspace not served team="{OTHER}" enterprise="E111" app="A0LEADAPP" '
        f'kind="block_actions"']


def test_the_configured_workspace_is_served_as_before(slack, caplog):
    caplog.set_level(logging.WARNING, logger="adapters.slack.app")

    assert slack.post(slack.command(SAM, "/leads")).status_code == 200

    wait_for(lambda: slack.fake.responses)
    assert refusals(caplog) == []
    assert [m.chat_user_id for m in roster.members(slack.core, slack.team_id)] == [SAM]


def test_a_request_without_a_team_is_refused_and_a_made_up_team_id_is_never_a_team(slack):
    payload = slack.command(SAM, "/leads")
    del payload["team_id"]

    assert slack.post(payload).status_code == 200
    slack.settle()
    assert slack.fake.responses == [] and len(roster.all_teams(slack.core)) == 1
    with pytest.raises(NotServed):
        slack.services.team_id(OTHER)
    assert len(roster.all_teams(slack.core)) == 1


def test_the_workspace_is_learned_from_auth_test_when_the_app_starts(core, fake):
    settings = SlackSettings(_env_file=None, slack_bot_token=fake.token, slack_signing_secret=SECRET,
                             slack_api_url=fake.base_url, leads_channel=LEADS)
    app = create_slack_app(core, settings, make_client(fake.token, fake.base_url))

    assert [(t.name, t.platform, t.platform_team_id) for t in roster.all_teams(core)] == [
        ("Dealership", "slack", "T0DEALER1")]
    asked = len(fake.calls_to("auth.test"))
    web = TestClient(mount_slack(create_web_app(core, register_slack(Platforms(), core, settings)), app))
    for n in range(3):
        command = fill(load_fixture("bolt_slash_command_request_body.txt"), channel=LEADS, user=SAM,
                       team=fake.team_id, overrides={"command": "/leads", "response_url": fake.response_url,
                                                     "trigger_id": f"{n}.1.x"})
        request = signed_request(command, SECRET)
        assert web.post("/slack/events", content=request.body.encode(), headers=request.headers).status_code == 200
    wait_for(lambda: len(fake.responses) == 3)
    app.listener_runner.listener_executor.shutdown(wait=True)
    web.close()
    assert len(fake.calls_to("auth.test")) == asked  # asked once, at start: not per request


@pytest.fixture
def oauth_fake():
    with FakeSlack(client_id="1111.2222", client_secret="fake-client-secret") as running:
        yield running
        assert running.errors == []


@pytest.fixture
def oauth(tmp_path, oauth_fake):
    from chatbot.core import bootstrap

    fake = oauth_fake
    core = bootstrap(f"sqlite:///{tmp_path / 'oauth.db'}", ManualClock(TUESDAY_10AM))
    settings = SlackSettings(_env_file=None, slack_client_id=fake.client_id, slack_client_secret=fake.client_secret,
                             slack_signing_secret=SECRET, slack_api_url=fake.base_url, leads_channel=LEADS,
                             secret_keys=KEY)
    slack_app = create_slack_app(core, settings, make_client(None, fake.base_url))
    count_listeners(slack_app)
    web = TestClient(mount_slack(create_web_app(core, register_slack(Platforms(), core, settings)), slack_app))
    yield core, settings, web, fake
    slack_app.listener_runner.listener_executor.shutdown(wait=True)
    web.close()


def signed_command(fake, team: str):
    """/leads from `team`, a workspace of no Enterprise Grid org (as the install made it)."""
    command = fill(load_fixture("bolt_slash_command_request_body.txt"), channel=LEADS, user=SAM, team=team,
                   overrides={"command": "/leads", "text": "", "response_url": fake.response_url,
                              "api_app_id": fake.app_id})
    del command["enterprise_id"], command["enterprise_name"]
    return signed_request(command, SECRET)


def test_under_oauth_a_workspace_that_never_finished_installing_creates_nothing(oauth, caplog):
    core, settings, web, fake = oauth
    caplog.set_level(logging.WARNING, logger="adapters.slack.app")
    started = web.get("/slack/install")  # began an install, never came back from Slack
    assert started.status_code == 200

    request = signed_command(fake, fake.team_id)
    answer = web.post("/slack/events", content=request.body.encode(), headers=request.headers)
    settle(web.app.state.slack_app)

    assert (answer.status_code, answer.text) == (200, "")
    assert roster.all_teams(core) == []
    assert fake.calls == [] and fake.responses == []
    assert refusals(caplog) == [f'Slack request refused: workspace not served team="{fake.team_id}" '
                                f'enterprise=null app="A0LEADAPP" kind="command"']
    assert SlackServices(core, settings).serves(fake.team_id) is False


def test_under_oauth_a_completed_install_makes_the_workspace_a_tenant(oauth):
    core, settings, web, fake = oauth
    install(web)

    request = signed_command(fake, fake.team_id)
    assert web.post("/slack/events", content=request.body.encode(), headers=request.headers).status_code == 200

    (answer,) = wait_for(lambda: fake.responses)
    assert answer == {"text": "You have no open leads. /leads all shows the team's.", "response_type": "ephemeral"}
    assert [(t.name, t.platform_team_id) for t in roster.all_teams(core)] == [("Dealership", fake.team_id)]
    other = signed_command(fake, OTHER)
    assert web.post("/slack/events", content=other.body.encode(), headers=other.headers).status_code == 200
    settle(web.app.state.slack_app)
    assert len(fake.responses) == 1 and len(roster.all_teams(core)) == 1
