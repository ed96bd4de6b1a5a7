"""ADF (Auto-lead Data Format, XML 1.0): the lead format third-party providers and CRMs send.

Real ADF is messy. The spec's own example is not well-formed XML, providers put the
``<?adf version="1.0"?>`` instruction before or after the XML declaration, leave out
required elements such as ``<vendor>``, and invent attribute values (``type="phone"``).
This parser therefore repairs the header, reads elements without a schema, and only
rejects a document when no lead can honestly be made from it.

Attributes the sender left out get the ``IncomingLead`` model's defaults, not the DTD's:
a non-validating parser never sees DTD defaults, and "unknown" is more honest than
guessing that an unlabelled phone is a landline or an unlabelled vehicle is new.
"""

from __future__ import annotations

import codecs
import re
from datetime import tzinfo
from typing import Any
from xml.etree.ElementTree import Element, ParseError
from xml.parsers import expat
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from chatbot.intake.dates import read_date
from chatbot.intake.errors import MAX_LEADS, LeadFormatError, TooLarge
from chatbot.intake.lead import IncomingLead
from chatbot.intake.validation import build_lead, clip

MAX_BYTES = 1_000_000
"""Largest document accepted. A real ADF lead is a few KB; anything near this is abuse."""

COMMENTS_LIMIT = 4000
"""IncomingLead.comments' limit: longer customer comments are cut, not rejected."""


def parse_adf(data: bytes | str, default_tz: str = "UTC") -> list[IncomingLead]:
    """Every ``<prospect>`` in an ADF document, as leads, in document order.

    ``default_tz`` (an IANA name such as "America/Chicago") is the zone assumed for a
    ``<requestdate>`` written without a UTC offset: providers that omit it mean local
    time, and only the caller knows whose. Every form providers send is read (see
    chatbot.intake.dates). A request date that still cannot be read gives
    ``submitted_at=None`` with the text kept in ``unread_date``, so the lead is stored, timed
    from its arrival, and says so, rather than being lost or timed from "now" quietly.

    Raises TooLarge over MAX_BYTES or MAX_LEADS prospects; LeadFormatError when the data is not well-formed XML (with the
    line and column), declares entities (refused: entity expansion and external entities
    are attacks), is not ADF, has no ``<prospect>``, or a prospect names no customer and
    gives no way to contact them.
    """
    zone = _zone(default_tz)
    root = _read_xml(data)
    if _local(root.tag) != "adf":
        raise LeadFormatError(f"not an ADF document: the root element is <{root.tag}>, not <adf>", where="root element")
    prospects = _children(root, "prospect")
    if not prospects:
        raise LeadFormatError("the ADF document has no <prospect>", where="adf")
    if len(prospects) > MAX_LEADS:
        raise TooLarge(f"too many prospects: {len(prospects):,} in one document, the limit is {MAX_LEADS}; "
                       "send one lead per request", where="adf")
    return [_lead(prospect, f"prospect {n}", zone) for n, prospect in enumerate(prospects, start=1)]


