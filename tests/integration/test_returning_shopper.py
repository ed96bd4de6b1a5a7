"""A shopper who asks again within 30 days is linked to their earlier lead, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from chatbot.domain.hours import BusinessHours
from chatbot.leads import tracker
from chatbot.messaging import queue, render
from chatbot.reports.figures import baseline
from chatbot.reports.periods import period_for
from chatbot.store.db import transaction
from chatbot.store.models import Lead, OutboxMessage
from tests.helpers import new_lead


def stored(core, lead_id) -> Lead:
    with transaction(core.engine) as session:
        return session.get(Lead, lead_id)


def direct_notices(core) -> list[dict]:
    with transaction(core.engine) as session:
        return [m.payload for m in session.scalars(select(OutboxMessage).where(OutboxMessage.kind == queue.NOTICE))
                if m.payload["to"] == "direct"]


class TestReturningShopper:
    def test_a_new_lead_with_the_same_phone_links_to_the_earlier_one(self, core, team, clock):
        first = new_lead(core, team, external_id="A", email=None)
        clock.advance(timedelta(days=3))
        second = new_lead(core, team, external_id="B", source="AutoTrader", email=None)
        assert stored(core, second).returning_of_id == first

    def test_the_same_email_links_too_whatever_its_case(self, core, team, clock):
        first = new_lead(core, team, external_id="A", phone=None, email="maria@example.com")
        clock.advance(timedelta(hours=5))
        second = new_lead(core, team, external_id="B", phone=None, email="MARIA@Example.com")
        assert stored(core, second).returning_of_id == first

    def test_a_lead_older_than_30_days_is_not_linked(self, core, team, clock):
        new_lead(core, team, external_id="A")
        clock.advance(timedelta(days=31))
        assert stored(core, new_lead(core, team, external_id="B")).returning_of_id is None

    def test_another_shopper_is_not_linked(self, core, team, clock):
        new_lead(core, team, external_id="A")
        second = new_lead(core, team, external_id="B", phone="(312) 555-0199", email="other@example.com")
        assert stored(core, second).returning_of_id is None

    def test_the_owner_of_the_open_earlier_lead_is_told_first_directly(self, core, team, clock):
        first = new_lead(core, team, external_id="A")
        tracker.claim(core, team.id, first, "sam")
        clock.advance(timedelta(days=2))
        second = new_lead(core, team, external_id="B", source="AutoTrader")
        notices = direct_notices(core)
        assert len(notices) == 1 and notices[0]["address"] == "sam"
        assert "is back" in notices[0]["text"] and f"#{second}" in notices[0]["text"]

    def test_nobody_is_told_when_the_earlier_lead_is_unclaimed_or_closed(self, core, team, clock):
        first = new_lead(core, team, external_id="A")
        new_lead(core, team, external_id="B")
        tracker.claim(core, team.id, first, "sam")
        tracker.close(core, team.id, first, "sam", won=False)
        new_lead(core, team, external_id="C")
        assert direct_notices(core) == []

    def test_the_card_says_who_asked_before_and_who_owns_it(self, core, team, clock):
        first = new_lead(core, team, external_id="A")
        tracker.claim(core, team.id, first, "sam")
        clock.advance(timedelta(days=3))
        second = new_lead(core, team, external_id="B", source="AutoTrader")
        with transaction(core.engine) as session:
            note = render._returning_note(session, session.get(Lead, second), clock.now())
        assert note == "Returning shopper: asked via Cars.com 3 d ago, Sam owns it."

    def test_linked_leads_still_count_separately_in_the_figures(self, core, team, clock):
        start = clock.now()
        new_lead(core, team, external_id="A")
        clock.advance(timedelta(hours=1))
        new_lead(core, team, external_id="B")
        hours = BusinessHours.parse(team.timezone, team.business_days, team.opens_at, team.closes_at)
        period = period_for("2026-11-24..2026-11-24", hours, start)
        with transaction(core.engine) as session:
            assert baseline(session, team, period, clock.now()).leads == 2
            assert session.scalar(select(func.count()).select_from(Lead)) == 2
