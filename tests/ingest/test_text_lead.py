"""parse_text_lead: the label variants and vehicle lines seen in plain-text lead e-mails."""

import pytest

from chatbot.intake.errors import LeadFormatError
from chatbot.intake.text_lead import describe_vehicle, parse_text_lead


def test_labels_are_case_insensitive_and_accept_common_variants():
    text = "FIRST NAME: Ann\nlast name: Lee\nE-Mail Address: ann@example.com\nCell Phone: 555-201-0147\n" \
           "Home Phone: 555-201-0148\nZip Code: 90210\nBest time to call: evening"

    customer = parse_text_lead(text, "website").customer

    assert (customer.name, customer.first_name, customer.last_name) == ("Ann Lee", "Ann", "Lee")
    assert customer.email == "ann@example.com"
    assert [(p.number, p.type, p.best_time) for p in customer.phones] == [
        ("555-201-0147", "cell", "evening"), ("555-201-0148", "voice", None)]
    assert customer.postal_code == "90210"


def test_value_on_the_line_after_its_label_is_read():
    assert parse_text_lead("Name:\nAnn Lee\nPhone:\n555-201-0147", "website").customer.name == "Ann Lee"


def test_separate_vehicle_lines_fill_the_vehicle_of_interest():
    text = "Name: Ann\nYear: 2023\nMake: Toyota\nModel: RAV4\nTrim: XLE\nVIN: 2T3P1RFV8PW123456\nStock #: T-88\nPrice: $31,500"

    vehicle = parse_text_lead(text, "website").vehicle_of_interest()

    assert (vehicle.year, vehicle.make, vehicle.model, vehicle.trim) == (2023, "Toyota", "RAV4", "XLE")
    assert (vehicle.vin, vehicle.stock, vehicle.price) == ("2T3P1RFV8PW123456", "T-88", "$31,500")


def test_trade_in_line_becomes_a_trade_in_vehicle():
    lead = parse_text_lead("Name: Ann\nVehicle: New 2024 Honda CR-V\nTrade-in: 2015 Ford Focus", "website")

    assert lead.vehicle_of_interest().describe() == "2024 Honda CR-V (new)"
    assert lead.trade_in().describe() == "2015 Ford Focus"


@pytest.mark.parametrize(("text", "expected"), [
    ("2024 Honda CR-V EX-L", {"year": 2024, "make": "Honda", "model": "CR-V EX-L"}),
    ("Used 2019 Land Rover Discovery Sport", {"year": 2019, "make": "Land Rover", "model": "Discovery Sport", "status": "used"}),
    ("2022 Mercedes-Benz C 300", {"year": 2022, "make": "Mercedes-Benz", "model": "C 300"}),
    ("any SUV under 30k", {"model": "any SUV under 30k"}),
])
def test_one_line_vehicle_descriptions(text, expected):
    assert describe_vehicle(text) == expected


def test_comments_run_on_until_the_next_known_label():
    text = "Name: Ann\nMessage: First line.\nPS: second line.\n\nThird.\nPhone: 555-201-0147"

    lead = parse_text_lead(text, "website")

    assert lead.comments == "First line.\nPS: second line.\nThird."
    assert lead.customer.phones[0].number == "555-201-0147"


def test_very_long_comments_are_cut_not_refused():
    assert len(parse_text_lead("Name: Ann\nComments: " + "x" * 5000, "website").comments) == 4000


def test_text_without_name_email_or_phone_is_refused():
    with pytest.raises(LeadFormatError, match="no lead found"):
        parse_text_lead("Vehicle: 2024 Honda CR-V\nComments: call me", "website")
