"""What is due next, and when: pure functions of a lead's facts, its team's windows and now.

A *window* is a promise to the customer (claim it, call them, call them again, keep it moving).
While a window is open and its deadline passes, it escalates up a ladder of levels, one step
each `LADDER_STEP[rule]`: level 1 the owner (or the channel while unclaimed), level 2 the
on-call rep, level 3 the managers. A window closes the moment it is satisfied, and every
window closes when the lead does. Definitions follow ../shared/METRICS.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Rule(StrEnum):
    CLAIM = "claim"
    FIRST_CONTACT = "first_contact"
    SECOND_CONTACT = "second_contact"
    STALL = "stall"


LEVELS = 3
LADDER_STEP = {
    Rule.CLAIM: timedelta(minutes=5),
    Rule.FIRST_CONTACT: timedelta(minutes=10),
    Rule.SECOND_CONTACT: timedelta(hours=4),
    Rule.STALL: timedelta(days=1),
}


@dataclass(frozen=True)
class Windows:
    """How long each promise may take; per team, defaults from METRICS.md."""

    claim: timedelta = timedelta(minutes=5)
    first_contact: timedelta = timedelta(minutes=15)
    second_contact: timedelta = timedelta(hours=48)
    stall: timedelta = timedelta(days=3)


@dataclass(frozen=True)
class LeadFacts:
    """What the policy needs to know about a lead; nothing else."""

    submitted_at: datetime
    received_at: datetime
    posted_at: datetime | None = None
    claimed_at: datetime | None = None
    first_contact_at: datetime | None = None
    second_contact_at: datetime | None = None
    last_activity_at: datetime | None = None
    closed: bool = False


@dataclass(frozen=True)
class OpenWindow:
    rule: Rule
    deadline: datetime


@dataclass(frozen=True, order=True)
class Step:
    """One rung of the ladder: due at `due_at`, identified by (rule, deadline, level)."""

    due_at: datetime
    rule: Rule
    deadline: datetime
    level: int

    @property
    def key(self) -> tuple[str, datetime, int]:
        return (str(self.rule), self.deadline, self.level)


def open_windows(facts: LeadFacts, windows: Windows) -> list[OpenWindow]:
    """The promises not yet kept, each with its deadline, earliest first."""
    if facts.closed:
        return []
    found: list[OpenWindow] = []
    if facts.claimed_at is None and facts.posted_at is not None:
        # runs from the card's post: while the card waits in the outbox nobody can claim it
        found.append(OpenWindow(Rule.CLAIM, facts.posted_at + windows.claim))
    if facts.first_contact_at is None:
        found.append(OpenWindow(Rule.FIRST_CONTACT, facts.submitted_at + windows.first_contact))
    else:
        if facts.second_contact_at is None:
            found.append(OpenWindow(Rule.SECOND_CONTACT, facts.first_contact_at + windows.second_contact))
        last_activity = facts.last_activity_at or facts.first_contact_at
        found.append(OpenWindow(Rule.STALL, last_activity + windows.stall))
    return sorted(found, key=lambda w: w.deadline)


def ladder(window: OpenWindow) -> list[Step]:
    step = LADDER_STEP[window.rule]
    return [
        Step(window.deadline + step * (level - 1), window.rule, window.deadline, level)
        for level in range(1, LEVELS + 1)
    ]


def due_steps(
    facts: LeadFacts, windows: Windows, fired: set[tuple[str, datetime, int]], now: datetime
) -> list[Step]:
    """Every step that has fallen due by `now` and has not fired yet, in the order they fell due."""
    return sorted(
        step
        for window in open_windows(facts, windows)
        for step in ladder(window)
        if step.due_at <= now and step.key not in fired
    )


def next_step(facts: LeadFacts, windows: Windows, fired: set[tuple[str, datetime, int]]) -> Step | None:
    """The earliest step still to fire, whether or not it is due yet: what the sweep waits for."""
    pending = [
        step for window in open_windows(facts, windows) for step in ladder(window) if step.key not in fired
    ]
    return min(pending, default=None)


def next_deadline(facts: LeadFacts, windows: Windows) -> OpenWindow | None:
    """The promise to keep next, as shown to the rep on the card (it may already be overdue)."""
    found = open_windows(facts, windows)
    return found[0] if found else None
