"""A fake of Slack's Web API, served over real HTTP on 127.0.0.1.

Why real HTTP: the bot talks to Slack through slack_sdk's ``WebClient``; pointing
``WebClient(base_url=fake.base_url)`` at a local server (as bolt-python's own tests do)
exercises the real request encoding, headers, retry handlers and error mapping, which a
mocked client would skip.

Why spec checks: a fake that accepts anything lets a broken call pass every test and
fail in production. Every call is checked against Slack's OpenAPI spec
(``tests/fixtures/slack/slack_web_openapi_v2.json``) and against Block Kit limits;
violations are answered the way Slack answers them *and* recorded in ``fake.errors`` so a
test can simply ``assert fake.errors == []``.

Usage::

    with FakeSlack() as fake:
        client = WebClient(token=fake.token, base_url=fake.base_url)
        client.chat_postMessage(channel="C1", text="hi")
        assert fake.calls_to("chat.postMessage")[0].args["text"] == "hi"
        assert fake.errors == []
"""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import itertools
import json
import threading
import time
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import parse_qsl, urlsplit

SPEC_PATH = Path(__file__).resolve().parent.parent / "fixtures" / "slack" / "slack_web_openapi_v2.json"

# Parameters slack_sdk 3.47 sends that the 2021 spec does not list. Each is a real, documented
# argument added to Slack's API after the spec snapshot (see docs.slack.dev/reference/methods/...),
# so the fake must not reject them.
SDK_EXTRA_PARAMS: dict[str, set[str]] = {
    # metadata: message metadata (2022); markdown_text: markdown messages (2025);
    # container_id: posting into a canvas/list container.
    "chat.postMessage": {"metadata", "markdown_text", "container_id"},
    # file_ids / reply_broadcast / metadata / markdown_text were added to chat.update after 2021.
    "chat.update": {"file_ids", "reply_broadcast", "metadata", "markdown_text"},
    "chat.postEphemeral": {"markdown_text"},
    # include_all_metadata: return message metadata (2022, docs.slack.dev/.../conversations.history).
    "conversations.history": {"include_all_metadata"},
    # views.open accepts interactivity_pointer as an alternative to trigger_id.
    "views.open": {"interactivity_pointer"},
    # Token rotation: oauth.v2.access with grant_type=refresh_token.
    "oauth.v2.access": {"grant_type", "refresh_token"},
}

# Accepted on every method: ``token`` (legacy way to authenticate) and ``team_id``, which
# ``WebClient(team_id=...)`` adds to every call as a default param. slack-bolt builds its
# per-request client that way, and Slack uses it to route org-wide (Enterprise Grid) tokens.
ALWAYS_ALLOWED_PARAMS = {"token", "team_id"}

# Methods created after the 2021 spec snapshot (files.uploadV2 in slack_sdk uses them).
# Parameters, required ones and scopes as documented at docs.slack.dev/reference/methods/<name>.
EXTRA_METHODS: dict[str, dict[str, Any]] = {
    "files.getUploadURLExternal": {
        "params": {"filename", "length", "alt_txt", "snippet_type"},
        "required": {"filename", "length"},
        "scopes": ["files:write"],
    },
    "files.completeUploadExternal": {
        "params": {"files", "channel_id", "channels", "initial_comment", "thread_ts", "blocks"},
        "required": {"files"},
        "scopes": ["files:write"],
    },
}

# Methods Slack serves without a bearer token (client credentials go in Basic auth instead).
NO_TOKEN_METHODS = {"oauth.v2.access", "oauth.access", "api.test"}

# Spec scopes are the 2021 names; modern bot tokens hold the unified scope on the right.
LEGACY_SCOPE_ALIASES = {"chat:write:bot": "chat:write", "chat:write:user": "chat:write",
                        "files:write:user": "files:write"}

# Block Kit block types (Block Kit reference; the same set slack_sdk 3.47 models).
KNOWN_BLOCK_TYPES = {
    "actions", "alert", "call", "card", "carousel", "container", "context", "context_actions",
    "divider", "file", "header", "image", "input", "markdown", "plan", "rich_text", "section",
    "table", "task_card", "video", "auth_provider",
}
# Documented limits (docs.slack.dev/reference/block-kit/...).
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000
LIMITS = {
    "section.text": 3000, "section.field": 2000, "section.fields": 10, "header.text": 150,
    "button.text": 75, "action_id": 255, "block_id": 255, "button.value": 2000, "button.url": 3000,
    "actions.elements": 25, "context.elements": 10, "modal.title": 24,
    # select menus and overflow menus (docs.slack.dev/reference/block-kit/block-elements/...)
    "select.placeholder": 150, "select.options": 100, "overflow.options": 5, "overflow.options.min": 2,
    # option objects and confirmation dialogs (docs.slack.dev/reference/block-kit/composition-objects)
    "option.text": 75, "option.value": 150, "option.description": 75,
    "confirm.title": 100, "confirm.text": 300, "confirm.confirm": 30, "confirm.deny": 30,
    # input blocks and modals (docs.slack.dev/reference/block-kit/blocks/input-block, .../views)
    "input.label": 2000, "plain_text_input.max_length": 3000, "modal.submit": 24, "modal.close": 24,
    "view.callback_id": 255, "view.private_metadata": 3000,
}
# Interactive elements an actions block may hold (docs.slack.dev/reference/block-kit/blocks/actions-block).
ACTIONS_ELEMENT_TYPES = {
    "button", "checkboxes", "datepicker", "datetimepicker", "overflow", "radio_buttons", "timepicker",
    "workflow_button", "rich_text_input", "static_select", "external_select", "users_select",
    "conversations_select", "channels_select", "multi_static_select", "multi_external_select",
    "multi_users_select", "multi_conversations_select", "multi_channels_select",
}
SELECT_TYPES = {"static_select", "multi_static_select"}


