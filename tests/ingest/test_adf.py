"""parse_adf: every real sample, the tolerated quirks, and the refusals."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from chatbot.domain.contact import normalise_email
from chatbot.intake.adf import MAX_BYTES, parse_adf
from chatbot.intake.errors import LeadFormatError, TooLarge


def tz(hours: int) -> timezone:
    return timezone(timedelta(hours=hours))


def only_lead(data):
    leads = parse_adf(data)
    assert len(leads) == 1
    return leads[0]


# --- the real samples ------------------------------------------------------------------

def test_activix_sample_gives_the_customer_vehicle_and_request_time(adf_sample):
    lead = only_lead(adf_sample("activix_crm_docs_adf_example.xml"))

    assert lead.customer.name == "Test Activix 2"
    assert (lead.customer.first_name, lead.customer.last_name) == ("Test", "Activix 2")
    assert lead.customer.email == "test@activix.ca"
    assert lead.customer.postal_code == "J1B2N3"
    assert [(p.number, p.type, p.best_time) for p in lead.customer.phones] == [
        ("+14382881008", "voice", "day"),
        ("+14382881008", "voice", "evening"),
        ("+14382881008", "cell", None),
    ]
    assert lead.submitted_at == datetime(2020, 4, 28, 15, 30, 20, tzinfo=tz(-5))
    assert lead.comments == "Can you deliver the car to my house?"


def test_activix_sample_reads_the_vehicle_not_its_option_price_or_stock(adf_sample):
    vehicle = only_lead(adf_sample("activix_crm_docs_adf_example.xml")).vehicles[0]

    assert vehicle.model_dump() == {
        "interest": "buy", "status": "new", "year": 2020, "make": "Volvo", "model": "XC90",
        "trim": "R-Design", "vin": "2GTEK19R7V1511644", "stock": "V12345", "price": "59999.99 CAD",
    }


def test_activix_sample_takes_id_source_as_source_and_names_provider_and_vendor(adf_sample):
    lead = only_lead(adf_sample("activix_crm_docs_adf_example.xml"))

    assert (lead.source, lead.external_id) == ("Activix", "12345")
    assert lead.provider == "Activix"
    assert lead.vendor == "ABC Motors"


def test_fetchauto_sample_with_pi_after_declaration_and_no_vehicle_or_vendor(adf_sample):
    lead = only_lead(adf_sample("fetchauto_adf-leads_example.xml"))

    assert (lead.source, lead.external_id) == ("fetch-auto", "1")
    assert lead.provider == "Fetch Auto"
    assert lead.vendor is None
    assert lead.vehicles == []
    assert lead.customer.name == "Test user"
    assert lead.customer.email == "test@fetchauto.ca"
    assert [(p.number, p.type, p.best_time) for p in lead.customer.phones] == [("778-555-4474", "unknown", "evening")]
    assert lead.customer.postal_code == "V5Y1V4"
    assert lead.submitted_at == datetime(2018, 4, 15, 15, 30, 20, tzinfo=tz(-8))


def test_sendadf_single_line_sample_reads_like_a_pretty_printed_one(adf_sample):
    lead = only_lead(adf_sample("sendadf_readme_minified.xml"))

    assert lead.customer.name == "John Doe"
    assert [(p.number, p.type, p.best_time) for p in lead.customer.phones] == [("393-999-3922", "voice", None)]
    assert [(v.interest, v.status, v.year, v.make, v.model) for v in lead.vehicles] == [
        ("buy", "used", 1999, "Chevrolet", "Blazer")
    ]
    assert lead.vendor == "Acura of Bellevue"
    assert lead.submitted_at == datetime(2020, 2, 9, 18, 26, tzinfo=tz(-5))
    assert (lead.source, lead.external_id, lead.provider) == ("adf", None, None)


def test_sendadf_sample_without_vendor_still_gives_a_lead(adf_sample):
    lead = only_lead(adf_sample("sendadf_readme_no_vendor.xml"))

    assert lead.vendor is None
    assert lead.customer.name == "John Doe"
    assert [(p.number, p.type) for p in lead.customer.phones] == [("393-999-3922", "voice")]
    assert [(v.interest, v.status, v.year, v.make, v.model) for v in lead.vehicles] == [
        ("buy", "new", 1999, "Chevrolet", "Blazer")
    ]
    assert lead.submitted_at == datetime(2021, 2, 9, 19, 32, 16, tzinfo=tz(-5))


def test_wikipedia_sample_reads_the_truncated_offset_as_minus_eight_hours(adf_sample):
    lead = only_lead(adf_sample("wikipedia_adf_example.xml"))

    assert lead.submitted_at == datetime(2000, 3, 30, 15, 30, 20, tzinfo=tz(-8))
    assert lead.customer.name == "First Last"
    assert (lead.customer.first_name, lead.customer.last_name) == ("First", "Last")
    assert [(p.number, p.type) for p in lead.customer.phones] == [("323-223-3322", "unknown")]
    assert [(v.interest, v.status, v.year, v.make, v.model) for v in lead.vehicles] == [
        ("buy", "unknown", 2008, "Make", "Model")
    ]
    assert lead.vendor == "Dealer Name"
    assert lead.source == "adf"


def test_wikipedia_placeholder_email_is_passed_on_raw_for_the_core_to_reject(adf_sample):
    lead = only_lead(adf_sample("wikipedia_adf_example.xml"))

    assert lead.customer.email == "emailaddress"
    assert normalise_email(lead.customer.email) is None


def test_spec_example_with_curly_quoted_xml_header_is_repaired_and_parsed(adf_sample):
    lead = only_lead(adf_sample("adf_spec_example_quirky_pi.xml"))

    assert lead.customer.name == "John Doe"
    assert [(p.number, p.type) for p in lead.customer.phones] == [("393-999-3922", "unknown")]
    assert [(v.year, v.make, v.model) for v in lead.vehicles] == [(1999, "Chevrolet", "Blazer")]
    assert lead.vendor == "Acura of Bellevue"
    assert lead.submitted_at == datetime(2000, 3, 30, 15, 30, 20, tzinfo=tz(-8))


def test_samples_parse_the_same_from_text_as_from_bytes(adf_sample):
    data = adf_sample("activix_crm_docs_adf_example.xml")

    assert parse_adf(data.decode("utf-8")) == parse_adf(data)


# --- tolerated quirks ------------------------------------------------------------------

MINIMAL = '<adf><prospect><customer><contact><name part="full">Ann Lee</name></contact></customer></prospect></adf>'


def test_leading_junk_bom_and_whitespace_before_the_document_are_ignored():
    data = b"\xef\xbb\xbf\r\n  Lead follows:\n" + b'<?xml version="1.0"?>' + MINIMAL.encode()

    assert only_lead(data).customer.name == "Ann Lee"


def test_text_after_the_closing_adf_tag_is_ignored():
    assert only_lead(MINIMAL + "\n-- \nSent from the lead router").customer.name == "Ann Lee"


def test_adf_instruction_before_the_xml_declaration_is_accepted():
    data = '<?adf version="1.0"?>\n<?xml version="1.0" encoding="UTF-8"?>\n' + MINIMAL

    assert only_lead(data).customer.name == "Ann Lee"


def test_declared_latin1_encoding_is_honoured():
    data = '<?xml version="1.0" encoding="ISO-8859-1"?>'.encode() + MINIMAL.replace("Ann Lee", "Zoé Côté").encode("latin-1")

    assert only_lead(data).customer.name == "Zoé Côté"


def test_windows_1252_bytes_declared_as_utf8_still_read():
    data = '<?xml version="1.0" encoding="UTF-8"?>'.encode() + MINIMAL.replace("Ann Lee", "René Lévesque").encode("cp1252")

    assert only_lead(data).customer.name == "René Lévesque"


def test_external_dtd_reference_without_entities_is_accepted_and_not_fetched():
    data = '<?xml version="1.0"?><!DOCTYPE adf SYSTEM "http://example.invalid/adf.dtd">' + MINIMAL

    assert only_lead(data).customer.name == "Ann Lee"


def test_every_prospect_in_a_document_becomes_a_lead_in_order():
    prospect = '<prospect><id source="Cars.com">{n}</id><customer><contact><name>Buyer {n}</name></contact></customer></prospect>'
    data = "<adf>" + "".join(prospect.format(n=n) for n in (1, 2, 3)) + "</adf>"

    leads = parse_adf(data)

    assert [(lead.source, lead.external_id, lead.customer.name) for lead in leads] == [
        ("Cars.com", "1", "Buyer 1"), ("Cars.com", "2", "Buyer 2"), ("Cars.com", "3", "Buyer 3"),
    ]


def test_source_falls_back_to_the_provider_name_when_the_id_has_none():
    data = MINIMAL.replace("<prospect>", "<prospect><id>A-77</id>").replace(
        "</customer>", "</customer><provider><name>Cars.com</name></provider>")

    lead = only_lead(data)

    assert (lead.source, lead.external_id, lead.provider) == ("Cars.com", "A-77", "Cars.com")


def test_name_parts_first_middle_last_make_the_full_name():
    data = MINIMAL.replace('<name part="full">Ann Lee</name>',
                           '<name part="first">Ann</name><name part="middle">B.</name><name part="last">Lee</name>')

    customer = only_lead(data).customer

    assert (customer.name, customer.first_name, customer.last_name) == ("Ann B. Lee", "Ann", "Lee")


def test_customer_without_a_name_is_titled_by_the_email_then_the_phone():
    by_email = '<adf><prospect><customer><contact><email>a@b.com</email><phone>555-201-0147</phone></contact></customer></prospect></adf>'
    by_phone = '<adf><prospect><customer><contact><phone>555-201-0147</phone></contact></customer></prospect></adf>'

    assert only_lead(by_email).customer.name == "a@b.com"
    assert only_lead(by_phone).customer.name == "555-201-0147"


@pytest.mark.parametrize(("interest", "expected"), [
    ("buy", "buy"), ("lease", "lease"), ("sell", "sell"), ("trade-in", "trade-in"), ("Trade In", "trade-in"),
    ("test-drive", "test-drive"), ("testdrive", "test-drive"), ("rent", "unknown"),
])
def test_vehicle_interest_values_and_common_spellings(interest, expected):
    data = MINIMAL.replace("<customer>", f'<vehicle interest="{interest}"><make>Honda</make></vehicle><customer>')

    assert only_lead(data).vehicles[0].interest == expected


def test_trade_in_vehicle_is_told_apart_from_the_vehicle_of_interest():
    data = MINIMAL.replace("<customer>", '<vehicle interest="buy" status="new"><year>2024</year><make>Honda</make>'
                           '<model>CR-V</model></vehicle><vehicle interest="trade-in" status="used"><year>2015</year>'
                           '<make>Ford</make><model>Focus</model></vehicle><customer>')

    lead = only_lead(data)

    assert lead.vehicle_of_interest().describe() == "2024 Honda CR-V (new)"
    assert lead.trade_in().describe() == "2015 Ford Focus (used)"


def test_a_year_that_is_not_a_number_is_dropped_not_fatal():
    data = MINIMAL.replace("<customer>", "<vehicle><year>N/A</year><make>Honda</make></vehicle><customer>")

    assert only_lead(data).vehicles[0].year is None


def test_long_customer_comments_are_cut_to_the_model_limit():
    data = MINIMAL.replace("</contact>", "</contact><comments>" + "x" * 5000 + "</comments>")

    comments = only_lead(data).comments

    assert len(comments) == 4000 and comments.endswith("…")


@pytest.mark.parametrize(("written", "expected"), [
    ("2026-11-24T09:30:00-05:00", datetime(2026, 11, 24, 9, 30, tzinfo=tz(-5))),
    ("2026-11-24T09:30:00-0500", datetime(2026, 11, 24, 9, 30, tzinfo=tz(-5))),
    ("2026-11-24T09:30:00-05", datetime(2026, 11, 24, 9, 30, tzinfo=tz(-5))),
    ("2026-11-24T09:30:00-08:0", datetime(2026, 11, 24, 9, 30, tzinfo=tz(-8))),
    ("2026-11-24T09:30:00+05:3", datetime(2026, 11, 24, 9, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))),
    ("2026-11-24T14:30:00Z", datetime(2026, 11, 24, 14, 30, tzinfo=timezone.utc)),
    ("2026-11-24 09:30:00 -05:00", datetime(2026, 11, 24, 9, 30, tzinfo=tz(-5))),
    ("2026-11-24T09:30-05:00", datetime(2026, 11, 24, 9, 30, tzinfo=tz(-5))),
    ("2026-11-24T09:30:00.123-05:00", datetime(2026, 11, 24, 9, 30, tzinfo=tz(-5))),
    ("2026-11-24T09:30:00", datetime(2026, 11, 24, 9, 30, tzinfo=timezone.utc)),
    ("2026-11-24", datetime(2026, 11, 24, tzinfo=timezone.utc)),
])
def test_request_date_variants_read_with_their_offset(written, expected):
    data = MINIMAL.replace("<prospect>", f"<prospect><requestdate>{written}</requestdate>")

    assert only_lead(data).submitted_at == expected


def test_request_date_without_offset_is_taken_in_the_default_time_zone():
    data = MINIMAL.replace("<prospect>", "<prospect><requestdate>2026-07-04T10:00:00</requestdate>")

    submitted = parse_adf(data, default_tz="America/Chicago")[0].submitted_at

    assert submitted == datetime(2026, 7, 4, 10, tzinfo=ZoneInfo("America/Chicago"))
    assert submitted.utcoffset() == timedelta(hours=-5)


@pytest.mark.parametrize("written", ["yesterday", "2026-13-40T09:30:00Z", "2026-11-24T09:30:00+25:00"])
def test_unreadable_request_date_leaves_submitted_at_empty_and_keeps_the_lead(written):
    data = MINIMAL.replace("<prospect>", f"<prospect><requestdate>{written}</requestdate>")

    lead = only_lead(data)

    assert lead.submitted_at is None and lead.customer.name == "Ann Lee"


def test_unknown_default_time_zone_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown time zone"):
        parse_adf(MINIMAL, default_tz="Mars/Olympus")


# --- refusals --------------------------------------------------------------------------

def test_billion_laughs_entity_expansion_is_refused():
    bomb = ('<?xml version="1.0"?><!DOCTYPE adf [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
            '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>' + MINIMAL.replace("Ann Lee", "&c;"))

    with pytest.raises(LeadFormatError, match="refused: the document declares entities"):
        parse_adf(bomb)


def test_external_entity_is_refused():
    xxe = '<!DOCTYPE adf [<!ENTITY secret SYSTEM "file:///etc/passwd">]>' + MINIMAL.replace("Ann Lee", "&secret;")

    with pytest.raises(LeadFormatError, match="refused"):
        parse_adf(xxe)


def test_parameter_entity_fetching_an_external_dtd_is_refused():
    data = '<!DOCTYPE adf [<!ENTITY % remote SYSTEM "http://example.invalid/x.dtd"> %remote;]>' + MINIMAL

    with pytest.raises(LeadFormatError, match="refused"):
        parse_adf(data)


def test_not_well_formed_xml_reports_line_and_column():
    data = '<?xml version="1.0"?>\n<adf>\n  <prospect>\n    <customer></prospect>\n</adf>'

    with pytest.raises(LeadFormatError) as caught:
        parse_adf(data)

    assert caught.value.message == "not well-formed XML: mismatched tag"
    assert caught.value.where == "line 4, column 17"
    assert str(caught.value) == "not well-formed XML: mismatched tag (at line 4, column 17)"


def test_line_numbers_stay_true_when_junk_before_the_document_is_skipped():
    data = 'junk\n\n<?ADF VERSION "1.0"?>\n<adf>\n<prospect><customer>&</customer></prospect></adf>'

    with pytest.raises(LeadFormatError) as caught:
        parse_adf(data)

    assert caught.value.where.startswith("line 5, column ")


def test_text_that_is_not_xml_is_refused_as_not_well_formed():
    with pytest.raises(LeadFormatError, match="not well-formed XML") as caught:
        parse_adf("Name: Ann Lee\nPhone: 555-201-0147")

    assert caught.value.where == "line 1, column 1"


def test_xml_that_is_not_adf_is_refused():
    with pytest.raises(LeadFormatError, match="not an ADF document: the root element is <lead>"):
        parse_adf('<?xml version="1.0"?><lead><name>Ann</name></lead>')


def test_adf_without_a_prospect_is_refused():
    with pytest.raises(LeadFormatError, match="no <prospect>"):
        parse_adf('<?adf version="1.0"?><adf></adf>')


def test_prospect_without_name_or_contact_details_is_refused_saying_where():
    data = "<adf><prospect><customer><contact></contact></customer></prospect></adf>"

    with pytest.raises(LeadFormatError) as caught:
        parse_adf(data)

    assert caught.value.where == "prospect 1 > customer > contact"


def test_prospect_without_a_customer_is_refused():
    with pytest.raises(LeadFormatError, match="no customer name"):
        parse_adf("<adf><prospect><vehicle><make>Honda</make></vehicle></prospect></adf>")


def test_values_breaking_the_lead_rules_are_refused_with_the_prospect_and_field():
    data = MINIMAL.replace("<customer>", "<vehicle><vin>1HGCM82633A0043521234</vin></vehicle><customer>")

    with pytest.raises(LeadFormatError) as caught:
        parse_adf(data)

    assert caught.value.where == "prospect 1 > vehicles.0.vin"
    assert "at most 17 characters" in caught.value.message


def test_oversize_document_is_refused_before_parsing():
    data = MINIMAL.encode() + b" " * MAX_BYTES

    with pytest.raises(LeadFormatError, match="too large"):
        parse_adf(data)


def test_a_document_of_more_than_50_prospects_is_refused_whole():
    prospect = "<prospect><customer><contact><name part='full'>Ann Lee</name><phone>5552010147</phone></contact>" \
               "</customer></prospect>"
    fifty, fifty_one = (f"<?xml version='1.0'?><adf>{prospect * n}</adf>" for n in (50, 51))

    assert len(parse_adf(fifty)) == 50
    with pytest.raises(TooLarge) as caught:
        parse_adf(fifty_one)
    assert caught.value.message == "too many prospects: 51 in one document, the limit is 50; send one lead per request"
