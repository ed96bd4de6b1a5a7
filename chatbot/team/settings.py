"""What a manager may change about their team, each setting read and checked one way.

Slack's `/followup set NAME VALUE`, the console's `/followup set ...` and any future settings
screen call `change_setting`; a rep who tries gets a clear refusal and nothing changes.
Changing a window re-times the team's open leads at once: the sweep reads `lead.due_at`, and
steps already fired are never repeated.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from sqlmodel import col, select

from chatbot.core import Work
from chatbot.domain.hours import DAY_NAMES
from chatbot.errors import FollowUpError, NotAllowed
from chatbot.leads.deadlines import hours_of, refresh_due
from chatbot.leads.rules import is_manager
from chatbot.messaging.phrasebook import Phrasebook
from chatbot.messaging.views import format_duration
from chatbot.store import queries
from chatbot.store.models import Lead, LeadStatus, Member, Team

DURATION = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")


class SettingError(FollowUpError):
    pass


def parse_duration(text: str) -> timedelta:
    """'45s', '20m', '2h', '3d', '1h30m'; at most 366 days, so any span fits a date."""
    shown = text.strip() if len(text.strip()) <= 40 else text.strip()[:39] + "…"
    match = DURATION.fullmatch(text.strip().lower())
    if not text.strip() or match is None or not any(match.groups()):
        raise SettingError(f"'{shown}' is not a duration. Try 45s, 20m, 2h, 3d or 1h30m.")
    # Digits are compared as text first: int() of thousands of digits is itself refused.
    numbers = [(g or "0").lstrip("0") or "0" for g in match.groups()]
    longest = timedelta(days=366)
    if any(len(n) > 12 for n in numbers):
        raise SettingError(f"'{shown}' is too long: at most {format_duration(longest)}.")
    days, hours, minutes, seconds = (int(n) for n in numbers)
    total = ((days * 24 + hours) * 60 + minutes) * 60 + seconds
    if total > longest.total_seconds():
        raise SettingError(f"'{shown}' is too long: at most {format_duration(longest)}.")
    return timedelta(seconds=total)


@dataclass(frozen=True)
class Setting:
    help: str
    apply: Callable[[Team, str], str]  # changes the team, returns the new value as people read it


def _window(field: str, low: timedelta, high: timedelta) -> Callable[[Team, str], str]:
    def apply(team: Team, value: str) -> str:
        span = parse_duration(value)
        if not low <= span <= high:
            raise SettingError(f"Keep it between {format_duration(low)} and {format_duration(high)}.")
        setattr(team, field, int(span.total_seconds()))
        return format_duration(span)
    return apply


def _channel(field: str, optional: bool) -> Callable[[Team, str], str]:
    def apply(team: Team, value: str) -> str:
        text = value.strip()
        if optional and text.lower() in ("none", "-"):
            setattr(team, field, None)
            return "none"
        if not text or " " in text or len(text) > 80:
            raise SettingError("Name one channel, e.g. #leads.")
        setattr(team, field, text)  # the adapter has turned the platform's channel markup into its id
        return text
    return apply


def _timezone(team: Team, value: str) -> str:
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingError(f"'{value}' is not a time zone. Use a name like America/Chicago.") from None
    team.timezone = value.strip()
    return team.timezone


def _hours(team: Team, value: str) -> str:
    """'mon-sat 09:00-19:00' or 'mon tue wed thu fri 08:30-18:00'."""
    match = re.fullmatch(r"\s*([a-z ,\-]+?)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*", value.lower())
    if not match:
        raise SettingError("Give days and hours, e.g. mon-sat 09:00-19:00.")
    days: list[str] = []
    for part in re.split(r"[\s,]+", match.group(1).strip()):
        first, _, last = part.partition("-")
        try:
            start = DAY_NAMES.index(first[:3])
            end = DAY_NAMES.index(last[:3]) if last else start
        except ValueError:
            raise SettingError(f"'{part}' is not a day. Use mon, tue, ... sun.") from None
        days.extend(DAY_NAMES[i % 7] for i in range(start, end + 1 if end >= start else end + 8))
    try:
        opens, closes = (time.fromisoformat(t.zfill(5)) for t in match.group(2, 3))
    except ValueError:
        raise SettingError("Times are HH:MM, e.g. 09:00-19:00.") from None
    if opens >= closes:
        raise SettingError("The showroom must open before it closes.")
    team.business_days = " ".join(d for d in DAY_NAMES if d in days)
    team.opens_at, team.closes_at = f"{opens:%H:%M}", f"{closes:%H:%M}"
    return hours_of(team).describe()


def _playbook(team: Team, value: str) -> str:
    text = " ".join(value.split())
    if not 3 <= len(text) <= 300:
        raise SettingError("The playbook line is one short sentence (3 to 300 characters).")
    team.playbook = text
    return text


def _claim_emoji(team: Team, value: str) -> str:
    text = value.strip().strip(":")
    if text.lower() == "any":
        team.claim_emoji = None
        return "any reaction"
    if not re.fullmatch(r"[\w+\-]+", text):
        raise SettingError("Name one emoji, e.g. :raising_hand:, or 'any'.")
    team.claim_emoji = text
    return text


def _region(team: Team, value: str) -> str:
    code = value.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise SettingError(f"'{value}' is not a country code like US or CA.")
    team.phone_region = code
    return code


SETTINGS: dict[str, Setting] = {
    "claim": Setting("claim window, e.g. 5m", _window("claim_window_s", timedelta(minutes=1), timedelta(hours=4))),
    "first-contact": Setting("first-contact target, e.g. 5m or 15m",
                             _window("first_contact_window_s", timedelta(minutes=1), timedelta(hours=24))),
    "second-contact": Setting("second contact after the first, e.g. 48h",
                              _window("second_contact_window_s", timedelta(hours=1), timedelta(days=14))),
    "stall": Setting("stalled after this long idle, e.g. 3d",
                     _window("stall_window_s", timedelta(hours=12), timedelta(days=30))),
    "leads-channel": Setting("where new leads are posted, e.g. #leads", _channel("leads_channel", False)),
    "managers-channel": Setting("the last step of the ladder, e.g. #sales-managers (or none)",
                                _channel("managers_channel", True)),
    "hours": Setting("business hours, e.g. mon-sat 09:00-19:00", _hours),
    "timezone": Setting("e.g. America/Chicago", _timezone),
    "playbook": Setting("the line shown on every lead", _playbook),
    "claim-emoji": Setting("the reaction that claims, e.g. :raising_hand:, or any", _claim_emoji),
    "region": Setting("default country for phone numbers, e.g. US", _region),
}


def _manager(session, team_id: int, chat_user_id: str) -> Member:
    member = queries.member_by_chat_id(session, team_id, chat_user_id)
    if not is_manager(member):
        raise NotAllowed("Settings are for managers. Ask your sales manager to change them.")
    return member


def change_setting(work: Work, team_id: int, by_user_id: str, name: str, value: str) -> str:
    """Change one setting; returns the confirmation to show."""
    setting = SETTINGS.get(name.lower())
    if setting is None:
        raise SettingError(f"'{name}' is not a setting. Settings: {', '.join(SETTINGS)}.")
    session = work.session
    _manager(session, team_id, by_user_id)
    team = queries.team(session, team_id)
    shown = setting.apply(team, value)
    session.add(team)
    open_leads = session.exec(
        select(Lead).where(Lead.team_id == team_id, Lead.status == LeadStatus.OPEN, col(Lead.history).is_(False))
    ).all()
    for lead in open_leads:
        refresh_due(session, lead, team)
    name = name.lower()
    retimed = f" {len(open_leads)} open lead(s) re-timed." if name.startswith(("claim", "first", "second", "stall")) \
        and name != "claim-emoji" else ""
    return f"{name} is now {shown}.{retimed}"


def set_rotation(work: Work, team_id: int, by_user_id: str, chat_user_ids: list[str]) -> str:
    """The after-hours rotation, in this order; everyone else leaves it."""
    if not chat_user_ids:
        raise SettingError("Name the reps in rotation order, e.g. @sam @alex @jordan.")
    session = work.session
    _manager(session, team_id, by_user_id)
    people = [queries.member_by_chat_id(session, team_id, user_id) for user_id in chat_user_ids]
    if len({m.id for m in people}) != len(people):
        raise SettingError("Name each rep once; the rotation takes them in the order given.")
    for member in session.exec(select(Member).where(Member.team_id == team_id)).all():
        member.oncall_order = None
        session.add(member)
    session.flush()
    for order, member in enumerate(people, start=1):
        member.oncall_order = order
        session.add(member)
    return "On-call rotation: " + ", ".join(m.name for m in people) + ", one evening each, in turn."


def show_settings(work: Work, team_id: int, by_user_id: str, phrases: Phrasebook) -> list[str]:
    """The team's settings as a manager reads them, each with the name to change it by.

    A rep is refused: settings are managers' business.
    """
    session = work.session
    _manager(session, team_id, by_user_id)
    team = queries.team(session, team_id)
    rotation = [member.name for member in queries.rotation(session, team_id)]

    def span(seconds: int) -> str:
        return format_duration(timedelta(seconds=seconds))

    return [
        f"Settings for {team.name} (change with {phrases.command('followup set NAME VALUE')}):",
        f"  hours: {hours_of(team).describe()} · timezone: {team.timezone} · region: {team.phone_region}",
        f"  leads-channel: {team.leads_channel or 'not set'} · managers-channel: {team.managers_channel or 'none'}",
        f"  claim: {span(team.claim_window_s)} · first-contact: {span(team.first_contact_window_s)} · "
        f"second-contact: {span(team.second_contact_window_s)} · stall: {span(team.stall_window_s)}",
        f"  claim-emoji: {phrases.emoji(team.claim_emoji) if team.claim_emoji else 'any'}",
        f"  playbook: {team.playbook}",
        f"  on-call rotation ({phrases.command('followup oncall @a @b ...')}): {', '.join(rotation) or 'nobody'}",
    ]
