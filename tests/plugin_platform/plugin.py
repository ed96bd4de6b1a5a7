"""Pinboard: a made-up chat with one token, one route in, one doctor line. Its chat keeps in memory
what the core sends it; its plugin object, PINBOARD, is all the entry points need; what comes in
goes through nothing but `chatbot.inbound`, as a real adapter's does.

Pinboard's people act by posting a pin to `POST /pinboard/pins` (JSON): a reaction on a message,
a press of one of the card's actions, a typed command, or the app installed on a board. The answer
is what the person who acted is told, privately: `{"told": "..."}` (empty: nothing to say).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.platform import SECRET, ChatPlatform
from chatbot.inbound import (
    Act,
    Caller,
    Person,
    app_installed,
    deliver_pending,
    person_seen,
    press,
    reaction_on_message,
    run_command,
    team_on_platform,
)
from chatbot.messaging.phrasebook import Phrasebook
from chatbot.messaging.ports import Channel, Destination, MessageRef

PHRASES = Phrasebook(claim="React to the card (/react N) or /claim N to take it.")
"""Pinboard names its commands as the console does: /leads all."""


class PinboardSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    pinboard_token: str | None = Field(None, description="Pinboard: the bot's token. Unset: no Pinboard",
                                       json_schema_extra=SECRET)
    pinboard_board: str = Field("leads", description="Pinboard: the board new leads go to")


@dataclass
class PinboardChat:
    """A ChatPort that keeps what it is sent: (where, view), in order."""

    sent: list[tuple[object, object]] = field(default_factory=list)

    def post(self, to: Destination, view: object) -> MessageRef:
        self.sent.append((to, view))
        return MessageRef(to.channel if isinstance(to, Channel) else "direct", str(len(self.sent)))

    def update(self, ref: MessageRef, view: object) -> None:
        self.sent.append((ref, view))

    def find_card(self, to: Channel, lead_id: int) -> MessageRef | None:
        return None

    def reactions(self, ref: MessageRef) -> list[tuple[str, str]]:
        return []


class Pin(BaseModel):
    """Something a person did on Pinboard."""

    board: str
    user: str
    name: str | None = None
    kind: Literal["reaction", "press", "command", "installed"]
    message: str | None = None  # a reaction: the message's id on the board
    emoji: str = "white_check_mark"
    lead: int | None = None  # a press: the card's lead
    act: str | None = None
    detail: str | None = None
    line: str | None = None  # a command, as typed


class Pinboard(ChatPlatform):
    name = "pinboard"
    title = "Pinboard"
    settings = PinboardSettings
    switch = "PINBOARD_TOKEN"
    how_to_configure = "PINBOARD_TOKEN for Pinboard"
    reinstall = "add the bot to the board again"

    def __init__(self) -> None:
        self.chat = PinboardChat()

    def configured(self, settings: PinboardSettings) -> bool:
        return bool(settings.pinboard_token)

    def register(self, platforms, core, settings: PinboardSettings) -> None:
        platforms.register(self.name, lambda team: self.chat, f"Pinboard (board {settings.pinboard_board})")

    def mount(self, web, core, settings: PinboardSettings) -> None:
        @web.get("/pinboard/hello")
        def hello() -> dict:
            return {"board": settings.pinboard_board}

        @web.post("/pinboard/pins")
        def pinned(pin: Pin) -> dict:
            """Parse, one call into the core, render: nothing else."""
            rooftop = team_on_platform(core, self.name, pin.board)
            if rooftop is None:
                return {"told": ""}
            person = Person(pin.user, pin.name, installer=pin.kind == "installed")
            if pin.kind == "installed":
                app_installed(core, rooftop.id, person, settings.pinboard_board)
                told = ""
            elif pin.kind == "reaction":
                said = reaction_on_message(core, rooftop.id, settings.pinboard_board, pin.message or "", pin.emoji,
                                           person)
                told = said.text if said else ""
            elif pin.kind == "press":
                told = press(core, rooftop.id, person, pin.lead or 0, Act(pin.act), pin.detail).text
            else:
                person_seen(core, rooftop.id, person)
                reply = run_command(core, Caller(rooftop.id, pin.user), pin.line or "", PHRASES)
                told = reply.text if reply.refused else "\n".join(reply.lines)
            deliver_pending(core, self.chat, team_id=rooftop.id, platform=self.name)
            return {"told": told}

    def check(self, findings, probe, settings: PinboardSettings) -> None:
        findings.ok(self.title, f"the token {settings.pinboard_token} opens board {settings.pinboard_board}")


PINBOARD = Pinboard()
