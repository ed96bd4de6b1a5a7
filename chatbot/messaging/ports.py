"""What the core needs from the outside world, as small protocols adapters implement.

The chat port takes platform-neutral views (chatbot.messaging.views) and sends them; each adapter
renders them its own way (Block Kit, Adaptive Cards, a terminal panel).
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


class ChatUnavailable(Exception):
    """The chat service did not take the message; the outbox will try again."""


class ChatPort(Protocol):
    def post(self, to: Destination, view: object) -> MessageRef:
        """Send a view; return where it landed. Raise ChatUnavailable when it did not."""

    def update(self, ref: MessageRef, view: object) -> None:
        """Replace a message the bot posted before (the lead card, updated in place)."""
