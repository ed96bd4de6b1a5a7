"""A chat service that records what the core sent it, and can be down."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import count

from chatbot.messaging.ports import Channel, ChatUnavailable, Destination, Direct, MessageRef, Thread
from chatbot.messaging.views import LeadCard, Notice


@dataclass
class Sent:
    to: Destination
    view: object


@dataclass
class FakeChat:
    down: bool = False
    posts: list[Sent] = field(default_factory=list)
    updates: list[tuple[MessageRef, LeadCard]] = field(default_factory=list)
    _ids: count = field(default_factory=lambda: count(1))

    def post(self, to: Destination, view: object) -> MessageRef:
        if self.down:
            raise ChatUnavailable("chat is down")
        self.posts.append(Sent(to, view))
        channel = to.channel if isinstance(to, Channel) else to.parent.channel if isinstance(to, Thread) else to.user_id
        return MessageRef(channel, f"{next(self._ids)}.0001")

    def update(self, ref: MessageRef, view: object) -> None:
        if self.down:
            raise ChatUnavailable("chat is down")
        self.updates.append((ref, view))

    # what tests read

    def cards(self) -> list[LeadCard]:
        return [s.view for s in self.posts if isinstance(s.view, LeadCard)]

    def notices(self, kind: type | None = None) -> list[tuple[Destination, Notice]]:
        return [(s.to, s.view) for s in self.posts if isinstance(s.view, Notice) and (kind is None or isinstance(s.to, kind))]

    def direct_to(self, user_id: str) -> list[str]:
        return [n.text for to, n in self.notices(Direct) if to.user_id == user_id]

    def in_channel(self, channel: str) -> list[str]:
        return [n.text for to, n in self.notices(Channel) if to.channel == channel]

    def last_card(self, lead_id: int) -> LeadCard:
        versions = [c for c in self.cards() if c.lead_id == lead_id] + [c for _, c in self.updates if c.lead_id == lead_id]
        return versions[-1]
