"""API keys (create once, only a hash kept, revoke) and `chatbot lead check`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from chatbot.intake import apikeys
from chatbot.store.db import transaction
from chatbot.store.models import ApiKey
from entrypoints.cli import app
from tests.conftest import SECRET_KEYS

ADF = Path(__file__).parents[1] / "fixtures" / "adf"
runner = CliRunner()


class TestApiKeys:
    def test_a_new_key_authenticates_its_team_and_only_its_hash_is_stored(self, core, team):
        made = apikeys.create_key(core, team.id, "cars.com")
        caller = apikeys.authenticate(core, made.key)
        assert caller.team_id == team.id and caller.prefix == made.prefix
        secret = made.key.split(".", 1)[1]
        with transaction(core.engine) as session:
            row = session.exec(select(ApiKey)).scalars().one()
            assert secret not in repr(row.model_dump())

    def test_a_wrong_secret_an_unknown_prefix_and_garbage_are_refused(self, core, team):
        made = apikeys.create_key(core, team.id, "cars.com")
        assert apikeys.authenticate(core, made.key + "x") is None
        assert apikeys.authenticate(core, "lf_00000000." + made.key.split(".")[1]) is None
        assert apikeys.authenticate(core, "not a key") is None
        assert apikeys.authenticate(core, None) is None

    def test_a_revoked_key_stops_working(self, core, team):
        made = apikeys.create_key(core, team.id, "cars.com")
        apikeys.revoke_key(core, made.prefix)
        assert apikeys.authenticate(core, made.key) is None

    def test_a_signed_key_needs_the_hmac_of_the_exact_body(self, core, team):
        made = apikeys.create_key(core, team.id, "crm", signed=True)
        caller = apikeys.authenticate(core, made.key)
        body = b'{"a": 1}'
        assert apikeys.signature_ok(caller, body, apikeys.sign(made.hmac_secret, body))
        assert not apikeys.signature_ok(caller, body + b" ", apikeys.sign(made.hmac_secret, body))
        assert not apikeys.signature_ok(caller, body, None)


def test_keys_create_prints_the_key_once_and_list_shows_only_the_prefix(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEYS", SECRET_KEYS)  # a signed key's secret is kept encrypted with it
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    made = runner.invoke(app, ["team", "create", "--name", "Demo Motors", "--timezone", "America/Chicago",
                               "--database-url", url])
    assert made.exit_code == 0, made.output
    created = runner.invoke(app, ["keys", "create", "--team", "demo motors", "--name", "cars.com", "--hmac",
                                  "--database-url", url])
    assert created.exit_code == 0, created.output
    key = next(line.strip() for line in created.output.splitlines() if line.strip().startswith("lf_"))
    prefix, secret = key.split(".", 1)
    listed = runner.invoke(app, ["keys", "list", "--database-url", url])
    assert prefix in listed.output and secret not in listed.output and "signed" in listed.output
    revoked = runner.invoke(app, ["keys", "revoke", prefix, "--database-url", url])
    assert revoked.exit_code == 0 and "Revoked" in revoked.output
    assert "revoked" in runner.invoke(app, ["keys", "list", "--database-url", url]).output


def test_keys_rate_sets_a_keys_own_rate_and_refuses_what_is_not_one(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner.invoke(app, ["team", "create", "--name", "Demo Motors", "--database-url", url])
    created = runner.invoke(app, ["keys", "create", "--name", "website", "--database-url", url])
    prefix = next(line.strip() for line in created.output.splitlines() if line.strip().startswith("lf_"))[:11]
    assert "600/min (default)" in runner.invoke(app, ["keys", "list", "--database-url", url]).output

    rated = runner.invoke(app, ["keys", "rate", prefix, "1,200", "--database-url", url])
    assert (rated.exit_code, rated.output) == (0, f"{prefix} (website, Demo Motors) may make 1,200/min.\n")
    for wrong, said in (("lots", "'lots' is not a number of requests a minute (or 'default')."),
                        ("0", "A rate is 1 to 100,000 requests a minute, not 0.")):
        refused = runner.invoke(app, ["keys", "rate", prefix, wrong, "--database-url", url])
        assert refused.exit_code == 1 and said in refused.output
    assert "1,200/min" in runner.invoke(app, ["keys", "list", "--database-url", url]).output
    back = runner.invoke(app, ["keys", "rate", prefix, "default", "--database-url", url])
    assert back.output == f"{prefix} (website, Demo Motors) may make 600/min (default).\n"


SAMPLE_WARNINGS = {  # what each real sample makes intake guess or drop, read by hand
    "activix_crm_docs_adf_example.xml": [],
    "adf_spec_example_quirky_pi.xml": [],
    "fetchauto_adf-leads_example.xml": [],
    "sendadf_readme_minified.xml": [],
    "sendadf_readme_no_vendor.xml": [],
    "wikipedia_adf_example.xml": ["e-mail given: emailaddress, not an address"],  # the article's placeholder
}


@pytest.mark.parametrize("fixture", sorted(p.name for p in ADF.glob("*.xml")))
def test_lead_check_prints_the_stored_fields_of_every_adf_sample(fixture, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = runner.invoke(app, ["lead", "check", str(ADF / fixture), "--tz", "America/Chicago"])
    assert result.exit_code == 0, result.output
    leads = json.loads(result.output)
    assert leads and set(leads[0]) == {"source", "external_id", "submitted_at", "customer_name", "phone", "email",
                                       "vehicle", "comments", "details", "warnings"}
    assert leads[0]["warnings"] == SAMPLE_WARNINGS[fixture]
    assert not list(tmp_path.iterdir()), "lead check must not create a database"


def test_lead_check_normalises_the_phone_with_the_region_and_reads_local_dates_in_the_zone(tmp_path):
    adf = tmp_path / "lead.xml"
    adf.write_text("""<?xml version="1.0"?><adf><prospect><id source="Cars.com">C-9</id>
        <requestdate>2026-11-20T09:30:00</requestdate>
        <customer><contact><name part="full">Ann Lee</name><phone>(312) 555-0147</phone></contact></customer>
        </prospect></adf>""")
    result = runner.invoke(app, ["lead", "check", str(adf), "--tz", "America/New_York"])
    lead = json.loads(result.output)[0]
    assert lead["phone"] == "+13125550147"
    assert lead["submitted_at"] == "2026-11-20T14:30:00+00:00"
    assert lead["external_id"] == "C-9"


def test_lead_check_says_what_is_wrong_and_where(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<adf><prospect>")
    result = runner.invoke(app, ["lead", "check", str(bad)])
    assert result.exit_code == 1
    assert json.loads(result.output)["where"].startswith("line ")


def test_lead_check_reads_the_bots_json_too(tmp_path):
    lead = tmp_path / "lead.json"
    lead.write_text(json.dumps({"source": "website", "external_id": "W-1", "submitted_at": "2026-11-20T09:30:00-06:00",
                                "customer": {"name": "Ann Lee", "email": " Ann@Example.COM ",
                                             "phones": [{"number": "020 7946 0958", "type": "voice"}]}}))
    result = runner.invoke(app, ["lead", "check", str(lead), "--region", "GB"])
    [stored] = json.loads(result.output)
    assert (stored["email"], stored["phone"], stored["submitted_at"]) == (
        "ann@example.com", "+442079460958", "2026-11-20T15:30:00+00:00")
