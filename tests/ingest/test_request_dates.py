"""Providers' request dates, in every form they really send, read to the exact second.

Expectations are worked out by hand: Chicago is UTC-6 in winter (CST) and UTC-5 in summer (CDT);
daylight saving ended on 2026-11-01 at 02:00 (01:00-01:59 happened twice) and begins on
2026-03-08 at 02:00 (02:00-02:59 does not happen).
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from chatbot.intake.adf import parse_adf
from chatbot.intake.email import parse_email
from chatbot.intake.fields import lead_fields

UTC = timezone.utc
CHICAGO = "America/Chicago"
ARRIVED = datetime(2026, 11, 24, 23, 0, 0, tzinfo=UTC)  # 17:00 in Chicago


def adf(requestdate: str) -> str:
    """A lead as a small dealer-website provider writes one: 12-hour clock, no zone (a hand-made
    document in the shape of the provider samples seen in public repositories)."""
    return f"""<?ADF VERSION="1.0"?>
<adf>
<prospect>
<requestdate>{requestdate}</requestdate>
<customer>
<contact>
<name part="first">Ann</name>
<name part="last">Lee</name>
<phone type="voice" time="evening">7735550188</phone>
<email>ann.lee@example.com</email>
</contact>
<comments><![CDATA[Is the trailer still for sale?]]></comments>
</customer>
<vehicle><year>2013</year><make>EverGreen</make><model>i-Go G256BH</model></vehicle>
<provider><name part="full">Dealer Website</name></provider>
</prospect>
</adf>"""


def stored_time(requestdate: str) -> datetime:
    """The submission time intake would store, in UTC."""
    [lead] = parse_adf(adf(requestdate), default_tz=CHICAGO)
    return lead_fields(lead, region="US", now=ARRIVED)["submitted_at"]


@pytest.mark.parametrize(("written", "expected_utc"), [
    # 12-hour clock, one-digit hour, AM/PM in either case, with or without dots
    ("2014-04-07T4:35:52 PM", datetime(2014, 4, 7, 21, 35, 52)),
    ("2014-04-07T4:35:52 pm", datetime(2014, 4, 7, 21, 35, 52)),
    ("2014-04-07T4:35:52PM", datetime(2014, 4, 7, 21, 35, 52)),
    ("2014-04-07 4:35:52 p.m.", datetime(2014, 4, 7, 21, 35, 52)),
    ("2014-04-07T04:35:52 AM", datetime(2014, 4, 7, 9, 35, 52)),
    ("2014-04-07T12:05:09 AM", datetime(2014, 4, 7, 5, 5, 9)),   # 00:05:09 CDT
    ("2014-04-07T12:05:09 PM", datetime(2014, 4, 7, 17, 5, 9)),  # 12:05:09 CDT
    ("2014-04-07 4 PM", datetime(2014, 4, 7, 21, 0, 0)),
    # US dates, month first
    ("04/07/2014 4:35 PM", datetime(2014, 4, 7, 21, 35, 0)),
    ("4/7/2014 4:35:52 PM", datetime(2014, 4, 7, 21, 35, 52)),
    ("04/07/2014, 4:35 pm", datetime(2014, 4, 7, 21, 35, 0)),
    ("11/24/26 9:30 AM", datetime(2026, 11, 24, 15, 30, 0)),
    ("11/24/2026 16:35:52", datetime(2026, 11, 24, 22, 35, 52)),
    # without seconds, without a zone, a space for T
    ("2026-11-24T09:30", datetime(2026, 11, 24, 15, 30, 0)),
    ("2026-11-24 09:30:15", datetime(2026, 11, 24, 15, 30, 15)),
    ("2026/11/24 09:30", datetime(2026, 11, 24, 15, 30, 0)),
    ("2026-11-24", datetime(2026, 11, 24, 6, 0, 0)),  # midnight in Chicago
    # with a zone: its own offset wins over the team's
    ("2026-11-24T09:30:15.987-05:00", datetime(2026, 11, 24, 14, 30, 15)),  # fraction dropped
    ("2026-11-24T09:30:15 EST", datetime(2026, 11, 24, 14, 30, 15)),
    ("11/24/2026 9:30 AM PST", datetime(2026, 11, 24, 17, 30, 0)),
    ("2026-11-24T09:30:15 UTC-7", datetime(2026, 11, 24, 16, 30, 15)),
    ("2026-11-24T15:30:15Z", datetime(2026, 11, 24, 15, 30, 15)),
    ("2026-11-24 15:30:15 GMT", datetime(2026, 11, 24, 15, 30, 15)),
    ("2000-03-30T15:30:20-08:0", datetime(2000, 3, 30, 23, 30, 20)),  # Wikipedia's truncated offset
    ("Tue, 24 Nov 2026 09:30:15 -0600", datetime(2026, 11, 24, 15, 30, 15)),
    # daylight saving: the repeated hour is its first (daylight) occurrence; the skipped hour
    # takes the offset in force before the change, as the history import reads them
    ("2026-11-01T01:30:00", datetime(2026, 11, 1, 6, 30, 0)),
    ("11/01/2026 1:30:45 AM", datetime(2026, 11, 1, 6, 30, 45)),
    ("2026-11-01T02:30:00", datetime(2026, 11, 1, 8, 30, 0)),  # after the change: CST
    ("2026-03-08T02:30:00", datetime(2026, 3, 8, 8, 30, 0)),
])
def test_every_form_providers_send_is_stored_to_the_exact_second(written, expected_utc):
    submitted = stored_time(written)

    assert submitted == expected_utc.replace(tzinfo=UTC)
    assert submitted.tzinfo == UTC and submitted.microsecond == 0


@pytest.mark.parametrize("written", [
    "yesterday",
    "2014-04-07T13:35:52 PM",   # 13 o'clock PM: no honest reading
    "2014-04-07T0:35:52 PM",
    "04/31/2014 4:35 PM",       # April has 30 days
    "24/11/2026 09:30",         # day first: month 24 is read as unreadable, not guessed
    "2026-11-24T09:30:00+25:00",
    "2026-11-24 at noon",
    "2026-11-24T09",
])
def test_a_date_that_cannot_be_read_keeps_the_lead_and_its_text(written):
    [lead] = parse_adf(adf(written), default_tz=CHICAGO)

    assert lead.submitted_at is None and lead.unread_date == written
    fields = lead_fields(lead, region="US", now=ARRIVED)
    assert fields["submitted_at"] == ARRIVED
    assert fields["details"]["warnings"] == [{"kind": "date_unread", "given": written, "timed_from": "arrival"}]
    assert fields["customer_name"] == "Ann Lee" and fields["phone"] == "+17735550188"


def test_a_readable_date_gives_no_warning():
    [lead] = parse_adf(adf("2014-04-07T4:35:52 PM"), default_tz=CHICAGO)

    assert lead.unread_date is None
    assert "warnings" not in lead_fields(lead, region="US", now=ARRIVED)["details"]


def test_a_very_long_unreadable_date_is_quoted_cut_short():
    written = "x" * 200
    [lead] = parse_adf(adf(written), default_tz=CHICAGO)

    [warning] = lead_fields(lead, region="US", now=ARRIVED)["details"]["warnings"]
    assert warning["given"] == "x" * 79 + "…"


def test_a_date_more_than_five_minutes_ahead_is_timed_from_arrival_and_says_so():
    [ahead] = parse_adf(adf("2026-11-24T17:05:01"), default_tz=CHICAGO)  # 5 min 1 s after arrival
    [drift] = parse_adf(adf("2026-11-24T17:05:00"), default_tz=CHICAGO)  # clock drift: capped quietly

    ahead_fields = lead_fields(ahead, region="US", now=ARRIVED)
    assert ahead_fields["submitted_at"] == ARRIVED
    assert ahead_fields["details"]["warnings"] == [{"kind": "date_future", "given": "2026-11-24T17:05:01-06:00"}]
    drift_fields = lead_fields(drift, region="US", now=ARRIVED)
    assert drift_fields["submitted_at"] == ARRIVED and "warnings" not in drift_fields["details"]


def mail(requestdate: str, date_header: str = "Tue, 24 Nov 2026 09:58:00 -0600") -> bytes:
    return (f"From: Leads <leads@dealerwebsite.example>\r\nDate: {date_header}\r\n"
            "Message-ID: <a1@dealerwebsite.example>\r\nContent-Type: text/xml\r\n\r\n"
            + adf(requestdate)).encode()


def test_adf_in_an_e_mail_reads_dates_without_a_zone_in_the_teams_zone():
    [lead] = parse_email(mail("04/07/2014 4:35 PM"), default_tz=CHICAGO)

    assert lead.submitted_at == datetime(2014, 4, 7, 21, 35, tzinfo=UTC)


def test_adf_in_an_e_mail_whose_date_cannot_be_read_is_timed_from_the_e_mails_date_and_says_so():
    [lead] = parse_email(mail("last Tuesday"), default_tz=CHICAGO)

    fields = lead_fields(lead, region="US", now=ARRIVED)
    assert fields["submitted_at"] == datetime(2026, 11, 24, 15, 58, tzinfo=UTC)
    assert fields["details"]["warnings"] == [{"kind": "date_unread", "given": "last Tuesday", "timed_from": "e-mail"}]


def test_an_e_mail_whose_date_header_cannot_be_read_either_is_timed_from_arrival_and_says_so():
    raw = (b"From: Leads <leads@dealerwebsite.example>\r\nDate: someday soon\r\nContent-Type: text/plain\r\n\r\n"
           b"Name: Ann Lee\r\nPhone: (773) 555-0188\r\n")
    [lead] = parse_email(raw, default_tz=CHICAGO)

    fields = lead_fields(lead, region="US", now=ARRIVED)
    assert fields["submitted_at"] == ARRIVED
    assert fields["details"]["warnings"] == [{"kind": "date_unread", "given": "someday soon", "timed_from": "arrival"}]
