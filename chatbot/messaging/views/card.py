"""The lead card as it reads now, and its due line (also /leads'): what is promised next, by
when, and who hears it; intake's warnings in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from chatbot.domain.contact import display_phone
from chatbot.domain.policy import OpenWindow, Rule
from chatbot.domain.wording import format_duration, format_moment, relative
from chatbot.ladder.rules import card_offers
from chatbot.messaging.views import DueLine, LeadCard
from chatbot.store.models import Lead, LeadStatus, Member, Team

PROMISES = {  # what the rep must do next, as the card's due line starts
    Rule.CLAIM: "Claim it",
    Rule.FIRST_CONTACT: "Call",
    Rule.SECOND_CONTACT: "Call again",
    Rule.STALL: "Keep it moving",
}


@dataclass(frozen=True)
class NextUp:
    """What an open lead needs next, as its card and `/leads` say it: the promise to keep (`rule`,
    by `deadline`) and the next step of its ladder that will speak: `who` hears it ('Sam',
    'Jordan (on call)', 'the managers', 'the channel') `at`. `summary`: after hours with quiet
    hours on, it is told in the morning summary at `at`. `moves`: the step reassigns the lead to
    `who`. `done`: every step of the ladder has spoken. Neither `who` nor `done`: not known (the
    line names the promise only)."""

    rule: Rule
    deadline: datetime
    who: str | None = None
    at: datetime | None = None
    summary: bool = False
    moves: bool = False
    done: bool = False


def _minutes(span: timedelta) -> str:
    """A span as a rep reads it at a glance: whole minutes once it is a minute or more."""
    seconds = int(abs(span.total_seconds()))
    return format_duration(timedelta(seconds=seconds if seconds < 60 else seconds - seconds % 60))


def due_line(up: NextUp, zone: ZoneInfo, now: datetime) -> str:
    """'Call by 10:15, in 6 min; Sam hears at 10:10', 'Claim it by 10:05, 7 min late; the managers
    hear at 10:15', 'Call again by Thu 10:20, in 2 d; Sam hears at Thu 10:20', or after hours
    'Keep it moving by Sat 10:00, 3 h late; the managers hear in the Mon 09:00 summary'."""
    if up.deadline > now:
        left = f"in {_minutes(up.deadline - now)}"
    else:
        left = "due now" if now - up.deadline < timedelta(minutes=1) else f"{_minutes(now - up.deadline)} late"
    text = f"{PROMISES[up.rule]} by {format_moment(up.deadline, zone, now)}, {left}"
    if up.done:
        return f"{text}; every reminder has gone out"
    if up.who is None or up.at is None:
        return text
    when = "now" if up.at <= now else f"at {format_moment(up.at, zone, now)}"
    if up.moves:
        return f"{text}; it goes to {up.who} {when}"
    hear = "hear" if up.who.startswith("the managers") else "hears"
    if up.summary:
        return f"{text}; {up.who} {hear} in the {format_moment(up.at, zone, now)} summary"
    return f"{text}; {up.who} {hear} {when}"


NO_CONTACT = "no phone or e-mail given"


def warning_text(warning: dict) -> str | None:
    """One thing intake guessed or dropped (chatbot.intake.fields.lead_warnings), in words."""
    given = warning.get("given", "")
    kind = warning.get("kind")
    if kind == "date_unread":
        timed = "the e-mail's date" if warning.get("timed_from") == "e-mail" else "arrival"
        return f"the provider's date '{given}' could not be read; timed from {timed}"
    if kind == "date_future":
        return f"the provider's date '{given}' is in the future; timed from arrival"
    if kind == "phone_invalid":
        return f"phone given: {given}, not a number"
    if kind == "email_invalid":
        return f"e-mail given: {given}, not an address"
    return None


def warning_texts(details: dict | None) -> list[str]:
    """The sentences for a lead's stored warnings (``Lead.details["warnings"]``), in order."""
    found = (details or {}).get("warnings") or []
    return [text for text in (warning_text(w) for w in found if isinstance(w, dict)) if text]


def _given(details: dict | None, kind: str) -> str | None:
    return next((w.get("given") for w in (details or {}).get("warnings") or []
                 if isinstance(w, dict) and w.get("kind") == kind), None)


def lead_card(lead: Lead, team: Team, owner: Member | None, due: NextUp | OpenWindow | None, now: datetime,
              returning: str | None = None, reps: list[Member] = ()) -> LeadCard:
    """The card as it reads now; `due`: what is due next (chatbot.messaging.next_up), or just the
    window (then the due line names the promise only)."""
    zone = ZoneInfo(team.timezone)
    facts: list[str] = []
    if lead.claimed_at:
        facts.append(f"claimed in {format_duration(lead.claimed_at - (lead.posted_at or lead.received_at))}")
    if lead.first_contact_at:
        facts.append(f"first contact {format_duration(lead.first_contact_at - lead.submitted_at)} after asking")
    facts.append(f"{lead.attempts} attempt{'s' if lead.attempts != 1 else ''}")
    if lead.last_touch_at:
        facts.append(f"last touch {relative(lead.last_touch_at, now)}")
    shown_due = None
    if due is not None and lead.status == LeadStatus.OPEN:
        up = due if isinstance(due, NextUp) else NextUp(due.rule, due.deadline)
        shown_due = DueLine(PROMISES[up.rule], up.deadline, up.deadline <= now, due_line(up, zone, now))
    hand_to = tuple((rep.chat_user_id, rep.name) for rep in reps if rep.id != lead.owner_id)
    closed = None
    if lead.status != LeadStatus.OPEN and lead.closed_at:
        closed = f"Closed {lead.status} {format_moment(lead.closed_at, zone, now)}" + (
            f": {lead.close_reason}" if lead.close_reason else "")
    phone_given = None if lead.phone else _given(lead.details, "phone_invalid")
    email_given = None if lead.email else _given(lead.details, "email_invalid")
    return LeadCard(
        lead_id=lead.id or 0,
        title=f"New lead #{lead.id}: {lead.customer_name}" if lead.status == LeadStatus.OPEN and not lead.owner_id
        else f"Lead #{lead.id}: {lead.customer_name}",
        customer_name=lead.customer_name,
        phone=lead.phone,
        phone_display=display_phone(lead.phone, team.phone_region) if lead.phone else None,
        email=lead.email,
        vehicle=lead.vehicle or "vehicle not specified",
        source=lead.source,
        asked=f"asked {relative(lead.submitted_at, now)} ({format_moment(lead.submitted_at, zone, now)})",
        comments=lead.comments,
        playbook=team.playbook,
        status=lead.status,
        owner_name=owner.name if owner else None,
        owner_user_id=owner.chat_user_id if owner else None,
        facts=facts,
        due=shown_due,
        returning=returning,
        closed=closed,
        reps=hand_to,
        offers=frozenset(act.value for act in card_offers(lead, len(hand_to))),
        warnings=tuple(warning_texts(lead.details)),
        phone_given=phone_given,
        email_given=email_given,
        no_contact=NO_CONTACT if not (lead.phone or lead.email or phone_given or email_given) else None,
    )


def returning_note(earlier: Lead, owner: Member | None, now: datetime) -> str:
    """The card's line for a shopper who asked before."""
    owned = f", {owner.name} owns it" if owner else ", unclaimed"
    return f"Returning shopper: asked via {earlier.source} {format_duration(now - earlier.submitted_at)} ago{owned}."
