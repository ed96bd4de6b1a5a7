"""Malformed requests to the intake API are a 4xx with the documented body and store nothing:
huge numbers (Python reads no integer of more than 4,300 digits: json.loads raises ValueError,
which once escaped as a 500), headers that are not ASCII (an X-Signature of non-ASCII text made
hmac.compare_digest raise TypeError; a Basic credential of non-ASCII text made base64 raise
ValueError), a Content-Length of Unicode digits, the wrong JSON type, a truncated body.
"""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.intake_api import intake_router
from chatbot.intake import apikeys
from tests.intake.conftest import counts

pytestmark = pytest.mark.parametrize("core", ["sqlite"], indirect=True)

TOO_LONG = {"error": "not valid JSON: a number is too long to read", "where": "body"}
BAD_SIGNATURE = {"error": "this key needs 'X-Signature: sha256=<hex HMAC-SHA256 of the raw body>', and the one "
                          "sent is missing or does not match", "where": "X-Signature"}
NO_KEY = {"error": "missing, unknown or revoked API key: send 'Authorization: Bearer <key>' or 'X-Api-Key: <key>'",
          "where": "Authorization"}
LEAD = {"source": "Cars.com", "external_id": "CARS-1", "customer": {"name": "Ann Lee", "phones": [{"number":
                                                                                                     "(312) 555-0147"}]}}


def with_number(document: dict, key: str, digits: int) -> bytes:
    """`document` as JSON with `key` set to an integer of `digits` digits (json.dumps cannot write one)."""
    return json.dumps({**document, key: 0}).replace(f'"{key}": 0', f'"{key}": {"9" * digits}').encode()


@pytest.mark.parametrize("path", ["/intake/leads", "/intake/touches"])
@pytest.mark.parametrize("digits", [4301, 5000, 100_000])
def test_an_integer_of_more_than_4300_digits_is_a_400_and_stores_nothing(api, auth, core, path, digits, caplog):
    before = counts(core)
    answer = api.post(path, content=with_number(LEAD, "external_id", digits),
                      headers={**auth, "Content-Type": "application/json"})
    assert (answer.status_code, answer.json()) == (400, TOO_LONG)
    assert counts(core) == before
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_an_integer_of_4300_digits_is_read_and_refused_as_a_field_error(api, auth, core):
    answer = api.post("/intake/leads", content=with_number(LEAD, "external_id", 4300),
                      headers={**auth, "Content-Type": "application/json"})
    assert (answer.status_code, answer.json()["where"]) == (422, "external_id")


@pytest.mark.parametrize(("body", "status", "error"), [
    (b"[1, 2]", 422, "the body is a JSON array, not a lead (a JSON object)"),
    (b'"a lead"', 422, "the body is a JSON string, not a lead (a JSON object)"),
    (b"null", 422, "the body is null, not a lead (a JSON object)"),
    (b"7", 422, "the body is a number, not a lead (a JSON object)"),
    (b'{"source": "Cars.com", ', 400, "not valid JSON: Expecting property name enclosed in double quotes"),
    (b"", 400, "not valid JSON: Expecting value"),
])
def test_json_that_is_not_an_object_or_is_cut_short_is_a_4xx_and_stores_nothing(api, auth, core, body, status, error):
    before = counts(core)
    answer = api.post("/intake/leads", content=body, headers={**auth, "Content-Type": "application/json"})
    assert (answer.status_code, answer.json()["error"]) == (status, error)
    assert counts(core) == before


@pytest.fixture
def signed(core, team) -> apikeys.NewKey:
    return apikeys.create_key(core, team.id, "crm", signed=True)


@pytest.mark.parametrize("signature", ["sha256=\u00e9", "sha256=ab\u00ff\u00fe", "\u00e9=abc", "sha256=" + "a" * 8000])
def test_an_x_signature_that_is_not_ascii_or_is_overlong_is_a_401_and_stores_nothing(api, core, signed, signature):
    before = counts(core)
    answer = api.post("/intake/leads", content=json.dumps(LEAD).encode(),
                      headers={"Authorization": f"Bearer {signed.key}", "Content-Type": "application/json",
                               "X-Signature": signature.encode("latin-1")})
    assert (answer.status_code, answer.json()) == (401, BAD_SIGNATURE)
    assert counts(core) == before


