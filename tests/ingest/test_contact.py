"""Phone and e-mail normalisation."""

import pytest

from chatbot.domain.contact import display_phone, normalise_email, normalise_phone


@pytest.mark.parametrize(("raw", "expected"), [
    ("(555) 201-0147", "+15552010147"),
    ("555.201.0147", "+15552010147"),
    ("1-888-755-4460", "+18887554460"),
    ("+14382881008", "+14382881008"),
    ("+44 20 7946 0958", "+442079460958"),
])
def test_phone_numbers_normalise_to_e164(raw, expected):
    assert normalise_phone(raw) == expected


def test_national_numbers_are_read_in_the_given_region():
    assert normalise_phone("020 7946 0958", region="GB") == "+442079460958"


@pytest.mark.parametrize("raw", ["", "12", "call me", "555-0147-99999999999"])
def test_impossible_phone_numbers_give_none(raw):
    assert normalise_phone(raw) is None


def test_home_numbers_display_nationally_and_foreign_ones_internationally():
    assert display_phone("+15552010147") == "(555) 201-0147"
    assert display_phone("+14382881008") == "(438) 288-1008"
    assert display_phone("+442079460958") == "+44 20 7946 0958"
    assert display_phone("+442079460958", home_region="GB") == "020 7946 0958"


def test_unparseable_phone_displays_as_given():
    assert display_phone("ask for Bob") == "ask for Bob"


@pytest.mark.parametrize(("raw", "expected"), [
    ("  Ann.Lee@Example.COM ", "ann.lee@example.com"),
    ("<ann@example.com>", "ann@example.com"),
    ("mailto:ann@example.com", "ann@example.com"),
])
def test_emails_are_trimmed_unwrapped_and_lower_cased(raw, expected):
    assert normalise_email(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "emailaddress", "ann lee@example.com", "ann@", "@example.com",
                                 "ann@localhost", "a@b@example.com"])
def test_clearly_invalid_emails_give_none(raw):
    assert normalise_email(raw) is None
