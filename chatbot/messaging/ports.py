"""What the core needs from the outside world, as small protocols adapters implement.

The chat port takes platform-neutral views (chatbot.messaging.views) and sends them; each adapter
renders them its own way (Block Kit, Adaptive Cards, a terminal panel).

How a send can fail tells the outbox what to do next (docs/RELIABILITY.md):
- `ChatUnavailable`: the chat did not take *this* message (it refused it); the message backs off
  on its own, other messages go on.
- `ChatDown`: the chat service itself is failing (no connection, 5xx, rate limited); nothing
  else is sent to it until a probe gets through, so the backlog keeps its order.
- `ChatOutcomeUnknown`: the request went out and no answer came (timeout, connection reset):
  the chat may have taken it. A card is then looked for (`find_card`) before it is posted again.
- `ChatGone`: the chat refuses the rooftop for good (the app removed, its channel refusing us):
  the rooftop is parked, its managers are told where they can be reached, and its messages wait.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Union

from chatbot.domain.clock import Clock  # noqa: F401  (re-exported: the other port)


@dataclass(frozen=True)
class MessageRef:
    """Where a message the bot posted lives: a channel and the platform's id for it."""

    channel: str
    message_id: str


@dataclass(frozen=True)
class Channel:
    channel: str


@dataclass(frozen=True)
class Thread:
    """A reply under a message the bot posted (Slack thread, Teams reply chain)."""

    parent: MessageRef


@dataclass(frozen=True)
class Direct:
    """A private message to one person, by their chat user id."""

    user_id: str


Destination = Union[Channel, Thread, Direct]


@dataclass(frozen=True)
class Pace:
    """How fast a platform lets one channel receive new messages: `per_second` steadily, `burst` at once."""

    per_second: float
    burst: int = 1


class ChatUnavailable(Exception):
    """The chat service did not take the message; the outbox will try again.

    `method`: the platform call that failed (for the log line); `error`: a short code for it.
    Neither may carry a customer's details or a token.
    """

    def __init__(self, detail: str = "", *, method: str | None = None, error: str | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.method, self.error, self.retry_after = method, error or detail, retry_after


class ChatDown(ChatUnavailable):
    """The chat service is failing as a whole: wait for it, do not send it anything else now."""


class ChatOutcomeUnknown(ChatDown):
    """The request was sent and no answer came: the message may have been taken."""


class ChatGone(ChatUnavailable):
    """The chat refuses this rooftop for good: the app was removed from its team or workspace, or
    its channel refuses the bot. Retrying will not help; the rooftop is parked (nothing more is sent
    to it, its messages wait) until the platform says the app is back (chatbot.messaging.access)."""


class ChatPort(Protocol):
    def post(self, to: Destination, view: object) -> MessageRef:
        """Send a view; return where it landed. Raise ChatUnavailable when it did not."""

    def update(self, ref: MessageRef, view: object) -> None:
        """Replace a message the bot posted before (the lead card, updated in place)."""

    def find_card(self, to: Channel, lead_id: int) -> MessageRef | None:
        """The lead's card if the bot already posted it in `to`'s recent history, else None.

        Called before posting a card again whose earlier post had an unknown outcome. A platform
        that cannot look returns None (the card is then posted again: at least once).
        """

    def lead_cards(self, to: Channel, lead_id: int) -> list[MessageRef]:
        """Every card of the lead the bot has in `to`'s recent history, oldest first. Optional, with
        `delete`: the card tidy (chatbot.messaging.tidy) deletes the copies a late-answered post left."""

    def delete(self, ref: MessageRef) -> None:
        """Delete a message the bot posted; one already gone counts as deleted. Optional (see lead_cards)."""

    def reactions(self, ref: MessageRef) -> list[tuple[str, str]]:
        """Who reacted to a message the bot posted, and with what: (chat user id, reaction name)
        pairs, the earliest first as far as the platform says. Optional: the reaction lookout
        (chatbot.escalation.lookout) asks it about unclaimed cards, in case an event never came."""

    def upload(self, to: Channel, view: object, png: bytes, filename: str) -> MessageRef:
        """Post a view with an image beside it (the weekly digest and its chart). Optional: a chat
        without it gets the view's text as a notice (chatbot.messaging.render.post_digest)."""
