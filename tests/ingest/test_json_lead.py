"""parse_json: the IncomingLead model as a JSON body, and errors that name the field."""

import json
from datetime import datetime, timedelta, timezone

import pytest

from chatbot.intake.errors import LeadFormatError
from chatbot.intake.json_lead import parse_json

VALID = {
    "source": "website",
    "external_id": "form-8812",
    "submitted_at": "2026-11-24T09:30:00-05:00",
    "customer": {"name": "Ann Lee", "email": "ann@example.com", "phones": [{"number": "555-201-0147", "type": "cell"}]},
    "vehicles": [{"interest": "test-drive", "status": "new", "year": 2024, "make": "Honda", "model": "CR-V"}],
    "comments": "Saturday morning?",
}


def refusal(body) -> LeadFormatError:
    with pytest.raises(LeadFormatError) as caught:
        parse_json(body if isinstance(body, (bytes, str)) else json.dumps(body))
    return caught.value


def test_documented_body_becomes_the_lead():
    lead = parse_json(json.dumps(VALID).encode())

    assert (lead.source, lead.external_id) == ("website", "form-8812")
    assert lead.submitted_at == datetime(2026, 11, 24, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert lead.customer.phones[0].type == "cell"
    assert lead.vehicle_of_interest().describe() == "2024 Honda CR-V (new)"


def test_bad_nested_field_is_named_by_its_dotted_path():
    body = json.loads(json.dumps(VALID))
    body["customer"]["phones"][0]["number"] = "1"

    error = refusal(body)

    assert error.where == "customer.phones.0.number"
    assert error.message == "String should have at least 3 characters"


def test_missing_required_field_is_named():
    body = {key: value for key, value in VALID.items() if key != "customer"}

    assert (refusal(body).where, refusal(body).message) == ("customer", "Field required")


def test_unknown_field_is_refused_by_name():
    assert refusal({**VALID, "colour": "red"}).where == "colour"


def test_date_without_time_zone_gets_the_models_plain_message():
    error = refusal({**VALID, "submitted_at": "2026-11-24T09:30:00"})

    assert error.where == "submitted_at"
    assert error.message.startswith("submitted_at needs a time zone")


def test_several_problems_report_the_first_and_count_the_rest():
    error = refusal({**VALID, "source": "", "vehicles": [{"year": 1800}]})

    assert error.where == "source"
    assert error.message.endswith("(and 1 more problem)")


def test_body_that_is_not_json_gives_line_and_column():
    error = refusal('{\n  "source": "website",\n  oops\n}')

    assert error.message.startswith("not valid JSON")
    assert error.where == "line 3, column 3"


def test_json_that_is_not_an_object_is_refused_saying_what_it_is():
    error = refusal("[1, 2]")
    assert (error.message, error.where) == ("the body is a JSON array, not a lead (a JSON object)", "body")


def test_bytes_that_are_not_utf8_are_refused():
    assert "not UTF-8" in refusal(b'{"source": "\xff"}').message


def test_deeply_nested_json_is_refused_not_crashing():
    assert refusal("[" * 100_000 + "]" * 100_000).message == "not valid JSON: nested too deeply"


def test_oversize_body_is_refused():
    assert "too large" in refusal(b" " * 1_000_001).message
