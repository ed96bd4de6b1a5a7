"""Which chat gets a team's messages: a registry of the chat platforms this process can reach.

Each team names its platform (Team.platform: "slack", "teams", "console", or "api" for a team
that only takes leads over HTTP). The composition root registers, for each platform it has credentials for, a function that gives a
team's ChatPort, or None when that team cannot be reached right now (a Slack workspace with
no stored token). `deliver_all` sends every team's queued messages through its own platform;
a team whose platform is not configured keeps its messages in the outbox, counted as waiting,
until a process that can reach it runs.

The core knows platforms only by name: no chat SDK is imported here.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlmodel import col, func, select

from chatbot.messaging.outbox import Delivery, deliver_pending
from chatbot.messaging.ports import ChatPort
from chatbot.messaging.traffic import LocalTraffic, Traffic
from chatbot.store.db import transaction
from chatbot.store.models import OutboxMessage, Team

ChatFor = Callable[[Team], "ChatPort | None"]  # a team -> its chat connection, or None: not reachable now
ANY = "*"  # register under this name to deliver every team's messages through one chat (tests, benches)
ROOFTOPS_AT_ONCE = 32  # teams delivered side by side: a chat answers in hundreds of ms, so a 9:00 rush of
# one card per rooftop needs many calls in flight; and one rooftop's paced backlog or slow chat does not hold up another's cards
NOTHING_CONFIGURED = "No chat is configured: leads are stored and wait in the outbox."


@dataclass(frozen=True)
class Platform:
    name: str
    chat_for: ChatFor
    description: str


class Platforms:
    """Platform name -> how to reach a team on it. Empty: nothing is delivered, everything waits."""

    def __init__(self, when_empty: str = NOTHING_CONFIGURED) -> None:
        """`when_empty`: what `describe` says when nothing is registered (the composition root
        names the settings that would configure a chat; the core knows none of them)."""
        self._by_name: dict[str, Platform] = {}
        self._when_empty = when_empty

    @classmethod
    def of(cls, **chat_for: ChatFor) -> Platforms:
        """Platforms.of(slack=...), for tests and small set-ups."""
        made = cls()
        for name, function in chat_for.items():
            made.register(name, function)
        return made

    @classmethod
    def one_chat(cls, chat: ChatPort, description: str = "one chat for every team") -> Platforms:
        """Every team's messages through this one chat, whatever its platform."""
        made = cls()
        made.register(ANY, lambda _team: chat, description)
        return made

    def register(self, name: str, chat_for: ChatFor, description: str | None = None) -> None:
        self._by_name[name] = Platform(name, chat_for, description or name)

    def chat_for(self, team: Team) -> ChatPort | None:
        """The team's chat connection; None when its platform is not configured or cannot reach it now,
        or the team is parked because its chat refuses us for good (chatbot.messaging.access)."""
        if team.chat_lost_at is not None:
            return None
        platform = self._by_name.get(team.platform) or self._by_name.get(ANY)
        return platform.chat_for(team) if platform is not None else None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._by_name)

    def __bool__(self) -> bool:
        return bool(self._by_name)

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def describe(self) -> str:
        """One line for start-up: what this process delivers to."""
        if not self._by_name:
            return self._when_empty
        return "Delivering to " + "; ".join(p.description for p in self._by_name.values()) + "."


def deliver_all(core, platforms: Platforms, limit: int = 200, *, traffic: Traffic | None = None) -> Delivery:
    """Deliver each team's due outbox messages through its own platform (`traffic`: the
    deliverer's pace and outages; None: a fresh one for this call).

    Only teams with something queued are looked at. A team whose platform is not configured
    here (or that cannot be reached now) is left alone: its unsent messages count as waiting.
    Teams are delivered side by side (ROOFTOPS_AT_ONCE threads): a rooftop with 40 cards paced at
    Slack's one per second per channel does not keep another rooftop's new card waiting 40 s.
    Within a team, order is kept as `deliver_pending` keeps it.
    """
    now = core.clock.now()
    with transaction(core.engine) as session:
        queued = session.exec(
            select(Team, func.count(col(OutboxMessage.id)))
            .join(OutboxMessage, col(OutboxMessage.team_id) == Team.id)
            .where(col(OutboxMessage.sent_at).is_(None), OutboxMessage.next_attempt_at <= now)
            .group_by(Team.id).order_by(Team.id)
        ).all()
    traffic = traffic if traffic is not None else LocalTraffic()
    waiting = 0
    reachable: list[tuple[Team, ChatPort]] = []
    for team, count in queued:
        chat = platforms.chat_for(team)
        if chat is None:
            waiting += count
        else:
            reachable.append((team, chat))

    def deliver(team_and_chat: tuple[Team, ChatPort]) -> Delivery:
        team, chat = team_and_chat
        return deliver_pending(core, chat, limit, team_id=team.id, platform=team.platform, traffic=traffic)

    if len(reachable) <= 1:
        results = [deliver(one) for one in reachable]
    else:
        with ThreadPoolExecutor(min(ROOFTOPS_AT_ONCE, len(reachable)), thread_name_prefix="outbox-team") as pool:
            results = list(pool.map(deliver, reachable))
    return Delivery(sum(r.sent for r in results), sum(r.failed for r in results),
                    waiting + sum(r.waiting for r in results))


def unreachable(core, platforms: Platforms) -> int:
    """How many unsent messages belong to teams this registry cannot deliver to (due or not)."""
    with transaction(core.engine) as session:
        rows = session.exec(
            select(Team, func.count(col(OutboxMessage.id)))
            .join(OutboxMessage, col(OutboxMessage.team_id) == Team.id)
            .where(col(OutboxMessage.sent_at).is_(None))
            .group_by(Team.id)
        ).all()
    return sum(count for team, count in rows if platforms.chat_for(team) is None)
