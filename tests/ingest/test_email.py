"""parse_email and parse_inbound_form, with e-mails built by the stdlib email package."""

from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime

import pytest

from chatbot.intake.email import html_to_text, parse_email, parse_inbound_form
from chatbot.intake.errors import LeadFormatError, TooLarge

SENT = datetime(2026, 11, 24, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
PLAIN_LEAD = """New lead from your website.

Name: Ann Lee
Phone: (555) 201-0147
E-mail: ann@example.com
Vehicle: 2024 Honda CR-V
Comments: Is it still available?
Can I come Saturday?
"""


def message(sender: str = "Cars.com Leads <leads@mail.cars.com>", body: str | None = None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "sales@abcmotors.example"
    msg["Subject"] = "New lead"
    msg["Date"] = format_datetime(SENT)
    msg["Message-ID"] = "<lead-42@mail.cars.com>"
    if body is not None:
        msg.set_content(body)
    return msg


def test_adf_attachment_is_parsed_with_its_own_source_id_and_time(adf_sample):
    msg = message(body="A new lead is attached.")
    msg.add_attachment(adf_sample("activix_crm_docs_adf_example.xml"), maintype="application", subtype="xml",
                       filename="lead.xml")

    [lead] = parse_email(msg.as_bytes())

    assert (lead.source, lead.external_id, lead.customer.name) == ("Activix", "12345", "Test Activix 2")
    assert lead.submitted_at == datetime(2020, 4, 28, 15, 30, 20, tzinfo=timezone(timedelta(hours=-5)))


def test_adf_attachment_with_generic_type_and_adf_extension_is_found(adf_sample):
    msg = message(body="See attachment.")
    msg.add_attachment(adf_sample("sendadf_readme_minified.xml"), maintype="application", subtype="octet-stream",
                       filename="lead.adf")

    [lead] = parse_email(msg.as_bytes())

    assert lead.customer.name == "John Doe"


def test_adf_in_the_body_is_parsed_and_takes_the_message_id_when_it_has_no_id(adf_sample):
    body = "Lead follows\n\n" + adf_sample("sendadf_readme_no_vendor.xml").decode()

    [lead] = parse_email(message(body=body).as_bytes())

    assert lead.customer.name == "John Doe"
    assert lead.external_id == "lead-42@mail.cars.com"
    assert lead.submitted_at == datetime(2021, 2, 9, 19, 32, 16, tzinfo=timezone(timedelta(hours=-5)))


def test_same_adf_in_body_and_attachment_gives_one_lead(adf_sample):
    adf = adf_sample("sendadf_readme_minified.xml")
    msg = message(body=adf.decode())
    msg.add_attachment(adf, maintype="text", subtype="xml", filename="lead.xml")

    assert len(parse_email(msg.as_bytes())) == 1


def test_adf_escaped_inside_an_html_only_body_is_parsed(adf_sample):
    escaped = adf_sample("sendadf_readme_minified.xml").decode().replace("<", "&lt;").replace(">", "&gt;")
    msg = message()
    msg.set_content(f"<html><body><pre>{escaped}</pre></body></html>", subtype="html")

    [lead] = parse_email(msg.as_bytes())

    assert lead.vendor == "Acura of Bellevue"


def test_plain_text_lead_email_reads_the_labelled_fields():
    [lead] = parse_email(message(body=PLAIN_LEAD).as_bytes())

    assert lead.customer.name == "Ann Lee"
    assert [(p.number, p.type) for p in lead.customer.phones] == [("(555) 201-0147", "unknown")]
    assert lead.customer.email == "ann@example.com"
    assert lead.vehicle_of_interest().describe() == "2024 Honda CR-V"
    assert lead.comments == "Is it still available?\nCan I come Saturday?"


def test_plain_text_lead_takes_source_from_the_from_domain_and_id_and_time_from_headers():
    [lead] = parse_email(message(body=PLAIN_LEAD).as_bytes())

    assert lead.source == "cars.com"
    assert lead.external_id == "lead-42@mail.cars.com"
    assert lead.submitted_at == SENT


def test_source_line_in_the_body_beats_the_from_domain():
    [lead] = parse_email(message(body=PLAIN_LEAD + "Source: AutoTrader\n").as_bytes())

    assert lead.source == "AutoTrader"


def test_html_table_lead_email_reads_like_plain_text():
    msg = message(sender="noreply@forms.dealer.co.uk")
    msg.set_content("<html><head><style>td{}</style></head><body><table>\n<tr><td><b>Name:</b></td>\n"
                    "<td>Zoé Côté</td></tr><tr><td>Mobile:</td><td>07700 900123</td></tr></table></body></html>",
                    subtype="html")

    [lead] = parse_email(msg.as_bytes())

    assert lead.customer.name == "Zoé Côté"
    assert [(p.number, p.type) for p in lead.customer.phones] == [("07700 900123", "cell")]
    assert lead.source == "dealer.co.uk"


def test_email_without_any_lead_is_refused():
    with pytest.raises(LeadFormatError, match="no lead found"):
        parse_email(message(body="Hi, just checking in.").as_bytes())


def test_broken_adf_attachment_is_reported_not_skipped():
    msg = message(body="attached")
    msg.add_attachment(b"<adf><prospect></adf>", maintype="application", subtype="xml", filename="lead.xml")

    with pytest.raises(LeadFormatError, match="not well-formed XML"):
        parse_email(msg.as_bytes())


def test_oversize_email_is_refused():
    with pytest.raises(LeadFormatError, match="too large"):
        parse_email(b"From: a@b.com\r\n\r\n" + b"x" * 10_000_001)


# --- inbound-parse forms ---------------------------------------------------------------

SENDGRID_HEADERS = ("Received: by mx.sendgrid.net\nFrom: Web Form <forms@abcmotors.example>\n"
                    "Date: Tue, 24 Nov 2026 09:30:00 -0500\nMessage-ID: <form-77@abcmotors.example>\n")


def test_sendgrid_form_with_plain_text_lead_uses_the_headers_block():
    fields = {"from": "Web Form <forms@abcmotors.example>", "to": "leads@bot.example", "subject": "Lead",
              "text": PLAIN_LEAD, "html": "<p>ignored</p>", "headers": SENDGRID_HEADERS, "attachments": "0"}

    [lead] = parse_inbound_form(fields, {})

    assert (lead.source, lead.customer.name) == ("abcmotors.example", "Ann Lee")
    assert lead.external_id == "form-77@abcmotors.example"
    assert lead.submitted_at == SENT


def test_sendgrid_form_with_adf_attachment(adf_sample):
    fields = {"from": "leads@cars.com", "text": "attached", "headers": SENDGRID_HEADERS, "attachments": "1",
              "attachment-info": '{"attachment1": {"filename": "lead.xml", "type": "text/xml"}}'}

    [lead] = parse_inbound_form(fields, {"attachment1": adf_sample("fetchauto_adf-leads_example.xml")})

    assert (lead.source, lead.external_id, lead.customer.name) == ("fetch-auto", "1", "Test user")


def test_sendgrid_raw_mode_email_field_is_parsed_as_mime():
    raw = message(body=PLAIN_LEAD).as_string()

    [lead] = parse_inbound_form({"email": raw, "to": "leads@bot.example"}, {})

    assert (lead.source, lead.external_id) == ("cars.com", "lead-42@mail.cars.com")


def test_mailgun_form_fields_give_sender_id_and_date():
    fields = {"sender": "bounce@mg.autotrader.com", "from": "AutoTrader <leads@autotrader.com>",
              "body-plain": PLAIN_LEAD, "Message-Id": "<mg-1@autotrader.com>", "Date": "Tue, 24 Nov 2026 09:30:00 -0500"}

    [lead] = parse_inbound_form(fields, {})

    assert (lead.source, lead.external_id, lead.submitted_at) == ("autotrader.com", "mg-1@autotrader.com", SENT)


def test_form_with_only_html_body_is_read():
    [lead] = parse_inbound_form({"from": "a@b.com", "html": "<p>Name: Ann Lee</p><p>Email: ann@example.com</p>"}, {})

    assert (lead.customer.name, lead.customer.email) == ("Ann Lee", "ann@example.com")


def test_html_to_text_survives_markup_the_stdlib_parser_rejects():
    assert html_to_text("<p>Name: Ann</p><![bogus[ x ]]>") == "Name: Ann"


def test_an_email_of_thousands_of_parts_is_refused_before_it_is_parsed():
    boundary = "b0undary"
    parts = "".join(f"--{boundary}\r\nContent-Type: text/plain\r\n\r\npart {n}\r\n" for n in range(5_000))
    raw = (f"From: x@example.com\r\nContent-Type: multipart/mixed; boundary={boundary}\r\n\r\n"
           f"{parts}--{boundary}--\r\n").encode()

    with pytest.raises(TooLarge) as caught:
        parse_email(raw)

    assert caught.value.message == "too many MIME parts: up to 5,001, the limit is 100"
    assert caught.value.where == "MIME structure"


def test_a_lead_email_with_a_brochure_and_a_signature_line_is_under_the_parts_limit(adf_sample):
    msg = message(body="Lead attached.\n-- \nCars.com")
    msg.add_attachment(adf_sample("activix_crm_docs_adf_example.xml"), maintype="application", subtype="xml",
                       filename="lead.xml")
    msg.add_attachment(b"%PDF-1.4 brochure", maintype="application", subtype="pdf", filename="brochure.pdf")

    assert len(parse_email(msg.as_bytes())) == 1


def test_a_text_lead_of_more_than_5000_lines_is_refused():
    body = PLAIN_LEAD + "\n" * 6_000

    with pytest.raises(TooLarge, match="too many lines: 6,009, the limit is 5,000"):
        parse_email(message(body=body).as_bytes())
