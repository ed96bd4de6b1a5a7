"""Platform-neutral messages: what the bot says, not how Slack or Teams draws it.

Adapters render these dataclasses (Block Kit, Adaptive Cards, a terminal panel). Most texts a
user reads are composed here, once, so they are short, specific and the same on every platform
(/away's and /back's answers live with availability in chatbot/team/availability.py).

Every text here is plain text, with no markup of any platform, and most hold words from outside
(a customer's name, a provider's source, a rep's note or lost reason). So a renderer shows each
one exactly as it reads: it puts it through its platform's one escape (adapters/*/words.py
`literal`) and adds only its own markup around it (bold labels, mentions by chat id, links it
builds itself).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from chatbot.domain.contact import display_phone
from chatbot.domain.oncall import Schedule, Shift
from chatbot.domain.policy import OpenWindow, Plan, Rule, Rung, Windows, ladder
from chatbot.domain.wording import format_duration, format_moment, relative
from chatbot.ladder.rules import card_offers
from chatbot.reports.figures import Baseline, FirstContactSplit, GroupFigures
from chatbot.reports.worklists import StalledLead
from chatbot.store.models import Lead, LeadStatus, Member, Team

RULE_NAMES = {
    Rule.CLAIM: "claim",
    Rule.FIRST_CONTACT: "first contact",
    Rule.SECOND_CONTACT: "second contact",
    Rule.STALL: "next touch",
}


@dataclass(frozen=True)
class DueLine:
    what: str
    at: datetime
    overdue: bool
    text: str


@dataclass(frozen=True)
class LeadCard:
    """The lead's message in the team channel, updated in place as the lead moves."""

    lead_id: int
    title: str
    customer_name: str
    phone: str | None  # E.164, for a tap-to-call link
    phone_display: str | None
    email: str | None
    vehicle: str
    source: str
    asked: str  # "asked 3 min ago (Tue 10:02)"
    comments: str | None
    playbook: str
    status: str
    owner_name: str | None
    owner_user_id: str | None
    facts: list[str] = field(default_factory=list)  # "claimed in 1 min", "first contact in 4 min 10s", "2 attempts"
    due: DueLine | None = None
    returning: str | None = None
    closed: str | None = None
    reps: tuple[tuple[str, str], ...] = ()  # (chat user id, name) of who it can be handed to
    offers: frozenset[str] = frozenset()  # the card actions (rules.Act values) that apply now
    # What intake guessed or dropped: "phone given: abc, not a number", "the provider's date ..."
    warnings: tuple[str, ...] = ()
    phone_given: str | None = None  # a phone that is not a number, as given: shown, never dialled
    email_given: str | None = None  # an e-mail that is not an address, as given: shown, never linked
    no_contact: str | None = None  # "no phone or e-mail given", when nothing at all was given

    @property
    def is_open(self) -> bool:
        return self.status == LeadStatus.OPEN


@dataclass(frozen=True)
class Notice:
    """A short message to a person or a channel; `mention` is a chat user id to address.

    `hint` names a phrase of the platform's phrasebook (chatbot.messaging.phrasebook) that the
    renderer adds, e.g. "claim": how to claim a lead on that platform. `take`: an escalation
    notice for someone other than the lead's owner, so a chat may add a "Take it" control
    (chatbot.leads.actions.TAKE_ACTION) for `lead_id`.
    """

    text: str
    mention: str | None = None
    lead_id: int | None = None
    hint: str | None = None
    take: bool = False


@dataclass(frozen=True)
class RowAction:
    """A control on one row of a report (a lead's Nudge or Reassign). A chat draws a button or
    a menu; the console names `command`, which does the same."""

    act: str  # "nudge" or "reassign" (chatbot.ladder.rules.Act value)
    lead_id: int
    label: str
    command: str  # in the platform's words: "/nudge 12", "/reassign 12 @rep"
    choices: tuple[tuple[str, str], ...] = ()  # reassign: (chat user id, name) of who can take it


@dataclass(frozen=True)
class CardRef:
    """Where a lead's card is in chat (channel and message id), for a link where the chat has one."""

    channel: str
    message_id: str


