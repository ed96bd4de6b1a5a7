"""A window's chain written as a manager writes it, and read back: pure text <-> rungs.

    -5m remind owner, 0 remind owner, +10m reassign, +20m reassign, +30m tell managers

Each rung is an offset from the deadline (negative: a heads-up before it; `0`: at the
deadline), an action (remind, tell, reassign) and, but for reassign, an audience (owner,
on-call, next-rep, managers, channel). A reassign moves the lead to the next available rep in
the rotation; listing it twice walks the rotation two steps, until someone acts.

Levels name the rungs in each escalation's unique key: heads-ups count down to 0 (the one
nearest the deadline), the rest count up from 1, in the order they fall due. The default
chains keep the levels they have always had, so escalations recorded before a chain was
edited keep their meaning.
"""

from __future__ import annotations

import re
from datetime import timedelta

from chatbot.domain.policy import Action, Audience, Rung

MAX_RUNGS = 10
LONGEST = timedelta(days=30)
RUNG = re.compile(r"(?P<sign>[+-])?(?P<span>\d+[dhms](?:\d+[hms])*|0)\s+(?P<action>[a-z]+)(?:\s+(?P<audience>[a-z\-]+))?")
AUDIENCES = {"owner": Audience.OWNER, "on-call": Audience.ON_CALL, "oncall": Audience.ON_CALL,
             "next-rep": Audience.NEXT_REP, "managers": Audience.MANAGERS, "channel": Audience.CHANNEL}
WRITTEN = {Audience.OWNER: "owner", Audience.ON_CALL: "on-call", Audience.NEXT_REP: "next-rep",
           Audience.MANAGERS: "managers", Audience.CHANNEL: "channel"}
EXAMPLE = "-5m remind owner, 0 remind owner, +10m reassign, +20m tell managers"
UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


class ChainError(ValueError):
    """A chain a manager wrote that cannot be used; the message says why, in one line."""


def _span(text: str) -> timedelta:
    if text == "0":
        return timedelta(0)
    return sum((timedelta(**{UNITS[unit]: int(number)}) for number, unit in re.findall(r"(\d+)([dhms])", text)),
               timedelta(0))


def parse_chain(text: str) -> tuple[Rung, ...]:
    """'-5m remind owner, 0 remind owner, +10m reassign, +20m tell managers' -> rungs, levelled."""
    parts = [part.strip() for part in text.lower().split(",") if part.strip()]
    if not parts:
        raise ChainError(f"Write the steps, e.g. {EXAMPLE}.")
    if len(parts) > MAX_RUNGS:
        raise ChainError(f"At most {MAX_RUNGS} steps in one chain.")
    found: list[tuple[timedelta, Action, Audience]] = []
    for part in parts:
        match = RUNG.fullmatch(part)
        shown = part if len(part) <= 40 else part[:39] + "…"
        if match is None:
            raise ChainError(f"'{shown}' is not a step. Each is TIME ACTION AUDIENCE, e.g. {EXAMPLE}.")
        offset = _span(match["span"]) * (-1 if match["sign"] == "-" else 1)
        if abs(offset) > LONGEST:
            raise ChainError(f"'{shown}' is too far from the deadline: at most 30 days either side.")
        try:
            action = Action(match["action"])
        except ValueError:
            raise ChainError(f"'{match['action']}' is not an action: use remind, tell or reassign.") from None
        if action is Action.REASSIGN:
            if match["audience"] not in (None, "next-rep"):
                raise ChainError("A reassign always goes to the next available rep: write '+10m reassign'.")
            audience = Audience.NEXT_REP
        elif match["audience"] in AUDIENCES:
            audience = AUDIENCES[match["audience"]]
        else:
            raise ChainError(f"Say who hears '{shown}': owner, on-call, next-rep, managers or channel.")
        if offset < timedelta(0) and action is not Action.REMIND:
            raise ChainError("Before the deadline a step can only remind (a heads-up).")
        found.append((offset, action, audience))
    offsets = [offset for offset, _, _ in found]
    if len(set(offsets)) != len(offsets):
        raise ChainError("Give each step its own time.")
    return levelled(sorted(found, key=lambda rung: rung[0]))


def levelled(rungs: list[tuple[timedelta, Action, Audience]]) -> tuple[Rung, ...]:
    """Rungs in time order with their levels: heads-ups ..., -1, 0; from the deadline on 1, 2, ..."""
    before = [r for r in rungs if r[0] < timedelta(0)]
    after = [r for r in rungs if r[0] >= timedelta(0)]
    return (tuple(Rung(level - len(before) + 1, *r) for level, r in enumerate(before))
            + tuple(Rung(level, *r) for level, r in enumerate(after, start=1)))


def _offset_text(offset: timedelta) -> str:
    if offset == timedelta(0):
        return "0"
    seconds = int(abs(offset).total_seconds())
    parts = [(seconds // 86400, "d"), (seconds % 86400 // 3600, "h"), (seconds % 3600 // 60, "m"), (seconds % 60, "s")]
    return ("-" if offset < timedelta(0) else "+") + "".join(f"{n}{u}" for n, u in parts if n)


def chain_text(rungs: tuple[Rung, ...]) -> str:
    """The chain as a manager would write it (parse_chain reads it back)."""
    return ", ".join(
        f"{_offset_text(r.offset)} {r.action.value}" + ("" if r.action is Action.REASSIGN else f" {WRITTEN[r.audience]}")
        for r in sorted(rungs, key=lambda r: r.offset))
