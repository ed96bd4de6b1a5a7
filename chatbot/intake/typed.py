"""A lead a person types into a chat: `NAME | PHONE | EMAIL | VEHICLE [| SOURCE]`.

The console's `/lead` (and any chat that offers the same) calls ``typed_lead``. Whatever cannot
be stored is refused with one line naming the field and the limit, before anything is stored;
the limits are the ones ``IncomingLead`` enforces for every other intake. Apostrophes, quotes
and any letters are ordinary text: "Sean O'Brien" is a name like any other.
"""

from __future__ import annotations

import re
import unicodedata

from annotated_types import MaxLen
from pydantic import BaseModel, ValidationError

from chatbot.domain.contact import normalise_email, normalise_phone
from chatbot.intake.errors import LeadFormatError
from chatbot.intake.lead import Customer, IncomingLead, Phone, Vehicle
from chatbot.intake.validation import lead_error_from

DEFAULT_SOURCE = "Console"
FIRST_YEAR, LAST_YEAR = 1900, 2100  # Vehicle.year's bounds
YEAR = re.compile(r"[0-9]{4}")


def typed_lead(name: str, phone: str, email: str, vehicle: str, source: str | None = None,
               external_id: str | None = None, *, region: str = "US") -> IncomingLead:
    """The IncomingLead for a lead typed in as four or five fields.

    ``phone`` and ``email`` may be blank (not given); what is given must be readable: the phone
    in ``region`` (the team's phone region), the e-mail as an address. ``vehicle`` is
    "[YEAR] MAKE [MODEL ...]", e.g. "2024 Toyota RAV4 XLE"; blank means not specified. ``source``
    blank or None is "Console". Raises LeadFormatError with one sentence when a field cannot be
    stored; nothing about the lead is kept in that case.
    """
    name, phone, email, vehicle = (text.strip() for text in (name, phone, email, vehicle))
    source = (source or "").strip() or DEFAULT_SOURCE
    for label, text in (("name", name), ("phone", phone), ("e-mail", email), ("vehicle", vehicle),
                        ("source", source)):
        _plain_text(label, text)

    if not name:
        raise LeadFormatError("A lead needs the customer's name.")
    _fits("The customer's name", name, Customer, "name")
    _fits("The source", source, IncomingLead, "source", quote=True)

    phones = []
    if phone:
        _fits("The phone number", phone, Phone, "number", quote=True)
        if normalise_phone(phone, region) is None:
            raise LeadFormatError(f"{_quoted(phone)} is not a phone number, e.g. (312) 555-0147.")
        phones = [Phone(number=phone)]
    if email:
        _fits("The e-mail address", email, Customer, "email", quote=True)
        if normalise_email(email) is None:
            raise LeadFormatError(f"{_quoted(email)} is not an e-mail address, e.g. maria@example.com.")

    try:
        return IncomingLead(
            source=source,
            external_id=external_id,
            customer=Customer(name=name, email=email or None, phones=phones),
            vehicles=[_vehicle(vehicle)] if vehicle else [],
        )
    except ValidationError as exc:  # a limit not checked above, e.g. a caller's overlong external_id
        raise lead_error_from(exc) from None


def _vehicle(text: str) -> Vehicle:
    """'2024 Toyota RAV4 XLE' -> year 2024, make Toyota, model 'RAV4 XLE'; the year is optional."""
    words = text.split()
    year = None
    if YEAR.fullmatch(words[0]):
        year = int(words[0])
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise LeadFormatError(f"The year {words[0]} is out of range: {FIRST_YEAR}-{LAST_YEAR}.")
        words = words[1:]
    make = words[0] if words else None
    model = " ".join(words[1:]) or None
    if make:
        _fits("The make", make, Vehicle, "make", quote=True)
    if model:
        _fits("The model", model, Vehicle, "model", quote=True)
    return Vehicle(year=year, make=make, model=model)


def _fits(what: str, text: str, model: type[BaseModel], field: str, quote: bool = False) -> None:
    limit = _max_length(model, field)
    if len(text) > limit:
        shown = f" {_quoted(text)}" if quote else ""
        raise LeadFormatError(f"{what}{shown} is {len(text)} characters; at most {limit} fit.")


def _max_length(model: type[BaseModel], field: str) -> int:
    """The max_length the model declares for ``field``: the one place the limits are written."""
    for rule in model.model_fields[field].metadata:
        if isinstance(rule, MaxLen):
            return rule.max_length
    raise LookupError(f"{model.__name__}.{field} declares no max_length")


def _plain_text(label: str, text: str) -> None:
    """Control characters (NUL, escape, ...) cannot be shown on a card, and some databases refuse NUL."""
    for char in text:
        if unicodedata.category(char) == "Cc":
            raise LeadFormatError(f"The {label} contains an invisible control character (U+{ord(char):04X}); "
                                  "type it as plain text.")


def _quoted(text: str) -> str:
    """What the person typed, in quotes, short enough for one line."""
    return f"'{text}'" if len(text) <= 30 else f"'{text[:29]}…'"
