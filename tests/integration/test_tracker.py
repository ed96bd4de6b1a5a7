"""The use cases, on SQLite and PostgreSQL: what a rep does to a lead and what the lead remembers."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from chatbot.errors import InvalidTouch, LeadClosed, NotAllowed, UnknownLead, UnknownMember, UnknownTeam
from chatbot.ladder.rules import Act
from chatbot.leads import tracker
from chatbot.messaging.outbox import deliver_pending
from chatbot.store.db import transaction
from chatbot.store.models import Lead, Member, OutboxMessage
from tests.conftest import TUESDAY_10AM
from tests.fakes.chat import FakeChat
from tests.helpers import incoming, new_lead, snapshot


def lead(core, lead_id) -> Lead:
    with transaction(core.engine) as session:
        return session.get(Lead, lead_id)


class TestIngest:
    def test_a_new_lead_is_stored_with_its_contact_normalised_and_its_card_queued(self, core, team):
        result = tracker.ingest(core, team.id, incoming(email=" Maria@Example.COM "))
        stored = lead(core, result.lead_id)
        assert not result.duplicate
        assert stored.phone == "+13125550147"
        assert stored.email == "maria@example.com"
        assert stored.vehicle == "2022 Toyota RAV4 (used)"
        assert stored.submitted_at == core.clock.now()
        with transaction(core.engine) as session:
            assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1

    def test_the_same_delivery_twice_is_one_lead(self, core, team):
        first = tracker.ingest(core, team.id, incoming(external_id="ADF-77"))
        again = tracker.ingest(core, team.id, incoming(external_id="ADF-77"))
        assert again.duplicate and again.lead_id == first.lead_id
        with transaction(core.engine) as session:
            assert session.scalar(select(func.count()).select_from(Lead)) == 1

    def test_the_same_id_from_another_source_is_another_lead(self, core, team):
        a = tracker.ingest(core, team.id, incoming(external_id="1", source="Cars.com"))
        b = tracker.ingest(core, team.id, incoming(external_id="1", source="AutoTrader"))
        assert a.lead_id != b.lead_id

    def test_a_lead_without_an_id_is_recognised_by_its_content(self, core, team):
        a = tracker.ingest(core, team.id, incoming(external_id=None))
        b = tracker.ingest(core, team.id, incoming(external_id=None))
        assert b.duplicate and a.lead_id == b.lead_id

    def test_response_time_counts_from_the_customers_submission(self, core, team, clock):
        asked = clock.now() - timedelta(minutes=7)
        lead_id = new_lead(core, team, submitted_at=asked)
        assert lead(core, lead_id).submitted_at == asked
        # the card is not posted yet, so no claim window runs (issue 9); first contact runs from the
        # asking: its first step is the owner's heads-up, 5 minutes before the 15-minute deadline
        assert (lead(core, lead_id).due_rule, lead(core, lead_id).due_at) == ("first_contact",
                                                                              asked + timedelta(minutes=10))

    def test_a_submission_time_in_the_future_is_taken_as_now(self, core, team, clock):
        lead_id = new_lead(core, team, submitted_at=clock.now() + timedelta(hours=3))
        assert lead(core, lead_id).submitted_at == clock.now()

    def test_a_lead_submitted_after_closing_time_is_marked_after_hours(self, core, team, clock):
        evening = TUESDAY_10AM.replace(hour=20)
        clock.set(evening)
        assert lead(core, new_lead(core, team)).after_hours
        clock.set(evening.replace(hour=11) + timedelta(days=1))
        assert not lead(core, new_lead(core, team, external_id="L-2")).after_hours


class TestClaim:
    def test_the_first_reaction_claims_the_lead(self, core, team):
        lead_id = new_lead(core, team)
        result = tracker.claim(core, team.id, lead_id, "sam")
        assert result.won and result.owner_name == "Sam"
        assert lead(core, lead_id).claimed_at == core.clock.now()

    def test_a_second_reaction_does_not_steal_the_claim(self, core, team, clock):
        lead_id = new_lead(core, team)
        tracker.claim(core, team.id, lead_id, "sam")
        clock.advance(timedelta(minutes=2))
        second = tracker.claim(core, team.id, lead_id, "alex")
        assert not second.won
        assert second.owner_name == "Sam"
        assert second.message == "Sam has this lead since 10:00 (2 min ago)."
        assert lead(core, lead_id).owner_id is not None and lead(core, lead_id).claimed_at == clock.now() - timedelta(minutes=2)

    def test_reacting_again_to_your_own_lead_says_so(self, core, team):
        lead_id = new_lead(core, team)
        tracker.claim(core, team.id, lead_id, "sam")
        assert tracker.claim(core, team.id, lead_id, "sam").message == "You already own Maria Gonzalez's lead."

    def test_claim_pressed_on_a_card_claims_through_perform_and_a_second_press_does_not_steal_it(
            self, core, team, clock):
        lead_id = new_lead(core, team)
        first = tracker.perform(core, team.id, lead_id, "sam", Act.CLAIM)
        clock.advance(timedelta(minutes=2))
        second = tracker.perform(core, team.id, lead_id, "alex", Act.CLAIM)
        assert first.startswith("Maria Gonzalez is yours (claimed 0s after posting).")
        assert second == "Sam has this lead since 10:00 (2 min ago)."
        assert lead(core, lead_id).claimed_at == clock.now() - timedelta(minutes=2)
        with transaction(core.engine) as session:
            assert session.get(Member, lead(core, lead_id).owner_id).chat_user_id == "sam"


class TestTouches:
    def test_the_first_call_sets_first_contact_and_shows_the_48_hour_deadline(self, core, team, clock):
        lead_id = new_lead(core, team)
        tracker.claim(core, team.id, lead_id, "sam")
        clock.advance(timedelta(minutes=4, seconds=10))
        result = tracker.log_touch(core, team.id, lead_id, "sam", "call", outcome="left voicemail")
        assert result.first_contact
        assert result.next_due.rule == "second_contact"
        assert result.next_due.deadline == clock.now() + timedelta(hours=48)
        assert result.message == ("Call (left voicemail) logged for Maria Gonzalez. First contact 4 min 10s after asking. "
                                  "Second contact due by Thu 10:04 (in 2 d).")
        stored = lead(core, lead_id)
        assert (stored.attempts, stored.first_contact_at, stored.due_rule) == (1, clock.now(), "second_contact")

    def test_a_note_is_not_a_contact_attempt(self, core, team):
        lead_id = new_lead(core, team)
        tracker.claim(core, team.id, lead_id, "sam")
        tracker.log_touch(core, team.id, lead_id, "sam", "note", outcome="prefers texts")
        stored = lead(core, lead_id)
        assert stored.attempts == 0 and stored.first_contact_at is None and stored.last_touch_at is not None

    def test_a_note_after_a_deadline_says_it_is_overdue_not_due(self, core, team, clock):
        lead_id = new_lead(core, team)
        deliver_pending(core, FakeChat())  # the claim window runs from the card's post (issue 9)
        clock.advance(timedelta(minutes=6))
        result = tracker.log_touch(core, team.id, lead_id, "sam", "note", outcome="asked for a callback")
        assert result.message == "Note logged for Maria Gonzalez. Claim overdue since 10:05 (1 min ago)."

    def test_calling_an_unclaimed_lead_makes_it_yours(self, core, team):
        lead_id = new_lead(core, team)
        tracker.log_touch(core, team.id, lead_id, "alex", "call")
        assert tracker.claim(core, team.id, lead_id, "sam").owner_name == "Alex"

    def test_a_touch_reported_late_by_a_crm_still_counts_in_order(self, core, team, clock):
        lead_id = new_lead(core, team)
        clock.advance(timedelta(hours=2))
        tracker.log_touch(core, team.id, lead_id, "sam", "text")
        tracker.log_touch(core, team.id, lead_id, "sam", "call", at=clock.now() - timedelta(hours=1, minutes=55),
                          via="webhook", external_id="crm-9")
        stored = lead(core, lead_id)
        assert stored.first_contact_at == clock.now() - timedelta(hours=1, minutes=55)
        assert stored.second_contact_at == clock.now()

    def test_a_webhook_retry_logs_the_touch_once(self, core, team):
        lead_id = new_lead(core, team)
        tracker.log_touch(core, team.id, lead_id, "sam", "call", via="webhook", external_id="crm-1")
        again = tracker.log_touch(core, team.id, lead_id, "sam", "call", via="webhook", external_id="crm-1")
        assert again.message == "Already logged."
        assert lead(core, lead_id).attempts == 1

    def test_a_crm_report_without_an_id_is_one_touch_however_its_moment_is_written(self, core, team, clock):
        """No CRM id: the kind, the moment and the rep make it the same touch (chatbot.leads.touches)."""
        lead_id = new_lead(core, team, external_id="CRM-5")
        report = {"outcome": None, "at": clock.now()}
        first = tracker.log_reported_touch(core, team.id, "Cars.com", "CRM-5", "sam", "call", **report)
        chicago = clock.now().astimezone(ZoneInfo("America/Chicago")).replace(microsecond=400_000)
        again = tracker.log_reported_touch(core, team.id, "Cars.com", "CRM-5", "sam", "call", outcome=None, at=chicago)
        a_text = tracker.log_reported_touch(core, team.id, "Cars.com", "CRM-5", "sam", "text", **report)
        assert (first.duplicate, again.duplicate, a_text.duplicate) == (False, True, False)
        assert again.touch_id == first.touch_id and again.message == "Already logged."
        assert lead(core, lead_id).attempts == 2


class TestClose:
    def test_closing_lost_with_fewer_than_three_attempts_is_flagged(self, core, team):
        lead_id = new_lead(core, team)
        tracker.log_touch(core, team.id, lead_id, "sam", "call")
        closed = tracker.close(core, team.id, lead_id, "sam", won=False, reason="no answer")
        assert closed.too_few_attempts and closed.attempts == 1
        assert "fewer than 3" in closed.message
        assert lead(core, lead_id).due_at is None

    def test_closing_won_is_never_flagged(self, core, team):
        lead_id = new_lead(core, team)
        closed = tracker.close(core, team.id, lead_id, "sam", won=True)
        assert closed.status == "won" and not closed.too_few_attempts

    def test_a_manager_may_close_a_reps_lead(self, core, team):
        lead_id = new_lead(core, team)
        tracker.claim(core, team.id, lead_id, "sam")
        assert tracker.close(core, team.id, lead_id, "pat", won=False, reason="duplicate").status == "lost"


class TestReassignAndRelease:
    def test_a_manager_hands_a_lead_to_another_rep_who_is_told(self, core, team):
        lead_id = new_lead(core, team)
        tracker.claim(core, team.id, lead_id, "sam")
        result = tracker.reassign(core, team.id, lead_id, "pat", "alex")
        assert result.owner_name == "Alex"
        assert tracker.claim(core, team.id, lead_id, "jordan").owner_name == "Alex"

    def test_a_released_lead_can_be_claimed_by_someone_else(self, core, team):
        lead_id = new_lead(core, team)
        tracker.claim(core, team.id, lead_id, "sam")
        assert tracker.release(core, team.id, lead_id, "sam") == tracker.Released(
            lead_id, "Maria Gonzalez is back in the channel for anyone to claim.")
        assert tracker.claim(core, team.id, lead_id, "alex").won


class TestBadInputChangesNothing:
    """Every refusal says what is wrong and leaves every row as it was."""

    @pytest.fixture
    def claimed(self, core, team):
        lead_id = new_lead(core, team)
        tracker.claim(core, team.id, lead_id, "sam")
        return lead_id

    def refused(self, core, error, call, match):
        before = snapshot(core)
        with pytest.raises(error, match=match):
            call()
        assert snapshot(core) == before

    def test_unknown_lead(self, core, team, claimed):
        self.refused(core, UnknownLead, lambda: tracker.claim(core, team.id, 999, "sam"), "no lead #999")
        self.refused(core, UnknownLead, lambda: tracker.log_touch(core, team.id, 999, "sam", "call"), "no lead #999")

    def test_unknown_team_is_refused_as_a_team_not_as_a_lead(self, core, team, claimed):
        self.refused(core, UnknownTeam, lambda: tracker.release(core, 999, claimed, "sam"), r"^There is no team #999\.$")

    def test_unknown_rep(self, core, team, claimed):
        self.refused(core, UnknownMember, lambda: tracker.claim(core, team.id, claimed, "bob"), "bob is not a rep")
        self.refused(core, UnknownMember, lambda: tracker.reassign(core, team.id, claimed, "sam", "bob"), "bob")

    def test_claim_of_a_closed_lead(self, core, team, claimed):
        tracker.close(core, team.id, claimed, "sam", won=True)
        self.refused(core, LeadClosed, lambda: tracker.claim(core, team.id, claimed, "alex"), "closed won")

    def test_touch_before_the_customer_asked(self, core, team, claimed, clock):
        early = clock.now() - timedelta(minutes=1)
        self.refused(core, InvalidTouch, lambda: tracker.log_touch(core, team.id, claimed, "sam", "call", at=early),
                     "can't come before Maria Gonzalez asked")

    def test_touch_in_the_future(self, core, team, claimed, clock):
        later = clock.now() + timedelta(hours=1)
        self.refused(core, InvalidTouch, lambda: tracker.log_touch(core, team.id, claimed, "sam", "call", at=later),
                     "in the future")

    def test_unknown_touch_kind(self, core, team, claimed):
        self.refused(core, InvalidTouch, lambda: tracker.log_touch(core, team.id, claimed, "sam", "fax"),
                     "'fax' is not a touch")

    def test_a_rep_closing_someone_elses_lead(self, core, team, claimed):
        self.refused(core, NotAllowed, lambda: tracker.close(core, team.id, claimed, "alex", won=False, reason="x"),
                     "Sam owns Maria Gonzalez")

    def test_a_rep_releasing_someone_elses_lead(self, core, team, claimed):
        self.refused(core, NotAllowed, lambda: tracker.release(core, team.id, claimed, "alex"), "only they or a manager can release it")

    def test_a_lead_of_another_team(self, core, team, claimed):
        from chatbot.team import roster

        other = roster.ensure_team(core, name="Other Motors", platform="console", platform_team_id="T2")
        roster.add_member(core, other.id, name="Zoe", chat_user_id="zoe")
        self.refused(core, UnknownLead, lambda: tracker.claim(core, other.id, claimed, "zoe"), "no lead")
