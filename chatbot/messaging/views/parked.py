"""What a rooftop's managers hear when its chat no longer takes our messages."""

from __future__ import annotations

from chatbot.store.models import Team


def chat_lost_text(team: Team, reason: str, waiting: int) -> str:
    """To a rooftop's managers: the chat no longer takes its messages; nothing is lost."""
    kept = f": {waiting} message(s) wait and" if waiting else ", and"
    return (f"Lead follow-up can no longer post for {team.name}: {reason}. New leads are still taken and "
            f"kept{kept} go out as soon as the app is back.")
