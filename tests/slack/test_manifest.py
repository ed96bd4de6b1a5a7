"""manifest.json must create a working app in one paste, asking for no more than it uses.

Checks: the manifest is valid against the community JSON Schema (no official one exists);
every slash command and event in it is one the app handles, and vice versa; every scope an
event or Web API method needs (per Slack's own specs) is granted, and no scope is granted
that nothing needs.
"""

import json
import re
from pathlib import Path

import jsonschema
import pytest

from adapters.slack.listeners import registered
from tests.fakes.slack_web_api import LEGACY_SCOPE_ALIASES, load_spec

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "slack"
APP_URL = "https://YOUR-APP-HOST/slack/events"

# What the app handles, read from the listeners' real register() functions.
HANDLED_COMMANDS = registered()["command"]
HANDLED_EVENTS = registered()["event"]
# Web API methods the bot calls with its bot token, read from the adapter's source
# (`client.chat_postMessage(` -> chat.postMessage); auth.test is Bolt's own, at start-up.
CALL = re.compile(r"\.(chat|conversations|reactions|users|views|files|auth)_(\w+)\(")
APP_WEB_METHODS = {"auth.test"} | {
    family + "." + re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)
    for path in (ROOT / "adapters" / "slack").rglob("*.py")
    for family, name in CALL.findall(path.read_text())
}
# slack_sdk's files_upload_v2 (the weekly digest) is not one method but these two, around an upload.
if "files.uploadV2" in APP_WEB_METHODS:
    APP_WEB_METHODS = (APP_WEB_METHODS - {"files.uploadV2"}) | {"files.getUploadURLExternal",
                                                                  "files.completeUploadExternal"}
# Scopes that unlock part of a method's answer, which the OpenAPI spec does not list: users.info
# includes profile.email only with users:read.email (docs.slack.dev/reference/methods/users.info).
# Needed when the adapter reads that field (services.ensure_member matches reps added by e-mail).
ADAPTER_SOURCE = "\n".join(path.read_text() for path in (ROOT / "adapters" / "slack").rglob("*.py"))
FIELD_SCOPES = {("users.info", 'profile.get("email")'): "users:read.email"}
FIELD_SCOPES_USED = {scope for (method, code), scope in FIELD_SCOPES.items()
                     if method in APP_WEB_METHODS and code in ADAPTER_SOURCE}
# Events missing from the 2021 AsyncAPI spec, with the scopes docs.slack.dev lists for them.
EVENT_SCOPES_NOT_IN_SPEC = {"app_home_opened": []}  # docs.slack.dev/reference/events/app_home_opened: none


@pytest.fixture(scope="module")
def manifest():
    return json.loads((ROOT / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def bot_scopes(manifest):
    return set(manifest["oauth_config"]["scopes"]["bot"])


def event_scopes() -> dict[str, list[str]]:
    """Event type -> scopes Slack requires for it, from the Events API AsyncAPI spec."""
    spec = json.loads((FIXTURES / "slack_events_api_async_v1.json").read_text(encoding="utf-8"))
    out = dict(EVENT_SCOPES_NOT_IN_SPEC)
    for topic in spec["topics"].values():
        sub = topic["subscribe"]
        name = sub["externalDocs"]["url"].rstrip("/").rsplit("/", 1)[-1]  # .../events/reaction_added
        out[name] = sub.get("x-scopes-required", [])
    return out


def method_scopes(method: str) -> list[str]:
    """Any one of these scopes lets the bot call ``method`` (modern names for 2021 legacy ones)."""
    return [LEGACY_SCOPE_ALIASES.get(s, s) for s in load_spec()[method]["scopes"]]


def schema_errors(document) -> list[str]:
    schema = json.loads((FIXTURES / "schemastore_slack-app-manifest.schema.json").read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator_class(schema).iter_errors(document)]


def test_manifest_is_valid_against_the_schema(manifest):
    assert schema_errors(manifest) == []


def test_the_schema_check_does_catch_mistakes(manifest):
    broken = json.loads(json.dumps(manifest))
    broken["features"]["bot_user"]["display_name"] = "Lead Follow-up"  # spaces are not allowed
    broken["features"]["slash_commands"][0]["command"] = "baseline"  # must start with /
    broken["settings"]["interactivity"]["enabled"] = True  # misspelt key
    assert len(schema_errors(broken)) == 3


def test_slash_commands_are_the_ones_the_app_handles(manifest):
    commands = manifest["features"]["slash_commands"]
    assert {c["command"] for c in commands} == HANDLED_COMMANDS
    for c in commands:
        assert (c["url"], c["should_escape"]) == (APP_URL, False), c["command"]
    by_name = {c["command"]: c for c in commands}
    assert by_name["/baseline"]["usage_hint"] == "[7d | 30d | this-week | last-week | 2026-11-01..2026-11-15] [@rep] [source] [by rep | by source]"
    assert by_name["/stalled"]["usage_hint"] == "[@rep]"


def test_events_are_the_ones_the_app_handles(manifest):
    subscriptions = manifest["settings"]["event_subscriptions"]
    assert set(subscriptions["bot_events"]) == HANDLED_EVENTS
    assert subscriptions["request_url"] == APP_URL
    assert manifest["settings"]["interactivity"] == {"is_enabled": True, "request_url": APP_URL}


def test_every_event_has_its_required_scopes(bot_scopes):
    known = event_scopes()
    for event in HANDLED_EVENTS:
        assert event in known, f"{event} is not a Slack event"
        missing = set(known[event]) - bot_scopes
        assert not missing, f"{event} needs {missing}"


def test_every_web_api_method_the_app_calls_has_a_scope(bot_scopes):
    for method in APP_WEB_METHODS:
        needed = method_scopes(method)
        assert not needed or set(needed) & bot_scopes, f"{method} needs one of {needed}"


def test_the_email_scope_is_granted_because_the_app_reads_profile_email(bot_scopes):
    assert FIELD_SCOPES_USED == {"users:read.email"}
    assert FIELD_SCOPES_USED <= bot_scopes


def test_no_scope_is_granted_that_nothing_needs(bot_scopes):
    used = {"commands"} if HANDLED_COMMANDS else set()  # slash commands need the commands scope
    used |= FIELD_SCOPES_USED
    for scopes in [event_scopes()[e] for e in HANDLED_EVENTS] + [method_scopes(m) for m in APP_WEB_METHODS]:
        used |= set(scopes)
    assert bot_scopes - used == set()


def test_settings_for_a_plain_http_single_workspace_install(manifest):
    settings = manifest["settings"]
    assert (settings["org_deploy_enabled"], settings["socket_mode_enabled"], settings["token_rotation_enabled"]) == (
        False, False, False)
    assert manifest["oauth_config"]["redirect_urls"] == ["https://YOUR-APP-HOST/slack/oauth_redirect"]
    assert manifest["features"]["bot_user"]["always_online"] is True
    home = manifest["features"]["app_home"]
    assert home["home_tab_enabled"] and home["messages_tab_enabled"]
    assert manifest["display_information"]["name"] == "Lead Follow-up"
