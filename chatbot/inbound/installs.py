"""The app installed for a rooftop in a chat, removed from it, and back: the rooftop's access.

A rooftop whose chat refuses us for good is parked (chatbot.messaging.access): its messages
wait, its managers are told, and it resumes when the app is back.
"""

from __future__ import annotations

from dataclasses import replace

from chatbot.core import Core
from chatbot.inbound.people import Person, person_seen
from chatbot.messaging import access, conversations
from chatbot.messaging.ports import ChatPort
from chatbot.team import roster


def app_installed(core: Core, team_id: int, installer: Person | None, picked_channel: str | None,
                  configured_channel: str | None = None) -> bool:
    """The installer is put on the rooftop (its first manager when it has none:
    chatbot.inbound.people), and the channel they picked becomes its leads channel, unless its
    leads channel is the one the deployment configured (`configured_channel`), which stays.
    Returns whether new leads go to the picked channel (no channel picked: yes, wherever they go),
    so the installer can be told where they will appear."""
    if installer is not None:
        person_seen(core, team_id, replace(installer, installer=True))
    if not picked_channel:
        return True
    before = roster.team(core, team_id).leads_channel
    keep = bool(before) and before == configured_channel
    conversations.adopt_leads_channel(core, team_id, picked_channel, replace=not keep)
    return roster.team(core, team_id).leads_channel == picked_channel


def app_removed(core: Core, chat: ChatPort | None, team_id: int, reason: str, platform: str) -> bool:
    """The platform says the app was removed from the rooftop's chat (`reason`, a few words): the
    rooftop is parked and its managers told through `chat`. True when it was parked now."""
    return access.lose(core, chat, team_id, reason, platform)


def app_present(core: Core, team_id: int, platform: str) -> bool:
    """Something came from the rooftop's chat, so the app is there: a parked rooftop resumes and
    what waited is due at once. True when it was parked."""
    return access.resume(core, team_id, platform)
