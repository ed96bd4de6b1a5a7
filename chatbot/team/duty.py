"""Who hears each rung of a lead's ladder right now: its owner (unclaimed: the channel, after
hours the on-call rep), the on-call rep (unless they own it or already heard: then the managers),
the next rep, the managers; and whom a reassign step moves the lead to.

Asked by the sweep when a step fires (chatbot/escalation/sweeper.py) and by the card's "next
up" line for the moment the step will fall due (chatbot/messaging/next_up.py), so both name the
same person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session

from chatbot.domain.hours import BusinessHours
from chatbot.domain.policy import Audience, Rule, Step
from chatbot.ladder.deadlines import hours_of
from chatbot.store.models import Escalation, Member, Team
from chatbot.team.schedule import present


@dataclass(frozen=True)
class Recipient:
    audience: str  # owner, channel, on_call, next_rep or managers
    member: Member | None
    channel: str | None


@dataclass(frozen=True)
class Duty:
    """Who is around right now for one lead: its owner (and whether they are away), the on-call
    rep, the rotation without the reps who are away, and whether we are open."""

    team: Team
    owner: Member | None
    on_call: Member | None
    open_now: bool
    rotation: tuple[Member, ...] = ()
    hours: BusinessHours | None = field(default=None, compare=False)
    owner_away: bool = False
    order: tuple[int, ...] = ()  # the whole rotation, away or not: where the owner sits in it

    @classmethod
    def now(cls, session: Session, team: Team, owner: Member | None, now: datetime) -> Duty:
        hours = hours_of(team)
        around = present(session, team, owner, now)
        return cls(team, owner, around.on_call, hours.is_open(now), around.rotation, hours, around.owner_away,
                   around.order)

    def _managers(self) -> Recipient:
        return Recipient("managers", None, self.team.managers_channel or self.team.leads_channel)

    def _channel(self, told: set[int]) -> Recipient:
        if not self.open_now and self.on_call is not None and self.on_call.id not in told:
            return Recipient("on_call", self.on_call, None)  # after hours the on-call rep hears first
        return Recipient("channel", None, self.team.leads_channel)

    def recipient(self, step: Step, told: set[int] = frozenset()) -> Recipient:
        """Who must act at this step; `told`: members this lead's window has already told."""
        audience = step.audience
        owner_id = self.owner.id if self.owner else None
        if audience is Audience.OWNER:
            if self.owner is None:
                return self._channel(told)
            if not self.owner_away:
                return Recipient("owner", self.owner, None)
            if self.on_call is not None:  # stands in for an owner who is away: hears every owner's step
                return Recipient("on_call", self.on_call, None)
            return self._managers()
        if audience is Audience.CHANNEL:
            return self._channel(told)
        if audience is Audience.ON_CALL:
            if self.on_call is not None and self.on_call.id != owner_id and self.on_call.id not in told:
                return Recipient("on_call", self.on_call, None)
            return self._managers()
        if audience is Audience.NEXT_REP:
            rep = self._next_rep()
            if rep is not None and rep.id not in told:
                return Recipient("next_rep", rep, None)
            return self._managers()
        return self._managers()

    def _next_rep(self) -> Member | None:
        """The rep after the owner in the rotation, skipping reps who are away (no owner, or an
        owner outside the rotation: the on-call rep)."""
        if self.owner is None or self.owner.id not in self.order:
            return self.on_call
        here = {m.id: m for m in self.rotation}
        at = self.order.index(self.owner.id)
        return next((here[i] for i in self.order[at + 1:] + self.order[:at] if i in here), None)

    def reassign_to(self) -> Member | None:
        """Whom a reassign step moves the lead to: after hours the on-call rep (the only one
        working), else the next rep in the rotation who is not away; None: nobody else to move it to."""
        if not self.open_now:
            rep = self.on_call
        else:
            rep = self._next_rep()
        if rep is None or (self.owner is not None and rep.id == self.owner.id):
            return None
        return rep

    def held_until_opening(self, recipient: Recipient, now: datetime) -> date | None:
        """After hours with quiet hours on: the local date of the morning summary that tells it."""
        if self.open_now or not self.team.quiet_hours or recipient.audience not in ("managers", "channel"):
            return None
        opening = self.hours.next_opening(now) if self.hours is not None else None
        return self.hours.local(opening).date() if opening is not None else None


def told_members(step: Step, earlier: list[Escalation]) -> set[int]:
    """The members this step's window has already told (one voice per lead: for first contact,
    the claim chain's too): a later step that would tell them again goes up the ladder instead."""
    return {e.target_member_id for e in earlier if same_voice(step, e) and e.target_member_id}


def same_voice(step: Step, escalation: Escalation) -> bool:
    """Escalations a later step of this window speaks after: the window's own, and for first
    contact the claim chain's (one voice per lead)."""
    if escalation.rule == step.rule and escalation.deadline == step.deadline:
        return True
    return step.rule is Rule.FIRST_CONTACT and escalation.rule == Rule.CLAIM
