"""`chatbot import`: a CRM's history in, idempotently, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from chatbot.core import bootstrap
from chatbot.intake.history import CannotImport, import_history
from chatbot.ladder.deadlines import hours_of
from chatbot.reports.figures import baseline
from chatbot.reports.periods import period_for
from chatbot.store.db import transaction
from chatbot.store.models import Lead, OutboxMessage, Touch
from chatbot.team import roster
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


def claim_median_s(core, team, days: str) -> float | None:
    with transaction(core.engine) as session:
        return baseline(session, team, period_for(days, hours_of(team), core.clock.now()), core.clock.now()).claim_median_s


# Chicago, Friday 2026-11-20 (CST, UTC-6). Claims by hand: L1 09:00 -> 09:02 = 120 s (its
# reassignment the next day does not move it); L2 10:00 -> 10:10 = 600 s (its 09:30 assignment
# precedes the lead: skipped); L3 never assigned; L4 13:00 -> 13:30 = 1,800 s (the 15:00 owner
# change, listed first, is later). Median of 120, 600, 1,800: 600 s.
ASSIGNMENTS = (HEADER
               + "L1,11/20/2026 09:00 AM,Ann Lee,,,Web,Lead Assigned,11/20/2026 09:02 AM,Sam,Active\n"
               + "L1,11/20/2026 09:00 AM,Ann Lee,,,Web,Phone Call,11/20/2026 09:10 AM,Sam,Active\n"
               + "L1,11/20/2026 09:00 AM,Ann Lee,,,Web,Reassigned,11/21/2026 10:00 AM,Alex,Active\n"
               + "L2,11/20/2026 10:00 AM,Bo Park,,,Web,Assigned to,11/20/2026 09:30 AM,Jordan,Active\n"
               + "L2,11/20/2026 10:00 AM,Bo Park,,,Web,Round Robin Auto-Assign,11/20/2026 10:10 AM,Jordan,Active\n"
               + "L3,11/20/2026 11:00 AM,Cy Diaz,,,Web,Phone Call,11/20/2026 11:05 AM,Sam,Active\n"
               + "L4,11/20/2026 01:00 PM,Di Fox,,,Web,Owner Changed,11/20/2026 03:00 PM,Alex,Active\n"
               + "L4,11/20/2026 01:00 PM,Di Fox,,,Web,Lead Assigned,11/20/2026 01:30 PM,Sam,Active\n")


class TestClaims:
    def test_the_first_assignment_at_or_after_submission_is_the_claim(self, core, team, tmp_path):
        report = import_history(core, team.id, write(tmp_path, ASSIGNMENTS))
        found = leads(core)
        claims = {key: lead.claimed_at and lead.claimed_at - lead.submitted_at for key, lead in found.items()}
        assert claims == {"L1": timedelta(minutes=2), "L2": timedelta(minutes=10), "L3": None,
                          "L4": timedelta(minutes=30)}
        assert found["L1"].claimed_at == datetime(2026, 11, 20, 15, 2, tzinfo=timezone.utc)  # 09:02 CST
        assert claim_median_s(core, team, "2026-11-20..2026-11-20") == 600
        assert (report.claims_read, report.claims_new, report.reassignments) == (3, 3, 2)
        assert dict(report.skipped) == {"activity before submission": 1}

    def test_assignments_are_not_contact_attempts(self, core, team, tmp_path):
        report = import_history(core, team.id, write(tmp_path, ASSIGNMENTS))
        found = leads(core)
        assert report.touches_new == table_counts(core)[1] == 2  # L1's call and L3's call
        assert {key: lead.attempts for key, lead in found.items()} == {"L1": 1, "L2": 0, "L3": 1, "L4": 0}
        assert found["L1"].first_contact_at - found["L1"].submitted_at == timedelta(minutes=10)
        assert found["L2"].first_contact_at is None and found["L2"].last_activity_at == found["L2"].submitted_at

    def test_the_report_says_how_many_claims_it_read(self, core, team, tmp_path):
        lines = import_history(core, team.id, write(tmp_path, ASSIGNMENTS)).lines()
        assert "claims: 3 read (each lead's first assignment), 3 new; 2 later reassignments do not move them" in lines
        again = import_history(core, team.id, write(tmp_path, ASSIGNMENTS)).lines()
        assert "claims: 3 read (each lead's first assignment), 0 new; 2 later reassignments do not move them" in again
        no_claims = HEADER + "L9,11/20/2026 09:00 AM,Ed Poe,,,Web,Phone Call,11/20/2026 09:05 AM,Sam,Active\n"
        assert "claims: none read (no assignment activities, so no time to claim)" in import_history(
            core, team.id, write(tmp_path, no_claims, "no_claims.csv")).lines()

    def test_importing_assignments_twice_changes_no_claim(self, core, team, tmp_path):
        import_history(core, team.id, write(tmp_path, ASSIGNMENTS))
        before = {key: lead.claimed_at for key, lead in leads(core).items()}
        import_history(core, team.id, write(tmp_path, ASSIGNMENTS))
        assert {key: lead.claimed_at for key, lead in leads(core).items()} == before

    def test_a_later_export_with_an_earlier_assignment_moves_an_imported_claim_back_and_never_forward(
            self, core, team, tmp_path):
        lead_row = "L4,11/20/2026 01:00 PM,Di Fox,,,Web,{},{},Sam,Active\n"
        first = HEADER + lead_row.format("Owner Changed", "11/20/2026 03:00 PM")  # claim 2 h after
        import_history(core, team.id, write(tmp_path, first))
        later = first + lead_row.format("Lead Assigned", "11/20/2026 01:30 PM") + lead_row.format(
            "Reassigned", "11/20/2026 05:00 PM")
        report = import_history(core, team.id, write(tmp_path, later, "later.csv"))
        assert report.claims_new == 1
        assert leads(core)["L4"].claimed_at == datetime(2026, 11, 20, 19, 30, tzinfo=timezone.utc)  # 13:30 CST


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


class TestGettingStartedFromAnExport:
    def test_import_with_tz_creates_the_team_it_names_and_says_so(self, tmp_path):
        url = f"sqlite:///{tmp_path / 'new.db'}"
        export = write(tmp_path, HEADER + "L1,11/20/2026 09:00 AM,Ann Lee,,,Web,Phone Call,11/20/2026 09:05 AM,Sam,Won\n")
        command = ["import", str(export), "--team", "Demo Motors", "--tz", "America/New_York", "--database-url", url]
        result = CliRunner().invoke(app, command)
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(
            "Created team #1: Demo Motors (America/New_York, phones read as US); it did not exist.\n"
            "Imported export.csv into Demo Motors:\n")
        core = bootstrap(url)
        assert [(t.name, t.timezone, t.platform) for t in roster.all_teams(core)] == [
            ("Demo Motors", "America/New_York", "api")]
        assert leads(core)["L1"].submitted_at == datetime(2026, 11, 20, 14, 0, tzinfo=timezone.utc)  # 09:00 EST

        again = CliRunner().invoke(app, command)
        assert again.exit_code == 0 and "Created team" not in again.stdout
        assert len(roster.all_teams(core)) == 1

    def test_a_file_that_cannot_be_imported_creates_no_team(self, tmp_path):
        url = f"sqlite:///{tmp_path / 'new.db'}"
        export = write(tmp_path, "Opp #,Opened\nA1,11/20/2026 09:00 AM\n")
        result = CliRunner().invoke(app, ["import", str(export), "--team", "Demo Motors", "--tz", "America/Chicago",
                                          "--database-url", url])
        assert result.exit_code == 1
        assert result.stderr == ("Cannot import export.csv: no lead id or customer column; name one with --map, "
                                 "e.g. --map 'Opp #=lead_id'\n")
        assert roster.all_teams(bootstrap(url)) == []

    def test_without_tz_a_team_that_does_not_exist_is_still_refused_saying_how(self, tmp_path):
        url = f"sqlite:///{tmp_path / 'new.db'}"
        result = CliRunner().invoke(app, ["import", str(SAMPLE), "--team", "Demo Motors", "--database-url", url])
        assert result.exit_code == 1
        assert result.stderr == ("No team called 'Demo Motors'. Create it first: chatbot team create --name "
                                 "'Demo Motors' --timezone America/Chicago\n")
        assert roster.all_teams(bootstrap(url)) == []

    def test_the_baseline_shows_time_to_claim_after_importing_the_sample(self, tmp_path):
        # By hand from examples/crm_export_sample.csv: 87 leads were created Oct 21-Nov 19; 77 of
        # them have an assignment at or after creation. Their first assignments, sorted, put
        # CRM-100099 39th, the middle: created 11/05/2026 05:38 PM, Lead Assigned 05:41 PM, 3 min.
        url = f"sqlite:///{tmp_path / 'demo.db'}"
        runner = CliRunner()
        imported = runner.invoke(app, ["import", str(SAMPLE), "--team", "Demo Motors", "--tz", "America/Chicago",
                                       "--database-url", url])
        assert imported.exit_code == 0, imported.output
        command = ["baseline", "--team", "Demo Motors", "--period", "30d", "--as-of", "2026-11-20T00:00-06:00",
                   "--database-url", url]
        shown = runner.invoke(app, command)
        assert shown.exit_code == 0, shown.output
        assert "Demo Motors: 87 lead(s)" in shown.stdout
        assert "  Time to claim: median 3 min" in shown.stdout
        figures = json.loads(runner.invoke(app, [*command, "--json"]).stdout)
        assert (figures["leads"], figures["claim_median_s"]) == (87, 180)
