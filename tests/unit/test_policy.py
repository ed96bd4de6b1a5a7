"""The escalation policy as properties: whatever happens to a lead and whenever the sweep runs."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from chatbot.domain.policy import (
    LEVELS,
    LeadFacts,
    Rule,
    Windows,
    due_steps,
    ladder,
    next_deadline,
    next_step,
    open_windows,
    past_ladder,
    plans,
    steps,
)

T0 = datetime(2026, 11, 24, 16, 0, tzinfo=timezone.utc)
W = Windows()
minutes = st.integers(min_value=0, max_value=8 * 24 * 60).map(lambda m: timedelta(minutes=m))


@st.composite
def lead_histories(draw):
    """A lead's facts as they could really be: claims, contacts and activity after submission."""
    submitted = T0
    posted = submitted + draw(st.sampled_from([timedelta(0), timedelta(seconds=1), timedelta(minutes=3)]))
    claimed = draw(st.none() | minutes.map(lambda d: posted + d))
    first = draw(st.none() | minutes.map(lambda d: submitted + d))
    second = None if first is None else draw(st.none() | minutes.map(lambda d: first + d))
    touches = [t for t in (claimed, first, second) if t]
    last_activity = max([submitted, *touches]) + draw(st.sampled_from([timedelta(0), timedelta(hours=30)]))
    closed = draw(st.booleans())
    return LeadFacts(submitted_at=submitted, received_at=submitted, posted_at=posted, claimed_at=claimed,
                     first_contact_at=first, second_contact_at=second, last_activity_at=last_activity, closed=closed)


def run_sweeps(facts: LeadFacts, sweep_times: list[datetime], windows: Windows = W, kept=None) -> list:
    """Sweep at each time, remembering what fired, as the sweeper does with its unique keys."""
    fired: set = set()
    log = []
    for now in sorted(sweep_times):
        for step in due_steps(facts, windows, fired, now, kept):
            fired.add(step.key)
            log.append(step)
    return log


sweep_schedules = st.lists(minutes.map(lambda d: T0 + d), min_size=1, max_size=30)


@settings(max_examples=300)
@given(lead_histories(), sweep_schedules)
def test_no_escalation_for_a_window_already_satisfied(facts, sweeps):
    for step in run_sweeps(facts, sweeps):
        if step.rule is Rule.CLAIM:
            assert facts.claimed_at is None
        if step.rule is Rule.FIRST_CONTACT:
            assert facts.first_contact_at is None
        if step.rule is Rule.SECOND_CONTACT:
            assert facts.first_contact_at is not None and facts.second_contact_at is None
        if step.rule is Rule.STALL:
            assert facts.first_contact_at is not None


@settings(max_examples=300)
@given(lead_histories(), sweep_schedules)
def test_every_lapsed_window_yields_exactly_one_escalation_per_level(facts, sweeps):
    log = run_sweeps(facts, sweeps)
    keys = [step.key for step in log]
    assert len(keys) == len(set(keys)), "a step fired twice"
    last_sweep = max(sweeps)
    expected = {step.key for step in steps(facts, W) if step.due_at <= last_sweep}
    assert set(keys) == expected, "a lapsed step was skipped, or one fired early"
    for step, now in ((s, max(t for t in sweeps if t >= s.due_at)) for s in log):
        assert step.due_at <= now


@settings(max_examples=200)
@given(lead_histories(), sweep_schedules)
def test_the_order_of_sweeps_does_not_change_what_fires(facts, sweeps):
    once = {s.key for s in run_sweeps(facts, [max(sweeps)])}
    often = {s.key for s in run_sweeps(facts, sweeps)}
    assert once == often


@given(lead_histories(), minutes)
def test_closing_a_lead_stops_all_its_timers(facts, later):
    closed = LeadFacts(**{**facts.__dict__, "closed": True})
    assert open_windows(closed, W) == []
    assert next_step(closed, W, set()) is None
    assert next_deadline(closed, W) is None
    assert due_steps(closed, W, set(), T0 + later + timedelta(days=30)) == []


@given(lead_histories())
def test_the_next_step_is_the_earliest_unfired_one(facts):
    step = next_step(facts, W, set())
    windows = open_windows(facts, W)
    if not windows:
        assert step is None
    else:
        assert step == min(steps(facts, W), default=None)


def test_an_unclaimed_lead_has_claim_and_first_contact_windows():
    facts = LeadFacts(submitted_at=T0, received_at=T0, posted_at=T0, last_activity_at=T0)
    assert [(w.rule, w.deadline - T0) for w in open_windows(facts, W)] == [
        (Rule.CLAIM, timedelta(minutes=5)), (Rule.FIRST_CONTACT, timedelta(minutes=15))]


