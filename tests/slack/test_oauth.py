"""Multi-workspace installs: OAuth through the real web app and Bolt's flow against FakeSlack's
oauth.v2.access; the stored token then authorises that workspace's events and deliveries."""

from __future__ import annotations

import json
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from adapters.slack.app import create_slack_app
from adapters.slack.chat import make_client
from adapters.slack.oauth import installation_store
from adapters.slack.services import SlackServices, register_slack
from adapters.slack.settings import BOT_SCOPES, SlackSettings
from adapters.slack.web import mount_slack
from chatbot.core import bootstrap
from chatbot.domain.clock import ManualClock
from chatbot.leads import tracker
from chatbot.messaging.outbox import pending_count
from chatbot.messaging.platforms import Platforms, deliver_all
from chatbot.secret_keys import SecretKeys
from chatbot.team import roster
from entrypoints.web import create_web_app
from tests.conftest import TUESDAY_10AM
from tests.fakes.slack_signing import fill, load_fixture, signed_request
from tests.fakes.slack_web_api import FakeSlack
from tests.helpers import incoming
from tests.slack.harness import LEADS, SAM, SECRET, wait_for

KEY = "c2VjcmV0LWtleXMtZm9yLXRoZS1vYXV0aC10ZXN0cyE="  # a Fernet key (32 bytes, url-safe base64), SECRET_KEYS


@pytest.fixture
def fake():
    with FakeSlack(client_id="1111.2222", client_secret="fake-client-secret") as running:
        yield running
        assert running.errors == []


@pytest.fixture
def oauth(tmp_path, fake):
    """An OAuth-mode app on its own SQLite file (the installation tables outlive TRUNCATE)."""
    core = bootstrap(f"sqlite:///{tmp_path / 'oauth.db'}", ManualClock(TUESDAY_10AM))
    settings = SlackSettings(_env_file=None, slack_client_id=fake.client_id, slack_client_secret=fake.client_secret,
                             slack_signing_secret=SECRET, slack_api_url=fake.base_url, leads_channel=LEADS,
                             secret_keys=KEY)
    platforms = register_slack(Platforms(), core, settings)
    slack_app = create_slack_app(core, settings, make_client(None, fake.base_url))
    web = TestClient(mount_slack(create_web_app(core, platforms), slack_app))
    yield core, settings, web
    web.close()


def slack_platforms(core, settings) -> Platforms:
    """What the worker delivers through: Slack, each workspace with its installation's token."""
    return register_slack(Platforms(), core, settings)


def install(web) -> None:
    started = web.get("/slack/install")
    assert started.status_code == 200
    state = SimpleCookie(started.headers["set-cookie"])["slack-app-oauth-state"].value
    link = next(part for part in started.text.split('"') if part.startswith("https://slack.com/oauth/v2/authorize"))
    query = parse_qs(urlsplit(link.replace("&amp;", "&")).query)
    assert query["state"] == [state] and set(query["scope"][0].split(",")) == set(BOT_SCOPES)
    done = web.get(f"/slack/oauth_redirect?code=code-1&state={state}",
                   headers={"Cookie": f"slack-app-oauth-state={state}"})
    assert done.status_code == 200, done.text


def test_bot_scopes_are_the_manifests():
    manifest = json.loads((Path(__file__).resolve().parents[2] / "manifest.json").read_text(encoding="utf-8"))
    assert set(BOT_SCOPES) == set(manifest["oauth_config"]["scopes"]["bot"])


def test_an_install_stores_the_token_and_creates_the_team(oauth, fake):
    core, settings, web = oauth

    install(web)

    assert [c.method for c in fake.calls if c.method.startswith("oauth")] == ["oauth.v2.access"]
    team = roster.ensure_team(core, name="x", platform="slack", platform_team_id=fake.team_id)
    assert team.leads_channel == LEADS  # made at install with the settings, not by the lookup above


def test_after_install_leads_are_delivered_and_claimed_with_the_workspaces_token(oauth, fake):
    core, settings, web = oauth
    install(web)
    team_id = SlackServices(core, settings).team_id(fake.team_id)
    lead_id = tracker.ingest(core, team_id, incoming()).lead_id

    assert deliver_all(core, slack_platforms(core, settings)).sent == 1
    ts = fake.messages[LEADS][0]["ts"]
    event = fill(load_fixture("docs_reaction_added_event_callback.json"), channel=LEADS, ts=ts, user=SAM,
                 team=fake.team_id, overrides={"authorizations.0.team_id": fake.team_id,
                                               "authorizations.0.user_id": fake.bot_user_id})
    request = signed_request(event, SECRET)
    assert web.post("/slack/events", content=request.body.encode(), headers=request.headers).status_code == 200

    wait_for(lambda: fake.calls_to("chat.update"))
    assert all(c.headers.get("Authorization") == f"Bearer {fake.token}"
               for c in fake.calls if c.method.startswith("chat."))
    assert tracker.lead_for_message(core, LEADS, ts) == (team_id, lead_id)


def test_a_workspace_that_never_installed_is_not_delivered_to(oauth, fake):
    core, settings, web = oauth
    other = roster.ensure_team(core, name="Other", platform="slack", platform_team_id="T0OTHER01", leads_channel=LEADS)
    tracker.ingest(core, other.id, incoming())

    assert deliver_all(core, slack_platforms(core, settings)).sent == 0
    assert fake.calls_to("chat.postMessage") == []


def test_uninstalling_forgets_the_workspaces_token_and_keeps_its_leads_queued(oauth, fake):
    core, settings, web = oauth
    install(web)
    team_id = SlackServices(core, settings).team_id(fake.team_id)
    event = fill(load_fixture("docs_reaction_added_event_callback.json"), team=fake.team_id,
                 overrides={"authorizations.0.team_id": fake.team_id, "authorizations.0.user_id": fake.bot_user_id,
                            "event_id": "EvUNINSTALL1"})
    event["event"] = {"type": "app_uninstalled", "event_ts": "1732440000.000100"}
    request = signed_request(event, SECRET)
    assert web.post("/slack/events", content=request.body.encode(), headers=request.headers).status_code == 200

    store = installation_store(core.engine, settings.slack_client_id, SecretKeys.parse(KEY))
    wait_for(lambda: store.find_bot(enterprise_id=None, team_id=fake.team_id) is None)
    tracker.ingest(core, team_id, incoming())
    assert deliver_all(core, slack_platforms(core, settings)).sent == 0
    assert fake.calls_to("chat.postMessage") == []
    assert pending_count(core) == 1
