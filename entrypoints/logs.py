"""Logging an operator can read and grep: one line per event, `key=value` fields (logfmt-like).

    time=2026-11-24T16:04:05Z level=info logger=entrypoints.web msg=refused route=/slack/events status=401 reason="signature does not match"

`configure()` sets it up for the whole process (the app's loggers, uvicorn's, the libraries'),
and `kv()` writes the fields of a line. The project's own lines carry ids, statuses and reasons,
never a customer's name, phone or e-mail, nor a token (tests/slack/test_logs_carry_no_secrets.py
drives every route at DEBUG); libraries that log bodies stay at WARNING whatever level they set
themselves (`QuietLibraries`); uvicorn's access lines give the path without its query (`AccessLine`);
the handler also masks anything shaped like a token, an API key's secret, an OAuth code or state,
an e-mail address or a phone number, and the configured secrets themselves, in case a library's
line quotes one.
"""

from __future__ import annotations

import logging
import logging.config
import os
import re
import sys
import time
from collections.abc import Iterable
from typing import IO, Any

from entrypoints.platforms import PLATFORMS

_BARE = re.compile(r"[^\s=\"\\]+")
_EVENT = re.compile(r"(?P<name>[A-Za-z][\w ]*?) (?P<fields>[a-z_]+=\S.*)\Z", re.DOTALL)


def _value(value: Any) -> str:
    text = "" if value is None else str(value)
    if text and _BARE.fullmatch(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def kv(**fields: Any) -> str:
    """`a=1 b="two words"`: the fields of one log line, in the order given."""
    return " ".join(f"{key}={_value(value)}" for key, value in fields.items())


# Libraries that log request and message bodies (card text holds a customer's phone and e-mail)
# at DEBUG: they stay at INFO when the app's own level is DEBUG. Each chat platform names its SDK's.
CHATTY = ("httpx", "httpcore", "urllib3", "sqlalchemy", "apscheduler", "multipart", "asyncio", "hypothesis",
          *(name for chat in PLATFORMS for name in chat.sdk_loggers))

_MASKS = (
    *(mask for chat in PLATFORMS for mask in chat.token_shapes),  # Slack's xoxb-..., xapp-...
    (re.compile(r"\b(lf_[0-9a-f]+)\.[A-Za-z0-9_-]+"), r"\1.(redacted)"),  # an API key: its prefix only
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "(e-mail)"),
    (re.compile(r"(?<![\w.])\+\d{8,15}\b"), "(phone)"),  # E.164
    (re.compile(r"(?<![\w.])\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b"), "(phone)"),  # (312) 555-0147, 312-555-0147
    # An OAuth code or state, a password or a secret quoted by a library: in a query (`?code=...&state=...`),
    # as `name: value` (Bolt's "Failed to fetch oauth.v2.access result with code: ...", slack_sdk's "state: ...")
    # or as `'name': 'value'` (a dict printed whole).
    (re.compile(r"(?i)\b((?:code|state|client_secret|password|secret|token|access_token|refresh_token)"
                r"['\"]?(?:=|: ?)\[?['\"]?)(?!\(redacted\))[^\s&'\",;)}\]]+"), r"\1(redacted)"),
)


class QuietLibraries(logging.Filter):
    """Drops a CHATTY library's records below `floor`, whatever level its logger was given: Bolt sets
    each of its loggers to the root's level when an App is made (`slack_bolt.logger`), so under
    LOG_LEVEL=DEBUG it would log each OAuth callback's query (the code, the state) and request bodies."""

    def __init__(self, floor: int) -> None:
        super().__init__()
        self.floor = floor

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= self.floor or not record.name.startswith(tuple(f"{n}." for n in CHATTY) + CHATTY)


class Redact(logging.Filter):
    """Masks secrets and contact details in the formatted line: the last net, not the method."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "(redacted)")
        for pattern, replacement in _MASKS:
            text = pattern.sub(replacement, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = self.scrub(message), None
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        return True


class Logfmt(logging.Formatter):
    """time=... level=... logger=... msg=...; the message's own `key=value` fields follow as they are."""

    converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        fields = kv(time=self.formatTime(record, "%Y-%m-%dT%H:%M:%SZ"), level=record.levelname.lower(),
                    logger=record.name)
        event = _EVENT.match(message)
        if event:  # "refused route=... status=...": the event's name, then its own fields as they are
            line = f"{fields} msg={_value(event['name'])} {event['fields']}"
        else:
            line = f"{fields} msg={_value(message)}"
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line += " exc=" + _value(record.exc_text)  # one line, still: a traceback is one field
        return line


class AccessLine(logging.Filter):
    """uvicorn's access log as fields, the path without its query (an OAuth code or state lives there).

    A filter, added before `Redact` on the access handler: uvicorn's record carries (client, method,
    path with query, version, status) as args, and `Redact` turns a record into its formatted text, so
    the path must be cut while the args are still there."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            client, method, path, _version, status = record.args  # type: ignore[misc]
        except (TypeError, ValueError):
            return True  # not an access line: Redact still masks what it can
        record.msg, record.args = "request " + kv(method=method, path=str(path).split("?", 1)[0], status=status,
                                                   client=client), None
        return True


class CurrentStderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is when a line is logged, not when the handler was made."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, value: IO[str]) -> None:
        pass  # always the current stderr


def level_from_env(default: str = "INFO") -> int:
    name = os.environ.get("LOG_LEVEL", default).upper()
    return logging.getLevelName(name) if isinstance(logging.getLevelName(name), int) else logging.INFO


def configure(level: int | str | None = None, *, stream: IO[str] | None = None,
              secrets: Iterable[str | None] = ()) -> logging.Handler:
    """One handler on the root logger (stderr unless `stream`), logfmt lines, uvicorn's loggers through it.

    `level`: the app's level (default LOG_LEVEL, else INFO); `secrets`: values never to print
    (`Settings.secrets()`: every token, signing and client secret, METRICS_TOKEN, the database
    password). Returns the handler.
    """
    level = level_from_env() if level is None else (logging.getLevelName(level) if isinstance(level, str) else level)
    handler = logging.StreamHandler(stream) if stream else CurrentStderr()
    handler.setFormatter(Logfmt())
    handler.addFilter(QuietLibraries(max(level, logging.WARNING)))
    handler.addFilter(Redact(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_chatbot_logfmt", False):
            root.removeHandler(old)
    handler._chatbot_logfmt = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    for name in CHATTY:  # libraries speak only of trouble (SQLAlchemy at INFO would log every row's values)
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    access = logging.getLogger("uvicorn.access")
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = name != "uvicorn.access"
        logger.setLevel(max(level, logging.INFO))
    access_handler = logging.StreamHandler(stream) if stream else CurrentStderr()
    access_handler.setFormatter(Logfmt())
    access_handler.addFilter(AccessLine())  # first: it needs uvicorn's args, which Redact clears
    access_handler.addFilter(Redact(secrets))
    access.addHandler(access_handler)
    return handler


UVICORN_LOG_CONFIG: dict[str, Any] = {"version": 1, "disable_existing_loggers": False}
"""Passed to uvicorn.run(log_config=...): uvicorn configures nothing itself, `configure()` has."""
