"""The lead card's actions as the core presents them, pinned by hand: each action says its row,
its style and its words, so Slack and Teams only draw them; and what a card offers, lead by lead."""

from __future__ import annotations

from chatbot.ladder.rules import Act, card_offers
from chatbot.leads.actions import BY_ACT, CARD_ACTIONS, Row, Style
from chatbot.store.models import Lead

WORK = {Act.CALL, Act.TEXT, Act.EMAIL, Act.APPOINTMENT, Act.NOTE, Act.WON, Act.LOST, Act.REASSIGN}


def test_lost_asks_for_a_reason_and_is_styled_as_danger():
    lost = BY_ACT[Act.LOST]
    assert (lost.asks, lost.style, lost.row, lost.confirm) == ("reason", Style.DANGER, Row.SECONDARY, None)
    assert lost.prompt.format(name="Maria Gonzalez", lead_id=7) == "Why was Maria Gonzalez (lead #7) lost?"
    assert lost.placeholder == "bought elsewhere, no answer after 5 tries, ..."
    assert (lost.submit, lost.missing) == ("Close as lost", "Say why it was lost, e.g. bought elsewhere.")


def test_won_and_release_ask_once_more_and_nothing_else_does():
    confirmed = {a.act: (a.heading, a.confirm.format(name="Maria Gonzalez"), a.submit) for a in CARD_ACTIONS
                 if a.confirm}
    assert confirmed == {
        Act.WON: ("Close as won?", "Maria Gonzalez is closed won and its timers stop.", "Close as won"),
        Act.RELEASE: ("Release this lead?", "Maria Gonzalez goes back to the channel for anyone to claim.",
                      "Release"),
    }


def test_the_first_row_claims_and_works_the_lead_and_the_second_ends_or_moves_it():
    rows = {row: [a.label for a in CARD_ACTIONS if a.row is row] for row in Row}
    assert rows == {Row.PRIMARY: ["Claim", "Call", "Text", "E-mail", "Appointment", "Note"],
                    Row.SECONDARY: ["Won", "Lost", "Release", "Reassign"]}
    assert [a.label for a in CARD_ACTIONS if a.style is Style.POSITIVE] == ["Claim"]


def test_claim_is_offered_only_while_the_lead_is_open_and_unclaimed():
    assert card_offers(Lead(status="open", owner_id=None), can_hand_to=2) == WORK | {Act.CLAIM}
    assert card_offers(Lead(status="open", owner_id=1), can_hand_to=2) == WORK | {Act.RELEASE}
    assert card_offers(Lead(status="open", owner_id=1), can_hand_to=0) == WORK - {Act.REASSIGN} | {Act.RELEASE}
    assert card_offers(Lead(status="won", owner_id=None), can_hand_to=2) == frozenset()
