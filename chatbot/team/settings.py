"""What a manager may change about their team, each setting read and checked one way.

Slack's `/followup set NAME VALUE`, the console's `/followup set ...` and any future settings
screen call `change_setting`; a rep who tries gets a clear refusal and nothing changes (the
holidays are in holidays.py, the on-call rotation in schedule.py).
A setting changes what happens from now on, never what has been set in motion: each open
window keeps the plan (window length and chain) it took when it opened, snapshotted on the lead
before any change is applied, so nothing already sent is re-sent or re-timed; windows that open
afterwards take the new values.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from sqlmodel import col, select

from chatbot.core import Work
from chatbot.domain.chains import ChainError, chain_text, parse_chain
from chatbot.domain.hours import DAY_NAMES, week_spec
from chatbot.domain.policy import Rule
from chatbot.domain.wording import format_duration
from chatbot.errors import FollowUpError
from chatbot.ladder.deadlines import chains_of, hours_of, ladder_key, refresh_due, source_key
from chatbot.ladder.rules import require_settings_allowed
from chatbot.store import queries
from chatbot.store.models import Lead, LeadStatus, Team
from chatbot.team.holidays import holidays_line

if TYPE_CHECKING:  # an annotation only: the caller hands the phrasebook in (team sits below messaging)
    from chatbot.messaging.phrasebook import Phrasebook

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


HOURS_GROUP = re.compile(r"\s*([a-z][a-z ,\-]*?)\s+(?:(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})|(closed))\s*(?:[,;]|$)")
HOURS_FORMS = "Give days and hours, e.g. mon-sat 09:00-19:00. Per day: mon-fri 09:00-20:00, sat 09:00-18:00, sun closed."


def _days(text: str) -> list[int]:
    """'mon-fri', 'mon tue wed', 'fri-mon' (wraps), 'sun' -> weekday numbers."""
    days: list[int] = []
    for part in re.split(r"[\s,]+", text.strip()):
        first, _, last = part.partition("-")
        try:
            start = DAY_NAMES.index(first[:3])
            end = DAY_NAMES.index(last[:3]) if last else start
        except ValueError:
            raise SettingError(f"'{part[:40]}' is not a day. Use mon, tue, ... sun.") from None
        days.extend(i % 7 for i in range(start, end + 1 if end >= start else end + 8))
    return days


def _hours(team: Team, value: str) -> str:
    """'mon-sat 09:00-19:00', 'mon tue wed thu fri 08:30-18:00', or a range per group of days:
    'mon-fri 09:00-20:00, sat 09:00-18:00, sun closed'. Days not named are closed."""
    text = value.lower().strip()
    week: list[tuple[time, time] | None] = [None] * 7
    position = 0
    while position < len(text):
        match = HOURS_GROUP.match(text, position)
        if not match or match.end() == position:
            raise SettingError(HOURS_FORMS)
        position = match.end()
        span = None
        if not match.group(4):
            try:
                opens, closes = (time.fromisoformat(t.zfill(5)) for t in match.group(2, 3))
            except ValueError:
                raise SettingError("Times are HH:MM, e.g. 09:00-19:00.") from None
            if opens >= closes:
                raise SettingError("The showroom must open before it closes.")
            span = (opens, closes)
        for day in _days(match.group(1)):
            week[day] = span
    if not text:
        raise SettingError(HOURS_FORMS)
    spans = [span for span in week if span]
    if not spans:
        raise SettingError("Open at least one day, e.g. mon-sat 09:00-19:00.")
    usual = max(sorted(set(spans)), key=spans.count)
    team.business_days = " ".join(DAY_NAMES[d] for d in range(7) if week[d])
    team.opens_at, team.closes_at = f"{usual[0]:%H:%M}", f"{usual[1]:%H:%M}"
    team.weekly_hours = week_spec(week) if len(set(spans)) > 1 else None
    return hours_of(team).describe()


def _handoff(team: Team, value: str) -> str:
    text = value.strip().lower()
    if text in ("closing", "close", "default"):
        team.oncall_handoff = None
        return "closing time"
    try:
        when = time.fromisoformat(text.zfill(5))
    except ValueError:
        raise SettingError("Give the handoff as HH:MM, e.g. 19:00, or closing.") from None
    team.oncall_handoff = f"{when:%H:%M}"
    return team.oncall_handoff


def _shift_length(team: Team, value: str) -> str:
    if value.strip().lower() in ("until-opening", "opening", "default"):
        team.oncall_shift_s = None
        return "until the next opening"
    span = parse_duration(value)
    if not timedelta(hours=1) <= span <= timedelta(hours=24):
        raise SettingError("A shift is between 1 h and 24 h long (or until-opening).")
    team.oncall_shift_s = int(span.total_seconds())
    return format_duration(span)


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


def _quiet_hours(team: Team, value: str) -> str:
    text = value.strip().lower()
    if text not in ("on", "off"):
        raise SettingError("Say on (after hours, managers hear it in the morning summary) or off (at once).")
    team.quiet_hours = text == "on"
    return "on: after hours the on-call rep hears first; managers get one summary at opening" \
        if team.quiet_hours else "off: managers hear escalations at once, day or night"


def _ladder(rule: Rule, source: str | None = None) -> Callable[[Team, str], str]:
    """A window's chain as written ('-5m remind owner, 0 remind owner, +10m reassign, +20m tell
    managers'), or 'default'; with a `source`, for that lead source's windows only."""
    key = ladder_key(rule, source)

    def apply(team: Team, value: str) -> str:
        ladders = dict(team.ladders or {})
        if value.strip().lower() == "default":
            ladders.pop(key, None)
        else:
            try:
                ladders[key] = chain_text(parse_chain(value))
            except ChainError as error:
                raise SettingError(str(error)) from None
        if len(ladders) > MAX_LADDERS:
            raise SettingError(f"At most {MAX_LADDERS} chains per team; put some back to default first.")
        team.ladders = ladders or None
        return chain_text(chains_of(team, source)[rule])
    return apply


MAX_LADDERS = 24


def _setting(name: str) -> Setting | None:
    """A setting by name; 'first-contact-ladder@walk-in' is that window's chain for one lead source."""
    name = name.lower()
    base, at, source = name.partition("@")
    if not at:
        return SETTINGS.get(name)
    rule = LADDER_SETTINGS.get(base)
    if rule is None or not source_key(source):
        return None
    return Setting(SETTINGS[base].help, _ladder(rule, source))


