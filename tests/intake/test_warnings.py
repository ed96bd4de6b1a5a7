"""What intake had to guess or drop is stored with the lead and said everywhere: in the API's
answer, on the card (console and Slack), in the reminders and in `chatbot lead check`.

Through the real HTTP intake on SQLite and PostgreSQL. The clock stands at Tuesday
2026-11-24 10:00 in Chicago (16:00 UTC); Chicago is UTC-6 then, UTC-5 in April.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from rich.console import Console
from sqlmodel import select
from typer.testing import CliRunner

from adapters.console.chat import card_panel
from adapters.slack.blocks import card_blocks
from chatbot.escalation.sweeper import sweep
from chatbot.intake.lead import Customer, IncomingLead, Phone
from chatbot.leads import tracker
from chatbot.messaging.outbox import deliver_pending
from chatbot.store.db import transaction
from chatbot.store.models import Lead
from entrypoints.cli import app
from tests.conftest import TUESDAY_10AM
from tests.fakes.chat import FakeChat
from tests.fakes.slack_web_api import check_blocks
from tests.intake.conftest import counts

UTC = timezone.utc
XML = {"Content-Type": "application/xml"}
UNREAD = "the provider's date 'sometime Tuesday' could not be read; timed from arrival"


def adf(requestdate: str, phone: str = "7735550188", email: str = "ann.lee@example.com", lead_id: str = "DW-1") -> str:
    phone_xml = f'<phone type="cellphone">{phone}</phone>' if phone else ""
    email_xml = f"<email>{email}</email>" if email else ""
    return f"""<?ADF VERSION="1.0"?>
