"""A whole lead's life, scripted in the console exactly as a person would type it."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from adapters.console.session import ConsoleSession
from tests.helpers import snapshot

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """\
# two leads arrive; Sam and Alex both react to the first
/demo 2
@sam /react 1
@alex /react 1
@alex /react 2
@alex /call 2 left voicemail
/wait 20m
@sam /call 1 talked, coming in Saturday
/wait 49h
/baseline
/wait 3d
@alex /text 2
/stalled
"""


def run_console(core, clock, script: str) -> str:
    out = io.StringIO()
    session = ConsoleSession(core, clock, Console(file=out, width=200, soft_wrap=True, color_system=None))
    session.run(script.splitlines(), echo=True)
    return out.getvalue()


def section(transcript: str, command: str, until: str | None = None) -> str:
    """What the console printed after `command`, up to the next prompt line."""
    after = transcript.split(f"> {command}\n", 1)[1]
    lines = []
    for line in after.splitlines():
        if line.split("> ", 1)[0] in ("sam", "alex", "jordan", "pat") and "> /" in line or line.startswith(("sam> ", "alex> ", "@")):
            break
        lines.append(line)
    return "\n".join(lines)


@pytest.fixture
def transcript(core, clock) -> str:
    return run_console(core, clock, SCRIPT)


def test_a_lead_is_posted_claimed_escalated_followed_up_and_reported(transcript):
    posted = section(transcript, "/demo 2")
    assert "#leads · New lead #1: Maria Gonzalez" in posted and "(312) 555-0147" in posted

    claimed = section(transcript, "@sam /react 1")
    assert "(to sam only) Maria Gonzalez is yours" in claimed
    assert "card #1 Sam owns it" in claimed

    # the second reactor is told, privately, who has it; the card does not change
    refused = section(transcript, "@alex /react 1")
    assert refused.strip() == "(to alex only) Sam has this lead since 10:00 (0s ago)."

    # 20 minutes, no touch on lead 1: a heads-up 5 minutes before the deadline, then exactly one
    # escalation, both to its owner
    waited = section(transcript, "/wait 20m")
    assert waited.count("✉ to") == 2
    assert "✉ to Sam: Heads-up: call Maria Gonzalez by 10:15 (in 5 min); they asked 10 min ago." in waited
    assert "✉ to Sam: Maria Gonzalez asked 15 min ago and has not been contacted. Call now: (312) 555-0147." in waited
    assert "#1 thread: @Sam Maria Gonzalez asked 15 min ago" in waited

    # the call shows the second-contact deadline 48 h later
    called = section(transcript, "@sam /call 1 talked, coming in Saturday")
    assert "First contact 20 min after asking. Second contact due by Thu 10:20 (in 2 d)." in called

    # 49 h later the second-contact escalation fires once for each lead (lead 2 was called at 10:00)
    later = section(transcript, "/wait 49h")
    assert later.count("✉ to Sam: Maria Gonzalez is due a second contact") == 1
    assert later.count("✉ to Alex: James Carter is due a second contact") == 1
    assert "On-call" not in later and "Managers" not in later
    # the console runs the worker's tick: at each shift's start the incoming rep hears what is open
    assert later.splitlines()[:2] == [
        "  ✉ to Sam: Sam, you are on call now, until 09:00 Wed. 2 open lead(s), 0 overdue.",
        "  ✉ to Alex: Alex, you are on call now, until 09:00 Thu. 2 open lead(s), 0 overdue."]

    # the default period includes today: it says so, and compares with the 7 days before
    report = section(transcript, "/baseline")
    assert report.splitlines()[0] == ("  (to alex only) First contact took 10 min on median, target 15 min; 50% of "
                                      "leads were reached within 15 min (no leads the period before).")
    assert "Baseline, last 7 days (Nov 20-Nov 26, today so far): 2 lead(s), 2 contacted, 0 never contacted" in report
    assert "First contact: median 10 min (before n/a), target 15 min · mean 10 min · p90 20 min" in report
    assert "Second contact within 48 h: 0% (0/2), before n/a; target 100%" in report

    stalled = section(transcript, "/stalled")
    assert "Stalled: 1 open lead(s) with no activity for over 3 days" in stalled
    row = next(line for line in stalled.splitlines() if "Maria Gonzalez" in line)
    assert [cell.strip() for cell in row.split("│")] == [
        "#1 Maria Gonzalez (Cars.com)", "Sam", "last touch call Tue 10:20 (5 d 1 h ago)", "quiet 5 d 1 h",
        "1 attempt(s)", ""]  # Alex asked, and it is Sam's: no Nudge (managers) and no Reassign (owner or manager)
    assert "James Carter" not in stalled
    assert "Never contacted: none" in stalled


@pytest.mark.parametrize("line, answer", [
    ("@bob /react 1", "✗ Nobody called bob is on this team. People: Alex, Jordan, Pat, Sam."),
    ("/react 99", "✗ There is no lead #99 on this team."),
    ("/frobnicate", "✗ /frobnicate is not a command. /help lists them."),
    ("hello", "✗ 'hello' is not a command. Commands start with /; /help lists them."),
    ("/call", "✗ Which lead? Usage: /call N [reached | voicemail | no answer]"),
    ("/call one", "✗ 'one' is not a lead number. Usage: /call N [reached | voicemail | no answer]"),
    ("/wait soon", "✗ 'soon' is not a duration. Try 45s, 20m, 2h, 3d or 1h30m."),
    ("/lost 1", "✗ Say why it was lost, e.g. bought elsewhere."),
    ("/note 1", "✗ A note needs text, e.g. customer's wife called back."),
    ("/baseline yesterday", "✗ /baseline: 'yesterday' is not a period (7d, 30d, this-week, last-week or "
                            "2026-11-09..2026-11-15), a @rep or a lead source (Cars.com)."),
    ("/stalled sam", "✗ /stalled: 'sam' is not a @rep or a lead source (Cars.com)."),
    ("@sam /followup set first-contact 5m", "✗ Settings are for managers. Ask your sales manager to change them."),
    ("@sam /followup managers @sam", "✗ Only managers can name managers. Ask your sales manager."),
    ("@sam /away tomorrow", "✗ 'tomorrow' is not how long: say until a date, or for a number of days or hours. "
                            "Usage: /away [until 2026-12-05 | for 3d]"),
    ("@sam /away for 3x", "✗ 'for 3x' is not how long: say until a date, or for a number of days or hours. "
                          "Usage: /away [until 2026-12-05 | for 3d]"),
    ("@sam /away until 2026-13-01", "✗ '2026-13-01' is not a date like 2026-12-05. "
                                    "Usage: /away [until 2026-12-05 | for 3d]"),
])
def test_a_malformed_command_gets_a_clear_answer_and_changes_nothing(core, clock, line, answer):
    run_console(core, clock, "/demo 1\n")
    before = snapshot(core)
    out = run_console(core, clock, f"{line}\n")
    assert answer in out
    assert snapshot(core) == before


def test_chat_down_keeps_the_lead_and_posts_it_when_chat_returns(core, clock):
    out = run_console(core, clock, "/chat down\n/demo 1\n/chat up\n")
    after_up = out.split("/chat up", 1)[1]
    assert "New lead #1: Maria Gonzalez" in after_up


def test_the_bot_runs_from_the_command_line_reading_a_script_on_standard_input(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "PYTHONPATH": str(ROOT)}
    env.pop("SLACK_BOT_TOKEN", None)
    result = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "run", "--start", "2026-11-24T10:00-06:00"],
        input="/demo 1\n@sam /react 1\n/wait 16m\n/quit\n", capture_output=True, text=True, cwd=tmp_path,
        env=env, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "Demo Motors (console) lead follow-up. Tue Nov 24 10:00 CST" in result.stdout
    assert "✉ to Sam: Maria Gonzalez asked 15 min ago" in result.stdout


def test_a_tightened_first_contact_target_applies_to_new_leads_and_open_ones_keep_their_ladder(core, clock):
    script = "/demo 1\n@sam /react 1\n@pat /followup set first-contact 5m\n/demo 1\n@sam /react 2\n/wait 6m\n"
    out = run_console(core, clock, script)
    assert "first-contact is now 5 min. Open leads keep their current ladder; new windows use it." in out
    waited = out.split("/wait 6m", 1)[1]
    assert "✉ to Sam: James Carter asked 5 min ago and has not been contacted" in waited
    assert "Maria Gonzalez" not in waited  # still due by 10:15, as when her window opened
    # Sam owns it and is on call: after his reminder at 10:05 the next to hear are the managers
    assert "card #2" in waited and "Call by 10:05, due now; the managers hear at 10:15" in waited


def test_a_rep_cannot_change_or_see_settings(core, clock):
    before = snapshot(core)
    out = run_console(core, clock, "@sam /followup set first-contact 5m\n@sam /followup settings\n")
    assert out.count("✗ Settings are for managers. Ask your sales manager to change them.") == 2
    assert "Settings for Demo Motors" not in out
    assert snapshot(core) == before


@pytest.mark.parametrize("command, answer", [
    ("set first-contact soon", "'soon' is not a duration"),
    ("set first-contact 2d", "Keep it between 1 min and 1 d."),
    ("set hours mon-sat 19:00-09:00", "The showroom must open before it closes."),
    ("set hours someday 09:00-19:00", "'someday' is not a day. Use mon, tue, ... sun."),
    ("set hours weekdays", "Give days and hours, e.g. mon-sat 09:00-19:00."),
    ("set timezone Mars/Olympus", "'Mars/Olympus' is not a time zone"),
    ("set colour blue", "'colour' is not a setting. Settings: claim, first-contact"),
    ("set colour blue", "stall-ladder, away-after-lapses, digest (a chain for one lead source"),  # the whole list
])
def test_a_bad_setting_is_refused_with_what_works(core, clock, command, answer):
    run_console(core, clock, "/help\n")
    before = snapshot(core)
    out = run_console(core, clock, f"@pat /followup {command}\n")
    assert answer in out
    assert snapshot(core) == before


def test_a_manager_sets_hours_and_the_rotation(core, clock):
    out = run_console(core, clock, "@pat /followup set hours mon-fri 08:30-18:00\n@pat /followup oncall jordan sam\n"
                                   "@pat /followup settings\n/oncall\n")
    assert "hours is now Mon Tue Wed Thu Fri 08:30-18:00 (America/Chicago)." in out
    assert "On-call rotation: Jordan, Sam, one evening each, in turn." in out
    assert "on-call rotation (/followup oncall @a @b ...): Jordan, Sam" in out


def test_hours_per_weekday_a_holiday_oncall_at_0730_and_away(core, clock):
    out = run_console(core, clock, "@pat /followup set hours mon-fri 09:00-20:00, sat 09:00-18:00, sun closed\n"
                                   "@pat /followup holiday 2026-11-26\n@pat /followup settings\n/wait 21h30m\n"
                                   "/oncall\n@sam /away for 2d\n/oncall\n@sam /back\n")
    assert "hours is now Mon-Fri 09:00-20:00, Sat 09:00-18:00 (America/Chicago)." in out
    assert "Thu Nov 26, 2026 is a holiday: closed all day, on-call covers. Holidays: Nov 26 2026." in out
    assert "holidays (/followup holiday DATE, closed all day): Nov 26 2026" in out
    # Wed Nov 25 07:30: Tuesday's shift (Sam, by the date's ordinal) runs until opening; Wednesday's is Alex.
    assert "On call now: Sam, until 09:00 Wed; tonight: Alex from 20:00." in out
    assert "Closed Thu Nov 26 (holiday)." in out
    assert "You are away until Fri 07:30." in out
    assert "Away: Sam until 07:30 Fri." in out
    assert "Welcome back, Sam" in out
