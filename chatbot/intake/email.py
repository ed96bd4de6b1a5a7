"""Leads that arrive by e-mail: raw MIME, or the form an inbound-parse service posts.

Providers e-mail ADF as an attachment, as the body, or (web forms) as labelled plain text.
ADF wins when present; the plain-text reading is the fallback. The envelope (From, Date,
Message-ID) fills what the lead itself does not say: where it came from, when, and an id
that makes a re-delivered e-mail idempotent.
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from email import policy
from email.message import EmailMessage, Message
from email.parser import HeaderParser
from email.utils import parseaddr, parsedate_to_datetime
from html.parser import HTMLParser
from typing import Callable

from chatbot.intake.adf import parse_adf
from chatbot.intake.errors import MAX_LEADS, MAX_PARTS, LeadFormatError, TooLarge
from chatbot.intake.lead import IncomingLead
from chatbot.intake.text_lead import parse_text_lead
from chatbot.intake.validation import build_lead

MAX_BYTES = 10_000_000
"""Larger than the ADF cap because lead e-mails carry brochures and photos."""

_ADF_TAG = re.compile(r"<adf[\s>/]", re.IGNORECASE)
_ADF_TAG_BYTES = re.compile(rb"<adf[\s>/]", re.IGNORECASE)
_HEADER_LINE = re.compile(r"[!-9;-~]+:")
_SECOND_LEVEL = {"co", "com", "net", "org", "ac", "gov"}


@dataclass(frozen=True)
class _Envelope:
    """What the e-mail says about the lead, outside its content."""

    sender: str | None
    message_id: str | None
    date: datetime | None
    date_text: str | None = None  # the Date: header as sent


def parse_email(raw: bytes, default_tz: str = "UTC") -> list[IncomingLead]:
    """The leads in a raw MIME e-mail (RFC 5322 bytes).

    Every ADF document found (attachment, xml part, or the body) is parsed with parse_adf;
    without one, the body is read as a labelled plain-text lead whose source is the From:
    domain unless a "Source:" line names it. Leads without a request date take the Date:
    header; a single lead without an id takes the Message-ID. ``default_tz`` is the zone of
    ADF request dates written without an offset (see parse_adf).
    """
    if len(raw) > MAX_BYTES:
        raise TooLarge(f"too large: the limit is {MAX_BYTES:,} bytes", where="e-mail")
    _check_parts(raw)
    try:
        message = email.message_from_bytes(raw, policy=policy.default)
        envelope = _envelope(lambda name: _header(message, name))
        documents = _adf_parts(message)
        body = _body_text(message)
    except Exception as exc:  # noqa: BLE001 - the stdlib's lazy header parsers crash on some hostile input
        raise LeadFormatError(f"could not read the e-mail: {exc}", where="MIME structure") from None
    return _leads(documents, body, envelope, default_tz)


def _check_parts(raw: bytes) -> None:
    """Refuse an e-mail of more than MAX_PARTS parts before the standard library's parser sees it
    (it takes about 40 s over 200,000 parts). Every part starts at a boundary line, which begins
    with "--", so counting such lines bounds the parts at the cost of one pass over the bytes."""
    boundaries = raw.count(b"\n--") + raw.startswith(b"--")
    if boundaries > MAX_PARTS:
        raise TooLarge(f"too many MIME parts: up to {boundaries:,}, the limit is {MAX_PARTS}", where="MIME structure")


def parse_inbound_form(fields: dict[str, str], attachments: dict[str, bytes],
                       default_tz: str = "UTC") -> list[IncomingLead]:
    """The leads in a multipart form posted by SendGrid Inbound Parse or Mailgun routes.

    With SendGrid's "send raw" on, the ``email`` field is the whole MIME message and is read
    by parse_email. Otherwise the parts come pre-split: any attachment holding ADF (keyed by
    field or file name, contents sniffed), then ``text``/``body-plain``, then ``html``/
    ``body-html``; the envelope comes from ``from``/``sender``, ``Message-Id``, ``Date`` or
    SendGrid's raw ``headers`` block.
    """
    raw = fields.get("email") or ""
    if _HEADER_LINE.match(raw.lstrip()):
        return parse_email(raw.encode("utf-8", "replace"), default_tz)
    documents: list[str | bytes] = [content for content in attachments.values() if _ADF_TAG_BYTES.search(content)]
    body = fields.get("text") or fields.get("body-plain") or html_to_text(fields.get("html") or fields.get("body-html") or "")
    return _leads(documents, body, _envelope(_form_header_lookup(fields)), default_tz)


# --- Reading MIME ----------------------------------------------------------------------

def _header(message: Message, name: str) -> str | None:
    value = message[name]
    return None if value is None else str(value)


def _adf_parts(message: EmailMessage) -> list[bytes]:
    """Decoded leaf parts holding ADF, attachments included. HTML parts are skipped: they
    repeat the plain-text part, and their ADF (if any) is escaped for display."""
    found = []
    for part in message.walk():
        if part.is_multipart() or part.get_content_type() == "text/html":
            continue
        payload = part.get_payload(decode=True) or b""
        if _ADF_TAG_BYTES.search(payload):
            found.append(payload)
    return found


def _body_text(message: EmailMessage) -> str:
    """The readable body: the plain-text part, else the HTML part flattened to lines."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _decoded(part)
    return html_to_text(text) if part.get_content_subtype() == "html" else text


