"""One entry point for a body of unknown format: ADF/XML, the bot's JSON, or a raw e-mail."""

from __future__ import annotations

import codecs
import re
from pathlib import PurePosixPath

from chatbot.intake.adf import parse_adf
from chatbot.intake.email import parse_email
from chatbot.intake.errors import LeadFormatError
from chatbot.intake.json_lead import parse_json
from chatbot.intake.lead import IncomingLead

_BY_EXTENSION = {".xml": "adf", ".adf": "adf", ".json": "json", ".eml": "email"}
_ADF_TAG = re.compile(rb"<adf[\s>/]", re.IGNORECASE)
_HEADER_LINE = re.compile(rb"[!-9;-~]+:")


def parse_any(data: bytes, content_type: str | None = None, filename: str | None = None, *,
              default_tz: str = "UTC") -> list[IncomingLead]:
    """Leads from ``data``, choosing the parser by content type, then file extension, then the bytes.

    Generic types (text/plain, application/octet-stream) and unknown extensions say nothing,
    so detection falls through to sniffing: ``{`` is JSON, ``<`` or an ``<adf`` tag is ADF,
    a first line like "From: ..." is an e-mail. Always returns leads or raises LeadFormatError.
    ``default_tz`` is the zone of ADF request dates written without an offset (see parse_adf),
    e-mailed ADF included.
    """
    kind = _kind_from_content_type(content_type) or _kind_from_filename(filename) or _sniff(data)
    if kind == "adf":
        return parse_adf(data, default_tz=default_tz)
    if kind == "json":
        return [parse_json(data)]
    if kind == "email":
        return parse_email(data, default_tz=default_tz)
    raise LeadFormatError("unrecognised format: expected ADF/XML, JSON or an e-mail", where="body")


def _kind_from_content_type(content_type: str | None) -> str | None:
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type.endswith(("/xml", "+xml")):
        return "adf"
    if media_type.endswith(("/json", "+json")):
        return "json"
    if media_type == "message/rfc822":
        return "email"
    return None


def _kind_from_filename(filename: str | None) -> str | None:
    return _BY_EXTENSION.get(PurePosixPath(filename or "").suffix.lower())


def _sniff(data: bytes) -> str | None:
    start = data.removeprefix(codecs.BOM_UTF8).lstrip()
    if start.startswith(b"{"):
        return "json"
    if start.startswith(b"<") or _ADF_TAG.search(data):
        return "adf"
    if _HEADER_LINE.match(start):
        return "email"
    return None