@lru_cache(maxsize=None)
def load_spec() -> dict[str, dict[str, Any]]:
    """Method name -> {"params", "required", "scopes", "example"} from the OpenAPI spec."""
    raw = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    methods: dict[str, dict[str, Any]] = {}
    for path, ops in raw["paths"].items():
        (op,) = ops.values()  # every path has exactly one operation
        params = {p["name"]: p for p in op.get("parameters", [])}
        scopes = [s for sec in op.get("security", []) for s in sec.get("slackAuth", [])]
        example = op["responses"].get("200", {}).get("examples", {}).get("application/json", {})
        methods[path.lstrip("/")] = {
            "params": set(params) - {"token"},
            "required": {n for n, p in params.items() if p.get("required") and n != "token"},
            "types": {n: p.get("type") for n, p in params.items()},
            "scopes": [s for s in scopes if s != "none"],
            "example": example,
        }
    for name, extra in EXTRA_METHODS.items():
        methods[name] = {**extra, "types": {}, "example": {}}
    return methods


@dataclass
class Call:
    """One request the fake received: what was asked and what it answered."""

    method: str
    args: dict[str, Any]
    headers: dict[str, str]
    status: int = 200
    response: dict[str, Any] | None = None
    delay: float = 0.0  # seconds the answer was held back after serving (slow_next, answer_delay)


@dataclass(frozen=True)
class Violation:
    """A call Slack would reject; ``messages`` follow Slack's response_metadata wording."""

    method: str
    error: str
    messages: tuple[str, ...] = ()


