"""The one door in: everything that comes in from a chat (or the intake API, or the console)
enters the core here. An adapter parses what its platform sent, makes one call here, and
renders what comes back; the rules (who may, who becomes what) live behind these calls.

Who acted (people.py):
    Person, Describe, person_seen(core, team_id, person, describe=None) -> Member
A reaction on a message (reactions.py):
    reaction_on_message(core, team_id, channel, message_id, emoji, person, describe=None) -> Told | None
    reaction_on_lead(core, team_id, lead_id, emoji, person, describe=None) -> Told | None
A button or menu press (presses.py):
    press(core, team_id, person, lead_id, act, detail=None, describe=None) -> Told
    refusal_before_asking(core, team_id, person, lead_id, act, describe=None) -> str | None
    nudge(core, team_id, person, lead_id, describe=None) -> Told
The app installed, removed, back (installs.py):
    app_installed(core, team_id, installer, picked_channel, configured_channel=None) -> bool
    app_removed(core, chat, team_id, reason, platform) -> bool
    app_present(core, team_id, platform) -> bool
A typed command: run_command(core, Caller(team_id, user_id), line, phrases) -> Reply; help_lines,
    COMMANDS, SUBCOMMANDS (/followup's), lead_number
A delivery seen before (platform retries act once): first_delivery(core, delivery_id) -> bool

What the adapters also reach through here, each a core function in its own transaction:
rooftops and people (chatbot.team.roster), where to post in Teams (chatbot.messaging.conversations),
sending what the core queued (deliver_pending, retry_now), the card's actions as data (what a
press names, what a renderer draws), leads in (ingest, log_reported_touch and the intake parsers),
the console's clock and the worker's tick it runs between lines.
"""

from chatbot.commands import COMMANDS, Caller, help_lines, run_command
from chatbot.commands.arguments import lead_number
from chatbot.commands.followup import SUBCOMMANDS
from chatbot.domain.clock import ManualClock, whole_seconds
from chatbot.escalation.sweeper import sweep
from chatbot.inbound.answers import Told
from chatbot.inbound.installs import app_installed, app_present, app_removed
from chatbot.inbound.people import Describe, Person, person_seen
from chatbot.inbound.presses import nudge, press, refusal_before_asking
from chatbot.inbound.reactions import reaction_on_lead, reaction_on_message
from chatbot.intake import apikeys
from chatbot.intake.adf import parse_adf
from chatbot.intake.email import parse_email, parse_inbound_form
from chatbot.intake.errors import LeadFormatError, TooLarge
from chatbot.intake.json_lead import load_json, parse_json
from chatbot.intake.lead import IncomingLead
from chatbot.intake.rate_limits import DEFAULT_PER_MINUTE, KeyBuckets
from chatbot.intake.typed import typed_lead
from chatbot.intake.validation import lead_error_from
from chatbot.ladder.deadlines import hours_of
from chatbot.ladder.rules import ANYONE, Act
from chatbot.leads.actions import CARD_ACTIONS, MAX_TEXT, NOTICE_ACTIONS, TAKE_ACTION, CardAction, Row, Style
from chatbot.leads.lookups import lead_count, team_of_lead
from chatbot.leads.touches import NoSuchLead
from chatbot.leads.tracker import TouchLogged, ingest, log_reported_touch
from chatbot.messaging.conversations import SERVICE, channel_address, forget, recall, remember, user_address
from chatbot.messaging.deliveries import first_delivery
from chatbot.messaging.outbox import Delivery, deliver_pending
from chatbot.messaging.platforms import Platforms
from chatbot.messaging.queue import retry_now
from chatbot.messaging.traffic import LocalTraffic
from chatbot.team.roster import (
    add_member,
    all_teams,
    ensure_team,
    find_team,
    member_named,
    member_with_chat_id,
    members,
    rekey_team,
    team,
    team_on_platform,
    teams_of_member,
)
from chatbot.team.settings import parse_duration
from chatbot.worker import next_moment, tick

__all__ = [
    # who acted, and what they did
    "Describe", "Person", "Told", "person_seen", "reaction_on_lead", "reaction_on_message", "nudge", "press",
    "refusal_before_asking", "app_installed", "app_present", "app_removed",
    # commands, and deliveries seen before
    "COMMANDS", "Caller", "SUBCOMMANDS", "help_lines", "lead_number", "run_command", "first_delivery",
    # the card's actions as data: what a press names, what a renderer draws
    "ANYONE", "Act", "CARD_ACTIONS", "MAX_TEXT", "NOTICE_ACTIONS", "TAKE_ACTION", "CardAction", "Row", "Style",
    # rooftops and people
    "add_member", "all_teams", "ensure_team", "find_team", "member_named", "member_with_chat_id", "members",
    "rekey_team", "team", "team_on_platform", "teams_of_member", "team_of_lead",
    # where to post in Teams (conversation references), and sending what the core queued
    "SERVICE", "channel_address", "forget", "recall", "remember", "user_address",
    "Delivery", "LocalTraffic", "Platforms", "deliver_pending", "retry_now",
    # leads in: the intake API and the console
    "IncomingLead", "LeadFormatError", "TooLarge", "NoSuchLead", "apikeys", "DEFAULT_PER_MINUTE", "KeyBuckets", "ingest", "lead_error_from", "load_json",
    "log_reported_touch", "TouchLogged", "parse_adf", "parse_email", "parse_inbound_form", "parse_json", "typed_lead",
    "whole_seconds",
    # the console: its clock, the sweep it runs between lines, the showroom's hours
    "ManualClock", "hours_of", "lead_count", "next_moment", "parse_duration", "sweep", "tick",
]