def _lapses(team: Team, value: str) -> str:
    text = value.strip().lower()
    if text in ("off", "never", "0"):
        team.away_after_lapses = 0
        return "off: nobody is set away for lapsed windows"
    if not re.fullmatch(r"[0-9]{1,2}", text) or not 1 <= int(text) <= 20:
        raise SettingError("Give a number of windows in a row from 1 to 20, or off.")
    team.away_after_lapses = int(text)
    return f"{team.away_after_lapses} windows in a row (in business hours, with no attempt logged between)"


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
    "hours": Setting("business hours, e.g. mon-sat 09:00-19:00 or mon-fri 09:00-20:00, sat 09:00-18:00, sun closed",
                     _hours),
    "timezone": Setting("e.g. America/Chicago", _timezone),
    "oncall-handoff": Setting("when the on-call shift starts, e.g. 19:00, or closing", _handoff),
    "oncall-shift": Setting("how long a shift runs, e.g. 14h, or until-opening", _shift_length),
    "playbook": Setting("the line shown on every lead", _playbook),
    "claim-emoji": Setting("the reaction that claims, e.g. :raising_hand:, or any", _claim_emoji),
    "region": Setting("default country for phone numbers, e.g. US", _region),
    "quiet-hours": Setting("after hours, hold managers' notices for the morning summary: on or off", _quiet_hours),
    "claim-ladder": Setting("the claim window's steps, e.g. 0 remind channel, +5m reassign, +10m tell managers",
                            _ladder(Rule.CLAIM)),
    "first-contact-ladder": Setting("the first-contact steps, e.g. -5m remind owner, 0 remind owner, +10m reassign, "
                                    "+20m tell managers", _ladder(Rule.FIRST_CONTACT)),
    "second-contact-ladder": Setting("the second-contact steps, e.g. 0 remind owner, +4h remind on-call",
                                     _ladder(Rule.SECOND_CONTACT)),
    "stall-ladder": Setting("the stalled-lead steps, e.g. 0 remind owner, +1d tell managers", _ladder(Rule.STALL)),
    "away-after-lapses": Setting("set a rep away after this many lapsed windows in a row, e.g. 3, or off", _lapses),
}
LADDER_SETTINGS = {"claim-ladder": Rule.CLAIM, "first-contact-ladder": Rule.FIRST_CONTACT,
                   "second-contact-ladder": Rule.SECOND_CONTACT, "stall-ladder": Rule.STALL}


