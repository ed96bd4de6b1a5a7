"""`chatbot import`: a CRM's history in, idempotently, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from chatbot.intake.history import CannotImport, import_history
from chatbot.store.db import transaction
from chatbot.store.models import Lead, OutboxMessage, Touch
from entrypoints.cli import app

SAMPLE = Path(__file__).parents[2] / "examples" / "crm_export_sample.csv"
HEADER = "Lead ID,Created,Customer,Phone,Email,Source,Activity Type,Activity Date,Rep,Status\n"


def write(tmp_path: Path, text: str, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def table_counts(core) -> tuple[int, int, int]:
    with transaction(core.engine) as session:
        return tuple(session.scalar(select(func.count()).select_from(t)) for t in (Lead, Touch, OutboxMessage))


def leads(core) -> dict[str, Lead]:
    with transaction(core.engine) as session:
        return {lead.external_id: lead for lead in session.scalars(select(Lead))}


class TestImport:
    def test_the_sample_export_imports_as_history_that_is_never_posted_or_escalated(self, core, team):
        report = import_history(core, team.id, SAMPLE)
        n_leads, n_touches, queued = table_counts(core)
        assert report.leads_new == n_leads > 100 and report.touches_new == n_touches > 100
        assert queued == 0
        assert all(lead.history and lead.due_at is None for lead in leads(core).values())
        assert report.layout == "one row per activity"

    def test_importing_the_same_file_twice_adds_nothing(self, core, team):
        import_history(core, team.id, SAMPLE)
        before = table_counts(core)
        again = import_history(core, team.id, SAMPLE)
        assert table_counts(core) == before
        assert again.leads_new == again.touches_new == 0 and again.leads_existing == before[0]

    def test_a_later_export_adds_only_the_new_activities_and_recounts_the_lead(self, core, team, tmp_path):
        first = HEADER + "L1,11/20/2026 09:00 AM,Ann Lee,312-555-0101,,Cars.com,Phone Call,11/20/2026 09:10 AM,Sam,Active\n"
        import_history(core, team.id, write(tmp_path, first))
        later = first + "L1,11/20/2026 09:00 AM,Ann Lee,312-555-0101,,Cars.com,Email,11/21/2026 10:00 AM,Sam,Active\n"
        report = import_history(core, team.id, write(tmp_path, later, "later.csv"))
        assert (report.touches_new, report.touches_existing) == (1, 1)
        lead = leads(core)["L1"]
        assert lead.attempts == 2 and lead.second_contact_at == datetime(2026, 11, 21, 16, 0, tzinfo=timezone.utc)

    def test_contact_facts_come_from_the_activities_and_notes_are_not_attempts(self, core, team, tmp_path):
        rows = (HEADER
                + "L1,11/20/2026 09:00 AM,Ann Lee,312-555-0101,ann@example.com,Cars.com,Note,11/20/2026 09:01 AM,Sam,Lost\n"
                + "L1,11/20/2026 09:00 AM,Ann Lee,312-555-0101,ann@example.com,Phone Call,11/20/2026 09:04 AM,Sam,Lost\n"
                  .replace(",Phone Call", ",Cars.com,Phone Call")
                + "L1,11/20/2026 09:00 AM,Ann Lee,312-555-0101,ann@example.com,Cars.com,Text,11/22/2026 09:00 AM,Sam,Lost\n")
        import_history(core, team.id, write(tmp_path, rows))
        lead = leads(core)["L1"]
        assert (lead.phone, lead.email, lead.source, lead.status, lead.attempts) == (
            "+13125550101", "ann@example.com", "Cars.com", "lost", 2)
        assert lead.submitted_at == datetime(2026, 11, 20, 15, 0, tzinfo=timezone.utc)  # 09:00 Chicago
        assert lead.first_contact_at - lead.submitted_at == timedelta(minutes=4)
        assert lead.closed_at == datetime(2026, 11, 22, 15, 0, tzinfo=timezone.utc)

    def test_the_report_says_what_was_skipped_and_why(self, core, team, tmp_path):
        rows = (HEADER
                + "L1,11/20/2026 09:00 AM,Ann Lee,,,Web,Phone Call,11/20/2026 08:00 AM,Sam,Active\n"
                + "L1,11/20/2026 09:00 AM,Ann Lee,,,Web,Phone Call,,Sam,Active\n"
                + "L2,,Bo Park,,,Web,Phone Call,11/20/2026 08:00 AM,Sam,Active\n"
                + "L3,11/20/2026 09:00 AM,Cy Diaz,,,Web,Auto Response Email,11/20/2026 09:00 AM,Sam,Active\n"
                + "L3,11/20/2026 09:00 AM,Cy Diaz,,,Web,Fax,11/20/2026 09:30 AM,Sam,Active\n"
                + "L4,soon,Di Fox,,,Web,Phone Call,11/20/2026 09:30 AM,Sam,Active\n"
                + "\n")
        report = import_history(core, team.id, write(tmp_path, rows))
        assert dict(report.skipped) == {
            "activity before submission": 1, "activity with no date": 1, "no lead date": 1,
            "automated, not a contact attempt": 1,
            "activity type not a call, text, e-mail, appointment or note": 1, "unreadable lead date": 1,
        }
        assert "skipped, activity before submission: 1 rows" in report.lines()
        assert set(leads(core)) == {"L1", "L3"}

    def test_a_file_with_lead_and_first_second_contact_columns_is_read_one_row_per_lead(self, core, team, tmp_path):
        rows = ("Opportunity ID,Date Created,First Name,Last Name,Mobile,Lead Source,First Contact,Second Contact,"
                "Salesperson,Lead Status\n"
                "77,2026-11-20 09:00,Ann,Lee,3125550101,Web,2026-11-20 09:03,2026-11-21 09:00,Sam,Sold\n")
        report = import_history(core, team.id, write(tmp_path, rows))
        assert report.layout == "one row per lead"
        lead = leads(core)["77"]
        assert (lead.customer_name, lead.attempts, lead.status) == ("Ann Lee", 2, "won")
        assert lead.first_contact_at - lead.submitted_at == timedelta(minutes=3)

    def test_map_names_a_column_the_aliases_do_not_know(self, core, team, tmp_path):
        rows = "Opp #,Opened,Who,Kind,When\nA1,11/20/2026 09:00 AM,Ann Lee,Call,11/20/2026 09:05 AM\n"
        with pytest.raises(CannotImport, match="no lead id or customer column"):
            import_history(core, team.id, write(tmp_path, rows))
        import_history(core, team.id, write(tmp_path, rows), mapping={
            "Opp #": "lead_id", "Opened": "created", "Who": "customer", "Kind": "activity_type",
            "When": "activity_date"})
        assert leads(core)["A1"].attempts == 1

    def test_a_semicolon_separated_export_with_a_byte_order_mark_is_read(self, core, team, tmp_path):
        rows = "\ufeff" + (HEADER + "L1;11/20/2026 09:00 AM;Ann Lee;;;Web;Call;11/20/2026 09:02 AM;Sam;Active\n"
                           ).replace(",", ";")
        import_history(core, team.id, write(tmp_path, rows))
        assert leads(core)["L1"].attempts == 1

    def test_the_tz_option_reads_local_times_in_another_zone(self, core, team, tmp_path):
        rows = HEADER + "L1,11/20/2026 09:00 AM,Ann Lee,,,Web,,,Sam,Active\n"
        import_history(core, team.id, write(tmp_path, rows), tz="America/New_York")
        assert leads(core)["L1"].submitted_at == datetime(2026, 11, 20, 14, 0, tzinfo=timezone.utc)


class TestDaylightSavingEnds:
    """Chicago, 2026-11-01: 01:00-01:59 happens twice (CDT, UTC-5, then CST, UTC-6)."""

    def test_a_time_in_the_repeated_hour_is_read_as_the_first_one_daylight_time(self, core, team, tmp_path):
        rows = HEADER + "L1,11/01/2026 01:30 AM,Ann Lee,,,Web,Phone Call,11/01/2026 01:45 AM,Sam,Active\n"
        import_history(core, team.id, write(tmp_path, rows))
        lead = leads(core)["L1"]
        assert lead.submitted_at == datetime(2026, 11, 1, 6, 30, tzinfo=timezone.utc)  # 01:30 CDT
        assert lead.first_contact_at - lead.submitted_at == timedelta(minutes=15)

    def test_an_activity_that_would_precede_its_lead_is_read_as_the_second_pass(self, core, team, tmp_path):
        rows = HEADER + "L1,11/01/2026 01:50 AM,Ann Lee,,,Web,Phone Call,11/01/2026 01:10 AM,Sam,Active\n"
        report = import_history(core, team.id, write(tmp_path, rows))
        lead = leads(core)["L1"]
        assert not report.skipped
        assert lead.first_contact_at == datetime(2026, 11, 1, 7, 10, tzinfo=timezone.utc)  # 01:10 CST
        assert lead.first_contact_at - lead.submitted_at == timedelta(minutes=20)

    def test_an_activity_before_its_lead_outside_the_repeated_hour_is_still_skipped(self, core, team, tmp_path):
        rows = HEADER + "L1,11/01/2026 03:50 AM,Ann Lee,,,Web,Phone Call,11/01/2026 03:10 AM,Sam,Active\n"
        assert import_history(core, team.id, write(tmp_path, rows)).skipped["activity before submission"] == 1


def test_the_import_command_shows_the_report(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    runner.invoke(app, ["team", "create", "--name", "Demo Motors", "--database-url", url])
    result = runner.invoke(app, ["import", str(SAMPLE), "--database-url", url])
    assert result.exit_code == 0, result.output
    assert "leads:" in result.output and "activities:" in result.output and "skipped" in result.output
    bad = runner.invoke(app, ["import", str(SAMPLE), "--map", "Nope=lead_id", "--database-url", url])
    assert bad.exit_code == 1 and "no column 'Nope'" in bad.output
