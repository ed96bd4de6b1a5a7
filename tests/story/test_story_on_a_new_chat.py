"""The shared story told on Pinboard, the test-only chat that plugs in through nothing but the
ChatPlatform seam (tests/plugin_platform) and the core's inbound API: every person hears what they
hear in the console. Adding a chat is a renderer and a transport; the rules come with the core."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from adapters.console.session import DEMO_TEAM
from chatbot.core import bootstrap
from chatbot.leads import tracker
from chatbot.messaging.views import LeadCard
from chatbot.team import roster
from entrypoints import config
from entrypoints.platforms import PLATFORMS
from entrypoints.web import create_web_app, serve_platforms
from tests.helpers import incoming
from tests.plugin_platform.plugin import Pinboard
from tests.story.test_same_story_everywhere import STORY, ConsoleDriver, plain, tell

BOARD = "showroom"


class PinboardDriver:
    """Pinboard's people posting pins to its route; Pat installs the app on the board first."""

    def __init__(self, core, pinboard: Pinboard, client: TestClient) -> None:
        self.core, self.pinboard, self.client = core, pinboard, client
        team = roster.ensure_team(core, platform="pinboard", platform_team_id="board-1",
                                  **{**DEMO_TEAM, "name": "Demo Motors (Pinboard)", "leads_channel": BOARD})
        self.team_id = team.id
        self.cards: list[str] = []
        self._pin("pat", kind="installed")  # the app added to the board: Pat, its first manager

    def _pin(self, user: str, **pin) -> str:
        pin.setdefault("name", user.title())
        answer = self.client.post("/pinboard/pins", json={"board": "board-1", "user": user, **pin})
        assert answer.status_code == 200
        return plain(answer.json()["told"])

    def lead(self, **kwargs) -> None:
        tracker.ingest(self.core, self.team_id, incoming(**kwargs))
        self._pin("pat", kind="command", line="leads all")  # any pin delivers what waits
        (ref, card), = [(to, view) for to, view in self.pinboard.chat.sent if isinstance(view, LeadCard)][-1:]
        self.cards.append(str(self.pinboard.chat.sent.index((ref, card)) + 1))

    def react(self, who: str, lead: int) -> str:
        return self._pin(who, kind="reaction", message=self.cards[lead - 1])

    def act(self, who: str, lead: int, act: str, detail: str = "") -> str:
        return self._pin(who, kind="press", lead=lead, act=act, detail=detail.lstrip("@") or None)

    def command(self, who: str, line: str) -> str:
        return self._pin(who, kind="command", line=line)


@pytest.fixture
def pinboard_told(tmp_path, clock, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in config.Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("PINBOARD_TOKEN", "pin-token-5531")
    monkeypatch.setenv("PINBOARD_BOARD", BOARD)
    pinboard = Pinboard()
    settings = config.load(config.compose((*PLATFORMS, pinboard)))
    core = bootstrap(f"sqlite:///{tmp_path / 'pinboard.db'}", clock)
    console = ConsoleDriver(tmp_path)
    with TestClient(serve_platforms(create_web_app(core), core, settings)) as client:
        drivers = {"console": console, "pinboard": PinboardDriver(core, pinboard, client)}
        for driver in drivers.values():
            driver.lead()
            driver.lead(name="James Carter", external_id="L-2", phone="(312) 555-0199", email="james@example.com")
        told = {name: [tell(driver, *step) for step in STORY] for name, driver in drivers.items()}
    core.engine.dispose()
    console.core.engine.dispose()
    return told


def test_every_person_hears_the_same_facts_in_the_console_and_on_a_chat_added_through_the_seam(pinboard_told):
    for step, console, pinboard in zip(STORY, pinboard_told["console"], pinboard_told["pinboard"]):
        assert console == pinboard, f"{step}: the console said {console!r}, Pinboard said {pinboard!r}"
    assert pinboard_told["pinboard"][0].startswith("Maria Gonzalez is yours (claimed 0s after posting).")
    assert pinboard_told["pinboard"][5] == "Maria Gonzalez is now Alex's."