def _zone(name: str) -> tzinfo:
    """The caller's default zone; a bad name is a configuration bug, hence ValueError."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as 'America/New_York'") from None


# --- Reading the XML -------------------------------------------------------------------

_ENCODING_DECL = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']?([A-Za-z0-9._-]+)""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_PROLOG_START = re.compile(r"<\?(?:xml|adf)(?=[\s?])|<!DOCTYPE|<adf[\s>/]", re.IGNORECASE)
_HEADER_PI = re.compile(r"<\?(?:xml|adf)(?=[\s?])[^>]*>", re.IGNORECASE)
_ROOT_START = re.compile(r"<adf[\s>/]", re.IGNORECASE)
_ROOT_END = re.compile(r"</adf\s*>", re.IGNORECASE)


def _read_xml(data: bytes | str) -> Element:
    """Parse with defusedxml after repairing the header; every failure is a LeadFormatError."""
    text = _repair(_as_text(data))
    try:
        return SafeET.fromstring(text.encode("utf-8", "replace"))
    except ParseError as exc:
        line, column = exc.position
        reason = expat.ErrorString(exc.code)
        raise LeadFormatError(f"not well-formed XML: {reason}", where=f"line {line}, column {column + 1}") from None
    except DefusedXmlException:
        raise LeadFormatError("refused: the document declares entities", where="DOCTYPE") from None


def _as_text(data: bytes | str) -> str:
    """The document as text, refusing oversize input before doing any work on it."""
    if len(data) > MAX_BYTES or (isinstance(data, str) and len(data.encode("utf-8", "replace")) > MAX_BYTES):
        raise TooLarge(f"too large: the limit is {MAX_BYTES:,} bytes", where="body")
    return data if isinstance(data, str) else _decode(data)


def _decode(raw: bytes) -> str:
    """Decode by BOM, then declared encoding, then UTF-8.

    Providers often declare UTF-8 and send Windows-1252 ("Montréal" from a Windows CRM),
    so undecodable bytes fall back to cp1252 instead of failing the lead.
    """
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            return raw.decode(codec, "replace")
    declared = _ENCODING_DECL.search(raw[:2048])
    encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        return raw.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return raw.decode("cp1252", "replace")


def _repair(text: str) -> str:
    """Blank out junk before the prolog, the XML/ADF header instructions, and junk after </adf>.

    Blanking (spaces, line breaks kept) instead of deleting keeps the parser's line and
    column numbers true to the original. The header instructions go entirely: the text
    is already decoded, and real headers are often broken (the spec's own example has
    ``<?XML VERSION “1.0”?>``, which no XML parser accepts).
    """
    root = _ROOT_START.search(text)
    if root is None:
        return text
    start = _PROLOG_START.search(text)
    prolog_start = start.start() if start else root.start()
    prolog = _blank(text[:prolog_start]) + _HEADER_PI.sub(lambda m: _blank(m.group()), text[prolog_start:root.start()])
    ends = list(_ROOT_END.finditer(text, root.start()))
    body_end = ends[-1].end() if ends else len(text)
    return prolog + text[root.start():body_end]


def _blank(text: str) -> str:
    return re.sub(r"[^\r\n]", " ", text)


# --- Element helpers -------------------------------------------------------------------

def _local(tag: str) -> str:
    """Tag name without namespace, lower-cased: some senders capitalise or namespace ADF."""
    return tag.rsplit("}", 1)[-1].lower()


def _children(parent: Element | None, name: str) -> list[Element]:
    """Direct children only, so a vehicle's <option><price> never reads as the vehicle's price."""
    return [] if parent is None else [child for child in parent if _local(child.tag) == name]


def _child(parent: Element | None, name: str) -> Element | None:
    found = _children(parent, name)
    return found[0] if found else None


def _content(element: Element | None) -> str | None:
    """Element text with whitespace runs collapsed (single-line documents and pretty ones read alike)."""
    if element is None:
        return None
    return " ".join("".join(element.itertext()).split()) or None


def _text(parent: Element | None, name: str) -> str | None:
    return _content(_child(parent, name))


def _attr(element: Element, name: str) -> str:
    return (element.get(name) or "").strip().lower()


# --- Building a lead -------------------------------------------------------------------

def _lead(prospect: Element, where: str, zone: tzinfo) -> IncomingLead:
    customer = _child(prospect, "customer")
    contact = _child(customer, "contact")
    provider_name = _text(_child(prospect, "provider"), "name")
    lead_id = _child(prospect, "id")
    request_date = _text(prospect, "requestdate")
    fields: dict[str, Any] = {
        "source": _source(lead_id, provider_name),
        "external_id": _content(lead_id),
        "submitted_at": read_date(request_date, zone),
        "customer": _customer(contact, f"{where} > customer > contact"),
        "vehicles": [_vehicle(vehicle) for vehicle in _children(prospect, "vehicle")],
        "comments": clip(_block(_child(customer, "comments")), COMMENTS_LIMIT),
        "provider": provider_name,
        "vendor": _vendor_name(_child(prospect, "vendor")),
    }
    lead = build_lead(fields, where)
    if request_date and lead.submitted_at is None:
        lead.note_unread_date(request_date)
    return lead


def _source(lead_id: Element | None, provider_name: str | None) -> str:
    """Who sent the lead, most specific first: ``<id source>``, then the provider name, then "adf"."""
    id_source = (lead_id.get("source") or "").strip() if lead_id is not None else ""
    return id_source or provider_name or "adf"


def _customer(contact: Element | None, where: str) -> dict[str, Any]:
    """Name, e-mail, phones and postal code; the name falls back to the e-mail, then the phone.

    A card needs some title, and the address or number is what a rep would call the
    customer by anyway. With neither a name nor a way to reach them there is no lead.
    """
    full, first, last = _names(contact)
    email = _text(contact, "email")
    phones = [phone for phone in map(_phone, _children(contact, "phone")) if phone]
    name = full or email or (phones[0]["number"] if phones else None)
    if name is None:
        raise LeadFormatError("no customer name and no e-mail or phone to contact them", where=where)
    return {
        "name": name,
        "first_name": first,
        "last_name": last,
        "email": email,
        "phones": phones,
        "postal_code": _text(_child(contact, "address"), "postalcode"),
    }


def _names(contact: Element | None) -> tuple[str | None, str | None, str | None]:
    """(full, first, last) from ``<name part=...>``; a missing ``part`` means "full" as in the DTD."""
    parts: dict[str, str] = {}
    for element in _children(contact, "name"):
        text = _content(element)
        if text:
            parts.setdefault(_attr(element, "part") or "full", text)
    first = parts.get("first")
    last = parts.get("last") or parts.get("surname")
    joined = " ".join(part for part in (first, parts.get("middle"), last) if part)
    return parts.get("full") or joined or None, first, last


_PHONE_TYPES = {
    "voice": "voice", "phone": "voice", "home": "voice", "work": "voice", "landline": "voice",
    "cellphone": "cell", "cell": "cell", "mobile": "cell",
    "fax": "fax", "pager": "pager",
}


def _phone(element: Element) -> dict[str, Any] | None:
    """One ``<phone>``; ``time="nopreference"`` is the DTD's "no best time", so it is dropped."""
    number = _content(element)
    if number is None:
        return None
    best_time = _attr(element, "time")
    return {
        "number": number,
        "type": _PHONE_TYPES.get(_attr(element, "type"), "unknown"),
        "best_time": best_time if best_time not in ("", "nopreference") else None,
    }