WINDOW_SETTINGS = ("claim", "first-contact", "second-contact", "stall", "claim-ladder", "first-contact-ladder",
                   "second-contact-ladder", "stall-ladder")


def change_setting(work: Work, team_id: int, by_user_id: str, name: str, value: str,
                   also: tuple[str, ...] = ()) -> str:
    """Change one setting; returns the confirmation to show. `also`: settings the caller handles
    itself (the digest's schedule), named with these when a name is not a setting."""
    setting = _setting(name)
    if setting is None:
        shown = name if len(name) <= 40 else name[:39] + "…"
        raise SettingError(f"'{shown}' is not a setting. Settings: {', '.join([*SETTINGS, *also])} "
                           f"(a chain for one lead source: first-contact-ladder@walk-in).")
    session = work.session
    require_settings_allowed(queries.member_by_chat_id(session, team_id, by_user_id))
    team = queries.team(session, team_id)
    # Every open window keeps the plan it opened with: snapshot it before the change (a lead
    # stored before snapshots existed takes the old values here, not the new ones).
    open_leads = session.exec(
        select(Lead).where(Lead.team_id == team_id, Lead.status == LeadStatus.OPEN, col(Lead.history).is_(False))
    ).all()
    for lead in open_leads:
        refresh_due(session, lead, team)
    shown = setting.apply(team, value)
    session.add(team)
    name = name.lower()
    kept = " Open leads keep their current ladder; new windows use it." \
        if name.partition("@")[0] in WINDOW_SETTINGS else ""
    return f"{name} is now {shown}.{kept}"


def show_settings(work: Work, team_id: int, by_user_id: str, phrases: Phrasebook) -> list[str]:
    """The team's settings as a manager reads them, each with the name to change it by.

    A rep is refused: settings are managers' business.
    """
    session = work.session
    require_settings_allowed(queries.member_by_chat_id(session, team_id, by_user_id))
    team = queries.team(session, team_id)
    rotation = [member.name for member in queries.rotation(session, team_id)]

    def span(seconds: int) -> str:
        return format_duration(timedelta(seconds=seconds))

    return [
        f"Settings for {team.name} (change with {phrases.command('followup set NAME VALUE')}):",
        f"  hours: {hours_of(team).describe()} · timezone: {team.timezone} · region: {team.phone_region}",
        f"  holidays ({phrases.command('followup holiday DATE')}, closed all day): {holidays_line(team)}",
        f"  oncall-handoff: {team.oncall_handoff or 'closing time'} · oncall-shift: "
        f"{span(team.oncall_shift_s) if team.oncall_shift_s else 'until the next opening'}",
        f"  leads-channel: {team.leads_channel or 'not set'} · managers-channel: {team.managers_channel or 'none'}",
        f"  claim: {span(team.claim_window_s)} · first-contact: {span(team.first_contact_window_s)} · "
        f"second-contact: {span(team.second_contact_window_s)} · stall: {span(team.stall_window_s)}",
        f"  claim-emoji: {phrases.emoji(team.claim_emoji) if team.claim_emoji else 'any'} · "
        f"quiet-hours: {'on' if team.quiet_hours else 'off'} · "
        f"away-after-lapses: {team.away_after_lapses or 'off'}",
        f"  ladders ({phrases.command('followup ladder')} explains them): "
        + "; ".join(f"{rule.value.replace('_', '-')}-ladder: {chain_text(chain)}"
                    for rule, chain in chains_of(team).items()),
        *[f"  {key.split('@')[0].replace('_', '-')}-ladder@{key.split('@')[1]}: {text}"
          for key, text in sorted((team.ladders or {}).items()) if "@" in key],
        f"  playbook: {team.playbook}",
        f"  on-call rotation ({phrases.command('followup oncall @a @b ...')}): {', '.join(rotation) or 'nobody'}",
    ]
