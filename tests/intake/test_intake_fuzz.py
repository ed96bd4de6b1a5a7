"""Property: whatever is posted, the intake API never answers 5xx, and a refusal stores nothing."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatbot import apikeys
from tests.intake.conftest import counts

PATHS = ["/intake/leads", "/intake/leads/adf", "/intake/email", "/intake/touches"]
TYPES = ["application/json", "application/xml", "text/xml", "message/rfc822", "text/plain", None,
         "application/x-www-form-urlencoded"]

text = st.text(max_size=40)
phone = st.fixed_dictionaries({"number": st.text(min_size=0, max_size=20)},
                              optional={"type": st.sampled_from(["cell", "voice", "fax", "bogus"])})
json_lead = st.fixed_dictionaries(
    {"source": text, "customer": st.fixed_dictionaries({"name": text}, optional={
        "email": text, "phones": st.lists(phone, max_size=3)})},
    optional={"external_id": st.one_of(st.none(), text), "comments": text,
              "submitted_at": st.one_of(st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()), text),
              "vehicles": st.lists(st.fixed_dictionaries({}, optional={"year": st.integers(), "make": text}),
                                   max_size=2),
              "unexpected": text},
)
touch = st.fixed_dictionaries(
    {"source": text, "external_id": text, "kind": st.sampled_from(["call", "note", "fax"]), "rep": text,
     "at": st.one_of(st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()), text)},
    optional={"touch_id": st.one_of(st.none(), text), "outcome": text},
)
adf = st.builds(
    lambda name, phone, date, extra: (f"<adf><prospect><requestdate>{date}</requestdate><customer><contact>"
                                      f"<name part='full'>{name}</name><phone>{phone}</phone></contact></customer>"
                                      f"</prospect>{extra}</adf>").encode(),
    st.text(alphabet=st.characters(blacklist_characters="<&"), max_size=20), st.text(max_size=15), text,
    st.sampled_from(["", "<", "</prospect>", "&x;", "<![CDATA[", "<?adf?>"]),
)
bodies = st.one_of(json_lead.map(lambda d: json.dumps(d).encode()), touch.map(lambda d: json.dumps(d).encode()),
                   adf, st.binary(max_size=300))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                     HealthCheck.too_slow])
@given(path=st.sampled_from(PATHS), content_type=st.sampled_from(TYPES), body=bodies,
       credentials=st.sampled_from(["good", "none", "bad"]))
def test_no_request_gets_a_5xx_and_a_refused_one_writes_no_rows(api, core, team, path, content_type, body,
                                                                 credentials):
    key = apikeys.create_key(core, team.id, "fuzz") if credentials != "none" else None
    headers = {}
    if key:
        headers["Authorization"] = f"Bearer {key.key}" + ("x" if credentials == "bad" else "")
    if content_type:
        headers["Content-Type"] = content_type
    before = counts(core)
    response = api.post(path, content=body, headers=headers)
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert counts(core) == before
        assert set(response.json()) == {"error", "where"}
