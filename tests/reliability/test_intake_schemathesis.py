"""Schemathesis against the app's own /openapi.json: every intake route, cases generated from the
documented schemas (valid and invalid), each sent with a valid key, no key, a wrong key and a
revoked key. 0 answers 5xx; a refused request (4xx) writes no row; without a good key, 401 (issue 13).

The hypothesis fuzz of the same routes is tests/intake/test_intake_fuzz.py (mostly well-aimed
bodies with hostile values); this one is driven by the published description instead.
CI: a few derandomized examples per route; RELIABILITY_LONG=1: many more.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chatbot.intake import apikeys
from entrypoints.web import create_web_app
from tests.reliability.conftest import every_row, figure, rows_changed, short_or_long

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.parametrize("core", ["sqlite"], indirect=True)]

EXAMPLES = short_or_long(8, 300)
KEY_HEADERS = ("authorization", "x-api-key")


def test_schemathesis_on_every_intake_route_finds_no_5xx_and_no_write_by_a_refusal(core, team):
    web = create_web_app(core)
    schema = schemathesis.openapi.from_asgi("/openapi.json", web).include(path_regex="^/intake/")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert sorted(op.path for op in operations) == ["/intake/email", "/intake/leads", "/intake/leads/adf",
                                                    "/intake/touches"]
    good = apikeys.create_key(core, team.id, "schemathesis")
    revoked = apikeys.create_key(core, team.id, "revoked")
    apikeys.revoke_key(core, revoked.prefix)
    keys = {"valid key": {"Authorization": f"Bearer {good.key}"}, "no key": {},
            "wrong key": {"X-Api-Key": good.key[:-1] + ("0" if good.key[-1] != "0" else "1")},
            "revoked key": {"Authorization": f"Bearer {revoked.key}"}}
    tally: dict[str, dict[int, int]] = {how: {} for how in keys}
    sent = [0]

    for operation in operations:
        @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=st.one_of(operation.as_strategy(),
                              operation.as_strategy(generation_mode=schemathesis.GenerationMode.NEGATIVE)))
        def run(case):
            base = {k: v for k, v in (case.headers or {}).items() if k.lower() not in KEY_HEADERS}
            for how, credentials in keys.items():
                case.headers = {**base, **credentials}
                before = every_row(core)
                response = case.call()
                sent[0] += 1
                tally[how][response.status_code] = tally[how].get(response.status_code, 0) + 1
                assert response.status_code < 500, (operation.path, how, response.status_code, response.text[:300])
                if response.status_code >= 400:
                    assert rows_changed(before, every_row(core)) == {}, (operation.path, how, response.status_code)
                if how != "valid key":
                    assert response.status_code == 401, (operation.path, how, response.status_code)

        run()

    fivexx = sum(n for answers in tally.values() for status, n in answers.items() if status >= 500)
    figure(f"schemathesis /openapi.json, 4 intake routes, {EXAMPLES} examples per route x 4 keys: "
           f"{sent[0]} requests, 5xx {fivexx}, rows written by a refusal 0; answers "
           + "; ".join(f"{how} {dict(sorted(a.items()))}" for how, a in tally.items()))
