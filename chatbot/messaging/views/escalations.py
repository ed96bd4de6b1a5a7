"""What the ladder says: each step's notice, a reassign step's two messages, and a rep set away
after lapses in a row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from chatbot.domain.policy import Rule
from chatbot.domain.wording import format_duration, format_moment, relative
from chatbot.messaging.views.formatting import reach_text
from chatbot.store.models import Lead, Member, Team


@dataclass(frozen=True)
class Told:
    """Someone the ladder already told about this lead's window, for the text of a later step."""

    who: str  # "Sam (owner)", "Jordan (on-call)", "the channel"
    at: datetime
    held: bool = False  # after hours, kept for the morning summary: not told yet


def missing_text(lead: Lead, team: Team, now: datetime) -> str:
    """Everything an open lead is missing, in one sentence: 'Nobody has claimed Maria Gonzalez
    (Cars.com) after 5 min and nobody has called them (asked 6 min ago). Call now: ...'."""
    who = f"{lead.customer_name} ({lead.source})"
    gaps = []
    if lead.owner_id is None:
        gaps.append(f"nobody has claimed {who}" + (
            f" after {format_duration(now - lead.posted_at)}" if lead.posted_at else ""))
    if lead.first_contact_at is None:
        called = "nobody has called them" if lead.owner_id is None else f"nobody has called {who}"
        gaps.append(f"{called} (asked {format_duration(now - lead.submitted_at)} ago)")
    if not gaps:
        return ""
    text = " and ".join(gaps)
    return text[0].upper() + text[1:] + "." + (f" {reach_text(lead, team)}" if lead.first_contact_at is None else "")


def escalation_text(rule: Rule, audience: str, lead: Lead, team: Team, owner: Member | None, now: datetime,
                    *, level: int = 1, told: tuple[Told, ...] = (), deadline: datetime | None = None) -> str:
    """What one step of the ladder says: who must do what for which customer, how late it is,
    and (for those told later) who has really been told before. Never names a person or a
    reminder that did not exist.

    `audience` is who receives it: 'owner', 'channel' (unclaimed), 'on_call', 'next_rep' or 'managers'.
    """
    zone = ZoneInfo(team.timezone)
    who = lead.customer_name
    if rule is Rule.CLAIM or (rule is Rule.FIRST_CONTACT and lead.owner_id is None):
        core = missing_text(lead, team, now)
    elif rule is Rule.FIRST_CONTACT and level == 0 and deadline is not None:
        core = (f"Heads-up: call {who} by {format_moment(deadline, zone, now)} ({relative(deadline, now)}); "
                f"they asked {format_duration(now - lead.submitted_at)} ago. {reach_text(lead, team)}")
    elif rule is Rule.FIRST_CONTACT:
        core = (f"{who} asked {format_duration(now - lead.submitted_at)} ago and has not been contacted. "
                f"{reach_text(lead, team)}")
    elif rule is Rule.SECOND_CONTACT:
        first = lead.first_contact_at or lead.submitted_at
        core = (f"{who} is due a second contact: the first was {format_moment(first, zone, now)}, "
                f"{format_duration(now - first)} ago. {reach_text(lead, team, call='Call or text now')}")
    else:
        core = (f"{who} has had no activity for {format_duration(now - lead.last_activity_at)} "
                f"(last {format_moment(lead.last_activity_at, zone, now)}). Move it forward or close it.")
    owned = f"{owner.name} owns it" if owner else "unclaimed"
    if audience in ("on_call", "next_rep"):
        label = "On-call" if audience == "on_call" else "Next rep"
        return f"{label}: this needs you ({owned}). {core}"
    if audience == "managers":
        times: dict[str, list[str]] = {}
        for t in told:
            if not t.held:
                times.setdefault(t.who, []).append(format_moment(t.at, zone, now))
        if times:
            said = ", ".join(f"{who} at {' and '.join(at)}" for who, at in times.items())
            return f"Managers: still not done after the ladder told {said} ({owned}). {core}"
        return f"Managers: nobody else has been told yet ({owned}). {core}"
    return core


WINDOW_PROMISES = {Rule.CLAIM: "claimed", Rule.FIRST_CONTACT: "called", Rule.SECOND_CONTACT: "called again",
                   Rule.STALL: "moved forward"}


def _why_moved(rule: Rule, lead: Lead, deadline: datetime, zone: ZoneInfo, now: datetime) -> str:
    return f"not {WINDOW_PROMISES[rule]} by {format_moment(deadline, zone, now)}"


def moved_to_you_text(rule: Rule, lead: Lead, team: Team, previous: Member | None, now: datetime, *,
                      deadline: datetime) -> str:
    """A reassign step, to the rep who has the lead now."""
    zone = ZoneInfo(team.timezone)
    was = f"from {previous.name}" if previous else "nobody had claimed it"
    return (f"Yours now: {lead.customer_name} ({lead.source}) moved to you, {was}: "
            f"{_why_moved(rule, lead, deadline, zone, now)}. They asked {format_duration(now - lead.submitted_at)} "
            f"ago. {reach_text(lead, team)}")


def moved_away_text(rule: Rule, lead: Lead, team: Team, to: Member, now: datetime, *, deadline: datetime) -> str:
    """A reassign step, to the rep who had the lead."""
    zone = ZoneInfo(team.timezone)
    return (f"{lead.customer_name} (lead #{lead.id}) moved to {to.name}: "
            f"{_why_moved(rule, lead, deadline, zone, now)}.")


def set_away_text(count: int) -> str:
    return (f"You are set away: {count} of your leads' windows lapsed in a row with no call, text or e-mail "
            f"logged between them. Until you are back, the on-call rep hears your leads' escalations.")


def set_away_managers_text(rep: Member, count: int) -> str:
    return (f"{rep.name} is set away: {count} of their leads' windows lapsed in a row. The on-call rep covers "
            f"their leads until they are back.")
