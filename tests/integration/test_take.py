"""Taking an escalated lead over from its owner (issue 10's "Take it"), on SQLite and PostgreSQL:
the sweep offers it to colleagues and managers only, one take wins under concurrent taps, the
previous owner is told, and a closed lead is refused."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlmodel import select

from adapters.console.chat import PHRASES
from chatbot.commands import Caller, run_command
from chatbot.core import unit_of_work
from chatbot.domain.hours import on_call
from chatbot.errors import LeadClosed
from chatbot.escalation.sweeper import sweep
from chatbot.ladder.deadlines import hours_of
from chatbot.ladder.rules import Act, card_offers
from chatbot.leads import ownership, tracker
from chatbot.messaging.outbox import deliver_pending
from chatbot.messaging.ports import Channel, Direct, Thread
from chatbot.store.db import transaction
from chatbot.store.models import Lead, Member, OutboxMessage
from tests.conftest import TUESDAY_10AM
from tests.fakes.chat import FakeChat
from tests.helpers import new_lead


def owner(core, lead_id: int) -> str | None:
    with transaction(core.engine) as session:
        lead = session.get(Lead, lead_id)
        return session.get(Member, lead.owner_id).chat_user_id if lead.owner_id else None


def test_the_sweep_offers_take_it_to_colleagues_and_managers_not_to_the_owner(core, team, clock):
    chat = FakeChat()
    lead_id = new_lead(core, team)
    on_duty = on_call(["sam", "alex", "jordan"], hours_of(team), clock.now())
    rep = "alex" if on_duty == "sam" else "sam"
    tracker.claim(core, team.id, lead_id, rep)
    for minutes in (10, 15, 25, 35):
        clock.set(TUESDAY_10AM + timedelta(minutes=minutes))
        sweep(core)
    deliver_pending(core, chat)
    directs = [n for to, n in chat.notices(Direct)]
    assert [n.take for n in directs if n.text.startswith(("Heads-up", "Maria"))] == [False, False]  # the owner's own
    (to_on_call,) = [n for n in directs if n.text.startswith("On-call")]
    (to_managers,) = [n for to, n in chat.notices(Channel) if n.text.startswith("Managers")]
    assert to_on_call.take and to_managers.take and to_managers.lead_id == lead_id
    threads = [n for to, n in chat.notices(Thread)]
    assert [n.take for n in threads] == [False, False, True, True]


def test_a_colleague_takes_an_escalated_lead_and_the_previous_owner_is_told(core, team, clock):
    chat = FakeChat()
    lead_id = new_lead(core, team)
    tracker.claim(core, team.id, lead_id, "sam")
    deliver_pending(core, chat)
    with transaction(core.engine) as session:
        submitted = session.get(Lead, lead_id).submitted_at
    clock.advance(timedelta(minutes=30))

    taken = tracker.take(core, team.id, lead_id, "alex")

    assert taken.won and taken.message == "Maria Gonzalez is yours now; Sam was told."
    assert owner(core, lead_id) == "alex"
    with transaction(core.engine) as session:
        assert session.get(Lead, lead_id).submitted_at == submitted
    deliver_pending(core, chat)
    (told,) = chat.direct_to("sam")
    assert told == f"Alex took over Maria Gonzalez (lead #{lead_id}) after it was escalated; it is theirs now."
    again = tracker.take(core, team.id, lead_id, "alex")
    assert not again.won and again.message == "You already own Maria Gonzalez's lead."


def test_take_is_never_on_the_card_but_anyone_may_do_it():
    assert Act.TAKE not in card_offers(Lead(status="open", owner_id=1), can_hand_to=2)


def test_a_take_on_a_closed_lead_is_refused_and_changes_nothing(core, team):
    lead_id = new_lead(core, team)
    tracker.claim(core, team.id, lead_id, "sam")
    tracker.close(core, team.id, lead_id, "sam", won=True)
    with pytest.raises(LeadClosed, match="is closed won; nothing to do"):
        tracker.take(core, team.id, lead_id, "alex")
    assert owner(core, lead_id) == "sam"


def test_the_console_takes_a_lead_with_take_n(core, team):
    lead_id = new_lead(core, team)
    tracker.claim(core, team.id, lead_id, "sam")
    reply = run_command(core, Caller(team.id, "jordan"), f"/take {lead_id}", PHRASES)
    assert not reply.refused and reply.text == "Maria Gonzalez is yours now; Sam was told."
    assert owner(core, lead_id) == "jordan"
    tracker.close(core, team.id, lead_id, "jordan", won=False, reason="bought elsewhere")
    refused = run_command(core, Caller(team.id, "alex"), f"/take {lead_id}", PHRASES)
    assert refused.refused and "is closed lost" in refused.text


@pytest.mark.postgres
def test_two_racing_takes_on_postgres_give_exactly_one_new_owner(core, team):
    """Alex's take has updated the row but not committed when Jordan's reads the lead (Sam owns
    it) and tries: Jordan's conditional UPDATE waits, then matches nothing, and is told."""
    if core.engine.url.get_backend_name() != "postgresql":
        pytest.skip("two transactions really race on PostgreSQL only")
    lead_id = new_lead(core, team)
    tracker.claim(core, team.id, lead_id, "sam")
    second: list = []
    racer = threading.Thread(target=lambda: second.append(tracker.take(core, team.id, lead_id, "jordan")))
    with unit_of_work(core) as work:
        first = ownership.take(work, team.id, lead_id, "alex")
        racer.start()
        racer.join(timeout=0.5)
        assert racer.is_alive()  # Jordan's UPDATE waits on Alex's uncommitted one
    racer.join(timeout=10)
    (lost,) = second
    assert first.won and not lost.won
    assert lost.message == "Alex took Maria Gonzalez first; it is theirs now."
    assert owner(core, lead_id) == "alex"
    with transaction(core.engine) as session:
        told = session.exec(select(OutboxMessage).where(OutboxMessage.lead_id == lead_id,
                                                        OutboxMessage.kind == "notice")).all()
    # the previous owner and the managers are told once each
    assert [m.payload["address"] for m in told] == ["sam", "#sales-managers"]
