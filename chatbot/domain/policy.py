"""What is due next, and when: pure functions of a lead's facts, its windows' plans and now.

A *window* is a promise to the customer (claim it, call them, call them again, keep it moving).
When a window opens, its *plan* is fixed: when it started, how long it lasts (the team's window
then), and its *chain* of rungs (the team's chain then), each an offset from the deadline, an
action and an audience. The lead keeps that plan (a snapshot, Grafana OnCall style): a manager
who edits a setting changes the windows that open afterwards, never one already running, so
nothing already sent is re-timed or sent again.

One voice per lead: while the claim window is open (the card is posted, nobody has claimed it)
the first-contact chain is silent, and the claim notices say everything the lead is missing.
A first-contact rung that fell due while the lead sat unclaimed is covered by the claim chain
for good; the rungs after the claim still fire. A window closes the moment it is satisfied,
and every window closes when the lead does. Definitions follow ../shared/METRICS.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Rule(StrEnum):
    CLAIM = "claim"
    FIRST_CONTACT = "first_contact"
    SECOND_CONTACT = "second_contact"
    STALL = "stall"


class Action(StrEnum):
    REMIND = "remind"  # tell the audience it must act
    TELL = "tell"  # let them know (managers: who was reminded, and that it is still not done)
    REASSIGN = "reassign"  # move the lead to the next available rep in the rotation, and tell them


class Audience(StrEnum):
    OWNER = "owner"  # unclaimed: the channel (after hours: the on-call rep)
    ON_CALL = "on_call"  # the on-call rep, unless they own it or already heard: then the managers
    NEXT_REP = "next_rep"  # the rep after the owner in the rotation
    MANAGERS = "managers"
    CHANNEL = "channel"  # the leads channel (after hours: the on-call rep)


@dataclass(frozen=True)
class Rung:
    """One step of a chain: `offset` from the deadline (negative: a heads-up before it). `level`
    names it in the escalation's unique key; 0 is a heads-up, 1 the deadline itself."""

    level: int
    offset: timedelta
    action: Action
    audience: Audience


def _chain(*rungs: tuple[int, timedelta, Action, Audience]) -> tuple[Rung, ...]:
    return tuple(Rung(*rung) for rung in rungs)


M, H, D = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
R, T = Action.REMIND, Action.TELL
DEFAULT_CHAINS: Mapping[Rule, tuple[Rung, ...]] = {
    Rule.CLAIM: _chain((1, 0 * M, R, Audience.CHANNEL), (2, 5 * M, R, Audience.ON_CALL),
                       (3, 10 * M, T, Audience.MANAGERS)),
    Rule.FIRST_CONTACT: _chain((0, -5 * M, R, Audience.OWNER), (1, 0 * M, R, Audience.OWNER),
                               (2, 10 * M, R, Audience.ON_CALL), (3, 20 * M, T, Audience.MANAGERS)),
    Rule.SECOND_CONTACT: _chain((1, 0 * H, R, Audience.OWNER), (2, 4 * H, R, Audience.ON_CALL),
                                (3, 8 * H, T, Audience.MANAGERS)),
    Rule.STALL: _chain((1, 0 * D, R, Audience.OWNER), (2, 1 * D, R, Audience.ON_CALL),
                       (3, 2 * D, T, Audience.MANAGERS)),
}
LEVELS = 3  # the deepest default rung


@dataclass(frozen=True)
class Windows:
    """How long each promise may take; per team, defaults from METRICS.md."""

    claim: timedelta = timedelta(minutes=5)
    first_contact: timedelta = timedelta(minutes=15)
    second_contact: timedelta = timedelta(hours=48)
    stall: timedelta = timedelta(days=3)

    def of(self, rule: Rule) -> timedelta:
        return {Rule.CLAIM: self.claim, Rule.FIRST_CONTACT: self.first_contact,
                Rule.SECOND_CONTACT: self.second_contact, Rule.STALL: self.stall}[rule]


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


@dataclass(frozen=True)
class Plan:
    """One window as it was fixed when it opened: from `start`, `length` long, and its chain."""

    rule: Rule
    start: datetime
    length: timedelta
    rungs: tuple[Rung, ...]

    @property
    def deadline(self) -> datetime:
        return self.start + self.length


@dataclass(frozen=True, order=True)
class Step:
    """One rung of one window: due at `due_at`, identified by (rule, deadline, level)."""

    due_at: datetime
    rule: Rule
    deadline: datetime
    level: int
    action: Action = Action.REMIND
    audience: Audience = Audience.OWNER

    @property
    def key(self) -> tuple[str, datetime, int]:
        return (str(self.rule), self.deadline, self.level)


Snapshots = Mapping[Rule, Plan]
Fired = set[tuple[str, datetime, int]]


