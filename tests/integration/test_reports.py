"""The METRICS.md figures, computed by the database, equal a hand count on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from chatbot.ladder.deadlines import hours_of
from chatbot.leads import tracker
from chatbot.messaging.views.baseline import baseline_text
from chatbot.reports.figures import after_hours_split, baseline, compare
from chatbot.reports.periods import period_for
from chatbot.reports.worklists import stalled_leads
from chatbot.store.db import transaction
from chatbot.store.models import Lead, Member
from tests.helpers import new_lead

MONDAY = datetime(2026, 11, 16, 10, 0, tzinfo=ZoneInfo("America/Chicago"))
M, H, D = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)


@pytest.fixture
def week(core, team, clock):
    """Five leads asked Monday 10:00 (the cohort) and one Tuesday (outside it), worked as below."""
    clock.set(MONDAY)
    ids = {name: new_lead(core, team, name=name, external_id=name, submitted_at=MONDAY)
           for name in ("L1", "L2", "L3", "L4", "L5")}
    clock.set(MONDAY + D)
    ids["L6"] = new_lead(core, team, name="L6", external_id="L6")
    events = [
        (1 * M, "claim", "L1", "sam"), (2 * M, "claim", "L2", "alex"), (2 * M, "call", "L5", "jordan"),
        (3 * M, "call", "L1", "sam"), (10 * M, "call", "L2", "alex"), (40 * M, "call", "L3", "sam"),
        (3 * H, "lost", "L5", "jordan"), (D, "text", "L1", "sam"), (D + M, "call", "L6", "sam"),
        (50 * H, "call", "L2", "alex"), (5 * D, "note", "L2", "alex"),
    ]
    for offset, what, name, rep in sorted(events, key=lambda e: e[0]):
        clock.set(MONDAY + offset)
        if what == "claim":
            tracker.claim(core, team.id, ids[name], rep)
        elif what == "lost":
            tracker.close(core, team.id, ids[name], rep, won=False, reason="bought elsewhere")
        else:
            tracker.log_touch(core, team.id, ids[name], rep, what)
    clock.set(MONDAY + 6 * D)
    return ids


def test_every_figure_matches_a_hand_count(core, team, clock, week):
    period = period_for("2026-11-16..2026-11-16", hours_of(team), clock.now())
    with transaction(core.engine) as session:
        b = baseline(session, team, period, clock.now())
    # first contact after asking: L1 180 s, L2 600 s, L3 2400 s, L5 120 s; L4 never
    assert (b.leads, b.contacted, b.never_contacted) == (5, 4, 1)
    assert b.first_contact_mean_s == 825
    assert b.first_contact_median_s == 390  # mean of the middle two, 180 and 600
    assert b.first_contact_p90_s == 2400  # nearest rank: ceil(0.9 * 4) = 4th
    assert (b.within_5_min, b.within_target) == (2, 3)  # of all 5: the never-contacted one is a miss
    assert b.claim_median_s == 120  # 60, 120, 120, 2400
    # eligible: contacted 48 h ago or more (all four); within 48 h: only L1 (L2's second came at 50 h)
    assert (b.second_contact_eligible, b.second_contact_within_48h) == (4, 1)
    assert b.first_to_second_median_s == (86400 - 180 + 180000 - 600) / 2
    assert b.stalled == 2  # L1 and L3; L2 had a note a day ago, L5 is closed, L4 never contacted
    assert (b.lost, b.lost_few_attempts) == (1, 1)


def test_a_lead_with_a_single_contact_is_not_yet_judged_on_its_second_before_48_hours(core, team, clock):
    lead_id = new_lead(core, team)
    clock.advance(5 * M)
    tracker.log_touch(core, team.id, lead_id, "sam", "call")
    clock.advance(47 * H)
    period = period_for("this-week", hours_of(team), clock.now())
    with transaction(core.engine) as session:
        b = baseline(session, team, period, clock.now())
    assert (b.contacted, b.second_contact_eligible) == (1, 0)


def test_an_empty_period_has_no_figures_rather_than_zeroes(core, team, clock):
    period = period_for("7d", hours_of(team), clock.now())
    with transaction(core.engine) as session:
        b = baseline(session, team, period, clock.now())
    assert (b.leads, b.first_contact_median_s, b.first_contact_p90_s) == (0, None, None)
    assert "n/a" in baseline_text(b)


def test_stalled_lists_open_contacted_leads_idle_past_the_window_oldest_first(core, team, clock, week):
    with transaction(core.engine) as session:
        rows = stalled_leads(session, team, clock.now())
    assert [r.customer_name for r in rows] == ["L3", "L1", "L6"]
    l1 = rows[1]
    assert (l1.owner_name, l1.last_touch_kind, l1.attempts) == ("Sam", "text", 2)


def test_stalled_can_be_narrowed_to_one_rep(core, team, clock, week):
    with transaction(core.engine) as session:
        alex = session.exec(select(Member).where(Member.name == "Alex")).one()
        assert stalled_leads(session, team, clock.now(), owner_id=alex.id) == []


def test_the_baseline_text_reads_with_the_numbers_that_matter(core, team, clock, week):
    period = period_for("2026-11-16..2026-11-16", hours_of(team), clock.now())
    with transaction(core.engine) as session:
        both = compare(session, team, period, clock.now())
        text = baseline_text(both.now, before=both.before, split=after_hours_split(session, team, period))
    assert text.splitlines() == [
        "First contact took 6 min 30s on median, target 15 min; 60% of leads were reached within 15 min "
        "(no leads the period before).",
        "Baseline, Nov 16-Nov 16: 5 lead(s), 4 contacted, 1 never contacted · before (Nov 15-Nov 15): 0 lead(s), "
        "0 never contacted",
        "  First contact: median 6 min 30s (before n/a), target 15 min · mean 13 min · p90 40 min (before n/a)",
        "  Within 5 min: 40% (2/5), before n/a · within target 15 min: 60% (3/5), before n/a; target 100%",
        "  Second contact within 48 h: 25% (1/4), before n/a; target 100% · median gap 1 d 12 h (before n/a)",
        "  Time to claim: median 2 min (before n/a) · stalled now (no activity for over 3 days): 2 (before 0), "
        "target 0 · lost with < 3 attempts: 1 of 1 lost (before 0 of 0), target 0",
        "  After hours: 0 lead(s), median n/a, within 15 min n/a (0/0) · inside hours: 5 lead(s), median 6 min 30s, "
        "within 15 min 60% (3/5)",
    ]


def test_stalled_lists_only_leads_the_bot_works_not_imported_history(core, team, clock, week):
    with transaction(core.engine) as session:
        session.get(Lead, week["L3"]).history = True
    with transaction(core.engine) as session:
        rows = stalled_leads(session, team, clock.now())
        period = period_for("2026-11-16..2026-11-16", hours_of(team), clock.now())
        figures = baseline(session, team, period, clock.now())
    assert [r.customer_name for r in rows] == ["L1", "L6"]
    assert figures.stalled == 2  # the figure still counts the imported lead


@pytest.mark.parametrize("count, median_s, p90_s", [
    (11, 360, 600),  # the 6th of 11; nearest rank ceil(9.9) = 10th
    (10, 330, 540),  # mean of the 5th and 6th; ceil(9.0) = 9th
    (1, 60, 60),
])
def test_the_median_is_the_middle_and_the_p90_the_nearest_rank_for_odd_and_even_cohorts(
        core, team, clock, count, median_s, p90_s):
    clock.set(MONDAY)
    ids = [new_lead(core, team, name=f"L{n}", external_id=f"L{n}", submitted_at=MONDAY) for n in range(count)]
    for minutes, lead_id in enumerate(ids, start=1):  # contacted after 1, 2, ... minutes
        clock.set(MONDAY + minutes * M)
        tracker.log_touch(core, team.id, lead_id, "sam", "call")
    period = period_for("2026-11-16..2026-11-16", hours_of(team), clock.now())
    with transaction(core.engine) as session:
        b = baseline(session, team, period, clock.now())
    assert (b.first_contact_median_s, b.first_contact_p90_s) == (median_s, p90_s)
