"""Pinboard: a made-up chat with one token, one route and one doctor line. Its chat keeps in memory
what the core sends it; its plugin object, PINBOARD, is all the entry points need."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.platform import SECRET, ChatPlatform
from chatbot.messaging.ports import Channel, Destination, MessageRef


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

    def check(self, findings, probe, settings: PinboardSettings) -> None:
        findings.ok(self.title, f"the token {settings.pinboard_token} opens board {settings.pinboard_board}")


PINBOARD = Pinboard()