_INTERESTS = {
    "buy": "buy", "lease": "lease", "sell": "sell",
    "trade-in": "trade-in", "tradein": "trade-in", "trade": "trade-in",
    "test-drive": "test-drive", "testdrive": "test-drive",
}


def _vehicle(element: Element) -> dict[str, Any]:
    """A ``<vehicle>``. A year that is not a plausible number is dropped, not fatal: the rep
    still has make and model to work with."""
    interest = _attr(element, "interest").replace(" ", "-").replace("_", "-")
    status = _attr(element, "status")
    return {
        "interest": _INTERESTS.get(interest, "unknown") if interest else "buy",
        "status": status if status in ("new", "used") else "unknown",
        "year": _year(_text(element, "year")),
        "make": _text(element, "make"),
        "model": _text(element, "model"),
        "trim": _text(element, "trim"),
        "vin": _text(element, "vin"),
        "stock": _text(element, "stock"),
        "price": _price(_child(element, "price")),
    }


def _year(text: str | None) -> int | None:
    if text is None or not (text.isascii() and text.isdigit() and len(text) == 4):
        return None  # '²' is a digit to isdigit() and not to int(); 5,000 digits are not a year
    year = int(text)
    return year if 1900 <= year <= 2100 else None


def _price(element: Element | None) -> str | None:
    """"59999.99 CAD": the currency is kept because Canadian and US leads share the bot."""
    amount = _content(element)
    if element is None or amount is None:
        return None
    currency = (element.get("currency") or "").strip().upper()
    return f"{amount} {currency}" if currency else amount


def _vendor_name(vendor: Element | None) -> str | None:
    """``<vendorname>``, else the vendor contact's name (the spec's own examples put it there)."""
    return _text(vendor, "vendorname") or _names(_child(vendor, "contact"))[0]


def _block(element: Element | None) -> str | None:
    """Free text with its line breaks kept but each line's indentation removed."""
    if element is None:
        return None
    lines = [line.strip() for line in "".join(element.itertext()).strip().splitlines()]
    return "\n".join(lines) or None
