"""The Slack app as Slack sees it: the real web app, signed requests, a real Web API client.

`SlackHarness` wires the real parts together: `create_web_app` (FastAPI + the real Bolt app)
served through httpx's ASGI transport (Starlette's TestClient), requests signed with Slack's
algorithm from the recorded fixture payloads, and the real slack_sdk WebClient (with the
production retry handlers) talking over HTTP to FakeSlack.
"""

from __future__ import annotations

import copy
import itertools
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient

from adapters.slack.app import create_slack_app
from adapters.slack.chat import make_client
from adapters.slack.services import SlackServices, register_slack
from adapters.slack.settings import SlackSettings
from adapters.slack.web import mount_slack
from chatbot.messaging.platforms import Platforms
from entrypoints.web import create_web_app
from tests.fakes.slack_signing import fill, load_fixture, signed_request, to_body
from tests.fakes.slack_web_api import FakeSlack

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
LEADS = "C0LEADS01"
SAM, ALEX, PAT = "U0REP0001", "U0REP0002", "U0MGR0001"
_interactions = itertools.count(1)


def trigger_id() -> str:
    """A new interaction's trigger_id: Slack gives each its own, and the app acts once per one."""
    return f"{next(_interactions)}.111.{uuid.uuid4().hex}"


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Bolt acks first and runs listeners in its thread pool: wait for their effect."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("the expected effect did not happen within the timeout")


class Listeners(ThreadPoolExecutor):
    """Bolt's pool for listeners (it acks first and runs them here), counting the ones not yet
    finished, so a test can wait until every listener of the requests it made has run."""

    def __init__(self) -> None:
        super().__init__(max_workers=5, thread_name_prefix="bolt-listener")  # Bolt's own default size
        self._running = 0
        self._changed = threading.Condition()

    def submit(self, fn, /, *args, **kwargs):
        with self._changed:
            self._running += 1
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._finished(None)
            raise
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future) -> None:
        with self._changed:
            self._running -= 1
            self._changed.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: self._running == 0, timeout):
                raise AssertionError(f"{self._running} Slack listener(s) still running after {timeout} s")


def count_listeners(slack_app) -> Listeners:
    """Run a Bolt app's listeners (and lazy listeners) in a `Listeners` pool; returns it."""
    runner = slack_app.listener_runner
    listeners = Listeners()
    runner.listener_executor.shutdown(wait=True)  # Bolt's default pool, before any request used it
    runner.listener_executor = runner.lazy_listener_runner.executor = listeners
    return listeners


def settle(slack_app) -> None:
    """Wait until every listener the app started has finished: whatever a request was going to do
    (rows written, calls to Slack) is done, so a test can assert that it did nothing. The app's
    listeners must run in a `Listeners` pool (`count_listeners`); SlackHarness sets that up."""
    executor = slack_app.listener_runner.listener_executor
    assert isinstance(executor, Listeners), "count_listeners(app) must be called before its first request"
    executor.wait_idle()


