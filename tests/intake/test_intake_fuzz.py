"""Property: whatever is posted, the intake API never answers 5xx, and a refusal stores nothing.

Requests are mostly well-aimed (a valid key, the endpoint's own content type, a body shaped
like what it reads, with hostile values inside) so the parsers and the store are exercised,
not only the front door; the rest are random bytes, wrong types and bad keys.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from chatbot.intake import apikeys
from tests.intake.conftest import counts

PATHS = ["/intake/leads", "/intake/leads/adf", "/intake/email", "/intake/touches"]
TYPES = ["application/json", "application/xml", "text/xml", "message/rfc822", "text/plain", None,
         "application/x-www-form-urlencoded", "multipart/form-data"]
RIGHT_TYPES = {"/intake/leads": ["application/json"], "/intake/leads/adf": ["application/xml", "text/xml"],
               "/intake/email": ["message/rfc822"], "/intake/touches": ["application/json"]}

text = st.text(max_size=30)
name = st.one_of(st.sampled_from(["Ann Lee", "Zoé Côté", ""]), text)
phone_number = st.one_of(st.sampled_from(["(312) 555-0147", "+44 20 7946 0958", "1", "555"]), st.text(max_size=20))
moment = st.one_of(st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
                   st.sampled_from(["2026-11-24T10:00:00-06:00", "2026-11-24T09:00:00-06:00", "2026-11-24T09:00:00", "yesterday"]), text)
phone = st.fixed_dictionaries({"number": phone_number},
                              optional={"type": st.sampled_from(["cell", "voice", "fax", "bogus"])})
json_lead = st.fixed_dictionaries(
    {"source": st.one_of(st.just("Cars.com"), text), "customer": st.fixed_dictionaries({"name": name}, optional={
        "email": st.one_of(st.just("ann@example.com"), text), "phones": st.lists(phone, max_size=3)})},
    optional={"external_id": st.one_of(st.none(), text), "comments": text, "submitted_at": moment,
              "vehicles": st.lists(st.fixed_dictionaries({}, optional={"year": st.integers(), "make": text}),
                                   max_size=2),
              "unexpected": text},
).map(lambda d: json.dumps(d).encode())
touch = st.fixed_dictionaries(
    {"source": st.sampled_from(["Cars.com", "nope"]), "external_id": st.sampled_from(["KNOWN", "other"]),
     "kind": st.sampled_from(["call", "note", "fax"]), "rep": st.sampled_from(["sam", "nobody@example.com", ""]),
     "at": moment},
    optional={"touch_id": st.one_of(st.none(), text), "outcome": text},
).map(lambda d: json.dumps(d).encode())
adf = st.builds(
    lambda who, number, date, extra: (f"<adf><prospect><requestdate>{date}</requestdate><customer><contact>"
                                      f"<name part='full'>{who}</name><phone>{number}</phone></contact></customer>"
                                      f"</prospect>{extra}</adf>").encode("utf-8", "replace"),  # text may hold lone surrogates
    st.text(alphabet=st.characters(blacklist_characters="<&"), max_size=20), st.text(max_size=15), text,
    st.sampled_from(["", "<", "</prospect>", "&x;", "<![CDATA[", "<?adf?>"]),
)
email = st.builds(
    lambda who, number, date: (f"From: Leads <leads@cars.example.com>\r\nDate: {date}\r\nSubject: Lead\r\n\r\n"
                               f"Name: {who}\r\nPhone: {number}\r\n").encode("utf-8", "replace"),
    name, phone_number, st.one_of(st.just("Tue, 24 Nov 2026 09:30:00 -0600"), text),
)
AIMED = {"/intake/leads": json_lead, "/intake/leads/adf": adf, "/intake/email": email, "/intake/touches": touch}


@st.composite
def requests(draw):
    path = draw(st.sampled_from(PATHS))
    content_type = draw(st.sampled_from(RIGHT_TYPES[path]) if draw(st.integers(0, 9)) < 8
                        else st.sampled_from(TYPES))
    body = draw(AIMED[path] if draw(st.integers(0, 9)) < 8 else st.binary(max_size=300))
    credentials = draw(st.sampled_from(["good"] * 8 + ["none", "bad"]))
    return path, content_type, body, credentials


@pytest.fixture
def fuzz_key(core, team, api):
    made = apikeys.create_key(core, team.id, "fuzz")
    known = dict(json.loads(json.dumps({"source": "Cars.com", "external_id": "KNOWN",
                                         "customer": {"name": "Known Lead"}})))
    assert api.post("/intake/leads", json=known, headers={"Authorization": f"Bearer {made.key}"}).status_code == 201
    return made


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                     HealthCheck.too_slow])
@given(request=requests())
def test_no_request_gets_a_5xx_and_a_refused_one_writes_no_rows(api, core, fuzz_key, request):
    path, content_type, body, credentials = request
    headers = {}
    if credentials != "none":
        headers["Authorization"] = f"Bearer {fuzz_key.key}" + ("x" if credentials == "bad" else "")
    if content_type:
        headers["Content-Type"] = content_type
    before = counts(core)
    response = api.post(path, content=body, headers=headers)
    event(f"{path} -> {response.status_code}")
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert counts(core) == before
        assert set(response.json()) == {"error", "where"}
