"""Lead intake over HTTP: lead providers, web forms, inbound e-mail and CRMs post here.

    POST /intake/leads        application/json: the IncomingLead schema
    POST /intake/leads/adf    application/xml or text/xml: ADF 1.0
    POST /intake/email        message/rfc822 (raw MIME), or the multipart/form-data (or
                              urlencoded) form SendGrid Inbound Parse and Mailgun routes post
    POST /intake/touches      application/json: a call/text/e-mail/appointment/note a CRM logged

Every request carries an API key (`Authorization: Bearer <key>`, `X-Api-Key: <key>`, or the password
of HTTP Basic auth for inbound-parse services that cannot set headers); a key
made with `--hmac` also needs `X-Signature: sha256=<hex HMAC-SHA256 of the raw body>`.

Order of checks, so a rejected request never stores anything and never reads more than it
must: key (401) -> the key's rate (429 with Retry-After) -> content type (415) -> body read with a cap (413) -> signature (401) ->
parse (400 unreadable, 422 readable but not a lead) -> store; the checks before the parse are
adapters/intake_admission.py. Errors are `{"error": <sentence>, "where": <line/column or field
path or null>}` (adapters/http_errors.py: every route of the web app answers in this shape).

Logs name the key by its prefix and the lead by its id: never a phone, an e-mail, a name or a
secret (managers' chat shows those; log files get copied around).
"""

from __future__ import annotations

import copy
import functools
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.concurrency import run_in_threadpool

from adapters.intake_admission import Refused, admit, media_type, read_form, refusal
from chatbot import inbound
from chatbot.core import Core
from chatbot.errors import FollowUpError, InvalidTouch, LeadClosed, UnknownLead, UnknownMember
from chatbot.inbound import (
    IncomingLead,
    KeyBuckets,
    LeadFormatError,
    NoSuchLead,
    TooLarge,
    apikeys,
    lead_error_from,
    load_json,
    parse_adf,
    parse_email,
    parse_inbound_form,
    parse_json,
    whole_seconds,
)

log = logging.getLogger("chatbot.intake")

MAX_LEAD_BYTES = 1_000_000
"""JSON and ADF: a lead is a few KB; the parsers refuse more than this anyway."""
MAX_EMAIL_BYTES = 10_000_000
"""E-mail: lead e-mails carry brochures and photos."""
PARSERS = 2
"""Bodies parsed at once by a web process (one per core); more wait their turn off the event loop."""

JSON_TYPES = ("application/json",)
XML_TYPES = ("application/xml", "text/xml")
EMAIL_TYPES = ("message/rfc822", "multipart/form-data", "application/x-www-form-urlencoded")


# ---------------------------------------------------------------- documented shapes


WARNINGS_DOC = ("What intake had to guess or drop, in words; the lead was stored and its card says the same, "
                "e.g. \"the provider's date '...' could not be read; timed from arrival\", "
                "\"phone given: abc, not a number\"")


class LeadResult(BaseModel):
    lead_id: int
    duplicate: bool
    warnings: list[str] = Field(default_factory=list, description=WARNINGS_DOC)


class Accepted(BaseModel):
    """What a lead delivery stored. `lead_id`/`duplicate`/`warnings` describe the first lead of the body."""

    lead_id: int
    duplicate: bool
    warnings: list[str] = Field(default_factory=list, description=WARNINGS_DOC)
    leads: list[LeadResult] = Field(description="Every lead in the body (an ADF or e-mail can hold several)")