@dataclass(frozen=True)
class Table:
    """Rows a renderer may draw as a table (terminal) or as one line each (chat on a phone).

    Optional, for reports managers act on: a `title` above it, per row the `actions` (a tuple
    per row) and the `cards` the rows are about, and `more` (how to see the rows not shown).
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str | None = None
    actions: tuple[tuple[RowAction, ...], ...] = ()
    cards: tuple[CardRef | None, ...] = ()
    more: str | None = None

    def lines(self) -> list[str]:
        """The table as plain lines: title, one line per row (cells joined with ' · '), more."""
        return ([self.title] if self.title else []) + [" · ".join(row) for row in self.rows] + (
            [self.more] if self.more else [])


@dataclass(frozen=True)
class Reply:
    """A command's answer to the person who typed it.

    `refused`: nothing was done, and `lines` say why and what works. `share`: the command line
    that recomputes this answer, when the channel may want to see it (reports). `tables`: more
    tables after `table` (a report's sections), each with its own title.
    """

    lines: tuple[str, ...]
    table: Table | None = None
    refused: bool = False
    share: str | None = None
    tables: tuple[Table, ...] = ()

    @property
    def all_tables(self) -> tuple[Table, ...]:
        return ((self.table,) if self.table else ()) + self.tables

    @property
    def text(self) -> str:
        """Everything as plain lines (table rows joined with ' · ')."""
        return "\n".join([*self.lines, *(line for table in self.all_tables for line in table.lines())])


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


def due_text(due: OpenWindow, zone: ZoneInfo, now: datetime) -> str:
    """'Second contact due by Thu 10:20 (in 2 d)' or 'Claim overdue since 10:05 (5 min ago)'."""
    state = "overdue since" if due.deadline <= now else "due by"
    return (f"{RULE_NAMES[due.rule].capitalize()} {state} {format_moment(due.deadline, zone, now)} "
            f"({relative(due.deadline, now)})")


TOUCH_NAMES = {"call": "Call", "text": "Text", "email": "E-mail", "appointment": "Appointment", "note": "Note"}


def touch_logged_text(kind: str, outcome: str | None, lead: Lead, team: Team, due: OpenWindow | None, first: bool,
                      now: datetime) -> str:
    """What the rep hears after logging a touch: what was logged, and the promise to keep next."""
    said = f" ({outcome})" if outcome and kind != "note" else ""
    parts = [f"{TOUCH_NAMES[kind]}{said} logged for {lead.customer_name}."]
    if first:
        parts.append(f"First contact {format_duration(lead.first_contact_at - lead.submitted_at)} after asking.")
    if due is not None:
        parts.append(due_text(due, ZoneInfo(team.timezone), now) + ".")
    return " ".join(parts)


def closed_text(lead: Lead, few: int) -> str:
    """What the rep hears after closing a lead; lost too early is said plainly."""
    if lead.status == LeadStatus.WON:
        return f"{lead.customer_name} closed won after {lead.attempts} attempt(s). Nice work."
    if lead.attempts < few:
        return (f"{lead.customer_name} closed lost after only {lead.attempts} attempt(s): fewer than {few}. "
                f"Most leads answer on a later try; this one shows in the baseline.")
    return f"{lead.customer_name} closed lost after {lead.attempts} attempts."


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


def reach_text(lead: Lead, team: Team, *, call: str = "Call now") -> str:
    """How to reach the customer with what the lead has: 'Call now: (773) 555-0188.',
    'E-mail now: name@example.com.', or 'No phone or e-mail: check the lead in your CRM.'"""
    if lead.phone:
        return f"{call}: {display_phone(lead.phone, team.phone_region)}."
    if lead.email:
        return f"E-mail now: {lead.email}."
    return "No phone or e-mail: check the lead in your CRM."


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


def _lead_state(lead: Lead, owners: dict, now: datetime) -> str:
    owner = owners.get(lead.owner_id)
    who = f"#{lead.id} {lead.customer_name} ({lead.source})"
    if owner is None:
        state = "unclaimed"
    else:
        state = f"{owner.name} owns it"
    if lead.first_contact_at is None:
        state += f", not contacted, asked {format_duration(now - lead.submitted_at)} ago"
    return f"{who}: {state}"


def morning_text(team: Team, held: list, past: list, owners: dict, now: datetime) -> str:
    """The managers' morning summary: what the night kept for them, and every lead past its ladder.

    `held`: (lead, escalations kept for this morning); `past`: (lead, overdue windows);
    `owners`: member id -> Member."""
    zone = ZoneInfo(team.timezone)
    lines = [f"Good morning. {team.name}, {now.astimezone(zone):%a %b} {now.astimezone(zone).day}:"]
    if held:
        count = f"{len(held)} lead needed" if len(held) == 1 else f"{len(held)} leads needed"
        lines.append(f"While we were closed, {count} a manager (kept for opening):")
        for lead, escalations in held:
            first = min(e.due_at for e in escalations)
            lines.append(f"  {_lead_state(lead, owners, now)}; since {format_moment(first, zone, now)}")
    if past:
        lines.append(f"Past their ladder and still overdue ({len(past)}): every reminder has gone out.")
        for lead, windows in past:
            late = "; ".join(f"{RULE_NAMES[w.rule]} overdue since {format_moment(w.deadline, zone, now)}"
                             for w in windows)
            lines.append(f"  {_lead_state(lead, owners, now)}; {late}")
    return "\n".join(lines)


def shopper_back_text(lead: Lead, earlier: Lead, team: Team, now: datetime) -> str:
    """The direct message to the owner of a returning shopper's earlier lead."""
    return (f"{lead.customer_name} is back: a new lead via {lead.source} (#{lead.id}). They asked via "
            f"{earlier.source} {format_duration(now - earlier.submitted_at)} ago and that lead (#{earlier.id}) "
            f"is yours, so you hear first. Reach out before the channel does.")


def returning_note(earlier: Lead, owner: Member | None, now: datetime) -> str:
    """The card's line for a shopper who asked before."""
    owned = f", {owner.name} owns it" if owner else ", unclaimed"
    return f"Returning shopper: asked via {earlier.source} {format_duration(now - earlier.submitted_at)} ago{owned}."


def claimed_elsewhere_text(owner: Member, claimed_at: datetime, team: Team, now: datetime) -> str:
    zone = ZoneInfo(team.timezone)
    return f"{owner.name} has this lead since {format_moment(claimed_at, zone, now)} ({relative(claimed_at, now)})."


def _pct(part: int, whole: int) -> str:
    return "n/a" if not whole else f"{part / whole:.0%}"


def _dur(seconds: float | None) -> str:
    return "n/a" if seconds is None else format_duration(timedelta(seconds=round(seconds)))


def _trend(now: tuple[int, int], before: tuple[int, int] | None) -> str:
    """', up from 31%' / ', down from 42%' / ', as before' (compared as shown: whole percent)."""
    if before is None:
        return ""
    if not before[1]:
        return " (no leads the period before)"
    was, is_ = round(100 * before[0] / before[1]), round(100 * now[0] / now[1]) if now[1] else None
    if is_ is None or is_ == was:
        return f", as before ({was}%)" if is_ is not None else ""
    return f", {'up' if is_ > was else 'down'} from {was}%"


def window_label(seconds: int) -> str:
    """A window as its setting reads: '15 min', '48 h', '3 days' (not always days: '48 h' stays '48 h')."""
    if seconds >= 3 * 86400 and seconds % 86400 == 0:
        return f"{seconds // 86400} days"
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    return format_duration(timedelta(seconds=seconds))


def verdict_text(b: Baseline, before: Baseline | None = None) -> str:
    """The one line a manager reads first: first contact against the target, and the share
    reached within it against the period before."""
    target = window_label(b.target_s)
    if not b.leads:
        had = f" The period before ({before.period.label}) had {before.leads}." if before and before.leads else ""
        return f"No leads in {b.period.label}.{had}"
    if b.first_contact_median_s is None:
        first = f"No lead has had a first contact yet, target {target}"
    else:
        first = f"First contact took {_dur(b.first_contact_median_s)} on median, target {target}"
    reached = (f"{_pct(b.within_target, b.leads)} of leads were reached within {target}"
               + _trend((b.within_target, b.leads), (before.within_target, before.leads) if before else None))
    return f"{first}; {reached}."


def _was(value: str, before: str | None) -> str:
    return value if before is None else f"{value} (before {before})"


def baseline_text(b: Baseline, scope: str = "", *, before: Baseline | None = None,
                  split: list[FirstContactSplit] | None = None) -> str:
    """The baseline answer: a verdict line, then each figure against the period of the same
    length before (`before`) and against the team's target, and the after-hours split."""
    target = window_label(b.target_s)
    second = window_label(b.second_window_s)
    stall = window_label(b.stall_window_s)
    old = before

    def then(value) -> str | None:
        return None if old is None else value(old)

    header = (f"Baseline, {b.period.label}{' · ' + scope if scope else ''}: {b.leads} lead(s), "
              f"{b.contacted} contacted, {b.never_contacted} never contacted")
    if old is not None:
        header += f" · before ({old.period.label}): {old.leads} lead(s), {old.never_contacted} never contacted"
    lines = [
        verdict_text(b, before),
        header,
        f"  First contact: median {_was(_dur(b.first_contact_median_s), then(lambda x: _dur(x.first_contact_median_s)))}"
        f", target {target} · mean {_dur(b.first_contact_mean_s)} · "
        f"p90 {_was(_dur(b.first_contact_p90_s), then(lambda x: _dur(x.first_contact_p90_s)))}",
        f"  Within 5 min: {_pct(b.within_5_min, b.leads)} ({b.within_5_min}/{b.leads})"
        + (f", before {_pct(old.within_5_min, old.leads)}" if old else "")
        + f" · within target {target}: {_pct(b.within_target, b.leads)} ({b.within_target}/{b.leads})"
        + (f", before {_pct(old.within_target, old.leads)}" if old else "") + "; target 100%",
        f"  Second contact within {second}: {_pct(b.second_contact_within_48h, b.second_contact_eligible)} "
        f"({b.second_contact_within_48h}/{b.second_contact_eligible})"
        + (f", before {_pct(old.second_contact_within_48h, old.second_contact_eligible)}" if old else "")
        + f"; target 100% · median gap {_was(_dur(b.first_to_second_median_s), then(lambda x: _dur(x.first_to_second_median_s)))}",
        f"  Time to claim: median {_was(_dur(b.claim_median_s), then(lambda x: _dur(x.claim_median_s)))} · "
        f"stalled now (no activity for over {stall}): {_was(str(b.stalled), then(lambda x: str(x.stalled)))}, target 0 · "
        f"lost with < 3 attempts: {b.lost_few_attempts} of {b.lost} lost"
        + (f" (before {old.lost_few_attempts} of {old.lost})" if old else "") + ", target 0",
    ]
    if split is not None:
        inside, after = split
        lines.append(
            f"  After hours: {after.leads} lead(s), median {_dur(after.first_contact_median_s)}, within {target} "
            f"{_pct(after.within_target, after.leads)} ({after.within_target}/{after.leads}) · inside hours: "
            f"{inside.leads} lead(s), median {_dur(inside.first_contact_median_s)}, within {target} "
            f"{_pct(inside.within_target, inside.leads)} ({inside.within_target}/{inside.leads})")
    return "\n".join(lines)


def breakdown_table(groups: list[GroupFigures], by: str, b: Baseline) -> Table:
    """`/baseline by rep` / `by source`: one row per rep (or source), each cell saying what it is."""
    target, second = window_label(b.target_s), window_label(b.second_window_s)
    rows = tuple((
        g.name, f"{g.leads} lead(s)", f"{g.never_contacted} never contacted",
        f"median {_dur(g.first_contact_median_s)}",
        f"{_pct(g.within_target, g.leads)} in {target} ({g.within_target}/{g.leads})",
        f"{_pct(g.second_contact_within, g.second_contact_eligible)} 2nd in {second} "
        f"({g.second_contact_within}/{g.second_contact_eligible})",
        f"{g.stalled} stalled", f"{g.lost_few_attempts} lost < 3 tries",
    ) for g in groups)
    first = "Rep" if by == "rep" else "Source"
    return Table((first, "Leads", "Never contacted", "First contact", f"Within {target}", f"2nd within {second}",
                  "Stalled", "Lost few"), rows, title=f"By {by}:" if rows else f"By {by}: no leads.")


def work_row(row: StalledLead, team: Team, now: datetime, stalled: bool) -> tuple[str, ...]:
    """One lead of /stalled: customer, owner, attempts, last touch and how long ago."""
    zone = ZoneInfo(team.timezone)
    touch = (f"last touch {row.last_touch_kind} {format_moment(row.last_touch_at, zone, now)} "
             f"({relative(row.last_touch_at, now)})" if row.last_touch_at else "no touch yet")
    since = (f"quiet {format_duration(now - row.last_activity_at)}" if stalled else
             f"asked {format_moment(row.submitted_at, zone, now)} ({relative(row.submitted_at, now)})")
    return (f"#{row.lead_id} {row.customer_name} ({row.source})", row.owner_name or "unclaimed", touch, since,
            f"{row.attempts} attempt(s)")


def stalled_title(count: int, team: Team) -> str:
    window = window_label(team.stall_window_s)
    if not count:
        return f"No stalled leads: every contacted open lead has had activity in the last {window}."
    return f"Stalled: {count} open lead(s) with no activity for over {window}"


def never_contacted_title(count: int, team: Team) -> str:
    window = window_label(team.first_contact_window_s)
    if not count:
        return f"Never contacted: none; every open lead older than {window} has had a contact attempt."
    return f"Never contacted: {count} open lead(s) past the {window} first-contact window with no attempt"


def nudge_text(lead: Lead, by: Member, team: Team, now: datetime) -> str:
    """The direct message a manager's Nudge sends the lead's owner."""
    zone = ZoneInfo(team.timezone)
    if lead.first_contact_at is None:
        state = (f"asked {format_duration(now - lead.submitted_at)} ago and has had no contact attempt. "
                 f"{reach_text(lead, team)}")
    else:
        state = (f"has had no activity for {format_duration(now - lead.last_activity_at)} "
                 f"(last {format_moment(lead.last_activity_at, zone, now)}, {lead.attempts} attempt(s)). "
                 f"Move it forward or close it.")
    return f"{by.name} nudges you about {lead.customer_name} (lead #{lead.id}): {state}"


def _clock(moment: datetime, zone: ZoneInfo) -> str:
    here = moment.astimezone(zone)
    return f"{here:%H:%M %a}"


def _shift_rep(shift: Shift, names: dict) -> str:
    if shift.rep is None:
        return "nobody (everyone is away)"
    name = names.get(shift.rep, "?")
    if shift.planned is not None and shift.rep != shift.planned:
        return f"{name} (for {names.get(shift.planned, '?')}, away)"
    return f"{name} (changed)" if shift.source == "override" else name


def oncall_lines(schedule: Schedule, names: dict, now: datetime, away: list[tuple[str, datetime | None]] = ()
                 ) -> list[str]:
    """The on-call answer: who covers now and until when, who is next, the week ahead.

    'On call now: Jordan, until 09:00 Wed; tonight: Sam from 19:00.' `names`: rep key -> name;
    `away`: (name, until) of reps away now.
    """
    zone = schedule.hours.zone
    running, following = schedule.covering(now), schedule.next_shift(now)
    today = now.astimezone(zone).date()
    start = following.start.astimezone(zone)
    label = "tonight" if start.date() == today else f"{start:%a}"
    coming = f"{label}: {_shift_rep(following, names)} from {start:%H:%M}"
    if running is not None:
        first = f"On call now: {_shift_rep(running, names)}, until {_clock(running.end, zone)}; {coming}."
    else:
        first = f"Open now, nobody on call yet; {coming}."
    later = schedule.upcoming(following.start, 7)[1:]
    lines = [first, "Next: " + ", ".join(f"{s.start.astimezone(zone):%a %H:%M} {_shift_rep(s, names)}" for s in later)]
    holidays = sorted(d for d in schedule.hours.holidays if today <= d < today + timedelta(days=8))
    closed = "".join(f" Closed {d:%a %b} {d.day} (holiday)." for d in holidays)
    lines.append(f"Hours {schedule.hours.describe()}.{closed}")
    if away:
        lines.append("Away: " + ", ".join(f"{name} until {_clock(until, zone) if until else '/back'}"
                                          for name, until in away) + ".")
    return lines


def handoff_text(name: str, shift: Shift, zone: ZoneInfo, now: datetime, open_count: int,
                 overdue: list[str]) -> str:
    """The incoming rep's notice at the start of the shift: what is open and what is overdue."""
    head = f"{name}, you are on call now, until {_clock(shift.end, zone)}."
    if not open_count:
        return f"{head} No open leads."
    shown = "; ".join(overdue[:10]) + (f"; and {len(overdue) - 10} more" if len(overdue) > 10 else "")
    return f"{head} {open_count} open lead(s), {len(overdue)} overdue" + (f": {shown}." if overdue else ".")


def due_short(lead: Lead, team: Team, due: OpenWindow | None, now: datetime) -> str:
    """'first contact overdue 10:15', or '-' when nothing is due."""
    if due is None:
        return "-"
    zone = ZoneInfo(team.timezone)
    return f"{RULE_NAMES[due.rule]} {'overdue ' if due.deadline <= now else ''}{format_moment(due.deadline, zone, now)}"


# ---------------------------------------------------------------- the ladder's moves and lapses


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


# ---------------------------------------------------------------- /followup ladder

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


def chat_lost_text(team: Team, reason: str, waiting: int) -> str:
    """To a rooftop's managers: the chat no longer takes its messages; nothing is lost."""
    kept = f": {waiting} message(s) wait and" if waiting else ", and"
    return (f"Lead follow-up can no longer post for {team.name}: {reason}. New leads are still taken and "
            f"kept{kept} go out as soon as the app is back.")
