"""What a person types is read or refused in one plain sentence: durations, report periods and
typed-in leads. Absurd numbers and dates get the allowed range, never Python's own message."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chatbot.domain.hours import BusinessHours
from chatbot.errors import FollowUpError
from chatbot.intake.errors import LeadFormatError
from chatbot.intake.typed import typed_lead
from chatbot.reports.periods import PeriodError, period_for
from chatbot.team.settings import SettingError, parse_duration

CHICAGO = ZoneInfo("America/Chicago")
HOURS = BusinessHours.parse("America/Chicago", "mon tue wed thu fri sat", "09:00", "19:00")
THURSDAY = datetime(2026, 11, 26, 11, 0, tzinfo=CHICAGO)


def midnight(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=CHICAGO)


# ---------------------------------------------------------------- durations


@pytest.mark.parametrize("text, span", [
    ("45s", timedelta(seconds=45)), ("20m", timedelta(minutes=20)), ("2h", timedelta(hours=2)),
    ("3d", timedelta(days=3)), ("1h30m", timedelta(minutes=90)), (" 2H ", timedelta(hours=2)),
    ("0s", timedelta(0)), ("366d", timedelta(days=366)), ("90m", timedelta(minutes=90)),
    ("0000000000000000000020m", timedelta(minutes=20)),
])
def test_a_duration_is_read_in_days_hours_minutes_and_seconds(text, span):
    assert parse_duration(text) == span


@pytest.mark.parametrize("text, sentence", [
    ("99999999d", "'99999999d' is too long: at most 366 d."),
    ("367d", "'367d' is too long: at most 366 d."),
    ("366d1s", "'366d1s' is too long: at most 366 d."),
    ("8785h", "'8785h' is too long: at most 366 d."),
    ("999999999999999999999999s", "'999999999999999999999999s' is too long: at most 366 d."),
    ("9" * 5000 + "d", "'" + "9" * 39 + "…' is too long: at most 366 d."),
    ("soon", "'soon' is not a duration. Try 45s, 20m, 2h, 3d or 1h30m."),
    ("-2h", "'-2h' is not a duration. Try 45s, 20m, 2h, 3d or 1h30m."),
    ("", "'' is not a duration. Try 45s, 20m, 2h, 3d or 1h30m."),
    ("30m1h", "'30m1h' is not a duration. Try 45s, 20m, 2h, 3d or 1h30m."),
])
def test_a_duration_that_cannot_be_waited_is_refused_with_what_works(text, sentence):
    with pytest.raises(SettingError) as refused:
        parse_duration(text)
    assert str(refused.value) == sentence
    assert isinstance(refused.value, FollowUpError)  # what every chat adapter already catches


# ---------------------------------------------------------------- report periods


@pytest.mark.parametrize("spec, start, end, label", [
    ("366d", midnight(2025, 11, 25), midnight(2026, 11, 26), "last 366 days (Nov 25 2025-Nov 25 2026)"),
    ("1d", midnight(2026, 11, 25), midnight(2026, 11, 26), "last 1 days (Nov 25-Nov 25)"),
    ("2028-02-29..2028-02-29", midnight(2028, 2, 29), midnight(2028, 3, 1), "Feb 29-Feb 29"),
    ("2025-11-27..2026-11-27", midnight(2025, 11, 27), midnight(2026, 11, 28), "Nov 27 2025-Nov 27 2026"),
    ("2026-12-28..2027-01-03", midnight(2026, 12, 28), midnight(2027, 1, 4), "Dec 28 2026-Jan 03 2027"),
])
def test_a_period_of_up_to_366_days_is_read(spec, start, end, label):
    period = period_for(spec, HOURS, THURSDAY)
    assert (period.start, period.end, period.label) == (start, end, label)


USE = "Use YYYY-MM-DD, e.g. 2026-11-09..2026-11-15."


@pytest.mark.parametrize("spec, sentence", [
    ("2026-13-01..2026-13-05", f"'2026-13-01' is not a date: months run 01-12. {USE}"),
    ("2026-11-01..2026-00-05", f"'2026-00-05' is not a date: months run 01-12. {USE}"),
    ("2026-02-30..2026-03-01", f"'2026-02-30' is not a date: days in February 2026 run 01-28. {USE}"),
    ("2026-11-00..2026-11-02", f"'2026-11-00' is not a date: days in November 2026 run 01-30. {USE}"),
    ("2026-11-09..2026-11-31", f"'2026-11-31' is not a date: days in November 2026 run 01-30. {USE}"),
    ("0000-01-01..0000-01-02", f"'0000-01-01' is out of range: years run 2000-2100. {USE}"),
    ("9999-12-31..9999-12-31", f"'9999-12-31' is out of range: years run 2000-2100. {USE}"),
    ("2026-11-15..2026-11-09",
     "'2026-11-15..2026-11-09' ends before it starts: put the earlier day first, e.g. 2026-11-09..2026-11-15."),
    ("2025-01-01..2026-12-31", "'2025-01-01..2026-12-31' is 730 days: a period is at most 366 days."),
    ("2025-11-26..2026-11-27", "'2025-11-26..2026-11-27' is 367 days: a period is at most 366 days."),
    ("999d", "'999d' is too long: a period is at most 366 days, e.g. 7d, 30d or 365d."),
    ("367d", "'367d' is too long: a period is at most 366 days, e.g. 7d, 30d or 365d."),
    ("9" * 400 + "d", "'" + "9" * 39 + "…' is too long: a period is at most 366 days, e.g. 7d, 30d or 365d."),
    ("0d", "A period needs at least one day, e.g. 7d."),
    ("yesterday", "'yesterday' is not a period. Try 7d, 30d, this-week, last-week, or 2026-11-09..2026-11-15."),
    ("-7d", "'-7d' is not a period. Try 7d, 30d, this-week, last-week, or 2026-11-09..2026-11-15."),
])
def test_an_impossible_period_is_refused_in_plain_words_with_what_works(spec, sentence):
    with pytest.raises(PeriodError) as refused:
        period_for(spec, HOURS, THURSDAY)
    assert str(refused.value) == sentence


# ---------------------------------------------------------------- typed-in leads


def test_a_typed_lead_reads_year_make_and_model_and_defaults_its_source():
    lead = typed_lead("Sean O'Brien", "(312) 555-0100", "sean@example.com", "2024 Toyota RAV4 XLE",
                      None, "console-1")
    assert lead.source == "Console" and lead.external_id == "console-1"
    assert lead.customer.name == "Sean O'Brien"
    assert lead.customer.email == "sean@example.com"
    assert [p.number for p in lead.customer.phones] == ["(312) 555-0100"]
    vehicle = lead.vehicle_of_interest()
    assert (vehicle.year, vehicle.make, vehicle.model) == (2024, "Toyota", "RAV4 XLE")


@pytest.mark.parametrize("name", ["Sean O'Brien", 'Bob "the builder" Smith', "José Núñez", "李雷", "D'Angelo-O'Neil"])
def test_apostrophes_quotes_and_any_alphabet_are_ordinary_text_in_a_name(name):
    assert typed_lead(name, "", "", "", "Walk-in", None).customer.name == name


@pytest.mark.parametrize("vehicle, year, make, model", [
    ("Honda CR-V", None, "Honda", "CR-V"),
    ("2024", 2024, None, None),
    ("Model T", None, "Model", "T"),
    ("²²²² Toyota", None, "²²²²", "Toyota"),  # only ASCII digits make a year
    ("  2019   Ford   F-150  ", 2019, "Ford", "F-150"),
])
def test_the_vehicle_is_an_optional_year_then_the_make_then_the_model(vehicle, year, make, model):
    got = typed_lead("Bob", "", "", vehicle, "", None).vehicles[0]
    assert (got.year, got.make, got.model) == (year, make, model)


def test_blank_phone_email_and_vehicle_are_simply_not_given():
    lead = typed_lead("Bob", "", " ", "", "Walk-in", None)
    assert (lead.customer.phones, lead.customer.email, lead.vehicles, lead.source) == ([], None, [], "Walk-in")


def test_a_number_is_read_in_the_teams_phone_region():
    lead = typed_lead("Bob", "020 7946 0958", "", "", None, None, region="GB")
    assert [p.number for p in lead.customer.phones] == ["020 7946 0958"]


@pytest.mark.parametrize("fields, sentence", [
    (("a" * 201, "3125550100", "b@x.com", "2024 Toyota"), "The customer's name is 201 characters; at most 200 fit."),
    (("Bob", "3125550100", "b@x.com", "2024 " + "a" * 70),
     "The make 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaa…' is 70 characters; at most 60 fit."),
    (("Bob", "3125550100", "b@x.com", "Toyota " + "b" * 81),
     "The model 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbb…' is 81 characters; at most 80 fit."),
    (("Bob", "3125550100", "b@x.com", "1800 Carriage"), "The year 1800 is out of range: 1900-2100."),
    (("Bob", "3125550100", "b@x.com", "9999 Toyota"), "The year 9999 is out of range: 1900-2100."),
    (("Bob", "312", "", ""), "'312' is not a phone number, e.g. (312) 555-0147."),
    (("Bob", "call me", "", ""), "'call me' is not a phone number, e.g. (312) 555-0147."),
    (("Bob", "3" * 41, "", ""), "The phone number '33333333333333333333333333333…' is 41 characters; at most 40 fit."),
    (("Bob", "", "bob-at-x", ""), "'bob-at-x' is not an e-mail address, e.g. maria@example.com."),
    (("Bob", "", "bob@x", ""), "'bob@x' is not an e-mail address, e.g. maria@example.com."),
    (("Bob", "", "b" * 250 + "@x.com", ""),
     "The e-mail address 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbb…' is 256 characters; at most 254 fit."),
    (("   ", "3125550100", "", ""), "A lead needs the customer's name."),
    (("Bob\x00", "", "", ""), "The name contains an invisible control character (U+0000); type it as plain text."),
    (("Bob", "", "", "Toy\x1bota"), "The vehicle contains an invisible control character (U+001B); type it as plain text."),
])
def test_a_typed_lead_that_cannot_be_stored_is_refused_naming_the_field_and_the_limit(fields, sentence):
    with pytest.raises(LeadFormatError) as refused:
        typed_lead(*fields, None, None)
    assert str(refused.value) == sentence


def test_an_overlong_source_is_refused_with_its_limit():
    with pytest.raises(LeadFormatError) as refused:
        typed_lead("Bob", "", "", "", "s" * 81, None)
    assert str(refused.value) == "The source 'sssssssssssssssssssssssssssss…' is 81 characters; at most 80 fit."
