"""A rooftop whose chat refuses us for good (the port raises ChatGone), in the core alone: it is
parked, not retried and never dropped; its managers hear once, where the chat still reaches them;
another rooftop on the same chat goes on; resuming sends what waited, in order."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from chatbot.messaging import access
from chatbot.messaging.outbox import pending_count
from chatbot.messaging.platforms import Platforms, deliver_all, unreachable
from chatbot.messaging.ports import Channel, ChatGone, ChatUnavailable, Direct, MessageRef
from chatbot.team import roster
from tests.fakes.chat import FakeChat
from tests.helpers import new_lead


@dataclass
class RefusingChat(FakeChat):
    """A chat that refuses some channels for good (the app removed from their team) and some
    people's private chats (never opened)."""

    gone: set[str] = field(default_factory=set)
    unreachable_people: set[str] = field(default_factory=set)
    tried: list[object] = field(default_factory=list)

    def post(self, to, view) -> MessageRef:
        self.tried.append(to)
        if isinstance(to, Channel) and to.channel in self.gone:
            raise ChatGone("the channel refuses the bot (HTTP 403)", method="post", error="http_403")
        if isinstance(to, Direct) and to.user_id in self.unreachable_people:
            raise ChatUnavailable("no personal chat", method="post", error="http_403")
        return super().post(to, view)


def test_a_rooftop_refused_for_good_is_parked_its_managers_told_once_and_resumed_in_order(core, team, clock,
                                                                                         caplog):
    caplog.set_level(logging.INFO, logger="chatbot.delivery")
    other = roster.ensure_team(core, name="North Motors", platform="console", platform_team_id="T2",
                               leads_channel="#north-leads")
    roster.add_member(core, team.id, name="Casey", chat_user_id="casey", role="admin")
    chat = RefusingChat(gone={"#leads"}, unreachable_people={"casey"})
    platforms = Platforms.one_chat(chat)

    first = new_lead(core, team, name="Maria Gonzalez", external_id="L-1")
    elsewhere = new_lead(core, other, name="North Shopper", external_id="N-1")
    delivered = deliver_all(core, platforms)
    assert (delivered.sent, delivered.failed) == (1, 1), "North's card went; Demo Motors' was refused"
    assert [c.lead_id for c in chat.cards()] == [elsewhere]
    assert chat.direct_to("pat") == [
        "Lead follow-up can no longer post for Demo Motors: the channel refuses the bot (HTTP 403). New leads are "
        "still taken and kept: 1 message(s) wait and go out as soon as the app is back."]
    assert [r.getMessage() for r in caplog.records if r.getMessage().startswith("chat_lost")] == [
        f'chat_lost platform=console team={team.id} reason="the channel refuses the bot (HTTP 403)" waiting=1 '
        f'managers_told=1 managers_unreachable=1']

    second = new_lead(core, team, name="James Carter", external_id="L-2")
    tried = len(chat.tried)
    clock.advance(timedelta(hours=1))
    assert deliver_all(core, platforms).sent == 0 and len(chat.tried) == tried, "nothing is tried while parked"
    assert access.lose(core, chat, team.id, "again", "console") is False and len(chat.direct_to("pat")) == 1
    assert pending_count(core, team.id) == 2 and unreachable(core, platforms) == 2
    (parked,) = access.parked(core)
    assert (parked.name, parked.reason, parked.waiting) == ("Demo Motors", "the channel refuses the bot (HTTP 403)",
                                                            2)

    chat.gone.clear()
    assert access.resume(core, team.id, "console") is True
    assert access.resume(core, team.id, "console") is False
    deliver_all(core, platforms)
    assert [c.lead_id for c in chat.cards()] == [elsewhere, first, second]
    assert pending_count(core) == 0 and access.parked(core) == []
    assert [r.getMessage() for r in caplog.records if r.getMessage().startswith("chat_resumed")] == [
        f"chat_resumed platform=console team={team.id} lost_s=3600 waiting=2 made_due=0"]
