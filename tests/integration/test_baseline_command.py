"""`chatbot baseline --json` on a small dataset whose every figure was worked out by hand,
on SQLite and PostgreSQL (docs/METRICS.md says how each is defined)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from typer.testing import CliRunner

from chatbot.leads import tracker
from entrypoints.cli import app
from tests.conftest import CHICAGO
from tests.helpers import new_lead


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=CHICAGO)


@pytest.fixture
def known_week(core, team, clock):
    """Mon 16 - Sun 22 Nov 2026 in Chicago (open Mon-Sat 09-19):
    A Mon 10:00  claimed +2 min, call +4 min, text Tue 09:04 (+23 h); open, silent since -> stalled
    B Mon 20:00  after hours; claimed +30 min, call +40 min; closed lost after 1 attempt
    C Wed 11:00  never touched
    D Thu 12:00  claimed +10 min, call +20 min, e-mail Sat 13:00 (+48 h 40 min); closed won
    E Sun 10:00  after hours (closed Sundays); call +3 min (claims it), a note at 11:00
    plus one lead the Sunday before and one the Monday after, outside the period."""
    def lead(name, when, phone):
        clock.set(when)
        return new_lead(core, team, name=name, external_id=name, phone=phone, email=None)

    def do(when, action, *args, **kwargs):
        clock.set(when)
        return action(core, team.id, *args, **kwargs)

    lead("G", at(15, 12), "312-555-0110")
    a = lead("A", at(16, 10), "312-555-0111")
    do(at(16, 10, 2), tracker.claim, a, "sam")
    do(at(16, 10, 4), tracker.log_touch, a, "sam", "call")
    b = lead("B", at(16, 20), "312-555-0112")
    do(at(16, 20, 30), tracker.claim, b, "alex")
    do(at(16, 20, 40), tracker.log_touch, b, "alex", "call")
    do(at(16, 21), tracker.close, b, "alex", won=False)
    do(at(17, 9, 4), tracker.log_touch, a, "sam", "text")
    lead("C", at(18, 11), "312-555-0113")
    d = lead("D", at(19, 12), "312-555-0114")
    do(at(19, 12, 10), tracker.claim, d, "jordan")
    do(at(19, 12, 20), tracker.log_touch, d, "jordan", "call")
    do(at(21, 13), tracker.log_touch, d, "jordan", "email")
    do(at(21, 13, 5), tracker.close, d, "jordan", won=True)
    e = lead("E", at(22, 10), "312-555-0115")
    do(at(22, 10, 3), tracker.log_touch, e, "alex", "call")
    do(at(22, 11), tracker.log_touch, e, "alex", "note")
    lead("F", at(23, 10), "312-555-0116")
    clock.set(at(24, 10))
    return core.engine.url.render_as_string(hide_password=False)


def test_baseline_json_gives_the_hand_computed_figures(known_week):
    result = CliRunner().invoke(app, ["baseline", "--period", "2026-11-16..2026-11-22", "--as-of",
                                      "2026-11-24T10:00:00-06:00", "--json", "--team", "Demo Motors",
                                      "--database-url", known_week])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["period"]["start"] == "2026-11-16T00:00:00-06:00"
    expected = {
        "leads": 5, "contacted": 4, "never_contacted": 1,
        # first contact: 240, 2400, 1200, 180 s
        "first_contact_mean_s": 1005.0, "first_contact_median_s": 720.0, "first_contact_p90_s": 2400,
        "within_5_min": 2, "within_5_min_pct": 40.0, "within_target": 2, "within_target_pct": 40.0,
        "claim_median_s": 390.0,  # 120, 1800, 600, 180 s
        # eligible: A, B, D (E's first contact is under 48 h old); only A's second came within 48 h
        "second_contact_eligible": 3, "second_contact_within_48h": 1,
        "first_to_second_median_s": 129000.0,  # 23 h and 48 h 40 min
        "stalled": 1, "lost": 1, "lost_few_attempts": 1,
        "inside_hours": {"leads": 3, "contacted": 2, "never_contacted": 1, "first_contact_mean_s": 720.0,
                         "first_contact_median_s": 720.0, "first_contact_p90_s": 1200, "within_5_min": 1,
                         "within_5_min_pct": 100 / 3, "within_target": 1, "within_target_pct": 100 / 3},
        "after_hours": {"leads": 2, "contacted": 2, "never_contacted": 0, "first_contact_mean_s": 1290.0,
                        "first_contact_median_s": 1290.0, "first_contact_p90_s": 2400, "within_5_min": 1,
                        "within_5_min_pct": 50.0, "within_target": 1, "within_target_pct": 50.0},
    }
    for side in ("inside_hours", "after_hours"):
        assert figures[side] == pytest.approx(expected.pop(side)), side
    assert {key: figures[key] for key in expected} == pytest.approx(expected)
    assert figures["second_contact_within_48h_pct"] == pytest.approx(100 / 3)


def test_baseline_text_is_what_slash_baseline_shows(known_week):
    result = CliRunner().invoke(app, ["baseline", "--period", "2026-11-16..2026-11-22", "--as-of",
                                      "2026-11-24T10:00:00-06:00", "--team", "Demo Motors",
                                      "--database-url", known_week])
    assert result.exit_code == 0, result.output
    assert "5 lead(s), 4 contacted, 1 never contacted" in result.output
    assert "Within 5 min: 40% (2/5)" in result.output


def test_a_bad_period_is_explained(known_week):
    result = CliRunner().invoke(app, ["baseline", "--period", "fortnight", "--team", "Demo Motors",
                                      "--database-url", known_week])
    assert result.exit_code != 0 and "not a period" in result.output