def _decoded(part: EmailMessage) -> str:
    """Part text in its declared charset, falling back to cp1252 for the usual mislabelled mail."""
    payload = part.get_payload(decode=True) or b""
    try:
        return payload.decode(part.get_content_charset() or "utf-8")
    except (LookupError, UnicodeDecodeError):
        return payload.decode("cp1252", "replace")


def _form_header_lookup(fields: dict[str, str]) -> Callable[[str], str | None]:
    """Header lookup over a posted form: its own fields (Mailgun) then the raw ``headers`` block (SendGrid)."""
    lowered = {key.lower(): value for key, value in fields.items()}
    headers = HeaderParser(policy=policy.compat32).parsestr(fields.get("headers") or "")

    def lookup(name: str) -> str | None:
        if name == "From":
            return lowered.get("from") or lowered.get("sender") or headers[name]
        return lowered.get(name.lower()) or headers[name]

    return lookup


# --- From envelope and parts to leads --------------------------------------------------

def _envelope(header: Callable[[str], str | None]) -> _Envelope:
    sender = parseaddr(header("From") or "")[1] or None
    message_id = (header("Message-ID") or "").strip().strip("<>") or None
    date_text = " ".join((header("Date") or "").split()) or None
    return _Envelope(sender=sender, message_id=message_id, date=_date(date_text), date_text=date_text)


def _date(value: str | None) -> datetime | None:
    """Date: header as an aware datetime; RFC 5322's "-0000" (zone unknown) is read as UTC."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _leads(documents: list[str | bytes], body: str, envelope: _Envelope, default_tz: str) -> list[IncomingLead]:
    if not documents and _ADF_TAG.search(body):
        documents = [body]
    if len(documents) > MAX_LEADS:
        raise TooLarge(f"too many ADF documents: {len(documents):,}, the limit is {MAX_LEADS}", where="e-mail")
    if documents:
        leads = [lead for document in documents for lead in parse_adf(document, default_tz=default_tz)]
        if len(leads) > MAX_LEADS:
            raise TooLarge(f"too many prospects: {len(leads):,} in one e-mail, the limit is {MAX_LEADS}",
                           where="e-mail")
    else:
        leads = [parse_text_lead(body, default_source=_source_from(envelope.sender))]
    return _with_envelope(_unique(leads), envelope)


def _unique(leads: list[IncomingLead]) -> list[IncomingLead]:
    """Drop repeats: providers often send the same ADF as body and attachment."""
    unique: list[IncomingLead] = []
    for lead in leads:
        if lead not in unique:
            unique.append(lead)
    return unique


def _with_envelope(leads: list[IncomingLead], envelope: _Envelope) -> list[IncomingLead]:
    """Fill request time from Date:, and the id from Message-ID when the e-mail is one lead
    (with several, one Message-ID would make them look like re-deliveries of each other).

    A provider date that could not be read stays noted (the lead then says it was timed from
    the e-mail's Date:); a Date: header that cannot be read either is noted in its place."""
    filled = []
    for lead in leads:
        updates = {}
        if lead.submitted_at is None and envelope.date:
            updates["submitted_at"] = envelope.date
        if lead.external_id is None and envelope.message_id and len(leads) == 1:
            updates["external_id"] = envelope.message_id
        unread = lead.unread_date
        if lead.submitted_at is None and envelope.date is None and unread is None:
            unread = envelope.date_text
        if updates:
            lead = build_lead({**lead.model_dump(), **updates}, where="e-mail")
        filled.append(lead.note_unread_date(unread))
    return filled


def _source_from(sender: str | None) -> str:
    """"cars.com" from "leads@mail.cars.com": the registrable domain names the sender.

    Two labels, or three under a country's second level ("dealer.co.uk"); no public-suffix
    list, since a slightly long source name is harmless.
    """
    domain = (sender or "").rpartition("@")[2].strip().lower().rstrip(".")
    if not domain:
        return "e-mail"
    labels = domain.split(".")
    keep = 3 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL else 2
    return ".".join(labels[-keep:])[:80]


# --- HTML bodies -----------------------------------------------------------------------

class _TextExtractor(HTMLParser):
    """Collects visible text with a line per block and table row, so "Name:</td><td>Ann" reads
    as "Name: Ann"; source line breaks are layout, not content, and are collapsed."""

    _BLOCKS = {"br", "p", "div", "tr", "li", "table", "h1", "h2", "h3", "h4", "h5", "h6"}
    _HIDDEN = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    """Readable lines of an HTML body. Unparseable markup keeps the text read before it
    (html.parser raises AssertionError on some malformed declarations)."""
    extractor = _TextExtractor()
    try:
        extractor.feed(html)
        extractor.close()
    except AssertionError:
        pass
    lines = (line.strip() for line in "".join(extractor.parts).splitlines())
    return "\n".join(line for line in lines if line)