class SlackError(Exception):
    """Raised by a method handler to answer ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str, *, violation: bool = False, messages: list[str] | None = None,
                 status: int = 200, **extra: Any):
        super().__init__(error)
        self.error, self.violation, self.messages = error, violation, messages or []
        self.status, self.extra = status, extra


@dataclass
class _Failure:
    status: int
    error: str
    retry_after: int | None


# ----------------------------------------------------------------------------- Block Kit checks


def _too_long(value: Any, limit: int, pointer: str, out: list[str]) -> None:
    if isinstance(value, str) and len(value) > limit:
        out.append(f"[ERROR] must be less than {limit + 1} characters [json-pointer:{pointer}]")


def _text_of(obj: Any) -> Any:
    return obj.get("text") if isinstance(obj, dict) else None


def _plain_text(obj: Any, limit: int, ptr: str, out: list[str]) -> None:
    """A plain_text object no longer than ``limit`` characters."""
    if not isinstance(obj, dict) or obj.get("type") != "plain_text" or not isinstance(obj.get("text"), str):
        out.append(f"[ERROR] must be a plain_text object [json-pointer:{ptr}]")
        return
    _too_long(obj["text"], limit, f"{ptr}/text", out)


def _check_options(options: Any, ptr: str, out: list[str], *, most: int, least: int = 1) -> None:
    """An element's option objects: how many, and each one's text, value and description."""
    if not isinstance(options, list) or len(options) < least:
        out.append(f"[ERROR] must provide at least {least} options [json-pointer:{ptr}]")
        return
    if len(options) > most:
        out.append(f"[ERROR] no more than {most} items allowed [json-pointer:{ptr}]")
    values: set[str] = set()
    for k, option in enumerate(options):
        where = f"{ptr}/{k}"
        if not isinstance(option, dict):
            out.append(f"[ERROR] must be an option object [json-pointer:{where}]")
            continue
        _plain_text(option.get("text"), LIMITS["option.text"], f"{where}/text", out)
        if "description" in option:
            _plain_text(option["description"], LIMITS["option.description"], f"{where}/description", out)
        value = option.get("value")
        if not isinstance(value, str) or not value:
            out.append(f"[ERROR] missing required field: value [json-pointer:{where}]")
            continue
        _too_long(value, LIMITS["option.value"], f"{where}/value", out)
        if value in values:
            out.append(f"[ERROR] duplicate option value [json-pointer:{where}/value]")
        values.add(value)


def _check_confirm(confirm: Any, ptr: str, out: list[str]) -> None:
    if not isinstance(confirm, dict):
        out.append(f"[ERROR] must be a confirm object [json-pointer:{ptr}]")
        return
    for part in ("title", "confirm", "deny"):
        _plain_text(confirm.get(part), LIMITS[f"confirm.{part}"], f"{ptr}/{part}", out)
    text = confirm.get("text")
    if not isinstance(text, dict) or text.get("type") not in ("plain_text", "mrkdwn"):
        out.append(f"[ERROR] must be a text object [json-pointer:{ptr}/text]")
    else:
        _too_long(text.get("text"), LIMITS["confirm.text"], f"{ptr}/text/text", out)
    if confirm.get("style") not in (None, "primary", "danger"):
        out.append(f"[ERROR] must be primary or danger [json-pointer:{ptr}/style]")


def _check_element(el: Any, ptr: str, out: list[str]) -> None:
    if not isinstance(el, dict) or "type" not in el:
        out.append(f"[ERROR] must be an object with a type [json-pointer:{ptr}]")
        return
    _too_long(el.get("action_id"), LIMITS["action_id"], f"{ptr}/action_id", out)
    if "confirm" in el:
        _check_confirm(el["confirm"], f"{ptr}/confirm", out)
    if el["type"] == "button":
        _too_long(_text_of(el.get("text")), LIMITS["button.text"], f"{ptr}/text/text", out)
        _too_long(el.get("value"), LIMITS["button.value"], f"{ptr}/value", out)
        _too_long(el.get("url"), LIMITS["button.url"], f"{ptr}/url", out)
        if not isinstance(el.get("text"), dict) or el["text"].get("type") != "plain_text":
            out.append(f"[ERROR] must be a plain_text object [json-pointer:{ptr}/text]")
        if el.get("style") not in (None, "primary", "danger"):
            out.append(f"[ERROR] must be primary or danger [json-pointer:{ptr}/style]")
    elif el["type"] in SELECT_TYPES:
        if "placeholder" in el:
            _plain_text(el["placeholder"], LIMITS["select.placeholder"], f"{ptr}/placeholder", out)
        if ("options" in el) == ("option_groups" in el):
            out.append(f"[ERROR] must provide exactly one of options or option_groups [json-pointer:{ptr}]")
        elif "options" in el:
            _check_options(el["options"], f"{ptr}/options", out, most=LIMITS["select.options"])
    elif el["type"] == "overflow":
        _check_options(el.get("options"), f"{ptr}/options", out, most=LIMITS["overflow.options"],
                       least=LIMITS["overflow.options.min"])
    elif el["type"] == "plain_text_input":
        length = el.get("max_length")
        if length is not None and not (isinstance(length, int) and 1 <= length <= LIMITS["plain_text_input.max_length"]):
            out.append(f"[ERROR] must be between 1 and 3000 [json-pointer:{ptr}/max_length]")


def check_blocks(blocks: Any, max_blocks: int, root: str = "/blocks") -> list[str]:
    """Slack-style error messages for a blocks array ([] when Slack would accept it)."""
    if not isinstance(blocks, list):
        return [f"[ERROR] must be an array [json-pointer:{root}]"]
    out: list[str] = []
    if len(blocks) > max_blocks:
        out.append(f"[ERROR] no more than {max_blocks} items allowed [json-pointer:{root}]")
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        ptr = f"{root}/{i}"
        if not isinstance(block, dict) or block.get("type") not in KNOWN_BLOCK_TYPES:
            kind = block.get("type") if isinstance(block, dict) else type(block).__name__
            out.append(f"[ERROR] unsupported type: {kind} [json-pointer:{ptr}]")
            continue
        bid = block.get("block_id")
        _too_long(bid, LIMITS["block_id"], f"{ptr}/block_id", out)
        if bid is not None:
            if bid in block_ids:
                out.append(f"[ERROR] duplicate block_id [json-pointer:{ptr}/block_id]")
            block_ids.add(bid)
        kind = block["type"]
        if kind == "section":
            if "text" not in block and "fields" not in block:
                out.append(f"[ERROR] must provide text or fields [json-pointer:{ptr}]")
            _too_long(_text_of(block.get("text")), LIMITS["section.text"], f"{ptr}/text/text", out)
            fields = block.get("fields") or []
            if len(fields) > LIMITS["section.fields"]:
                out.append(f"[ERROR] no more than 10 items allowed [json-pointer:{ptr}/fields]")
            for j, f in enumerate(fields):
                _too_long(_text_of(f), LIMITS["section.field"], f"{ptr}/fields/{j}/text", out)
            if "accessory" in block:
                _check_element(block["accessory"], f"{ptr}/accessory", out)
        elif kind == "header":
            text = block.get("text")
            if not isinstance(text, dict) or text.get("type") != "plain_text":
                out.append(f"[ERROR] must be a plain_text object [json-pointer:{ptr}/text]")
            _too_long(_text_of(text), LIMITS["header.text"], f"{ptr}/text/text", out)
        elif kind == "input":
            _plain_text(block.get("label"), LIMITS["input.label"], f"{ptr}/label", out)
            if not isinstance(block.get("element"), dict):
                out.append(f"[ERROR] missing required field: element [json-pointer:{ptr}]")
            else:
                _check_element(block["element"], f"{ptr}/element", out)
        elif kind in ("actions", "context"):
            elements = block.get("elements")
            limit = LIMITS[f"{kind}.elements"]
            if not isinstance(elements, list) or not elements:
                out.append(f"[ERROR] must provide elements [json-pointer:{ptr}/elements]")
                continue
            if len(elements) > limit:
                out.append(f"[ERROR] no more than {limit} items allowed [json-pointer:{ptr}/elements]")
            action_ids: set[str] = set()
            for j, el in enumerate(elements):
                if kind == "actions":
                    if isinstance(el, dict) and el.get("type") not in ACTIONS_ELEMENT_TYPES:
                        out.append(f"[ERROR] unsupported type: {el.get('type')} [json-pointer:{ptr}/elements/{j}]")
                    _check_element(el, f"{ptr}/elements/{j}", out)
                    aid = el.get("action_id") if isinstance(el, dict) else None
                    if aid is not None and aid in action_ids:
                        out.append(f"[ERROR] duplicate action_id [json-pointer:{ptr}/elements/{j}/action_id]")
                    action_ids.add(aid)
    return out


# ----------------------------------------------------------------------------- the fake


class FakeSlack:
    """Slack's Web API on ``127.0.0.1:<ephemeral port>``; see the module docstring.

    State (read it in assertions; guarded by ``self.lock``):
      calls      every request, in order, as ``Call``
      errors     every ``Violation`` (bad arguments, blocks, unknown methods, missing scopes)
      messages   channel id -> list of stored messages (dicts with ts, text, blocks, thread_ts, ...)
      ephemeral  list of chat.postEphemeral messages
      home_views user id -> last published Home tab view; ``opened_views`` list of modals
      uploads    file id -> bytes uploaded to the upload URL; ``files`` file id -> file object
      users      user id -> users.info user object (``add_user`` to register more)
      responses  JSON bodies the app posted to ``response_url`` (slash command and button answers)
    """

    def __init__(
        self,
        tokens: tuple[str, ...] | list[str] = ("xoxb-1111-2222-fakefakefakefakefake",),
        *,
        team_id: str = "T0DEALER1",
        team_name: str = "Fake Motors",
        team_domain: str = "fake-motors",
        bot_user_id: str = "U0LEADBOT",
        bot_id: str = "B0LEADBOT",
        app_id: str = "A0LEADAPP",
        client_id: str = "1111.2222",
        client_secret: str = "fake-client-secret",
        scopes: list[str] | None = None,
        users: dict[str, dict[str, Any]] | None = None,
        user_token: str | None = None,
    ):
        """``scopes``: when given, calls needing a scope not in it get ``missing_scope``
        (pass the manifest's bot scopes to prove they suffice). None disables the check.
        ``user_token``: oauth.v2.access also hands the installing user this token (``xoxp-...``),
        as Slack does when the app asks for user scopes."""
        self.tokens = set(tokens)
        self.token = tokens[0]
        self.team_id, self.team_name, self.team_domain = team_id, team_name, team_domain
        self.bot_user_id, self.bot_id, self.app_id = bot_user_id, bot_id, app_id
        self.client_id, self.client_secret = client_id, client_secret
        self.scopes = None if scopes is None else set(scopes)
        self.user_token = user_token
        self.lock = threading.RLock()
        self.calls: list[Call] = []
        self.errors: list[Violation] = []
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.ephemeral: list[dict[str, Any]] = []
        self.home_views: dict[str, dict[str, Any]] = {}
        self.opened_views: list[dict[str, Any]] = []
        self.uploads: dict[str, bytes] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.responses: list[dict[str, Any]] = []
        self.outage_status: int | None = None
        self.known_channels: set[str] = set()  # channels that exist before anything is posted in them
        self.unanswered: float | None = None  # while set: requests are not served, the connection closes after this long
        self.answer_delay = 0.0  # every answer leaves this many seconds after the call was served
        self._slow: dict[str, list[float]] = {}
        self._held: dict[str, list[float]] = {}  # method -> seconds its next calls wait before being served
        self._pace: tuple[float, int] | None = None  # (messages per second, burst) per channel
        self._buckets: dict[str, tuple[float, float]] = {}
        self.rate_limited = 0  # calls answered 429 by the pacing check
        self.canned: dict[str, dict[str, Any]] = {}
        self._failures: dict[str, list[_Failure]] = {}
        self._used_codes: set[str] = set()
        self._seq = itertools.count(1)
        self._answering = 0  # requests taken and not yet answered (held back by slow_next, say)
        self._answered = threading.Condition()
        self._epoch = int(time.time())
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        for uid, fields in (users or {}).items():
            self.add_user(uid, **fields)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, port: int = 0) -> "FakeSlack":
        """Serve on ``port`` (0: any free one); stop() then start(same port) is Slack going away and back."""
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="FakeSlack",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self) -> "FakeSlack":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def root_url(self) -> str:
        assert self._server is not None, "FakeSlack is not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    @property
    def response_url(self) -> str:
        """A ``response_url`` to put in payloads: what the app posts there lands in ``responses``."""
        return self.root_url + "response_url/commands/T0DEALER1/1/xyz"

    @property
    def base_url(self) -> str:
        """For ``WebClient(base_url=...)``: ends in ``/api/`` like https://slack.com/api/."""
        return self.root_url + "api/"

    # -- test controls -----------------------------------------------------------------------

    def fail_next(self, method: str, status: int = 500, *, retry_after: int | None = None,
                  error: str | None = None, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with a failure instead of serving them.

        status 429 answers ``ratelimited`` with a ``Retry-After`` header (seconds, default 1);
        status 200 with ``error`` answers a Slack-level error such as ``not_in_channel``.
        """
        default = {429: "ratelimited", 200: "fatal_error", 503: "service_unavailable"}
        failure = _Failure(status, error or default.get(status, "internal_error"),
                           (1 if retry_after is None else retry_after) if status == 429 else retry_after)
        with self.lock:
            self._failures.setdefault(method, []).extend([failure] * times)

    @contextlib.contextmanager
    def outage(self, status: int = 503) -> Iterator["FakeSlack"]:
        """While inside, every request fails with HTTP ``status`` (Slack is down)."""
        self.outage_status = status
        try:
            yield self
        finally:
            self.outage_status = None

    @contextlib.contextmanager
    def timeouts(self, seconds: float, *, served: bool = False) -> Iterator["FakeSlack"]:
        """While inside, every request times out: the client waits ``seconds`` and then the
        connection closes with no answer. ``served=False``: Slack never acted on it (a hung
        load balancer); ``served=True``: Slack did act (the message *is* posted) and the answer
        was lost, so a client whose timeout is shorter than ``seconds`` cannot know."""
        if served:
            self.answer_delay = seconds
        else:
            self.unanswered = seconds
        try:
            yield self
        finally:
            self.answer_delay, self.unanswered = 0.0, None

    def slow_next(self, method: str, seconds: float, *, times: int = 1) -> None:
        """Serve the next ``times`` calls of ``method`` (the message *is* posted), then wait
        ``seconds`` before answering: a client whose timeout is shorter never hears the answer."""
        with self.lock:
            self._slow.setdefault(method, []).extend([seconds] * times)

    def hold_next(self, method: str, seconds: float) -> None:
        """Hold the next call of ``method`` ``seconds`` before serving it (the message is posted
        only then), then answer: Slack storing a post after a client with a shorter timeout gave up."""
        with self.lock:
            self._held.setdefault(method, []).append(seconds)

    def pace(self, per_second: float = 1.0, burst: int = 4) -> None:
        """Enforce Slack's posting limit: per channel, ``burst`` messages at once, then
        ``per_second``; beyond it chat.postMessage answers 429 ``ratelimited`` with Retry-After."""
        with self.lock:
            self._pace, self._buckets = (per_second, burst), {}

    def answer_delay_for(self, call: Call) -> float:
        """Seconds the server waits before sending ``call``'s answer (slow_next, answer_delay)."""
        with self.lock:
            return call.delay

    def revoke(self, token: str | None = None) -> None:
        """The app was uninstalled or its token revoked: from now on every call with ``token``
        (default: the first token) answers ``invalid_auth``, auth.test included."""
        with self.lock:
            self.tokens.discard(token or self.token)

    def set_response(self, method: str, body: dict[str, Any]) -> None:
        """Serve a fixed body for a spec method the fake has no behaviour for (args still checked)."""
        self.canned[method] = body

    def add_user(self, user_id: str, **fields: Any) -> dict[str, Any]:
        """Register a user for users.info, shaped like the spec's example user."""
        user = copy.deepcopy(load_spec()["users.info"]["example"]["user"])
        user.update(id=user_id, team_id=self.team_id, **fields)
        with self.lock:
            self.users[user_id] = user
        return user

    def react(self, user: str, channel: str, ts: str, name: str = "eyes") -> None:
        """A person reacts in Slack's own client: the message gains the reaction, and no event is sent."""
        with self.lock:
            msg = self.message(channel, ts)
            assert msg is not None, f"no message {ts} in {channel}"
            reaction = next((r for r in msg.setdefault("reactions", []) if r["name"] == name), None)
            if reaction is None:
                reaction = {"name": name, "users": [], "count": 0}
                msg["reactions"].append(reaction)
            if user not in reaction["users"]:
                reaction["users"].append(user)
                reaction["count"] += 1

    def wait_answered(self, timeout: float = 10.0) -> None:
        """Return once every request taken so far has had its answer sent (or found its client
        gone): a slow answer the client gave up on has gone nowhere, and the fake is idle."""
        with self._answered:
            if not self._answered.wait_for(lambda: self._answering == 0, timeout):
                raise AssertionError(f"FakeSlack still answering {self._answering} request(s) after {timeout} s")

    def _answering_one(self, delta: int) -> None:
        with self._answered:
            self._answering += delta
            self._answered.notify_all()

    def calls_to(self, method: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.method == method]

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        with self.lock:
            return next((m for m in self.messages.get(channel, []) if m["ts"] == ts), None)

    # -- request handling (called from server threads) ---------------------------------------

    def _new_ts(self) -> str:
        n = next(self._seq)
        return f"{self._epoch + n // 1_000_000}.{n % 1_000_000:06d}"

    def handle(self, method: str, args: dict[str, Any], headers: dict[str, str]) -> tuple[int, dict, dict]:
        """Serve one API call: returns (HTTP status, JSON body, extra headers)."""
        call = Call(method, args, headers)
        with self.lock:
            self.calls.append(call)
            failure = None
            if self.outage_status is not None:
                failure = _Failure(self.outage_status, "service_unavailable", None)
            elif self._failures.get(method):
                failure = self._failures[method].pop(0)
            elif method == "chat.postMessage" and self._pace is not None and not self._paced(args):
                self.rate_limited += 1
                failure = _Failure(429, "ratelimited", 1)
            if failure is None:
                slow = self._slow.get(method)
                call.delay = slow.pop(0) if slow else self.answer_delay
            try:
                if failure is not None:
                    extra = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
                    raise SlackError(failure.error, status=failure.status, headers=extra)
                body = {"ok": True, **self._serve(method, args, headers)}
                status, extra_headers = 200, {}
            except SlackError as e:
                if e.violation:
                    self.errors.append(Violation(method, e.error, tuple(e.messages)))
                extra_headers = e.extra.pop("headers", {})
                body = {"ok": False, "error": e.error, **e.extra}
                if e.messages:
                    body["response_metadata"] = {"messages": e.messages}
                status = e.status
            call.status, call.response = status, body
            return status, body, extra_headers

    def _paced(self, args: dict[str, Any]) -> bool:
        """Take a token from the channel's bucket; False when the channel is over Slack's limit."""
        per_second, burst = self._pace
        channel, now = str(args.get("channel")), time.monotonic()
        tokens, then = self._buckets.get(channel, (float(burst), now))
        tokens = min(float(burst), tokens + (now - then) * per_second)
        if tokens < 1:
            self._buckets[channel] = (tokens, now)
            return False
        self._buckets[channel] = (tokens - 1, now)
        return True

    def _serve(self, method: str, args: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        spec = load_spec().get(method)
        if spec is None:
            raise SlackError("unknown_method", violation=True, messages=[f"{method} is not in the spec"])
        if method not in NO_TOKEN_METHODS:
            self._check_auth(args, headers)
        self._check_scopes(spec)
        _check_args(method, spec, args)
        handler: Callable[..., dict] | None = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            if method in self.canned:
                return copy.deepcopy(self.canned[method])
            raise SlackError("fake_not_implemented", violation=True,
                             messages=[f"FakeSlack has no behaviour for {method}; use set_response()"])
        return handler(args, headers)

    def _check_auth(self, args: dict[str, Any], headers: dict[str, str]) -> None:
        auth = _header(headers, "Authorization") or ""
        token = auth[len("Bearer "):] if auth.startswith("Bearer ") else args.get("token")
        if not token:
            raise SlackError("not_authed")
        if token not in self.tokens:
            raise SlackError("invalid_auth")

    def _check_scopes(self, spec: dict[str, Any]) -> None:
        needed = [LEGACY_SCOPE_ALIASES.get(s, s) for s in spec["scopes"]]
        if self.scopes is None or not needed or set(needed) & self.scopes:
            return
        raise SlackError("missing_scope", violation=True, needed=",".join(dict.fromkeys(needed)),
                         provided=",".join(sorted(self.scopes)))

    # -- method behaviour (state is locked by ``handle``) ---------------------------------------

    def _channel_for(self, channel: str) -> str:
        """Posting to a user id posts into the app's DM with them, as Slack does."""
        if channel[:1] in ("U", "W"):
            return self._m_conversations_open({"users": channel}, {})["channel"]["id"]
        return channel

    def _m_chat_postMessage(self, args: dict, headers: dict) -> dict:
        channel = self._channel_for(args["channel"])
        if args.get("thread_ts") and not self.message(channel, args["thread_ts"]):
            raise SlackError("thread_not_found")
        msg = {"type": "message", "subtype": "bot_message", "text": args.get("text", ""),
               "ts": self._new_ts(), "user": self.bot_user_id, "bot_id": self.bot_id,
               "app_id": self.app_id, "team": self.team_id}
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if key in args:
                msg[key] = args[key]
        self.messages.setdefault(channel, []).append(msg)
        return {"channel": channel, "ts": msg["ts"], "message": copy.deepcopy(msg)}

    def _m_chat_update(self, args: dict, headers: dict) -> dict:
        msg = self.message(args["channel"], args["ts"])
        if msg is None:
            raise SlackError("message_not_found")
        for key in ("text", "blocks", "attachments", "metadata"):
            if key in args:
                msg[key] = args[key]
        msg["edited"] = {"user": self.bot_user_id, "ts": self._new_ts()}
        return {"channel": args["channel"], "ts": msg["ts"], "text": msg["text"],
                "message": copy.deepcopy(msg)}

    def _m_chat_delete(self, args: dict, headers: dict) -> dict:
        msg = self.message(args["channel"], args["ts"])
        if msg is None:
            raise SlackError("message_not_found")
        self.messages[args["channel"]].remove(msg)
        return {"channel": args["channel"], "ts": args["ts"]}

    def _m_chat_postEphemeral(self, args: dict, headers: dict) -> dict:
        msg = {"channel": args["channel"], "user": args["user"], "text": args.get("text", ""),
               "blocks": args.get("blocks"), "thread_ts": args.get("thread_ts"), "message_ts": self._new_ts()}
        self.ephemeral.append(msg)
        return {"message_ts": msg["message_ts"]}

    def _m_chat_getPermalink(self, args: dict, headers: dict) -> dict:
        channel, ts = args["channel"], args["message_ts"]
        if self.message(channel, ts) is None:
            raise SlackError("message_not_found")
        link = f"https://{self.team_domain}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        return {"channel": channel, "permalink": link}

    def _m_conversations_history(self, args: dict, headers: dict) -> dict:
        """Newest first, top-level messages only (thread replies are not in a channel's history);
        ``metadata`` only with include_all_metadata, as Slack does for metadata of any app."""
        channel = args["channel"]
        if channel not in self.messages and channel not in self.known_channels:
            raise SlackError("channel_not_found")
        oldest, latest = float(args.get("oldest") or 0), float(args.get("latest") or "inf")
        inclusive = _truthy(args.get("inclusive"))
        found = [m for m in reversed(self.messages.get(channel, []))
                 if not m.get("thread_ts") or m.get("thread_ts") == m["ts"]]
        if args.get("oldest") or args.get("latest"):
            found = [m for m in found if (oldest <= float(m["ts"]) <= latest if inclusive
                                          else oldest < float(m["ts"]) < latest)]
        start = int(args.get("cursor") or 0)
        limit = max(1, min(int(args.get("limit") or 100), 999))
        page = found[start:start + limit]
        with_metadata = _truthy(args.get("include_all_metadata"))
        messages = [{k: copy.deepcopy(v) for k, v in m.items() if k != "metadata" or with_metadata} for m in page]
        more = start + limit < len(found)
        return {"messages": messages, "has_more": more, "pin_count": 0,
                "response_metadata": {"next_cursor": str(start + limit) if more else ""}}

    def _m_conversations_open(self, args: dict, headers: dict) -> dict:
        if args.get("channel"):
            return {"channel": {"id": args["channel"]}}
        users = [u for u in str(args.get("users", "")).split(",") if u]
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) == 1:
            cid = "D" + users[0][1:]
        else:
            cid = "G" + hashlib.sha1(",".join(sorted(users)).encode()).hexdigest()[:10].upper()
        self.messages.setdefault(cid, [])
        channel: dict[str, Any] = {"id": cid}
        if _truthy(args.get("return_im")):
            channel.update(is_im=len(users) == 1, user=users[0], created=self._epoch)
        return {"channel": channel}

    def _m_reactions_add(self, args: dict, headers: dict) -> dict:
        msg = self.message(args["channel"], args["timestamp"])
        if msg is None:
            raise SlackError("message_not_found")
        name = args["name"].strip(":")
        reaction = next((r for r in msg.setdefault("reactions", []) if r["name"] == name), None)
        if reaction is None:
            reaction = {"name": name, "users": [], "count": 0}
            msg["reactions"].append(reaction)
        if self.bot_user_id in reaction["users"]:
            raise SlackError("already_reacted")
        reaction["users"].append(self.bot_user_id)
        reaction["count"] += 1
        return {}

    def _m_reactions_get(self, args: dict, headers: dict) -> dict:
        msg = self.message(args["channel"], args["timestamp"])
        if msg is None:
            raise SlackError("message_not_found")
        return {"type": "message", "channel": args["channel"], "message": copy.deepcopy(msg)}

    def _m_auth_test(self, args: dict, headers: dict) -> dict:
        return {"url": f"https://{self.team_domain}.slack.com/", "team": self.team_name,
                "user": "lead-followup", "team_id": self.team_id, "user_id": self.bot_user_id,
                "bot_id": self.bot_id, "app_id": self.app_id, "is_enterprise_install": False}

    def _m_users_info(self, args: dict, headers: dict) -> dict:
        user = self.users.get(args.get("user", ""))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": copy.deepcopy(user)}

    def _view_response(self, view: dict) -> dict:
        n = next(self._seq)
        return {**copy.deepcopy(view), "id": f"V{n:08d}", "team_id": self.team_id, "app_id": self.app_id,
                "bot_id": self.bot_id, "hash": f"{self._epoch}.{n:08x}", "state": {"values": {}}}

    def _m_views_publish(self, args: dict, headers: dict) -> dict:
        view = self._view_response(args["view"])
        self.home_views[args["user_id"]] = view
        return {"view": view}

    def _m_views_open(self, args: dict, headers: dict) -> dict:
        view = self._view_response(args["view"])
        self.opened_views.append(view)
        return {"view": view}

    def _m_files_getUploadURLExternal(self, args: dict, headers: dict) -> dict:
        file_id = f"F{next(self._seq):08d}"
        self.files[file_id] = {"id": file_id, "name": args["filename"], "title": args["filename"],
                               "size": int(args["length"])}
        return {"upload_url": f"{self.root_url}upload/v1/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, args: dict, headers: dict) -> dict:
        done = []
        for item in args["files"]:
            fid = item.get("id")
            if fid not in self.uploads:
                raise SlackError("file_not_found")
            info = self.files[fid]
            info.update(title=item.get("title") or info["title"])
            if args.get("channel_id") or args.get("channels"):
                info["channels"] = [args.get("channel_id") or args["channels"]]
            done.append(copy.deepcopy(info))
        return {"files": done}

    def _m_oauth_v2_access(self, args: dict, headers: dict) -> dict:
        client_id, secret = args.get("client_id"), args.get("client_secret")
        auth = _header(headers, "Authorization") or ""
        if auth.startswith("Basic "):
            client_id, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        if client_id != self.client_id:
            raise SlackError("invalid_client_id")
        if secret != self.client_secret:
            raise SlackError("bad_client_secret")
        code = args.get("code")
        if not code or code in self._used_codes:
            raise SlackError("invalid_code")
        self._used_codes.add(code)
        return {"access_token": self.token, "token_type": "bot", "scope": ",".join(sorted(self.scopes or [])),
                "bot_user_id": self.bot_user_id, "app_id": self.app_id,
                "team": {"id": self.team_id, "name": self.team_name}, "enterprise": None,
                "is_enterprise_install": False, "authed_user": self._authed_user()}

    def _authed_user(self) -> dict[str, Any]:
        if self.user_token is None:
            return {"id": "U0INSTALL1"}
        return {"id": "U0INSTALL1", "scope": "reactions:read", "access_token": self.user_token, "token_type": "user"}

    def respond(self, path: str, raw: bytes) -> None:
        """A POST to a ``response_url`` (slash command or interaction answer): recorded as JSON."""
        with self.lock:
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                self.errors.append(Violation("response_url", "invalid_json"))
                return
            self.calls.append(Call("response_url", body, {}))
            self.responses.append(body)

    def upload(self, file_id: str, data: bytes) -> tuple[int, str]:
        """The upload URL handed out by files.getUploadURLExternal (no token, raw body)."""
        with self.lock:
            self.calls.append(Call("upload", {"file_id": file_id, "length": len(data)}, {}))
            if file_id not in self.files:
                return 404, "Not Found"
            self.uploads[file_id] = data
            return 200, f"OK - {len(data)}"


# ----------------------------------------------------------------------------- argument checks


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def _header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


def _json_arg(args: dict[str, Any], name: str) -> Any:
    """Form bodies carry blocks/view/files as JSON strings; decode them in place."""
    value = args.get(name)
    if isinstance(value, str):
        try:
            args[name] = value = json.loads(value)
        except ValueError:
            raise SlackError(f"invalid_{name}_format" if name == "blocks" else "invalid_arguments",
                             violation=True, messages=[f"[ERROR] {name} is not valid JSON"])
    return value


def _check_args(method: str, spec: dict[str, Any], args: dict[str, Any]) -> None:
    """Reject what Slack rejects: missing/unknown parameters, bad types, bad blocks and views."""
    allowed = spec["params"] | SDK_EXTRA_PARAMS.get(method, set()) | ALWAYS_ALLOWED_PARAMS
    unknown = sorted(set(args) - allowed)
    missing = sorted(n for n in spec["required"] if args.get(n) in (None, ""))
    if method == "oauth.v2.access":  # client credentials may come in Basic auth instead
        missing = [n for n in missing if n != "code" or "refresh_token" not in args]
    messages = [f"[ERROR] unknown parameter: {n}" for n in unknown]
    messages += [f"[ERROR] missing required field: {n}" for n in missing]
    for name, kind in spec["types"].items():
        value = args.get(name)
        if value is None:
            continue
        if kind == "boolean" and value not in (True, False, 0, 1, "0", "1", "true", "false"):
            messages.append(f"[ERROR] {name} must be a boolean")
        if kind == "integer" and not str(value).lstrip("-").isdigit():
            messages.append(f"[ERROR] {name} must be an integer")
    if messages:
        raise SlackError("invalid_arguments", violation=True, messages=messages)

    if method in ("chat.postMessage", "chat.postEphemeral", "chat.update"):
        if not any(args.get(k) for k in ("text", "blocks", "attachments", "markdown_text", "file_ids")):
            raise SlackError("no_text", violation=True, messages=["[ERROR] text, blocks or attachments required"])
        if len(str(args.get("text", ""))) > MAX_MESSAGE_TEXT:
            raise SlackError("msg_too_long", violation=True)
        if "metadata" in args:
            metadata = _json_arg(args, "metadata")
            if not (isinstance(metadata, dict) and isinstance(metadata.get("event_type"), str)
                    and isinstance(metadata.get("event_payload"), dict)):
                raise SlackError("invalid_metadata_format", violation=True,
                                 messages=["[ERROR] metadata needs event_type and an event_payload object"])
        if "attachments" in args and not isinstance(_json_arg(args, "attachments"), list):
            raise SlackError("invalid_attachments", violation=True)
        if "blocks" in args:
            errors = check_blocks(_json_arg(args, "blocks"), MAX_MESSAGE_BLOCKS)
            if errors:
                raise SlackError("invalid_blocks", violation=True, messages=errors)
    if method in ("views.open", "views.publish"):
        view = _json_arg(args, "view")
        want = "home" if method == "views.publish" else "modal"
        errors = [] if isinstance(view, dict) else ["[ERROR] view must be an object"]
        if not errors:
            if view.get("type") != want:
                errors.append(f"[ERROR] view type must be {want} [json-pointer:/view/type]")
            if want == "modal":
                title = _text_of(view.get("title"))
                if not title:
                    errors.append("[ERROR] missing required field: title [json-pointer:/view]")
                _too_long(title, LIMITS["modal.title"], "/view/title/text", errors)
                for part in ("submit", "close"):
                    if part in view:
                        _plain_text(view[part], LIMITS[f"modal.{part}"], f"/view/{part}", errors)
            _too_long(view.get("callback_id"), LIMITS["view.callback_id"], "/view/callback_id", errors)
            _too_long(view.get("private_metadata"), LIMITS["view.private_metadata"], "/view/private_metadata",
                      errors)
            errors += check_blocks(view.get("blocks"), MAX_VIEW_BLOCKS, "/view/blocks")
        if errors:
            raise SlackError("invalid_arguments", violation=True, messages=errors)
    if method == "files.completeUploadExternal":
        files = _json_arg(args, "files")
        if not isinstance(files, list) or not all(isinstance(f, dict) and f.get("id") for f in files):
            raise SlackError("invalid_arguments", violation=True, messages=["[ERROR] files must list {id, title}"])


# ----------------------------------------------------------------------------- HTTP plumbing


def parse_body(content_type: str, body: bytes) -> dict[str, Any]:
    """Decode a request body the three ways slack_sdk sends one: form, JSON, multipart."""
    ctype = content_type.split(";")[0].strip().lower()
    if not body:
        return {}
    if ctype == "application/json":
        return json.loads(body)
    if ctype == "multipart/form-data":
        msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
        out: dict[str, Any] = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            out[name] = payload if part.get_filename() else payload.decode("utf-8")
        return out
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSlack  # set on the per-server subclass

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        pass

    def _reply(self, status: int, body: bytes, content_type: str, headers: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.fake._answering_one(+1)
        try:
            self._serve_request()
        finally:
            self.fake._answering_one(-1)

    def _serve_request(self) -> None:
        url = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if url.path.startswith("/upload/v1/"):
            status, text = self.fake.upload(url.path.rsplit("/", 1)[-1], raw)
            self._reply(status, text.encode(), "text/plain; charset=utf-8", {})
            return
        if url.path.startswith("/response_url/"):
            self.fake.respond(url.path, raw)
            self._reply(200, b"ok", "text/plain", {})
            return
        if not url.path.startswith("/api/"):
            self._reply(404, b"Not Found", "text/plain", {})
            return
        method = url.path[len("/api/"):]
        hang = self.fake.unanswered
        if hang is not None:  # timeouts(served=False): never served, never answered
            with self.fake.lock:
                self.fake.calls.append(Call(method, {}, dict(self.headers.items()), status=0, delay=hang))
            time.sleep(hang)
            self.close_connection = True
            return
        args = dict(parse_qsl(url.query, keep_blank_values=True))
        try:
            args.update(parse_body(self.headers.get("Content-Type", ""), raw))
        except ValueError:  # a body Slack could not read either
            with self.fake.lock:
                self.fake.errors.append(Violation(method, "invalid_json"))
            self._reply(200, b'{"ok": false, "error": "invalid_json"}', "application/json", {})
            return
        with self.fake.lock:
            held = self.fake._held.get(method)
            hold = held.pop(0) if held else 0.0
        if hold:
            time.sleep(hold)  # hold_next: served (the message posted) only after this
        status, body, headers = self.fake.handle(method, args, dict(self.headers.items()))
        with self.fake.lock:
            delay = next((c.delay for c in reversed(self.fake.calls) if c.args is args), 0.0)
        if delay:
            time.sleep(delay)  # served already: a client that gave up never hears it
        try:
            self._reply(status, json.dumps(body).encode(), "application/json; charset=utf-8", headers)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped waiting

    do_GET = do_POST  # Slack serves every method on GET and POST alike
