"""The few words that differ between chats, passed in by each adapter.

The core never writes "react to the card" or "/leads": a text that names how to do something
on the platform takes the words from the adapter's Phrasebook, so Slack, Teams and the
console each say it their own way.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Phrasebook:
    claim: str = "React to the card to claim it."
    claim_card: str = "React to this message to claim it."  # on an unclaimed card, after "Unclaimed."
    command_prefix: str = "/"
    reinstall: str = "Add the app to the rooftop's chat again to resume."

    def command(self, line: str) -> str:
        """How a person types this command: '/leads all' in Slack and the console."""
        return f"{self.command_prefix}{line}"

    def emoji(self, name: str) -> str:
        return f":{name}:"

    def hint(self, name: str | None) -> str:
        """The phrase a Notice's `hint` names ('' for none): 'claim', 'reinstall', or 'back' (how to say /back)."""
        if name == "back":
            return f"Send {self.command('back')} when you are on the floor again."
        return getattr(self, name) if name else ""


PLAIN = Phrasebook()