def test_first_contact_counts_from_the_customers_submission_not_the_post():
    asked = T0 - timedelta(minutes=12)
    facts = LeadFacts(submitted_at=asked, received_at=T0, posted_at=T0, last_activity_at=asked)
    assert next_deadline(facts, W).rule is Rule.FIRST_CONTACT
    assert next_deadline(facts, W).deadline == asked + timedelta(minutes=15)


def test_the_first_contact_opens_the_48_hour_second_contact_window_and_the_stall_clock():
    first = T0 + timedelta(minutes=4)
    facts = LeadFacts(submitted_at=T0, received_at=T0, posted_at=T0, claimed_at=T0, first_contact_at=first,
                      last_activity_at=first)
    assert [(w.rule, w.deadline) for w in open_windows(facts, W)] == [
        (Rule.SECOND_CONTACT, first + timedelta(hours=48)), (Rule.STALL, first + timedelta(days=3))]


def test_the_ladder_has_one_step_per_level_spaced_by_the_rules_step():
    facts = LeadFacts(submitted_at=T0, received_at=T0, posted_at=T0, claimed_at=T0, last_activity_at=T0)
    window = open_windows(facts, W)[0]
    assert [(s.level, s.due_at - window.deadline) for s in ladder(window)] == [
        (0, -timedelta(minutes=5)), (1, timedelta(0)), (2, timedelta(minutes=10)), (3, timedelta(minutes=20))]
    assert max(s.level for s in ladder(window)) == LEVELS


spans = st.integers(min_value=1, max_value=3 * 24 * 60).map(lambda m: timedelta(minutes=m))


@settings(max_examples=200)
@given(lead_histories(), sweep_schedules, st.builds(Windows, claim=spans, first_contact=spans,
                                                    second_contact=spans, stall=spans))
def test_a_window_keeps_the_plan_it_opened_with_whatever_the_settings_become(facts, sweeps, edited):
    kept = {plan.rule: plan for plan in plans(facts, W)}
    assert [s.key for s in run_sweeps(facts, sweeps, edited, kept)] == [s.key for s in run_sweeps(facts, sweeps)]


@settings(max_examples=300)
@given(lead_histories(), sweep_schedules)
def test_an_unclaimed_posted_lead_speaks_with_one_voice(facts, sweeps):
    for step in run_sweeps(facts, sweeps):
        if step.rule is Rule.FIRST_CONTACT and facts.posted_at is not None and step.due_at >= facts.posted_at:
            assert facts.claimed_at is not None and step.due_at > facts.claimed_at


def test_an_unclaimed_lead_hears_only_the_claim_chain_until_someone_claims_it():
    facts = LeadFacts(submitted_at=T0, received_at=T0, posted_at=T0, last_activity_at=T0)
    assert [(s.rule, s.due_at - T0, s.level) for s in steps(facts, W)] == [
        (Rule.CLAIM, timedelta(minutes=5), 1), (Rule.CLAIM, timedelta(minutes=10), 2),
        (Rule.CLAIM, timedelta(minutes=15), 3)]
    claimed = LeadFacts(submitted_at=T0, received_at=T0, posted_at=T0, claimed_at=T0 + timedelta(minutes=12),
                        last_activity_at=T0 + timedelta(minutes=12))
    # rungs that fell due while unclaimed were covered by the claim notices; the later ones still speak
    assert [(s.rule, s.due_at - T0, s.level) for s in steps(claimed, W)] == [
        (Rule.FIRST_CONTACT, timedelta(minutes=15), 1), (Rule.FIRST_CONTACT, timedelta(minutes=25), 2),
        (Rule.FIRST_CONTACT, timedelta(minutes=35), 3)]


def test_a_lead_is_past_its_ladder_once_every_rung_has_fired_and_it_is_still_overdue():
    facts = LeadFacts(submitted_at=T0, received_at=T0, posted_at=T0, last_activity_at=T0)
    def fired(minutes):
        return {s.key for s in due_steps(facts, W, set(), T0 + timedelta(minutes=minutes))}

    assert past_ladder(facts, W, fired(14), T0 + timedelta(minutes=14)) == []
    assert [w.rule for w in past_ladder(facts, W, fired(15), T0 + timedelta(minutes=15))] == [
        Rule.CLAIM, Rule.FIRST_CONTACT]
