"""Phones to E.164 and back to something a rep can read; e-mails tidied."""

from __future__ import annotations

import phonenumbers


def normalise_phone(raw: str, region: str = "US") -> str | None:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str) -> str:
    number = phonenumbers.parse(e164, None)
    region = phonenumbers.region_code_for_number(number)
    if region in ("US", "CA"):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalise_email(raw: str) -> str | None:
    text = raw.strip().lower()
    if text.count("@") != 1 or " " in text or text.startswith("@") or text.endswith("@"):
        return None
    return text
