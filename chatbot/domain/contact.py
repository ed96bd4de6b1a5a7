"""Phone and e-mail clean-up, so duplicates match and reps can dial from the card."""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

_SPACE = re.compile(r"\s")


def normalise_phone(raw: str, region: str = "US") -> str | None:
    """E.164 form of ``raw`` ("+15552010147"), or None when it cannot be a phone number.

    ``region`` is where numbers without a country code are assumed to be (the dealership's
    country). "Possible" (right length) rather than "valid" is checked on purpose: the
    numbering plan changes faster than the library, and a rep can still try to call.
    """
    try:
        number = phonenumbers.parse(raw, region)
    except NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def display_phone(e164: str, home_region: str = "US") -> str:
    """How a rep in ``home_region`` reads the number: "(555) 201-0147" at home, "+44 20 7946 0958" abroad.

    "Home" means the same country calling code, so a Canadian number reads nationally to a US
    dealership (both dial +1). Input that does not parse is returned unchanged, so a card never
    loses what the customer typed.
    """
    try:
        number = phonenumbers.parse(e164, home_region)
    except NumberParseException:
        return e164
    home_code = phonenumbers.country_code_for_region(home_region)
    style = PhoneNumberFormat.NATIONAL if number.country_code == home_code else PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)


def normalise_email(raw: str | None) -> str | None:
    """Lower-cased address, or None when it clearly is not one (no @, spaces, no domain dot).

    Providers sometimes wrap addresses ("<a@b.com>", "mailto:a@b.com"); those are unwrapped.
    The whole address is lower-cased: local parts are case-insensitive in practice.
    """
    if raw is None:
        return None
    text = raw.strip().strip("<>").strip()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:"):]
    local, at, domain = text.partition("@")
    if not at or not local or "@" in domain or "." not in domain.strip("."):
        return None
    if _SPACE.search(text):  # \s is str.isspace(), searched in C
        return None
    return text.lower()
