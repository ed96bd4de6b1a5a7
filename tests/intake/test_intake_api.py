"""POST /intake/*: every format in, one lead out, and every refusal stores nothing."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from email.message import EmailMessage

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlmodel import select

from adapters.intake_api import intake_router
from chatbot.intake import apikeys
from chatbot.intake.rate_limits import KeyBuckets
from chatbot.store.db import transaction
from chatbot.store.models import Lead
from chatbot.team import roster
from tests.intake.conftest import ADF_DIR, counts

LEAD = {
    "source": "Cars.com", "external_id": "CARS-1", "submitted_at": "2026-11-24T09:58:00-06:00",
    "customer": {"name": "Maria Gonzalez", "email": "maria@example.com",
                 "phones": [{"number": "(312) 555-0147", "type": "cell"}]},
    "vehicles": [{"year": 2022, "make": "Toyota", "model": "RAV4", "status": "used"}],
}
EXPECTED_ADF = {  # fixture -> (source, external id, customer) as the ADF tests establish them
    "activix_crm_docs_adf_example.xml": ("Activix", "12345", "Test Activix 2"),
    "fetchauto_adf-leads_example.xml": ("fetch-auto", "1", "Test user"),
    "sendadf_readme_minified.xml": ("adf", None, "John Doe"),
    "sendadf_readme_no_vendor.xml": (None, None, "John Doe"),
    "wikipedia_adf_example.xml": (None, None, "First Last"),
    "adf_spec_example_quirky_pi.xml": (None, None, "John Doe"),
}


def stored_leads(core) -> list[Lead]:
    with transaction(core.engine) as session:
        return list(session.exec(select(Lead).order_by(Lead.id)))


class TestJsonLeads:
    def test_a_json_lead_is_stored_and_answered_201_with_its_id(self, api, auth, core):
        response = api.post("/intake/leads", json=LEAD, headers=auth)
        assert response.status_code == 201, response.text
        [lead] = stored_leads(core)
        assert response.json() == {"lead_id": lead.id, "duplicate": False, "warnings": [],
                                   "leads": [{"lead_id": lead.id, "duplicate": False, "warnings": []}]}
        assert (lead.customer_name, lead.phone, lead.email) == ("Maria Gonzalez", "+13125550147", "maria@example.com")

    def test_the_same_delivery_twice_is_one_lead_answered_200_duplicate(self, api, auth, core):
        first = api.post("/intake/leads", json=LEAD, headers=auth).json()
        again = api.post("/intake/leads", json=LEAD, headers=auth)
        assert again.status_code == 200
        assert again.json()["lead_id"] == first["lead_id"] and again.json()["duplicate"] is True
        assert counts(core)[0] == 1

    def test_the_x_api_key_header_works_as_well_as_bearer(self, api, key, core):
        response = api.post("/intake/leads", json=LEAD, headers={"X-Api-Key": key.key})
        assert response.status_code == 201

    def test_a_field_error_is_422_naming_the_field_path(self, api, auth, core):
        bad = {**LEAD, "customer": {**LEAD["customer"], "phones": [{"number": "1"}]}}
        response = api.post("/intake/leads", json=bad, headers=auth)
        assert response.status_code == 422
        assert response.json()["where"] == "customer.phones.0.number"
        assert counts(core) == (0, 0, 0)

    def test_bad_json_is_400_with_line_and_column(self, api, auth, core):
        response = api.post("/intake/leads", content=b'{"source": \n  nope}', headers={**auth, "Content-Type":
                                                                                      "application/json"})
        assert response.status_code == 400
        assert response.json()["where"] == "line 2, column 3"
        assert counts(core) == (0, 0, 0)


class TestAdfLeads:
    @pytest.mark.parametrize("fixture", sorted(EXPECTED_ADF))
    def test_every_adf_sample_posted_over_http_gives_the_right_lead(self, fixture, api, auth, core, team):
        data = (ADF_DIR / fixture).read_bytes()
        response = api.post("/intake/leads/adf", content=data, headers={**auth, "Content-Type": "application/xml"})
        assert response.status_code == 201, response.text
        [lead] = stored_leads(core)
        source, external_id, name = EXPECTED_ADF[fixture]
        assert lead.customer_name == name and lead.id == response.json()["lead_id"]
        if source:
            assert lead.source == source
        if external_id:
            assert lead.external_id == external_id
        again = api.post("/intake/leads/adf", content=data, headers={**auth, "Content-Type": "text/xml"})
        assert again.status_code == 200 and again.json()["duplicate"] is True
        assert len(stored_leads(core)) == 1

    def test_a_request_date_without_offset_is_read_in_the_teams_zone(self, api, auth, core, clock):
        adf = ("<adf><prospect><id source='Cars.com'>Z-1</id><requestdate>2026-11-24 09:30:00</requestdate>"
               "<customer><contact><name part='full'>Ann Lee</name><phone>312-555-0147</phone></contact>"
               "</customer></prospect></adf>")
        api.post("/intake/leads/adf", content=adf, headers={**auth, "Content-Type": "text/xml"})
        [lead] = stored_leads(core)
        assert lead.submitted_at == clock.now() - timedelta(minutes=30)  # 09:30 Chicago, clock at 10:00

    def test_an_adf_with_two_prospects_gives_two_leads_and_a_retry_gives_none(self, api, auth, core):
        prospect = ("<prospect><id source='Cars.com'>{id}</id><customer><contact><name part='full'>{name}</name>"
                    "<phone>312-555-01{n}</phone></contact></customer></prospect>")
        adf = ("<adf>" + prospect.format(id="P-1", name="Ann Lee", n="11")
               + prospect.format(id="P-2", name="Bo Park", n="12") + "</adf>")
        first = api.post("/intake/leads/adf", content=adf, headers={**auth, "Content-Type": "text/xml"})
        assert first.status_code == 201
        assert [r["duplicate"] for r in first.json()["leads"]] == [False, False]
        assert [lead.customer_name for lead in stored_leads(core)] == ["Ann Lee", "Bo Park"]
        again = api.post("/intake/leads/adf", content=adf, headers={**auth, "Content-Type": "text/xml"})
        assert again.status_code == 200 and len(stored_leads(core)) == 2

    def test_bad_xml_is_400_with_line_and_column(self, api, auth, core):
        response = api.post("/intake/leads/adf", content=b"<adf>\n<prospect>\n</adf>",
                            headers={**auth, "Content-Type": "application/xml"})
        assert response.status_code == 400
        assert response.json()["where"].startswith("line 3, column")
        assert counts(core) == (0, 0, 0)

    def test_an_entity_bomb_is_refused_and_nothing_stored(self, api, auth, core):
        bomb = ('<?xml version="1.0"?><!DOCTYPE adf [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
                '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><adf><prospect><customer><contact>'
                '<name part="full">&c;</name></contact></customer></prospect></adf>')
        response = api.post("/intake/leads/adf", content=bomb, headers={**auth, "Content-Type": "application/xml"})
        assert response.status_code == 400 and "entities" in response.json()["error"]
        assert counts(core) == (0, 0, 0)

    def test_xml_that_is_not_adf_is_422(self, api, auth, core):
        response = api.post("/intake/leads/adf", content=b"<lead/>", headers={**auth, "Content-Type": "text/xml"})
        assert response.status_code == 422 and response.json()["where"] == "root element"


class TestEmail:
    def email(self) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = "Cars.com Leads <leads@mail.cars.com>"
        msg["Subject"] = "New lead"
        msg["Date"] = "Tue, 24 Nov 2026 09:30:00 -0600"
        msg["Message-ID"] = "<lead-42@mail.cars.com>"
        msg.set_content("Name: Ann Lee\nPhone: (312) 555-0147\nE-mail: ann@example.com\nVehicle: 2024 Honda CR-V\n")
        return msg

    def test_a_raw_mime_email_is_a_lead(self, api, auth, core):
        response = api.post("/intake/email", content=self.email().as_bytes(),
                            headers={**auth, "Content-Type": "message/rfc822"})
        assert response.status_code == 201, response.text
        [lead] = stored_leads(core)
        assert (lead.customer_name, lead.phone) == ("Ann Lee", "+13125550147")

    def test_a_sendgrid_form_with_an_adf_attachment_is_a_lead(self, api, auth, core):
        adf = (ADF_DIR / "activix_crm_docs_adf_example.xml").read_bytes()
        response = api.post("/intake/email", headers=auth,
                            data={"from": "Leads <leads@activix.example>", "text": "Lead attached", "subject": "Lead"},
                            files={"attachment1": ("lead.xml", adf, "application/xml")})
        assert response.status_code == 201, response.text
        assert stored_leads(core)[0].customer_name == "Test Activix 2"

    def test_a_mailgun_urlencoded_form_is_a_lead(self, api, auth, core):
        response = api.post("/intake/email", headers=auth, data={
            "sender": "leads@mail.cars.com", "Message-Id": "<mg-1@mail.cars.com>",
            "body-plain": "Name: Bo Park\nPhone: 312 555 0100\n"})
        assert response.status_code == 201, response.text
        assert stored_leads(core)[0].customer_name == "Bo Park"

    def test_an_inbound_parse_service_can_send_the_key_as_basic_auth_from_the_url(self, api, key, core):
        response = api.post("/intake/email", auth=("sendgrid", key.key), data={
            "from": "leads@mail.cars.com", "text": "Name: Bo Park\nPhone: 312 555 0100\n"})
        assert response.status_code == 201, response.text

    def test_an_email_with_no_lead_in_it_is_422_and_stores_nothing(self, api, auth, core):
        msg = self.email()
        msg.set_content("Hello, just saying hi.")
        response = api.post("/intake/email", content=msg.as_bytes(), headers={**auth, "Content-Type": "message/rfc822"})
        assert response.status_code == 422
        assert counts(core) == (0, 0, 0)


class TestRefusals:
    @pytest.mark.parametrize("headers", [
        {}, {"Authorization": "Bearer lf_00000000.nope"}, {"X-Api-Key": "garbage"}, {"Authorization": "Basic abc"},
    ])
    def test_missing_or_invalid_credentials_are_401_and_store_nothing(self, api, core, headers):
        response = api.post("/intake/leads", json=LEAD, headers=headers)
        assert response.status_code == 401
        assert "API key" in response.json()["error"]
        assert counts(core) == (0, 0, 0)

    def test_a_revoked_key_is_401(self, api, core, key, auth):
        apikeys.revoke_key(core, key.prefix)
        assert api.post("/intake/leads", json=LEAD, headers=auth).status_code == 401
        assert counts(core) == (0, 0, 0)

    def test_a_signed_key_needs_a_matching_signature(self, api, core, team):
        signed = apikeys.create_key(core, team.id, "crm", signed=True)
        body = json.dumps(LEAD).encode()
        headers = {"Authorization": f"Bearer {signed.key}", "Content-Type": "application/json"}
        assert api.post("/intake/leads", content=body, headers=headers).status_code == 401
        wrong = {**headers, "X-Signature": apikeys.sign(signed.hmac_secret, body + b" ")}
        assert api.post("/intake/leads", content=body, headers=wrong).status_code == 401
        assert counts(core) == (0, 0, 0)
        good = {**headers, "X-Signature": apikeys.sign(signed.hmac_secret, body)}
        assert api.post("/intake/leads", content=body, headers=good).status_code == 201

    def test_an_oversized_body_is_413_and_stores_nothing(self, api, auth, core):
        big = {**LEAD, "comments": "x" * 250_000}
        response = api.post("/intake/leads", json=big, headers=auth)
        assert response.status_code == 413 and response.json()["where"] == "body"
        assert counts(core) == (0, 0, 0)

    def test_an_oversized_body_without_a_length_is_413_too(self, api, auth, core):
        def chunks():
            for _ in range(100):
                yield b"x" * 10_000
        response = api.post("/intake/leads/adf", content=chunks(), headers={**auth, "Content-Type": "text/xml"})
        assert response.status_code == 413
        assert counts(core) == (0, 0, 0)

    @pytest.mark.parametrize("path, content_type", [
        ("/intake/leads", "text/plain"), ("/intake/leads", "application/xml"), ("/intake/leads/adf", "application/json"),
        ("/intake/email", "application/json"), ("/intake/touches", "text/xml"), ("/intake/leads", None),
    ])
    def test_a_wrong_content_type_is_415(self, api, auth, core, path, content_type):
        headers = {**auth, **({"Content-Type": content_type} if content_type else {})}
        response = api.post(path, content=b"{}", headers=headers)
        assert response.status_code == 415 and response.json()["where"] == "Content-Type"
        assert counts(core) == (0, 0, 0)

    def test_no_phone_email_name_or_secret_reaches_the_logs(self, api, key, auth, core, caplog):
        caplog.set_level(logging.DEBUG)
        api.post("/intake/leads", json=LEAD, headers=auth)
        api.post("/intake/leads", json={**LEAD, "customer": {"name": "x", "phones": [{"number": "1"}]}}, headers=auth)
        api.post("/intake/leads", json=LEAD, headers={"Authorization": f"Bearer {key.key}x"})
        text = caplog.text
        assert "intake: lead" in text
        # the phone in every form a log could write it (a bare "555" also turns up in random key prefixes)
        for secret in ("555-0147", "5550147", "maria@", "Maria", key.key.split(".")[1]):
            assert secret not in text


class TestTouches:
    @pytest.fixture
    def lead_id(self, api, auth, core, team):
        roster.add_member(core, team.id, name="Sam", chat_user_id="sam", oncall_order=1, email="Sam@Demo.example")
        return api.post("/intake/leads", json=LEAD, headers=auth).json()["lead_id"]

    def touch(self, **changes):
        return {"source": "Cars.com", "external_id": "CARS-1", "kind": "call", "at": "2026-11-24T10:00:00-06:00",
                "rep": "sam@demo.example", "touch_id": "act-1", **changes}

    def test_a_crm_call_is_logged_as_the_first_contact_by_the_rep_it_names(self, api, auth, core, lead_id):
        response = api.post("/intake/touches", json=self.touch(), headers=auth)
        assert response.status_code == 201, response.text
        assert response.json()["first_contact"] is True and response.json()["lead_id"] == lead_id
        [lead] = stored_leads(core)
        assert lead.first_contact_at is not None and lead.owner_id is not None

    def test_a_retried_touch_is_logged_once(self, api, auth, core, lead_id):
        api.post("/intake/touches", json=self.touch(), headers=auth)
        again = api.post("/intake/touches", json=self.touch(), headers=auth)
        assert again.status_code == 200 and again.json()["duplicate"] is True
        assert counts(core)[1] == 1

    def test_a_touch_without_an_id_is_recognised_by_its_content(self, api, auth, core, lead_id):
        api.post("/intake/touches", json=self.touch(touch_id=None), headers=auth)
        same_moment = self.touch(touch_id=None, at="2026-11-24T16:00:00+00:00")
        assert api.post("/intake/touches", json=same_moment, headers=auth).json()["duplicate"] is True
        assert counts(core)[1] == 1

    @pytest.mark.parametrize("changes, status, where", [
        ({"external_id": "nope"}, 404, "source, external_id"),
        ({"rep": "nobody@example.com"}, 422, "rep"),
        ({"at": "2026-11-24T09:00:00-06:00"}, 422, "at"),
        ({"at": "2026-11-24T10:00:00"}, 422, "at"),
        ({"kind": "fax"}, 422, "kind"),
    ])
    def test_a_touch_that_cannot_be_logged_is_refused_and_stores_nothing(self, api, auth, core, lead_id,
                                                                          changes, status, where):
        before = counts(core)
        response = api.post("/intake/touches", json=self.touch(**changes), headers=auth)
        assert response.status_code == status, response.text
        assert response.json()["where"] == where
        assert counts(core) == before


def test_the_openapi_description_documents_every_body(api):
    spec = api.app.openapi()
    leads = spec["paths"]["/intake/leads"]["post"]["requestBody"]["content"]["application/json"]
    assert "customer" in leads["schema"]["properties"] and leads["example"]["source"] == "Cars.com"
    assert set(spec["paths"]["/intake/leads/adf"]["post"]["requestBody"]["content"]) == {"application/xml", "text/xml"}
    assert set(spec["paths"]["/intake/email"]["post"]["requestBody"]["content"]) == {
        "message/rfc822", "multipart/form-data", "application/x-www-form-urlencoded"}
    assert "kind" in spec["paths"]["/intake/touches"]["post"]["requestBody"]["content"]["application/json"]["schema"][
        "properties"]
    assert set(spec["components"]["securitySchemes"]) == {"bearerKey", "apiKeyHeader"}


class TestLimitsOfOneMessage:
    """What no provider sends in one request is refused at once with 413, storing nothing."""

    def test_an_adf_document_of_51_prospects_is_413_and_stores_none_of_them(self, api, auth, core):
        prospect = ("<prospect><customer><contact><name part='full'>Ann Lee</name><phone>5552010147</phone>"
                    "</contact></customer></prospect>")
        response = api.post("/intake/leads/adf", content=f"<adf>{prospect * 51}</adf>",
                            headers={**auth, "Content-Type": "text/xml"})
        assert response.status_code == 413
        assert response.json() == {"error": "too many prospects: 51 in one document, the limit is 50; "
                                             "send one lead per request", "where": "adf"}
        assert counts(core) == (0, 0, 0)

    def test_an_email_of_2000_mime_parts_is_413(self, api, auth, core):
        parts = "".join(f"--b\r\nContent-Type: text/plain\r\n\r\n{n}\r\n" for n in range(2_000))
        raw = f"From: x@example.com\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n{parts}--b--\r\n"
        response = api.post("/intake/email", content=raw, headers={**auth, "Content-Type": "message/rfc822"})
        assert response.status_code == 413 and response.json()["where"] == "MIME structure"
        assert counts(core) == (0, 0, 0)


class TestEachKeysShare:
    """One key flooding the intake is held to its rate; another key's leads still go through."""

    @pytest.fixture
    def moment(self):
        return [0.0]

    @pytest.fixture
    def limited(self, core, team, moment):
        app = FastAPI()
        app.include_router(intake_router(core, buckets=KeyBuckets(monotonic=lambda: moment[0])))
        with TestClient(app) as client:
            yield client

    def test_a_key_past_its_burst_is_told_to_wait_and_nothing_is_stored(self, limited, core, team, moment):
        flooding = apikeys.create_key(core, team.id, "looping form")
        apikeys.set_rate(core, flooding.prefix, 60)  # one a second; a burst of 10
        headers = {"Authorization": f"Bearer {flooding.key}"}
        answers = [limited.post("/intake/leads", json={**LEAD, "external_id": f"L-{n}"}, headers=headers)
                   for n in range(11)]

        assert [a.status_code for a in answers] == [201] * 10 + [429]
        assert answers[-1].headers["Retry-After"] == "1"
        assert answers[-1].json() == {"error": "too many requests from this key: try again in 1 s (it may make "
                                               "60 a minute)", "where": "Authorization"}
        assert counts(core)[0] == 10
        moment[0] += 1.0
        assert limited.post("/intake/leads", json={**LEAD, "external_id": "L-11"}, headers=headers).status_code == 201

    def test_another_keys_leads_go_through_while_one_key_is_held(self, limited, core, team):
        flooding = apikeys.create_key(core, team.id, "looping form")
        apikeys.set_rate(core, flooding.prefix, 60)
        website = apikeys.create_key(core, team.id, "dealer website")
        for n in range(15):
            limited.post("/intake/leads", json={**LEAD, "external_id": f"F-{n}"},
                         headers={"Authorization": f"Bearer {flooding.key}"})

        answer = limited.post("/intake/leads", json={**LEAD, "external_id": "W-1"},
                              headers={"Authorization": f"Bearer {website.key}"})
        assert answer.status_code == 201

    def test_a_key_without_a_rate_of_its_own_has_600_a_minute(self, core, team):
        key = apikeys.create_key(core, team.id, "crm")
        assert apikeys.list_keys(core)[-1].rate_per_minute is None
        buckets = KeyBuckets(monotonic=lambda: 0.0)
        assert [buckets.take(key.id, None) for _ in range(61)] == [0] * 60 + [1]  # a burst of a tenth of 600

    def test_a_rate_of_zero_or_a_million_is_refused(self, core, team):
        key = apikeys.create_key(core, team.id, "crm")
        for wrong in (0, 1_000_000):
            with pytest.raises(apikeys.BadRate, match="A rate is 1 to 100,000 requests a minute"):
                apikeys.set_rate(core, key.prefix, wrong)

    def test_a_key_revoked_while_it_is_remembered_stops_working_within_five_seconds(self, core, team, moment):
        app = FastAPI()
        app.include_router(intake_router(core, keys=apikeys.RecentKeys(core, monotonic=lambda: moment[0])))
        key = apikeys.create_key(core, team.id, "old provider")
        headers = {"Authorization": f"Bearer {key.key}"}
        with TestClient(app) as client:
            assert client.post("/intake/leads", json=LEAD, headers=headers).status_code == 201
            apikeys.revoke_key(core, key.prefix)
            moment[0] += 4.9  # still remembered: one lookup every few seconds is the point
            assert client.post("/intake/leads", json={**LEAD, "external_id": "L-2"}, headers=headers).status_code == 201
            moment[0] += 0.2
            refused = client.post("/intake/leads", json={**LEAD, "external_id": "L-3"}, headers=headers)
        assert refused.status_code == 401
        assert counts(core)[0] == 2
