"""What every intake request passes before its body is parsed, in order: key (401) -> the key's
rate (429 with Retry-After) -> content type (415) -> body read with a cap (413) -> signature
(401); and how a refusal is answered.

Each check reads a header a sender controls, so each treats any text as possible: a header
that is not ASCII, not base64, or not a number is simply not a key, a signature or a length
(a 4xx), never an exception. The key is named in logs by its prefix only.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator

from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser

from adapters.http_errors import Refused, error_response, read_capped
from chatbot.inbound import DEFAULT_PER_MINUTE, KeyBuckets, apikeys

log = logging.getLogger("chatbot.intake")


def refusal(status: int, error: str, where: str | None, headers: dict[str, str] | None = None) -> JSONResponse:
    """The documented error body, and one log line (the message may quote the body: not logged)."""
    log.info("intake: refused %s at %s", status, where)
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    return error_response(status, error, where, headers)


async def admit(keys: apikeys.RecentKeys, request: Request, types: tuple[str, ...], cap: int,
                buckets: KeyBuckets) -> tuple[apikeys.Caller, bytes]:
    """The caller and the raw body of a request that passed every check, else `Refused`. A key
    seen in the last seconds is recalled without the database (`RecentKeys`)."""
    presented = presented_key(request)
    known, caller = keys.recalled(presented)
    if not known:
        caller = await run_in_threadpool(keys.authenticate, presented)
    if caller is None:
        raise Refused(401, "missing, unknown or revoked API key: send 'Authorization: Bearer <key>' or "
                           "'X-Api-Key: <key>'", "Authorization")
    wait = buckets.take(caller.key_id, caller.rate_per_minute)
    if wait:
        raise Refused(429, f"too many requests from this key: try again in {wait} s (it may make "
                           f"{caller.rate_per_minute or DEFAULT_PER_MINUTE:,} a minute)", "Authorization",
                      headers={"Retry-After": str(wait)})
    media = media_type(request)
    if media not in types:
        raise Refused(415, f"Content-Type {media or '(none)'} is not accepted here; send {' or '.join(types)}",
                      "Content-Type")
    body = await read_capped(request, cap)
    if not apikeys.signature_ok(caller, body, request.headers.get("x-signature")):
        raise Refused(401, "this key needs 'X-Signature: sha256=<hex HMAC-SHA256 of the raw body>', and the one "
                           "sent is missing or does not match", "X-Signature")
    return caller, body


def presented_key(request: Request) -> str | None:
    """Bearer, X-Api-Key, or the password of HTTP Basic: inbound-parse services (SendGrid,
    Mailgun) cannot add headers, but do send credentials written in the URL."""
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, value = auth.partition(" ")
        if scheme.lower() == "bearer":
            return value.strip()
        if scheme.lower() == "basic":
            try:
                return base64.b64decode(value.strip(), validate=True).decode().partition(":")[2] or None
            except ValueError:  # not base64 (binascii.Error), not ASCII, or not UTF-8 inside: no key
                return None
        return None
    return request.headers.get("x-api-key")


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def read_form(request: Request, body: bytes, max_part_size: int) -> tuple[dict[str, str], dict[str, bytes]]:
    """An inbound-parse form from the already-read body: text fields, and file parts as bytes."""
    async def stream() -> AsyncIterator[bytes]:
        yield body
        yield b""

    try:
        if media_type(request) == "multipart/form-data":
            form = await MultiPartParser(request.headers, stream(), max_files=50, max_fields=200,
                                         max_part_size=max_part_size).parse()
        else:
            form = await FormParser(request.headers, stream(), max_fields=200).parse()
    except MultiPartException as exc:
        raise Refused(400, f"not a readable form: {exc.message}", "body") from None
    fields: dict[str, str] = {}
    attachments: dict[str, bytes] = {}
    for name, value in form.multi_items():
        if isinstance(value, str):
            fields.setdefault(name, value)
        else:
            attachments[value.filename or name] = await value.read()
    await form.close()
    return fields, attachments