@pytest.mark.parametrize("authorization", ["Basic \u00e9\u00e9\u00e9\u00e9", "Basic 6Q==", "Bearer \u00e9",
                                           "Basic " + "QUJD" * 5000, "\u00e9 abc"])
def test_a_credential_that_is_not_ascii_base64_or_utf8_is_a_401(api, core, authorization):
    answer = api.post("/intake/leads", content=json.dumps(LEAD).encode(),
                      headers={"Authorization": authorization.encode("latin-1"), "Content-Type": "application/json"})
    assert (answer.status_code, answer.json()) == (401, NO_KEY)


def test_a_content_length_of_unicode_digits_is_read_as_no_length(core, team, auth):
    """'²' is a digit to str.isdigit() and not to int(): the declared length is ignored, the body read with its cap."""
    app = FastAPI()
    app.include_router(intake_router(core))
    body = json.dumps(LEAD).encode()
    headers = [(b"authorization", auth["Authorization"].encode()), (b"content-type", b"application/json"),
               (b"content-length", "\u00b2".encode("latin-1"))]
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/intake/leads", "raw_path": b"/intake/leads", "query_string": b"", "root_path": "",
             "headers": headers, "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 201


@pytest.mark.parametrize("year", ["\u00b2\u00b2\u00b2\u00b2", "9" * 5000, "\u0662\u0660\u0662\u0662"])
def test_a_vehicle_year_that_is_not_four_ascii_digits_is_left_out_of_an_adf_or_email_lead(api, auth, core, year):
    """'²²²²' passes str.isdigit() and fails int(): the lead is stored without a year, never a 500."""
    adf = (f"<adf><prospect><id source='Cars.com'>ADF-{len(year)}</id><vehicle><year>{year}</year><make>Toyota</make>"
           "</vehicle><customer><contact><name part='full'>Ann Lee</name><phone>(312) 555-0147</phone></contact>"
           "</customer></prospect></adf>").encode()
    email = (f"From: Leads <leads@cars.example.com>\r\nMessage-ID: <{len(year)}@cars.example.com>\r\n"
             f"Subject: Lead\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nName: Ann Lee\r\n"
             f"Phone: (312) 555-0147\r\nYear: {year}\r\nMake: Toyota\r\n").encode()
    by_adf = api.post("/intake/leads/adf", content=adf, headers={**auth, "Content-Type": "application/xml"})
    by_email = api.post("/intake/email", content=email, headers={**auth, "Content-Type": "message/rfc822"})
    assert (by_adf.status_code, by_email.status_code) == (201, 201)


# ---------------------------------------------------------------- properties

latin1 = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"),
                 max_size=300)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(path=st.sampled_from(["/intake/leads", "/intake/touches"]), digits=st.integers(4301, 60_000),
       where=st.sampled_from(["external_id", "source", "year", "comments", "extra"]))
def test_property_a_huge_integer_anywhere_in_the_body_is_a_400_never_a_500(api, auth, core, path, digits, where):
    before = counts(core)
    answer = api.post(path, content=with_number(LEAD, where, digits),
                      headers={**auth, "Content-Type": "application/json"})
    assert (answer.status_code, answer.json()) == (400, TOO_LONG)
    assert counts(core) == before


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(header=st.sampled_from(["X-Signature", "Authorization", "X-Api-Key", "Content-Type"]), value=latin1)
def test_property_any_latin1_text_in_a_checked_header_is_a_4xx_never_a_500(api, core, signed, header, value):
    """The signed key's requests with one header replaced by anything a client can send."""
    before = counts(core)
    headers = {"Authorization": f"Bearer {signed.key}", "Content-Type": "application/json",
               "X-Signature": apikeys.sign(signed.hmac_secret, json.dumps(LEAD).encode())}
    headers.pop("Authorization" if header == "X-Api-Key" else header)
    headers[header] = value.strip()
    answer = api.post("/intake/leads", content=json.dumps(LEAD).encode(),
                      headers={k: v.encode("latin-1") for k, v in headers.items()})
    assert 400 <= answer.status_code < 500 or answer.status_code in (200, 201), (answer.status_code, answer.text)
    assert set(answer.json()) == ({"error", "where"} if answer.status_code >= 400 else
                                  {"lead_id", "duplicate", "warnings", "leads"})
    if answer.status_code >= 400:
        assert counts(core) == before