def window_starts(facts: LeadFacts) -> list[tuple[Rule, datetime]]:
    """The promises not yet kept, each with the moment its window opened."""
    if facts.closed:
        return []
    found: list[tuple[Rule, datetime]] = []
    if facts.claimed_at is None and facts.posted_at is not None:
        # runs from the card's post: while the card waits in the outbox nobody can claim it
        found.append((Rule.CLAIM, facts.posted_at))
    if facts.first_contact_at is None:
        found.append((Rule.FIRST_CONTACT, facts.submitted_at))
    else:
        if facts.second_contact_at is None:
            found.append((Rule.SECOND_CONTACT, facts.first_contact_at))
        found.append((Rule.STALL, facts.last_activity_at or facts.first_contact_at))
    return found


def plans(facts: LeadFacts, windows: Windows, snapshots: Snapshots | None = None,
          chains: Mapping[Rule, tuple[Rung, ...]] | None = None) -> list[Plan]:
    """Each open window's plan: the snapshot taken when it opened (same rule, same start), or,
    for a window opening now, the team's windows and chains as they are now. Earliest deadline first."""
    snapshots, chains = snapshots or {}, chains or DEFAULT_CHAINS
    found = []
    for rule, start in window_starts(facts):
        kept = snapshots.get(rule)
        found.append(kept if kept is not None and kept.start == start
                     else Plan(rule, start, windows.of(rule), tuple(chains[rule])))
    return sorted(found, key=lambda p: (p.deadline, list(Rule).index(p.rule)))


def open_windows(facts: LeadFacts, windows: Windows, snapshots: Snapshots | None = None) -> list[OpenWindow]:
    """The promises not yet kept, each with its deadline, earliest first."""
    return [OpenWindow(p.rule, p.deadline) for p in plans(facts, windows, snapshots)]


def _covered(step: Step, facts: LeadFacts) -> bool:
    """A first-contact rung the claim chain speaks for: it falls due while the card is posted
    and nobody has claimed the lead."""
    if step.rule is not Rule.FIRST_CONTACT or facts.posted_at is None or step.due_at < facts.posted_at:
        return False
    return facts.claimed_at is None or step.due_at <= facts.claimed_at


def ladder(plan: Plan | OpenWindow) -> list[Step]:
    """The plan's steps (an OpenWindow: the default chain). A heads-up that would come at or
    before the window opens (a 5-minute window and a 5-minute heads-up) is no heads-up: left out."""
    rungs = plan.rungs if isinstance(plan, Plan) else DEFAULT_CHAINS[plan.rule]
    opened = plan.start if isinstance(plan, Plan) else None
    return [Step(plan.deadline + r.offset, plan.rule, plan.deadline, r.level, r.action, r.audience)
            for r in sorted(rungs, key=lambda r: r.offset)
            if not (r.offset < timedelta(0) and opened is not None and plan.deadline + r.offset <= opened)]


Chains = Mapping[Rule, tuple[Rung, ...]]


def steps(facts: LeadFacts, windows: Windows, snapshots: Snapshots | None = None,
          chains: Chains | None = None) -> list[Step]:
    """Every step of every open window that may still speak, in order (`chains`: what a window
    opening now takes; the defaults when None)."""
    return sorted(step for plan in plans(facts, windows, snapshots, chains) for step in ladder(plan)
                  if not _covered(step, facts))


def due_steps(facts: LeadFacts, windows: Windows, fired: Fired, now: datetime,
              snapshots: Snapshots | None = None, chains: Chains | None = None) -> list[Step]:
    """Every step that has fallen due by `now` and has not fired yet, in the order they fell due."""
    return [s for s in steps(facts, windows, snapshots, chains) if s.due_at <= now and s.key not in fired]


def next_step(facts: LeadFacts, windows: Windows, fired: Fired, snapshots: Snapshots | None = None,
              chains: Chains | None = None) -> Step | None:
    """The earliest step still to fire, whether or not it is due yet: what the sweep waits for."""
    return next((s for s in steps(facts, windows, snapshots, chains) if s.key not in fired), None)


def next_deadline(facts: LeadFacts, windows: Windows, snapshots: Snapshots | None = None) -> OpenWindow | None:
    """The promise to keep next, as shown to the rep on the card (it may already be overdue)."""
    found = open_windows(facts, windows, snapshots)
    return found[0] if found else None


def past_ladder(facts: LeadFacts, windows: Windows, fired: Fired, now: datetime,
                snapshots: Snapshots | None = None) -> list[OpenWindow]:
    """Overdue windows whose every rung has fired (or was covered): nobody is left to tell."""
    found = []
    for plan in plans(facts, windows, snapshots):
        if plan.deadline <= now and all(s.key in fired or _covered(s, facts) for s in ladder(plan)):
            found.append(OpenWindow(plan.rule, plan.deadline))
    return found
