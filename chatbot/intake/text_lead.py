"""Plain-text leads: the "Name: … / Phone: … / Vehicle: …" e-mails web forms and small providers send.

There is no standard, so labels are matched case-insensitively against the variants seen
in practice, unknown labels are ignored, and free-text fields are cut to the model's
limits rather than refused: a rep would rather see a long message shortened than no lead.
"""

from __future__ import annotations

import re
from typing import Any

from chatbot.intake.errors import MAX_LINES, LeadFormatError, TooLarge
from chatbot.intake.lead import IncomingLead
from chatbot.intake.validation import build_lead, clip

_LABELS = {
    "name": ("name", "full name", "customer name", "customer", "contact name", "your name"),
    "first_name": ("first name", "firstname", "first", "given name"),
    "last_name": ("last name", "lastname", "last", "surname", "family name"),
    "email": ("email", "e-mail", "email address", "e-mail address", "mail"),
    "phone": ("phone", "phone number", "telephone", "tel", "day phone", "daytime phone", "evening phone"),
    "voice": ("home phone", "work phone", "landline"),
    "cell": ("cell", "cell phone", "cellphone", "mobile", "mobile phone", "mobile number"),
    "best_time": ("best time to call", "best time", "best time to contact", "preferred time", "contact time"),
    "vehicle": ("vehicle", "vehicle of interest", "vehicle interest", "interested in", "car", "model of interest"),
    "trade_in": ("trade-in", "trade in", "trade", "trade-in vehicle", "trade vehicle", "tradein"),
    "year": ("year",),
    "make": ("make",),
    "model": ("model",),
    "trim": ("trim",),
    "vin": ("vin", "vin number"),
    "stock": ("stock", "stock #", "stock number", "stock no"),
    "price": ("price", "asking price", "listed price"),
    "comments": ("comments", "comment", "message", "questions", "question", "notes", "customer comments",
                 "additional comments", "additional information"),
    "source": ("source", "lead source", "provider"),
    "postal_code": ("zip", "zip code", "zipcode", "postal code", "postcode", "postal"),
}
_KEY_BY_LABEL = {label: key for key, labels in _LABELS.items() for label in labels}
_LINE = re.compile(r"[\s*•>-]*([A-Za-z][A-Za-z0-9 #./_-]{0,40}?)[\s*]*[:：]\s*(.*)")
_YEAR_FIRST = re.compile(r"(?:(new|used|pre-owned|certified)\s+)?((?:19|20)\d\d)\s+(.+)", re.IGNORECASE)
_TWO_WORD_MAKES = ("alfa romeo", "aston martin", "land rover", "mercedes benz", "rolls royce")
_LIMITS = {"name": 200, "first_name": 100, "last_name": 100, "make": 60, "model": 80, "trim": 80,
           "comments": 4000, "source": 80, "best_time": 80}


def parse_text_lead(text: str, default_source: str) -> IncomingLead:
    """The lead in a labelled plain-text body; ``default_source`` is used when no "Source:" line says.

    A customer without a name is titled by their e-mail, then phone. Raises LeadFormatError
    when the text has none of name, e-mail or phone.
    """
    lines = text.count("\n") + 1
    if lines > MAX_LINES:
        raise TooLarge(f"too many lines: {lines:,}, the limit is {MAX_LINES:,} for a text lead", where="body")
    values = _labelled_values(text)
    customer = _customer(values)
    if customer is None:
        raise LeadFormatError("no lead found: no Name:, E-mail: or Phone: line", where="body")
    fields = {
        "source": values.get("source") or default_source,
        "customer": customer,
        "vehicles": [vehicle for vehicle in (_vehicle_of_interest(values), _trade_in(values)) if vehicle],
        "comments": values.get("comments"),
    }
    return build_lead(fields)


def _labelled_values(text: str) -> dict[str, str]:
    """Known label → value, first occurrence wins.

    A label alone on its line takes the next line as its value ("Name:\\nAnn Lee"), and the
    comments run on over following lines until the next known label, because customers
    write paragraphs.
    """
    values: dict[str, str] = {}
    open_key: str | None = None
    for line in text.splitlines():
        key, value = _label(line)
        if key is not None:
            is_new = key not in values
            if value and is_new:
                values[key] = value
            open_key = key if is_new and (key == "comments" or not value) else None
        elif open_key and line.strip():
            values[open_key] = f"{values[open_key]}\n{line.strip()}" if open_key in values else line.strip()
            if open_key != "comments":
                open_key = None
    return {key: clip(value, _LIMITS[key]) if key in _LIMITS else value for key, value in values.items()}


def _label(line: str) -> tuple[str | None, str]:
    match = _LINE.fullmatch(line.strip())
    if match is None:
        return None, ""
    label = " ".join(match.group(1).lower().split()).rstrip(".")
    return _KEY_BY_LABEL.get(label), match.group(2).strip()


def _customer(values: dict[str, str]) -> dict[str, Any] | None:
    phones = [{"number": values[key], "type": kind}
              for key, kind in (("cell", "cell"), ("phone", "unknown"), ("voice", "voice")) if values.get(key)]
    if phones and values.get("best_time"):
        phones[0]["best_time"] = values["best_time"]
    first, last = values.get("first_name"), values.get("last_name")
    full = values.get("name") or " ".join(part for part in (first, last) if part)
    name = full or values.get("email") or (phones[0]["number"] if phones else None)
    if name is None:
        return None
    return {"name": name, "first_name": first, "last_name": last, "email": values.get("email"),
            "phones": phones, "postal_code": values.get("postal_code")}


def _vehicle_of_interest(values: dict[str, str]) -> dict[str, Any] | None:
    """"Vehicle: 2024 Honda CR-V" plus any separate Year/Make/Model/... lines, which win."""
    vehicle = describe_vehicle(values["vehicle"]) if "vehicle" in values else {}
    for key in ("make", "model", "trim", "vin", "stock", "price"):
        if values.get(key):
            vehicle[key] = values[key]
    if re.fullmatch(r"[0-9]{4}", values.get("year") or ""):  # not isdigit(): int() refuses "²"
        vehicle["year"] = int(values["year"])
    return vehicle or None


def _trade_in(values: dict[str, str]) -> dict[str, Any] | None:
    if not values.get("trade_in"):
        return None
    return {**describe_vehicle(values["trade_in"]), "interest": "trade-in"}


def describe_vehicle(text: str) -> dict[str, Any]:
    """Fields of a one-line vehicle such as "Used 2019 Land Rover Discovery Sport".

    Only text that starts with a year (after new/used) is split into make and model; anything
    else ("any SUV under 30k") is kept whole as the model, so the rep reads what was written.
    """
    match = _YEAR_FIRST.fullmatch(" ".join(text.split()))
    if match is None:
        return {"model": clip(text.strip(), _LIMITS["model"])}
    condition, year, rest = match.groups()
    two_words = rest.lower().startswith(_TWO_WORD_MAKES)
    words = rest.split(" ", 2 if two_words else 1)
    make = " ".join(words[:-1]) if len(words) > 1 else words[0]
    model = words[-1] if len(words) > 1 else None
    vehicle: dict[str, Any] = {"year": int(year), "make": clip(make, _LIMITS["make"]), "model": clip(model, _LIMITS["model"])}
    if condition:
        vehicle["status"] = "new" if condition.lower() == "new" else "used"
    return vehicle