class TouchIn(BaseModel):
    """A contact attempt or note a CRM or phone system logged for a lead the bot has."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "source": "Cars.com", "external_id": "CARS-884213", "kind": "call", "at": "2026-11-24T10:04:00-06:00",
        "rep": "sam@demomotors.example.com", "touch_id": "crm-activity-99812", "outcome": "left voicemail",
    }]})

    source: str = Field(min_length=1, max_length=80, description="The lead's source, as it was delivered")
    external_id: str = Field(min_length=1, max_length=200, description="The lead's id at that source")
    kind: Literal["call", "text", "email", "appointment", "note"]
    at: datetime = Field(description="When it happened, with its time zone")
    rep: str = Field(min_length=1, max_length=254, description="The rep's chat user id or e-mail")
    touch_id: str | None = Field(default=None, max_length=200,
                                 description="The CRM's id for this activity; a retry with the same id logs once. "
                                             "Omitted: lead + kind + time + rep identify it.")
    outcome: str | None = Field(default=None, max_length=500)

    @field_validator("at")
    @classmethod
    def _needs_zone(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("at needs a time zone, e.g. 2026-11-24T10:04:00-06:00")
        return value


class TouchAccepted(BaseModel):
    lead_id: int
    touch_id: int
    duplicate: bool
    first_contact: bool


class IntakeError(BaseModel):
    error: str = Field(description="What is wrong, in a sentence")
    where: str | None = Field(description="Line and column, field path, or header at fault")


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its $defs inlined, to sit inside openapi_extra."""
    defs = schema.get("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(copy.deepcopy(defs[node["$ref"].rsplit("/", 1)[-1]]))
            return {k: walk(v) for k, v in node.items() if k != "$defs"}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


JSON_EXAMPLE = {
    "source": "Cars.com", "external_id": "CARS-884213", "submitted_at": "2026-11-24T09:58:00-06:00",
    "customer": {"name": "Maria Gonzalez", "email": "maria@example.com",
                 "phones": [{"number": "(312) 555-0147", "type": "cell"}]},
    "vehicles": [{"interest": "buy", "status": "used", "year": 2022, "make": "Toyota", "model": "RAV4",
                  "stock": "P4471"}],
    "comments": "Is it still available? Can I come by Saturday?",
}
ADF_EXAMPLE = """<?xml version="1.0"?>
<?adf version="1.0"?>
<adf><prospect>
  <id sequence="1" source="Cars.com">CARS-884213</id>
  <requestdate>2026-11-24T09:58:00-06:00</requestdate>
  <vehicle interest="buy" status="used"><year>2022</year><make>Toyota</make><model>RAV4</model></vehicle>
  <customer><contact>
    <name part="full">Maria Gonzalez</name>
    <email>maria@example.com</email><phone type="cellphone">(312) 555-0147</phone>
  </contact><comments>Is it still available?</comments></customer>
  <vendor><vendorname>Demo Motors</vendorname></vendor>
  <provider><name part="full">Cars.com</name></provider>
</prospect></adf>"""
EMAIL_EXAMPLE = ("From: Cars.com Leads <leads@cars.example.com>\r\nTo: leads@demomotors.example.com\r\n"
                 "Subject: New lead\r\nMessage-ID: <884213@cars.example.com>\r\n"
                 "Date: Tue, 24 Nov 2026 09:58:00 -0600\r\nContent-Type: text/plain\r\n\r\n"
                 "Name: Maria Gonzalez\r\nPhone: (312) 555-0147\r\nEmail: maria@example.com\r\n"
                 "Vehicle: 2022 Toyota RAV4\r\n")

ERRORS = {
    400: {"model": IntakeError, "description": "The body cannot be read (bad JSON/XML: line and column in `where`)"},
    401: {"model": IntakeError, "description": "Missing, unknown or revoked key, or a bad X-Signature"},
    413: {"model": IntakeError,
          "description": "Over a limit: the body's bytes, an e-mail's MIME parts, a message's leads or lines"},
    415: {"model": IntakeError, "description": "The Content-Type is not one this endpoint reads"},
    422: {"model": IntakeError, "description": "Readable, but not a lead (the field path is in `where`)"},
    429: {"model": IntakeError, "description": "This key sent more than its rate: try again after `Retry-After` "
                                               "seconds (nothing was stored)",
          "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}}},
}
SIGNATURE_HEADER = {"name": "X-Signature", "in": "header", "required": False, "schema": {"type": "string"},
                    "description": "sha256=<hex HMAC-SHA256 of the raw body>; required for keys made with --hmac"}
# Declared so the OpenAPI description lists both ways to send a key; the endpoints read the
# headers themselves (auto_error=False), so a missing key is our 401, not FastAPI's 403.
BEARER = HTTPBearer(auto_error=False, scheme_name="bearerKey", description="Authorization: Bearer <key>")
API_KEY_HEADER = APIKeyHeader(name="X-Api-Key", auto_error=False, scheme_name="apiKeyHeader")


def _body_doc(content: dict[str, Any]) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": content}, "parameters": [SIGNATURE_HEADER]}


# ---------------------------------------------------------------- the router


def intake_router(core: Core, *, on_stored: Callable[[], None] | None = None,
                  max_lead_bytes: int = MAX_LEAD_BYTES, max_email_bytes: int = MAX_EMAIL_BYTES,
                  buckets: KeyBuckets | None = None, keys: apikeys.RecentKeys | None = None) -> APIRouter:
    """The /intake endpoints on `core`. `on_stored` is called after a lead or touch is stored
    (the web app passes something that wakes the outbox sender, so the card goes out at once)."""
    router = APIRouter(prefix="/intake", tags=["intake"], dependencies=[Depends(BEARER), Depends(API_KEY_HEADER)])
    buckets = buckets or KeyBuckets()  # each key's share of this process's intake
    keys = keys or apikeys.RecentKeys(core)  # who each key is, looked up once every few seconds
    parsing = anyio.CapacityLimiter(PARSERS)

    async def parsed(parse: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Run a parser in a worker thread, at most PARSERS at once: a large e-mail or ADF document
        never holds the event loop (Slack's and Teams' acks, /healthz), and a flood of them does
        not take every thread the stores and the chats' handlers need."""
        return await anyio.to_thread.run_sync(functools.partial(parse, *args, **kwargs), limiter=parsing)

    def stored() -> None:
        if on_stored is not None:
            on_stored()

    async def leads_response(caller: apikeys.Caller, leads: list[IncomingLead]) -> JSONResponse:
        for lead in leads:
            _storable(lead)
        results = []
        for lead in leads:
            try:
                done = await run_in_threadpool(inbound.ingest, core, caller.team_id, lead)
            except (OverflowError, ValueError) as exc:  # a date the database cannot hold
                raise Refused(422, f"the lead cannot be stored: {exc}", "submitted_at") from None
            results.append(LeadResult(lead_id=done.lead_id, duplicate=done.duplicate, warnings=list(done.warnings)))
        any_new = any(not r.duplicate for r in results)
        for r in results:  # warnings quote what the customer gave: counted, never logged
            log.info("intake: lead %s %s via key %s, %d warning(s)", r.lead_id,
                     "duplicate" if r.duplicate else "stored", caller.prefix, len(r.warnings))
        if any_new:
            stored()
        body = Accepted(lead_id=results[0].lead_id, duplicate=results[0].duplicate, warnings=results[0].warnings,
                        leads=results)
        return JSONResponse(body.model_dump(), status_code=201 if any_new else 200)

    @router.post(
        "/leads", status_code=201, response_model=Accepted, responses={200: {"model": Accepted,
                                                                           "description": "Already delivered"}, **ERRORS},
        summary="Deliver a lead as JSON",
        openapi_extra=_body_doc({"application/json": {
            "schema": _inline(IncomingLead.model_json_schema()), "example": JSON_EXAMPLE}}),
    )
    async def post_lead_json(request: Request) -> JSONResponse:
        async def handle() -> JSONResponse:
            caller, body = await admit(keys, request, JSON_TYPES, max_lead_bytes, buckets)
            return await leads_response(caller, [await parsed(parse_json, body)])
        return await _answer(handle)

    @router.post(
        "/leads/adf", status_code=201, response_model=Accepted,
        responses={200: {"model": Accepted, "description": "Already delivered"}, **ERRORS},
        summary="Deliver leads as ADF 1.0 XML",
        description="Request dates without a UTC offset are read in the team's time zone. "
                    "DTDs and entities are refused.",
        openapi_extra=_body_doc({t: {"schema": {"type": "string", "description": "An ADF 1.0 document"},
                                     "example": ADF_EXAMPLE} for t in XML_TYPES}),
    )
    async def post_lead_adf(request: Request) -> JSONResponse:
        async def handle() -> JSONResponse:
            caller, body = await admit(keys, request, XML_TYPES, max_lead_bytes, buckets)
            zone = await run_in_threadpool(_team_zone, core, caller.team_id)
            return await leads_response(caller, await parsed(parse_adf, body, default_tz=zone))
        return await _answer(handle)

    form_schema = {"type": "object", "additionalProperties": True, "properties": {
        "email": {"type": "string", "description": "SendGrid 'send raw': the whole MIME message"},
        "from": {"type": "string"}, "sender": {"type": "string"}, "subject": {"type": "string"},
        "text": {"type": "string"}, "body-plain": {"type": "string"},
        "html": {"type": "string"}, "body-html": {"type": "string"},
        "headers": {"type": "string", "description": "SendGrid: the raw header block"},
        "Message-Id": {"type": "string"}, "Date": {"type": "string"},
        "attachment1": {"type": "string", "format": "binary", "description": "Any attachment holding ADF is read"},
    }}

    @router.post(
        "/email", status_code=201, response_model=Accepted,
        responses={200: {"model": Accepted, "description": "Already delivered"}, **ERRORS},
        summary="Deliver a lead e-mail (raw MIME, or an inbound-parse form)",
        description="ADF (attached or in the body) wins; otherwise a labelled plain-text lead. The envelope "
                    "(From, Date, Message-ID) fills the source, the time and the id.",
        openapi_extra=_body_doc({
            "message/rfc822": {"schema": {"type": "string", "format": "binary"}, "example": EMAIL_EXAMPLE},
            "multipart/form-data": {"schema": form_schema},
            "application/x-www-form-urlencoded": {"schema": form_schema},
        }),
    )
    async def post_email(request: Request) -> JSONResponse:
        async def handle() -> JSONResponse:
            caller, body = await admit(keys, request, EMAIL_TYPES, max_email_bytes, buckets)
            zone = await run_in_threadpool(_team_zone, core, caller.team_id)
            if media_type(request) == "message/rfc822":
                leads = await parsed(parse_email, body, default_tz=zone)
            else:
                fields, attachments = await read_form(request, body, MAX_EMAIL_BYTES)
                leads = await parsed(parse_inbound_form, fields, attachments, default_tz=zone)
            return await leads_response(caller, leads)
        return await _answer(handle)

    @router.post(
        "/touches", status_code=201, response_model=TouchAccepted,
        responses={200: {"model": TouchAccepted, "description": "Already logged"},
                   404: {"model": IntakeError, "description": "No lead with that source and id on this team"},
                   409: {"model": IntakeError, "description": "The lead is closed"}, **ERRORS},
        summary="Log a call, text, e-mail, appointment or note from a CRM or phone system",
        openapi_extra=_body_doc({"application/json": {"schema": _inline(TouchIn.model_json_schema())}}),
    )
    async def post_touch(request: Request) -> JSONResponse:
        async def handle() -> JSONResponse:
            caller, body = await admit(keys, request, JSON_TYPES, max_lead_bytes, buckets)
            touch = await parsed(_touch_from, body)
            done = await run_in_threadpool(_log_touch, core, caller.team_id, touch)
            log.info("intake: touch %s on lead %s %s via key %s", done.touch_id, done.lead_id,
                     "duplicate" if done.duplicate else "stored", caller.prefix)
            if not done.duplicate:
                stored()
            return JSONResponse(TouchAccepted(lead_id=done.lead_id, touch_id=done.touch_id, duplicate=done.duplicate,
                                              first_contact=done.first_contact).model_dump(),
                                status_code=200 if done.duplicate else 201)
        return await _answer(handle)

    return router


# ---------------------------------------------------------------- answers


async def _answer(handle) -> JSONResponse:
    try:
        return await handle()
    except Refused as exc:
        return refusal(exc.status, exc.error, exc.where, exc.headers)
    except LeadFormatError as exc:
        # Over a limit (bytes, parts, leads, lines) -> 413; not JSON/XML/MIME at all -> 400;
        # readable but not a lead -> 422.
        status = 413 if isinstance(exc, TooLarge) else 400 if exc.message.startswith(_UNREADABLE) else 422
        return refusal(status, exc.message, exc.where)


_UNREADABLE = ("not valid JSON", "not well-formed XML", "could not read", "refused:")


def _storable(lead: IncomingLead) -> None:
    """Refuse, before anything of the body is stored, what would fail half-way through a
    several-lead body: text PostgreSQL cannot hold (NUL), a time outside what UTC can express."""
    if "\\u0000" in lead.model_dump_json():
        raise Refused(422, "a text field holds a NUL character", "body")
    if lead.submitted_at is not None:
        try:
            whole_seconds(lead.submitted_at)
        except (OverflowError, ValueError):
            raise Refused(422, "submitted_at is out of range", "submitted_at") from None


def _team_zone(core: Core, team_id: int) -> str:
    return inbound.team(core, team_id).timezone


# ---------------------------------------------------------------- touches


def _touch_from(body: bytes) -> TouchIn:
    document = load_json(body)  # its errors are the lead endpoint's: 400 with the line and column
    try:
        touch = TouchIn.model_validate(document)
    except ValidationError as exc:
        error = lead_error_from(exc)
        raise Refused(422, error.message, error.where) from None
    if "\\u0000" in touch.model_dump_json():
        raise Refused(422, "a text field holds a NUL character", "body")
    return touch


def _log_touch(core: Core, team_id: int, touch: TouchIn) -> inbound.TouchLogged:
    try:
        return inbound.log_reported_touch(core, team_id, touch.source, touch.external_id, touch.rep, touch.kind,
                                          outcome=touch.outcome, at=touch.at, touch_id=touch.touch_id)
    except NoSuchLead as exc:
        raise Refused(404, exc.message, "source, external_id") from None
    except UnknownMember as exc:
        raise Refused(422, exc.message, "rep") from None
    except LeadClosed as exc:
        raise Refused(409, exc.message, "source, external_id") from None
    except (InvalidTouch, UnknownLead) as exc:
        raise Refused(422, exc.message, "at") from None
    except FollowUpError as exc:
        raise Refused(422, exc.message, None) from None
    except (OverflowError, ValueError) as exc:
        raise Refused(422, f"the touch cannot be stored: {exc}", "at") from None