class SlackHarness:
    def __init__(self, core, fake: FakeSlack) -> None:
        self.core, self.fake = core, fake
        fake.add_user(SAM, name="sam", real_name="Sam Rivera", profile={"display_name": "Sam"}, is_admin=False)
        fake.add_user(ALEX, name="alex", real_name="Alex Kim", profile={"display_name": "Alex"}, is_admin=False)
        fake.add_user(PAT, name="pat", real_name="Pat Lee", profile={"display_name": "Pat"}, is_admin=True)
        self.settings = SlackSettings(_env_file=None, slack_bot_token=fake.token, slack_signing_secret=SECRET,
                                      slack_api_url=fake.base_url, leads_channel=LEADS,
                                      managers_channel="C0MGRS001")
        self.client = make_client(fake.token, fake.base_url)
        self.services = SlackServices(core, self.settings, workspace=fake.team_id)  # the token's workspace
        self.team_id = self.services.team_id(fake.team_id)
        self.platforms = register_slack(Platforms(), core, self.settings, self.client)
        self.slack_app = create_slack_app(core, self.settings, self.client)
        self.listeners = count_listeners(self.slack_app)
        self.web = mount_slack(create_web_app(core, self.platforms), self.slack_app)
        self.http = TestClient(self.web)
        self._events = 0

    def settle(self) -> None:
        """Every listener of the requests made so far has finished (see `settle`)."""
        settle(self.slack_app)

    def close(self) -> None:
        """Let listeners still running in Bolt's thread pool (it acks first) finish while their
        fake Slack is up, so none fails and logs into a later test; then close the client."""
        self.listeners.shutdown(wait=True)
        self.http.close()

    # -- what arrives from outside ------------------------------------------------------------

    def deliver(self):
        return self.services.deliver(self.client)

    def post(self, payload: dict | str, *, secret: str = SECRET, timestamp: int | None = None,
             headers: dict[str, str] | None = None):
        request = signed_request(payload, secret, timestamp)
        return self.http.post("/slack/events", content=request.body.encode(),
                              headers={**request.headers, **(headers or {})})

    def reaction(self, user: str, ts: str, *, channel: str = LEADS, reaction: str = "eyes",
                 event_id: str | None = None) -> dict:
        self._events += 1
        return fill(load_fixture("docs_reaction_added_event_callback.json"), channel=channel, ts=ts, user=user,
                    team=self.fake.team_id,
                    overrides={"event.reaction": reaction, "event_id": event_id or f"Ev0TEST{self._events:04d}",
                               "api_app_id": self.fake.app_id,
                               # the installation the event is for: this workspace's bot
                               "authorizations.0.team_id": self.fake.team_id,
                               "authorizations.0.user_id": self.fake.bot_user_id,
                               "authorizations.0.is_bot": True})

    def button(self, user: str, ts: str, action_id: str, value: str) -> dict:
        return fill(load_fixture("bolt_block_actions_request_body.txt"), channel=LEADS, ts=ts, user=user,
                    team=self.fake.team_id,
                    overrides={"actions.0.action_id": action_id, "actions.0.value": value,
                               "actions.0.block_id": "lead_actions", "container.is_ephemeral": False,
                               "trigger_id": trigger_id(),
                               "response_url": self.fake.response_url, "api_app_id": self.fake.app_id})

    def command(self, user: str, command: str, text: str = "") -> dict:
        return fill(load_fixture("bolt_slash_command_request_body.txt"), channel=LEADS, user=user,
                    team=self.fake.team_id,
                    overrides={"command": command, "text": text, "response_url": self.fake.response_url,
                               "api_app_id": self.fake.app_id, "trigger_id": trigger_id()})

    def view_submission(self, user: str, view: dict, values: dict) -> dict:
        """A modal submitted: the view as Slack stored it (from views.open) with the inputs' state."""
        submitted = copy.deepcopy(view)
        submitted["state"] = {"values": values}
        action = load_fixture("bolt_block_actions_request_body.txt")  # the same envelope fields
        return {"type": "view_submission", "team": {"id": self.fake.team_id, "domain": "fake-motors"},
                "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": self.fake.team_id},
                "api_app_id": self.fake.app_id, "token": action["token"], "trigger_id": trigger_id(),
                "view": submitted, "response_urls": [], "is_enterprise_install": False}

    # -- what the fake saw --------------------------------------------------------------------

    def card(self, ts: str) -> dict:
        return self.fake.message(LEADS, ts)

    def card_text(self, ts: str) -> str:
        """Every piece of text on the card, joined, for assertions."""
        parts: list[str] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                for key, value in node.items():
                    if key == "text" and isinstance(value, str):
                        parts.append(value)
                    else:
                        walk(value)
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        walk(self.card(ts)["blocks"])
        return "\n".join(parts)

    def ephemeral_to(self, user: str) -> list[str]:
        return [m["text"] for m in self.fake.ephemeral if m["user"] == user]


__all__ = ["SlackHarness", "Listeners", "count_listeners", "wait_for", "settle", "to_body", "SECRET", "LEADS", "SAM", "ALEX", "PAT"]
