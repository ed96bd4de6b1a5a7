"""parse_any: format detection, and its promise to return leads or raise LeadFormatError."""

import json
from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chatbot.intake.detect import parse_any
from chatbot.intake.errors import LeadFormatError

JSON_LEAD = json.dumps({"source": "website", "customer": {"name": "Ann Lee"}}).encode()


def plain_email() -> bytes:
    msg = EmailMessage()
    msg["From"] = "forms@abcmotors.example"
    msg.set_content("Name: Ann Lee\nPhone: 555-201-0147\n")
    return msg.as_bytes()


@pytest.mark.parametrize("content_type", ["application/xml", "text/xml; charset=utf-8", "application/adf+xml"])
def test_xml_content_types_go_to_the_adf_parser(adf_sample, content_type):
    [lead] = parse_any(adf_sample("sendadf_readme_minified.xml"), content_type=content_type)

    assert lead.customer.name == "John Doe"


def test_json_content_type_goes_to_the_json_parser():
    assert parse_any(JSON_LEAD, content_type="application/json")[0].source == "website"


def test_rfc822_content_type_goes_to_the_email_parser():
    assert parse_any(plain_email(), content_type="message/rfc822")[0].customer.name == "Ann Lee"


@pytest.mark.parametrize(("filename", "data"), [("lead.ADF", None), ("lead.json", JSON_LEAD), ("lead.eml", "email")])
def test_file_extension_decides_when_the_content_type_is_generic(adf_sample, filename, data):
    body = {None: adf_sample("sendadf_readme_minified.xml"), "email": plain_email()}.get(data, data)

    assert len(parse_any(body, content_type="application/octet-stream", filename=filename)) == 1


def test_first_bytes_decide_without_type_or_name(adf_sample):
    assert parse_any(adf_sample("adf_spec_example_quirky_pi.xml"))[0].customer.name == "John Doe"
    assert parse_any(b"\xef\xbb\xbf  " + JSON_LEAD)[0].customer.name == "Ann Lee"
    assert parse_any(plain_email())[0].customer.name == "Ann Lee"


def test_adf_after_leading_junk_is_sniffed(adf_sample):
    assert parse_any(b"garbage line\n" + adf_sample("wikipedia_adf_example.xml"))[0].customer.name == "First Last"


def test_unrecognised_bytes_are_refused():
    with pytest.raises(LeadFormatError, match="unrecognised format"):
        parse_any(b"\x00\x01 hello")


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=2000),
       content_type=st.sampled_from([None, "application/xml", "application/json", "message/rfc822", "text/plain"]))
def test_arbitrary_bytes_give_leads_or_lead_format_error_never_anything_else(data, content_type):
    try:
        leads = parse_any(data, content_type=content_type)
    except LeadFormatError:
        return
    assert isinstance(leads, list)


PREFIXES = [b"", b"<?xml version='1.0'?>", b"<adf><prospect><customer><contact><name>", b"{\"source\": ",
            b"From: a@b.com\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n"]


@settings(max_examples=300, deadline=None)
@given(prefix=st.sampled_from(PREFIXES), rest=st.binary(max_size=500) | st.text(max_size=500).map(str.encode))
def test_near_valid_documents_give_leads_or_lead_format_error(prefix, rest):
    try:
        parse_any(prefix + rest)
    except LeadFormatError:
        pass
