"""A fake Bot Connector (the service behind an activity's serviceUrl), over real HTTP on 127.0.0.1.

The bot talks to it through the Agents SDK's own ConnectorClient (aiohttp), so request
encoding, URLs and error mapping are the real ones. Every request is checked and violations
are recorded in `fake.errors` (tests assert it stays empty) and answered 400:

- the path and method must be an operation of the Connector API swagger
  (tests/fixtures/teams/botframework_ConnectorAPI.swagger.json), and the body must validate
  against its definition (Activity, ConversationParameters);
- every Adaptive Card attached must validate against the Adaptive Card 1.5 schema
  (tests/fixtures/teams/adaptive-card.schema.v1.5.json) and the activity must stay under
  Teams' ~100 KB message size (80 KB here);
- the Authorization header must carry a token `verify_token` accepts (unless anonymous).

It keeps what was posted per conversation, answers with ids, and fails on demand:
`fail_next(status, times, retry_after)` (429 throttling, 500/503 outages); `outage(status)` fails
every request while inside; `outage(None, dropped=True)` closes each connection without an answer
(what a client sees when its request times out), `served=True` after acting on it (answer lost).
`remove_app(*conversations)` is the app removed from a team: from then on every request to those
conversations (a channel and its reply chains) is answered 403, as is opening a new personal chat
(Teams opens one only with someone the app shares a team or chat with); a personal chat the person
installed the app in keeps working. `add_app()` puts it back. `rosters[team id]` is who is in a team (GET .../members answers it; [] else).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jsonschema

from tests.fakes.local_server import LocalServer

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "teams"
SWAGGER = FIXTURES / "botframework_ConnectorAPI.swagger.json"
CARD_SCHEMA = FIXTURES / "adaptive-card.schema.v1.5.json"
MAX_ACTIVITY_BYTES = 80_000
ADAPTIVE = "application/vnd.microsoft.card.adaptive"


@lru_cache(maxsize=1)
def swagger() -> dict:
    return json.loads(SWAGGER.read_text())


@lru_cache(maxsize=1)
def card_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(CARD_SCHEMA.read_text())
    return jsonschema.validators.validator_for(schema)(schema)


def card_errors(card: Any) -> list[str]:
    """Why an Adaptive Card does not validate against the 1.5 schema ([] when it does)."""
    found = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in card_validator().iter_errors(card)]
    if isinstance(card, dict) and card.get("version") != "1.5":
        found.append(f"version {card.get('version')!r}: Teams renders up to 1.5 and Action.Execute needs 1.5")
    return found


def definition_errors(name: str, body: Any) -> list[str]:
    spec = swagger()
    schema = {"$ref": f"#/definitions/{name}", "definitions": spec["definitions"]}
    return [f"{name} {'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
            for e in jsonschema.Draft4Validator(schema).iter_errors(body)]


def operation(method: str, path: str) -> tuple[str, dict[str, str]] | None:
    """(swagger path template, path parameters) for a request, or None when it is no operation."""
    for template, operations in swagger()["paths"].items():
        if method.lower() not in operations:
            continue
        pattern = "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
        found = re.match(pattern, path)
        if found:
            return template, {k: unquote(v) for k, v in found.groupdict().items()}
    return None


@dataclass
class Call:
    method: str
    template: str
    params: dict[str, str]
    body: Any
    headers: dict[str, str]
    status: int
    response: Any = None


@dataclass
class Posted:
    conversation: str
    id: str
    activity: dict
    updates: list[dict] = field(default_factory=list)

    @property
    def current(self) -> dict:
        return self.updates[-1] if self.updates else self.activity



class FakeConnector(LocalServer):
    def __init__(self, verify_token: Callable[[str], Any] | None = None) -> None:
        self.verify_token = verify_token
        self.calls: list[Call] = []
        self.errors: list[str] = []
        self.posted: list[Posted] = []
        self.conversations_made: list[dict] = []
        self._failures: list[tuple[int, int | None]] = []
        self.outage_status: int | None = None
        self.dropping: bool | None = None  # None: answer; False: drop unserved; True: serve, then drop
        self._ids = itertools.count(1_700_000_000_000)
        self._lock = threading.Lock()
        self.removed_from: set[str] = set()  # conversations the app is no longer in: 403
        self.rosters: dict[str, list[dict]] = {}  # a team's (conversation's) members, for GET .../members
        self.new_chats_refused = False

    # -- lifecycle ----------------------------------------------------------------------------

    def handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                dropping = fake.dropping
                if dropping is not None:  # outage(dropped=True): the connection closes, no answer
                    if dropping:
                        fake.handle(self.command, self.path, raw, dict(self.headers))
                    else:
                        with fake._lock:
                            fake.calls.append(Call(self.command, self.path, {}, None, dict(self.headers), 0))
                    self.close_connection = True
                    return
                status, body, headers = fake.handle(self.command, self.path, raw, dict(self.headers))
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _handle  # noqa: N815

        return Handler

    @property
    def service_url(self) -> str:
        return f"{self.root}/teams/"

    # -- what tests ask -----------------------------------------------------------------------

    def fail_next(self, status: int = 500, times: int = 1, retry_after: int | None = None) -> None:
        with self._lock:
            self._failures.extend([(status, retry_after)] * times)

    @contextlib.contextmanager
    def outage(self, status: int | None = 503, *, dropped: bool = False, served: bool = False):
        """While inside, every request fails: answered `status`, or (dropped=True) its connection
        closed with no answer, after serving it when `served` (the answer is what got lost)."""
        self.outage_status = None if dropped else status
        self.dropping = served if dropped else None
        try:
            yield self
        finally:
            self.outage_status, self.dropping = None, None

    def remove_app(self, *conversations: str) -> None:
        with self._lock:
            self.removed_from.update(conversations)
            self.new_chats_refused = True

    def add_app(self) -> None:
        with self._lock:
            self.removed_from.clear()
            self.new_chats_refused = False

    def _refuses(self, method: str, template: str, params: dict[str, str]) -> bool:
        """Is this a request the Connector refuses because the app is not in the conversation?"""
        if template == "/v3/conversations" and method == "POST":
            return self.new_chats_refused
        conversation = params.get("conversationId")
        return conversation is not None and conversation.split(";", 1)[0] in self.removed_from

    def in_conversation(self, conversation: str) -> list[Posted]:
        return [p for p in self.posted if p.conversation == conversation]

    def message(self, message_id: str) -> Posted:
        return next(p for p in self.posted if p.id == message_id)

    def personal_chat_of(self, user_id: str) -> str | None:
        for made in self.conversations_made:
            if any(m.get("id") == user_id for m in made["body"].get("members") or []):
                return made["id"]
        return None

    def told(self, user_id: str) -> list[str]:
        """Texts posted in this person's personal chat with the bot, oldest first."""
        chat = self.personal_chat_of(user_id)
        return [p.activity.get("text") or "" for p in self.posted if chat and p.conversation == chat]

    # -- handling -----------------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, raw: bytes, headers: dict[str, str]) -> tuple[int, Any, dict]:
        path = urlsplit(raw_path).path
        if not path.startswith("/teams/"):
            return self._violation(method, path, f"{method} {path}: not under the service URL")
        path = path[len("/teams"):]
        found = operation(method, path)
        if found is None:
            return self._violation(method, path, f"{method} {path}: not an operation of the Connector API")
        template, params = found
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return self._violation(method, path, f"{method} {template}: body is not JSON")
        problems = self._check(method, template, body, headers)
        with self._lock:
            failure = self._failures.pop(0) if self._failures and not problems else None
            if failure is None and self.outage_status is not None and not problems:
                failure = (self.outage_status, None)
        if problems:
            with self._lock:
                self.errors.extend(problems)
                self.calls.append(Call(method, template, params, body, headers, 400))
            return 400, {"error": {"code": "BadArgument", "message": "; ".join(problems)[:500]}}, {}
        if failure is None and not problems and self._refuses(method, template, params):
            with self._lock:
                self.calls.append(Call(method, template, params, body, headers, 403))
            return 403, {"error": {"code": "BotNotInConversationRoster",
                                   "message": "The bot is not part of the conversation roster."}}, {}
        if failure is not None:
            status, retry_after = failure
            with self._lock:
                self.calls.append(Call(method, template, params, body, headers, status))
            extra = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            return status, {"error": {"code": "Throttled" if status == 429 else "ServiceError",
                                      "message": "fake failure"}}, extra
        status, response = self._serve(method, template, params, body)
        with self._lock:
            self.calls.append(Call(method, template, params, body, headers, status, response))
        return status, response, {}

    def _violation(self, method: str, path: str, problem: str) -> tuple[int, Any, dict]:
        with self._lock:
            self.errors.append(problem)
            self.calls.append(Call(method, path, {}, None, {}, 404))
        return 404, {"error": {"code": "NotFound", "message": problem}}, {}

    def _check(self, method: str, template: str, body: Any, headers: dict[str, str]) -> list[str]:
        problems: list[str] = []
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
        if self.verify_token is not None:
            if not auth or not auth.startswith("Bearer "):
                problems.append(f"{method} {template}: no bearer token")
            else:
                try:
                    self.verify_token(auth.split(" ", 1)[1])
                except Exception as exc:  # noqa: BLE001 - any failure is a rejected token
                    problems.append(f"{method} {template}: token rejected ({type(exc).__name__})")
        operation_spec = swagger()["paths"][template][method.lower()]
        body_param = next((p for p in operation_spec.get("parameters", []) if p.get("in") == "body"), None)
        if body_param is not None:
            name = body_param["schema"]["$ref"].rsplit("/", 1)[-1]
            if body is None:
                problems.append(f"{method} {template}: no {name} body")
                return problems
            problems += definition_errors(name, body)
            activity = body.get("activity") if name == "ConversationParameters" else body
            if isinstance(activity, dict):
                size = len(json.dumps(activity).encode())
                if size > MAX_ACTIVITY_BYTES:
                    problems.append(f"{method} {template}: activity of {size} bytes (over {MAX_ACTIVITY_BYTES})")
                for n, attachment in enumerate(activity.get("attachments") or []):
                    if attachment.get("contentType") == ADAPTIVE:
                        problems += [f"attachments/{n}/content/{e}" for e in card_errors(attachment.get("content"))]
        return problems

    def _serve(self, method: str, template: str, params: dict[str, str], body: Any) -> tuple[int, Any]:
        with self._lock:
            new_id = str(next(self._ids))
        if template == "/v3/conversations" and method == "POST":
            conversation = f"a:personal-{new_id}"
            with self._lock:
                self.conversations_made.append({"id": conversation, "body": body})
            return 201, {"id": conversation, "serviceUrl": self.service_url}
        if template == "/v3/conversations/{conversationId}/members" and method == "GET":
            with self._lock:
                return 200, list(self.rosters.get(params["conversationId"], []))
        if template == "/v3/conversations/{conversationId}/activities" and method == "POST":
            with self._lock:
                self.posted.append(Posted(params["conversationId"], new_id, body))
            return 201, {"id": new_id}
        if template == "/v3/conversations/{conversationId}/activities/{activityId}":
            with self._lock:
                target = next((p for p in self.posted if p.id == params["activityId"]), None)
            if method == "POST":  # a reply (to the bot's message or to a person's)
                with self._lock:
                    self.posted.append(Posted(params["conversationId"], new_id, body))
                return 201, {"id": new_id}
            if target is None:
                return 404, {"error": {"code": "NotFound", "message": "no such activity"}}
            if method == "PUT":
                with self._lock:
                    target.updates.append(body)
                return 200, {"id": target.id}
        return 501, {"error": {"code": "NotImplemented", "message": f"the fake does not serve {method} {template}"}}