<adf><prospect>
<id source="Dealer Website">{lead_id}</id>
<requestdate>{requestdate}</requestdate>
<customer><contact><name part="first">Ann</name><name part="last">Lee</name>{phone_xml}{email_xml}</contact></customer>
<vehicle><year>2013</year><make>EverGreen</make><model>i-Go G256BH</model></vehicle>
</prospect></adf>"""


def json_lead(phones: list[str], email: str | None = None, external_id: str = "W-1", **extra) -> dict:
    return {"source": "website", "external_id": external_id, "submitted_at": "2026-11-24T09:58:00-06:00",
            "customer": {"name": "Ann Lee", "email": email, "phones": [{"number": n} for n in phones]}, **extra}


def stored(core, lead_id: int) -> Lead:
    with transaction(core.engine) as session:
        return session.exec(select(Lead).where(Lead.id == lead_id)).one()


def card_of(core, lead_id: int):
    chat = FakeChat()
    deliver_pending(core, chat)
    return chat.last_card(lead_id)


def console_text(card) -> str:
    console = Console(record=True, width=200)
    console.print(card_panel(card, "leads"))
    return console.export_text()


def reminder_to_owner(core, team, clock, lead_id: int) -> str:
    """The first-contact reminder the owner gets 15 minutes after the customer asked (after the
    heads-up 5 minutes before)."""
    tracker.claim(core, team.id, lead_id, "jordan")
    chat = FakeChat()
    deliver_pending(core, chat)
    clock.set(stored(core, lead_id).submitted_at + timedelta(minutes=10))
    sweep(core)  # the heads-up
    clock.advance(timedelta(minutes=5))
    sweep(core)  # the reminder
    deliver_pending(core, chat)
    heads_up, text = chat.direct_to("jordan")
    assert heads_up.startswith("Heads-up: call ")
    return text


# ---------------------------------------------------------------- dates


def test_a_12_hour_clock_request_date_is_stored_to_the_second_with_no_warning(api, auth, core):
    response = api.post("/intake/leads/adf", content=adf("2014-04-07T4:35:52 PM"), headers={**auth, **XML})

    assert response.status_code == 201, response.text
    assert response.json()["warnings"] == []
    lead = stored(core, response.json()["lead_id"])
    assert lead.submitted_at == datetime(2014, 4, 7, 21, 35, 52, tzinfo=UTC)  # 16:35:52 CDT
    assert "warnings" not in lead.details


def test_a_us_date_without_seconds_is_read_in_the_teams_zone(api, auth, core):
    response = api.post("/intake/leads/adf", content=adf("11/24/2026 9:41 am"), headers={**auth, **XML})

    assert stored(core, response.json()["lead_id"]).submitted_at == datetime(2026, 11, 24, 15, 41, tzinfo=UTC)


def test_an_unreadable_date_is_stored_timed_from_arrival_and_every_answer_says_so(api, auth, core, team, clock):
    response = api.post("/intake/leads/adf", content=adf("sometime Tuesday"), headers={**auth, **XML})

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["warnings"] == [UNREAD] and body["leads"][0]["warnings"] == [UNREAD]
    lead = stored(core, body["lead_id"])
    assert lead.submitted_at == lead.received_at == TUESDAY_10AM
    assert lead.details["warnings"] == [{"kind": "date_unread", "given": "sometime Tuesday", "timed_from": "arrival"}]
    card = card_of(core, lead.id)
    assert card.warnings == (UNREAD,)
    assert card.asked == "asked 0s ago (10:00)"
    text = console_text(card)
    assert f"⚠ {UNREAD}" in text
    assert "(773) 555-0188 · ann.lee@example.com" in text
    blocks = [b.to_dict() for b in card_blocks(card)]
    assert f":warning: {UNREAD}" in json.dumps(blocks, ensure_ascii=False)
    assert check_blocks(blocks, 50) == []
    # counted from arrival: the first-contact reminder comes 15 minutes after it
    assert reminder_to_owner(core, team, clock, lead.id) == (
        "Ann Lee asked 15 min ago and has not been contacted. Call now: (773) 555-0188.")


def test_the_same_unreadable_delivery_twice_is_one_lead_and_says_the_same(api, auth, core):
    first = api.post("/intake/leads/adf", content=adf("sometime Tuesday"), headers={**auth, **XML})
    before = counts(core)
    again = api.post("/intake/leads/adf", content=adf("sometime Tuesday"), headers={**auth, **XML})

    assert again.status_code == 200
    assert again.json() == {"lead_id": first.json()["lead_id"], "duplicate": True, "warnings": [UNREAD],
                            "leads": [{"lead_id": first.json()["lead_id"], "duplicate": True, "warnings": [UNREAD]}]}
    assert counts(core) == before


def test_a_date_in_the_future_is_timed_from_arrival_and_says_so(api, auth, core):
    lead = json_lead(["(773) 555-0188"], submitted_at="2026-11-24T12:00:00-06:00")
    response = api.post("/intake/leads", json=lead, headers=auth)

    assert response.json()["warnings"] == [
        "the provider's date '2026-11-24T12:00:00-06:00' is in the future; timed from arrival"]
    assert stored(core, response.json()["lead_id"]).submitted_at == TUESDAY_10AM


# ---------------------------------------------------------------- contact details


def test_a_phone_that_is_not_a_number_is_kept_flagged_and_never_dialled(api, auth, core, team, clock):
    response = api.post("/intake/leads", json=json_lead(["abc"]), headers=auth)

    assert response.status_code == 201, response.text
    assert response.json()["warnings"] == ["phone given: abc, not a number"]
    lead = stored(core, response.json()["lead_id"])
    assert lead.phone is None and lead.email is None
    assert lead.details["customer"]["phones"][0]["number"] == "abc"
    card = card_of(core, lead.id)
    assert (card.phone, card.phone_given, card.no_contact) == (None, "abc", None)
    assert card.warnings == ("phone given: abc, not a number",)
    text = console_text(card)
    assert "⚠ phone given: abc, not a number" in text and "no phone or e-mail given" not in text
    blocks = json.dumps([b.to_dict() for b in card_blocks(card)])
    assert "tel:" not in blocks and "*Phone*\\n:warning: abc" in blocks
    assert reminder_to_owner(core, team, clock, lead.id) == (
        "Ann Lee asked 15 min ago and has not been contacted. No phone or e-mail: check the lead in your CRM.")


def test_a_short_number_with_a_good_e_mail_is_flagged_and_the_reminder_says_e_mail(api, auth, core, team, clock):
    response = api.post("/intake/leads", json=json_lead(["123"], email="Ann.Lee@Example.com"), headers=auth)

    assert response.json()["warnings"] == ["phone given: 123, not a number"]
    lead = stored(core, response.json()["lead_id"])
    assert (lead.phone, lead.email) == (None, "ann.lee@example.com")
    card = card_of(core, lead.id)
    assert "ann.lee@example.com" in console_text(card)
    assert reminder_to_owner(core, team, clock, lead.id) == (
        "Ann Lee asked 15 min ago and has not been contacted. E-mail now: ann.lee@example.com.")


def test_a_bad_number_next_to_a_good_one_is_flagged_and_the_good_one_is_dialled(api, auth, core):
    response = api.post("/intake/leads", json=json_lead(["abc", "(773) 555-0188"]), headers=auth)

    assert response.json()["warnings"] == ["phone given: abc, not a number"]
    card = card_of(core, response.json()["lead_id"])
    assert (card.phone, card.phone_display, card.phone_given) == ("+17735550188", "(773) 555-0188", None)
    assert "<tel:+17735550188|(773) 555-0188>" in json.dumps([b.to_dict() for b in card_blocks(card)])


def test_an_e_mail_only_lead_is_stored_without_warnings_and_reminded_by_e_mail(api, auth, core, team, clock):
    response = api.post("/intake/leads", json=json_lead([], email="ann.lee@example.com"), headers=auth)

    assert response.status_code == 201 and response.json()["warnings"] == []
    card = card_of(core, response.json()["lead_id"])
    assert (card.phone, card.email, card.no_contact, card.warnings) == (None, "ann.lee@example.com", None, ())
    assert reminder_to_owner(core, team, clock, response.json()["lead_id"]) == (
        "Ann Lee asked 15 min ago and has not been contacted. E-mail now: ann.lee@example.com.")


def test_an_e_mail_that_is_not_an_address_is_kept_and_flagged(api, auth, core):
    response = api.post("/intake/leads/adf", content=adf("2026-11-24T09:58:00", phone="", email="ann at example"),
                        headers={**auth, **XML})

    assert response.status_code == 201, response.text
    assert response.json()["warnings"] == ["e-mail given: ann at example, not an address"]
    lead = stored(core, response.json()["lead_id"])
    assert lead.email is None and lead.details["customer"]["email"] == "ann at example"
    card = card_of(core, lead.id)
    assert (card.email_given, card.no_contact) == ("ann at example", None)
    blocks = json.dumps([b.to_dict() for b in card_blocks(card)])
    assert "mailto:" not in blocks and "*E-mail*\\n:warning: ann at example" in blocks


def test_a_card_with_nothing_given_says_so(core, team):
    lead_id = tracker.ingest(core, team.id, _nameless_contact()).lead_id

    card = card_of(core, lead_id)
    assert (card.no_contact, card.warnings) == ("no phone or e-mail given", ())
    assert "no phone or e-mail given" in console_text(card)


def _nameless_contact() -> IncomingLead:
    return IncomingLead(source="website", external_id="W-9", customer=Customer(name="Ann Lee"))


def test_the_second_contact_reminder_uses_the_phone(core, team, clock):
    lead_id = tracker.ingest(core, team.id, _with_phone()).lead_id
    tracker.claim(core, team.id, lead_id, "jordan")
    tracker.log_touch(core, team.id, lead_id, "jordan", "call")
    chat = FakeChat()
    deliver_pending(core, chat)
    clock.advance(timedelta(hours=48))
    sweep(core)
    deliver_pending(core, chat)
    (text,) = chat.direct_to("jordan")
    assert text == ("Ann Lee is due a second contact: the first was Tue 10:00, 2 d ago. "
                    "Call or text now: (773) 555-0188.")


def _with_phone() -> IncomingLead:
    return IncomingLead(source="website", external_id="W-10",
                        customer=Customer(name="Ann Lee", phones=[Phone(number="773-555-0188")]))


# ---------------------------------------------------------------- lead check


def test_lead_check_prints_the_warnings_of_an_unreadable_date(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    lead = tmp_path / "lead.xml"
    lead.write_text(adf("sometime Tuesday", phone="abc"))

    result = CliRunner().invoke(app, ["lead", "check", str(lead)])

    assert result.exit_code == 0, result.output
    [fields] = json.loads(result.output)
    assert fields["warnings"] == [UNREAD, "phone given: abc, not a number"]
    assert fields["phone"] is None and fields["email"] == "ann.lee@example.com"
    assert fields["details"]["warnings"] == [
        {"kind": "date_unread", "given": "sometime Tuesday", "timed_from": "arrival"},
        {"kind": "phone_invalid", "given": "abc"}]


def test_lead_check_reads_a_12_hour_clock_in_the_zone_it_is_given(tmp_path):
    lead = tmp_path / "lead.xml"
    lead.write_text(adf("2014-04-07T4:35:52 PM"))

    result = CliRunner().invoke(app, ["lead", "check", str(lead), "--tz", "America/New_York"])

    [fields] = json.loads(result.output)
    assert (fields["submitted_at"], fields["warnings"]) == ("2014-04-07T20:35:52+00:00", [])
