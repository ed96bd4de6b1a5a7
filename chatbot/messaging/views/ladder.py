"""/followup ladder: each window's chain of reminders in words."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from chatbot.domain.policy import Plan, Rule, Rung, Windows, ladder
from chatbot.messaging.views.formatting import window_label

WINDOW_WORDS = {  # each window's name and what it runs from
    Rule.CLAIM: ("Claim", "from the card's post"),
    Rule.FIRST_CONTACT: ("First contact", "from the customer's request"),
    Rule.SECOND_CONTACT: ("Second contact", "from the first contact"),
    Rule.STALL: ("Stalled", "from the last activity"),
}


AUDIENCE_WORDS = {"owner": "the owner", "channel": "the channel", "on_call": "the on-call rep",
                  "next_rep": "the next rep", "managers": "the managers"}


def span_words(span: timedelta) -> str:
    """An offset as a manager reads it: '5 min', '4 h', '1 day', '2 days'."""
    seconds = int(abs(span.total_seconds()))
    if seconds >= 86400 and seconds % 86400 == 0:
        days = seconds // 86400
        return f"{days} day{'s' if days != 1 else ''}"
    return window_label(seconds)


def rung_words(offset: timedelta, action: str, audience: str) -> str:
    """'5 min before: remind the owner', 'at the deadline: remind the channel', '+20 min: tell the
    managers', '+30 min: reassign to the next rep'."""
    when = (f"{span_words(offset)} before" if offset < timedelta(0) else
            "at the deadline" if offset == timedelta(0) else f"+{span_words(offset)}")
    action, audience = str(action), str(audience)
    who = AUDIENCE_WORDS.get(audience, audience.replace("_", " "))
    if action == "reassign":  # the lead moves to the next available rep in the rotation
        return f"{when}: reassign to the next rep"
    return f"{when}: {action} {who}"


def ladder_lines(team_name: str, windows: Windows, chains: dict[Rule, tuple[Rung, ...]], *, hours: str,
                 quiet_hours: bool, opening: str | None, rotation: bool) -> list[str]:
    """`/followup ladder`: each window's chain in words, the after-hours rule, and that open leads
    keep theirs. A heads-up that would come before the window opens is left out (policy.ladder).

    `hours`: the business hours as they read; `opening`: '09:00' when the showroom opens at one
    time every day it opens (the morning summary's time), else None; `rotation`: anyone is in the
    on-call rotation."""
    lines = [f"How {team_name} follows up, window by window:"]
    start = datetime(2000, 1, 1, tzinfo=ZoneInfo("UTC"))  # any moment: only offsets are shown
    for rule in Rule:
        if rule not in chains:
            continue
        name, since = WINDOW_WORDS[rule]
        length = windows.of(rule)
        steps = ladder(Plan(rule, start, length, tuple(chains[rule])))
        said = " · ".join(rung_words(s.due_at - s.deadline, s.action, s.audience) for s in steps) or "no reminders"
        lines.append(f"{name} ({window_label(int(length.total_seconds()))} {since}): {said}.")
    lines.append("While a lead is unclaimed, the owner's reminders go to the channel.")
    summary = f"the {opening} summary" if opening else "the summary at opening"
    if rotation:
        later = f"managers' notices wait for {summary}" if quiet_hours else "managers hear at once, day or night"
        after = f"After hours the on-call rep hears first; {later}."
    elif quiet_hours:
        after = f"After hours nobody is on call (the rotation is empty): the channel's and managers' notices wait for {summary}."
    else:
        after = "After hours nobody is on call (the rotation is empty): the channel and managers hear at once."
    lines.append(f"Hours: {hours}. {after}")
    lines.append("Open leads keep the ladder they started with.")
    return lines
