"""The reports a manager acts on, from two weeks worked out by hand, on SQLite and PostgreSQL:
/baseline against the week before and the targets (verdict first, by rep, by source, after
hours), /stalled's two sections with Nudge and Reassign, paging, the nudge itself, and the
CSV whose columns add up to the figures."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from chatbot.commands import Caller, run_command
from chatbot.ladder.deadlines import hours_of
from chatbot.leads import tracker
from chatbot.leads.nudge import nudge_lead
from chatbot.messaging.phrasebook import Phrasebook
from chatbot.reports.figures import by_group, compare
from chatbot.reports.periods import period_for
from chatbot.store.db import transaction
from chatbot.store.models import OutboxMessage
from entrypoints.cli import app
from tests.conftest import CHICAGO
from tests.helpers import new_lead

PHRASES = Phrasebook(command_prefix="/")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=CHICAGO)


NOW = at(24, 10)


@pytest.fixture
def two_weeks(core, team, clock):
    """Week before, Mon 9 - Sun 15 Nov (Chicago, open Mon-Sat 9-19):
    P1 Mon 9 10:00   Sam calls +10 min
    P2 Tue 10 10:00  Alex calls +20 min
    P3 Wed 11 10:00  never touched (still open, unclaimed)
    P4 Thu 12 10:00  Sam calls +4 min, texts +24 h (second contact in time)
    The week, Mon 16 - Sun 22 Nov:
    A Mon 16 10:00 Cars.com  Sam calls +3 min
    B Tue 17 10:00 Website   Alex calls +12 min
    C Wed 18 10:00 Website   Alex calls +30 min, closes it lost at 11:00 after that one attempt
    D Thu 19 10:00 Cars.com  never touched
    E Fri 20 21:00 Cars.com  after hours; Sam calls +1 h
    Report time: Tue 24 Nov 10:00. A call claims an unclaimed lead."""
    def lead(name, when, source="Cars.com"):
        clock.set(when)
        return new_lead(core, team, name=name, external_id=name, source=source, phone=None, email=None)

    def do(when, action, *args, **kwargs):
        clock.set(when)
        return action(core, team.id, *args, **kwargs)

    ids = {}
    ids["P1"] = lead("P1", at(9, 10))
    do(at(9, 10, 10), tracker.log_touch, ids["P1"], "sam", "call")
    ids["P2"] = lead("P2", at(10, 10))
    do(at(10, 10, 20), tracker.log_touch, ids["P2"], "alex", "call")
    ids["P3"] = lead("P3", at(11, 10))
    ids["P4"] = lead("P4", at(12, 10))
    do(at(12, 10, 4), tracker.log_touch, ids["P4"], "sam", "call")
    do(at(13, 10, 4), tracker.log_touch, ids["P4"], "sam", "text")
    ids["A"] = lead("A", at(16, 10))
    do(at(16, 10, 3), tracker.log_touch, ids["A"], "sam", "call")
    ids["B"] = lead("B", at(17, 10), "Website")
    do(at(17, 10, 12), tracker.log_touch, ids["B"], "alex", "call")
    ids["C"] = lead("C", at(18, 10), "Website")
    do(at(18, 10, 30), tracker.log_touch, ids["C"], "alex", "call")
    do(at(18, 11), tracker.close, ids["C"], "alex", won=False, reason="bought elsewhere")
    ids["D"] = lead("D", at(19, 10))
    ids["E"] = lead("E", at(20, 21))
    do(at(20, 22), tracker.log_touch, ids["E"], "sam", "call")
    clock.set(NOW)
    return ids


def week_of_16(team):
    return period_for("2026-11-16..2026-11-22", hours_of(team), NOW)


def test_the_week_and_the_week_before_match_a_hand_count(core, team, two_weeks):
    with transaction(core.engine) as session:
        both = compare(session, team, week_of_16(team), NOW)
    week, before = both.now, both.before
    assert (before.period.start, before.period.end) == (at(9, 0), at(16, 0))
    # the week: first contact 180, 720, 1800, 3600 s; D never
    assert (week.leads, week.contacted, week.first_contact_median_s) == (5, 4, (720 + 1800) / 2)
    assert (week.within_5_min, week.within_target) == (1, 2)
    assert (week.second_contact_eligible, week.second_contact_within_48h) == (4, 0)
    assert (week.stalled, week.lost, week.lost_few_attempts) == (3, 1, 1)  # A, B, E quiet since before Nov 21 10:00
    # the week before: 600, 1200, 240 s; P3 never; P4's text came 24 h after its call
    assert (before.leads, before.contacted, before.first_contact_median_s) == (4, 3, 600)
    assert (before.within_5_min, before.within_target) == (1, 2)
    assert (before.second_contact_eligible, before.second_contact_within_48h) == (3, 1)
    assert (before.stalled, before.lost) == (3, 0)


def test_baseline_says_the_verdict_first_then_each_figure_against_before_and_target(core, team, two_weeks):
    reply = run_command(core, Caller(team.id, "pat"), "baseline 2026-11-16..2026-11-22", PHRASES)
    assert not reply.refused
    assert list(reply.lines) == [
        "First contact took 21 min on median, target 15 min; 40% of leads were reached within 15 min, down from 50%.",
        "Baseline, Nov 16-Nov 22: 5 lead(s), 4 contacted, 1 never contacted · before (Nov 09-Nov 15): 4 lead(s), "
        "1 never contacted",
        "  First contact: median 21 min (before 10 min), target 15 min · mean 26 min · p90 1 h (before 20 min)",
        "  Within 5 min: 20% (1/5), before 25% · within target 15 min: 40% (2/5), before 50%; target 100%",
        "  Second contact within 48 h: 0% (0/4), before 33%; target 100% · median gap n/a (before 1 d)",
        "  Time to claim: median 21 min (before 10 min) · stalled now (no activity for over 3 days): 3 (before 3), "
        "target 0 · lost with < 3 attempts: 1 of 1 lost (before 0 of 0), target 0",
        "  After hours: 1 lead(s), median 1 h, within 15 min 0% (0/1) · inside hours: 4 lead(s), median 12 min, "
        "within 15 min 50% (2/4)",
    ]


def test_baseline_by_rep_and_by_source_split_the_cohort(core, team, two_weeks):
    by_rep = run_command(core, Caller(team.id, "pat"), "baseline 2026-11-16..2026-11-22 by rep", PHRASES).table
    assert by_rep.title == "By rep:"
    assert by_rep.rows == (
        ("Alex", "2 lead(s)", "0 never contacted", "median 21 min", "50% in 15 min (1/2)", "0% 2nd in 48 h (0/2)",
         "1 stalled", "1 lost < 3 tries"),
        ("Sam", "2 lead(s)", "0 never contacted", "median 31 min", "50% in 15 min (1/2)", "0% 2nd in 48 h (0/2)",
         "2 stalled", "0 lost < 3 tries"),
        ("unclaimed", "1 lead(s)", "1 never contacted", "median n/a", "0% in 15 min (0/1)", "n/a 2nd in 48 h (0/0)",
         "0 stalled", "0 lost < 3 tries"),
    )
    with transaction(core.engine) as session:
        sources = by_group(session, team, week_of_16(team), NOW, "source")
    assert [(g.name, g.leads, g.contacted, g.first_contact_median_s, g.within_target) for g in sources] == [
        ("Cars.com", 3, 2, (180 + 3600) / 2, 1), ("Website", 2, 2, (720 + 1800) / 2, 1)]


def test_labels_follow_the_teams_windows(core, team, two_weeks):
    for name, value in (("second-contact", "24h"), ("stall", "5d"), ("first-contact", "10m")):
        assert not run_command(core, Caller(team.id, "pat"), f"followup set {name} {value}", PHRASES).refused
    text = run_command(core, Caller(team.id, "pat"), "baseline 2026-11-16..2026-11-22", PHRASES).text
    assert "Second contact within 24 h:" in text and "no activity for over 5 days" in text
    assert "target 10 min" in text and "within 48 h" not in text


def test_the_default_period_includes_today_and_says_so(core, team, clock):
    clock.set(at(24, 9))
    lead_id = new_lead(core, team, external_id="today")
    clock.set(at(24, 9, 5))
    tracker.log_touch(core, team.id, lead_id, "sam", "call")
    clock.set(at(24, 18))
    reply = run_command(core, Caller(team.id, "pat"), "baseline", PHRASES)
    assert reply.lines[0] == ("First contact took 5 min on median, target 15 min; 100% of leads were reached within "
                              "15 min (no leads the period before).")
    assert reply.lines[1].startswith("Baseline, last 7 days (Nov 18-Nov 24, today so far): 1 lead(s)")
    # compared with the 7 days before, up to the same time of day
    assert "before (Nov 11-Nov 17 to 18:00)" in reply.lines[1]
    assert "7d" in PHRASES.command("baseline 7d") and "this-week" in " ".join(
        line for line in run_command(core, Caller(team.id, "pat"), "help", PHRASES).lines)


def test_stalled_has_two_sections_with_nudge_and_reassign_for_a_manager(core, team, two_weeks):
    reply = run_command(core, Caller(team.id, "pat"), "stalled", PHRASES)
    quiet, waiting = reply.tables
    assert quiet.title == "Stalled: 6 open lead(s) with no activity for over 3 days"
    assert [row[0] for row in quiet.rows] == ["#1 P1 (Cars.com)", "#2 P2 (Cars.com)", "#4 P4 (Cars.com)",
                                              "#5 A (Cars.com)", "#6 B (Website)", "#9 E (Cars.com)"]
    assert quiet.rows[2] == ("#4 P4 (Cars.com)", "Sam", "last touch text Nov 13 10:04 (10 d 23 h ago)", "quiet 10 d 23 h",
                             "2 attempt(s)")
    assert waiting.title == "Never contacted: 2 open lead(s) past the 15 min first-contact window with no attempt"
    assert waiting.rows == (
        ("#3 P3 (Cars.com)", "unclaimed", "no touch yet", "asked Nov 11 10:00 (13 d ago)", "0 attempt(s)"),
        ("#8 D (Cars.com)", "unclaimed", "no touch yet", "asked Thu 10:00 (5 d ago)", "0 attempt(s)"),
    )
    assert [(a.act, a.label, a.command) for a in quiet.actions[0]] == [
        ("nudge", "Nudge", "/nudge 1"), ("reassign", "Reassign", "/reassign 1 @rep")]
    assert [name for _, name in quiet.actions[0][1].choices] == ["Alex", "Jordan", "Pat"]  # not Sam, who has it
    assert [a.act for a in waiting.actions[0]] == ["reassign"]  # nobody to nudge on an unclaimed lead
    assert quiet.more is None and waiting.more is None
    assert reply.share == "stalled"


def test_a_rep_sees_the_lists_and_may_reassign_only_their_own_or_unclaimed(core, team, two_weeks):
    quiet, waiting = run_command(core, Caller(team.id, "sam"), "stalled", PHRASES).tables
    acts = {row[0]: [a.act for a in actions] for row, actions in zip(quiet.rows, quiet.actions)}
    assert acts["#1 P1 (Cars.com)"] == ["reassign"] and acts["#2 P2 (Cars.com)"] == []
    assert all([a.act for a in actions] == ["reassign"] for actions in waiting.actions)


def test_stalled_narrowed_to_a_rep_and_a_source(core, team, two_weeks):
    reply = run_command(core, Caller(team.id, "pat"), "stalled @alex Website", PHRASES)
    (quiet,) = reply.tables
    assert [row[0] for row in quiet.rows] == ["#6 B (Website)"]
    assert reply.lines == ("Never contacted: none; every open lead older than 15 min has had a contact attempt.",)


def test_a_long_list_is_paged_ten_at_a_time(core, team, clock):
    clock.set(at(24, 8))
    for n in range(12):
        new_lead(core, team, name=f"N{n:02d}", external_id=f"N{n}", phone=None, email=None)
        clock.advance(timedelta(minutes=1))
    clock.set(NOW)
    first = run_command(core, Caller(team.id, "pat"), "stalled", PHRASES)
    assert first.lines == ("No stalled leads: every contacted open lead has had activity in the last 3 days.",)
    (waiting,) = first.tables
    assert len(waiting.rows) == 10 and waiting.more == "2 more: /stalled page 2"
    (second,) = run_command(core, Caller(team.id, "pat"), "stalled page 2", PHRASES).tables
    assert [row[0] for row in second.rows] == ["#11 N10 (Cars.com)", "#12 N11 (Cars.com)"]
    assert second.title.endswith("(page 2: 11-12)") and second.more is None
    refused = run_command(core, Caller(team.id, "pat"), "stalled page two", PHRASES)
    assert refused.refused and "'page' needs a page number" in refused.text


def test_a_nudge_queues_a_direct_message_to_the_owner_and_changes_no_figure(core, team, two_weeks):
    said = nudge_lead(core, team.id, two_weeks["A"], "pat")
    assert said == "Sam is nudged about A (lead #5) by direct message."
    with transaction(core.engine) as session:
        (queued,) = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "notice")
                                 .order_by(OutboxMessage.id.desc()).limit(1)).all()
        assert queued.payload["to"] == "direct" and queued.payload["address"] == "sam"
        assert queued.payload["text"] == ("Pat nudges you about A (lead #5): has had no activity for 7 d 23 h (last "
                                          "Nov 16 10:03, 1 attempt(s)). Move it forward or close it.")
        assert compare(session, team, week_of_16(team), NOW).now.stalled == 3  # not activity: still stalled


@pytest.mark.parametrize("who, lead, refusal", [
    ("sam", "A", "Nudges are for managers. Ask your sales manager."),
    ("pat", "D", "D is unclaimed: nobody to nudge. Reassign it to a rep."),
    ("pat", "C", "Lead #7 (C) is closed lost; nothing to do."),
])
def test_a_nudge_that_cannot_be_sent_is_refused_and_queues_nothing(core, team, two_weeks, who, lead, refusal):
    with transaction(core.engine) as session:
        before = len(session.exec(select(OutboxMessage)).all())
    reply = run_command(core, Caller(team.id, who), f"nudge {two_weeks[lead]}", PHRASES)
    assert reply.refused and reply.text == refusal
    with transaction(core.engine) as session:
        assert len(session.exec(select(OutboxMessage)).all()) == before


def test_the_csv_has_one_row_per_cohort_lead_and_its_columns_add_up_to_the_figures(core, team, two_weeks):
    url = core.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["baseline", "--period", "2026-11-16..2026-11-22", "--as-of",
                                      "2026-11-24T10:00:00-06:00", "--csv", "--team", "Demo Motors",
                                      "--database-url", url])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [r["customer"] for r in rows] == ["A", "B", "C", "D", "E"]
    e = rows[4]
    assert (e["submitted_at"], e["first_contact_at"], e["after_hours"]) == (
        "2026-11-20T21:00:00-06:00", "2026-11-20T22:00:00-06:00", "1")
    assert (e["seconds_to_first_contact"], e["within_target"], e["stalled"], e["owner"]) == ("3600", "0", "1", "Sam")
    c = rows[2]
    assert (c["status"], c["attempts"], c["lost_few_attempts"], c["closed_at"]) == (
        "lost", "1", "1", "2026-11-18T11:00:00-06:00")
    d = rows[3]
    assert (d["first_contact_at"], d["seconds_to_first_contact"], d["within_5_min"], d["owner"]) == ("", "", "0", "")

    def total(column):
        return sum(int(r[column]) for r in rows)

    assert (total("within_5_min"), total("within_target"), total("second_contact_eligible"),
            total("second_contact_within_window"), total("stalled"), total("lost_few_attempts")) == (1, 2, 4, 0, 3, 1)


def test_by_words_that_cannot_be_read_are_refused(core, team, two_weeks):
    reply = run_command(core, Caller(team.id, "pat"), "baseline by colour", PHRASES)
    assert reply.refused and reply.text == "/baseline: split by rep or by source, e.g. /baseline 30d by rep."



def test_the_spring_forward_day_is_a_day_and_durations_are_real_seconds(core, team, clock):
    asked = datetime(2026, 3, 8, 1, 50, tzinfo=CHICAGO)  # clocks jump 02:00 -> 03:00 this night
    clock.set(asked)
    lead_id = new_lead(core, team, external_id="dst")
    clock.set(datetime(2026, 3, 8, 3, 10, tzinfo=CHICAGO))
    tracker.log_touch(core, team.id, lead_id, "sam", "call")
    report_time = datetime(2026, 3, 10, 12, 0, tzinfo=CHICAGO)
    period = period_for("2026-03-08..2026-03-08", hours_of(team), report_time)
    with transaction(core.engine) as session:
        both = compare(session, team, period, report_time)
    utc = ZoneInfo("UTC")
    assert period.end.astimezone(utc) - period.start.astimezone(utc) == timedelta(hours=23)
    assert (both.before.period.start, both.before.period.end) == (datetime(2026, 3, 7, tzinfo=CHICAGO), period.start)
    assert (both.now.leads, both.now.first_contact_median_s, both.now.within_target) == (1, 1200, 0)


def test_the_json_carries_the_period_before_under_the_same_keys(core, team, two_weeks):
    url = core.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["baseline", "--period", "2026-11-16..2026-11-22", "--as-of",
                                      "2026-11-24T10:00:00-06:00", "--json", "--team", "Demo Motors",
                                      "--database-url", url])
    assert result.exit_code == 0, result.output
    before = json.loads(result.output)["previous_period"]
    assert before["period"]["start"] == "2026-11-09T00:00:00-06:00"
    assert (before["leads"], before["never_contacted"], before["first_contact_median_s"]) == (4, 1, 600.0)
    assert (before["within_target_pct"], before["second_contact_within_48h"], before["stalled"]) == (50.0, 1, 3)
