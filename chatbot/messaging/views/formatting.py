"""Wording the views' texts share: a window's name, a window as its setting reads, how to reach
the customer."""

from __future__ import annotations

from datetime import timedelta

from chatbot.domain.contact import display_phone
from chatbot.domain.policy import Rule
from chatbot.domain.wording import format_duration
from chatbot.store.models import Lead, Team

RULE_NAMES = {
    Rule.CLAIM: "claim",
    Rule.FIRST_CONTACT: "first contact",
    Rule.SECOND_CONTACT: "second contact",
    Rule.STALL: "next touch",
}


def window_label(seconds: int) -> str:
    """A window as its setting reads: '15 min', '48 h', '3 days' (not always days: '48 h' stays '48 h')."""
    if seconds >= 3 * 86400 and seconds % 86400 == 0:
        return f"{seconds // 86400} days"
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    return format_duration(timedelta(seconds=seconds))


def reach_text(lead: Lead, team: Team, *, call: str = "Call now") -> str:
    """How to reach the customer with what the lead has: 'Call now: (773) 555-0188.',
    'E-mail now: name@example.com.', or 'No phone or e-mail: check the lead in your CRM.'"""
    if lead.phone:
        return f"{call}: {display_phone(lead.phone, team.phone_region)}."
    if lead.email:
        return f"E-mail now: {lead.email}."
    return "No phone or e-mail: check the lead in your CRM."
