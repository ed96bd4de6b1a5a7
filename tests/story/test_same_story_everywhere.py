"""One story, told through the console and through the real Slack app: each person must hear
the same facts on both platforms, because both ask the same core commands and card actions.

The console is driven as a person types; Slack through the real web app with signed requests
and a real WebClient talking to the fake Web API. Each step records what the person who acted
was told; the two transcripts must agree line by line (after each platform's markup is taken
off), and the story's key sentences are pinned by hand.
"""

from __future__ import annotations

import html
import io
import re

import pytest
from rich.console import Console

from adapters.console.session import ConsoleSession
from chatbot.core import bootstrap
from chatbot.domain.clock import ManualClock
from chatbot.leads import tracker
from tests.conftest import TUESDAY_10AM
from tests.helpers import incoming
from tests.slack.harness import ALEX, PAT, SAM, SlackHarness, wait_for

PEOPLE = {"sam": SAM, "alex": ALEX, "pat": PAT}


def plain(text: str) -> str:
    """What a person reads, without the platform's markup or layout."""
    text = html.unescape(re.sub(r"<@(\w+)>", lambda m: "@" + m.group(1), text))
    lines = [re.sub(r"^(✗ |• |\(to \w+ only\) )", "", line.strip()).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


class ConsoleDriver:
    def __init__(self, tmp_path) -> None:
        self.clock = ManualClock(TUESDAY_10AM)
        self.core = bootstrap(f"sqlite:///{tmp_path / 'console.db'}", self.clock)
        self.out = io.StringIO()
        self.session = ConsoleSession(self.core, self.clock,
                                      Console(file=self.out, width=250, soft_wrap=True, color_system=None))

    def lead(self, **kwargs) -> None:
        tracker.ingest(self.core, self.session.team_id, incoming(**kwargs))
        self.session.after_command()

    def _told(self, line: str) -> str:
        start = len(self.out.getvalue())
        self.session.handle(line)
        said = [text for text in self.out.getvalue()[start:].splitlines()
                if text.startswith("  ") and not text.startswith(("  ↻", "  ↳", "  ✉"))]
        return plain("\n".join(said))

    def react(self, who: str, lead: int) -> str:
        return self._told(f"@{who} /react {lead}")

    def act(self, who: str, lead: int, act: str, detail: str = "") -> str:
        return self._told(f"@{who} /{act} {lead} {detail}".rstrip())

    def command(self, who: str, line: str) -> str:
        return self._told(f"@{who} /{line}")


class SlackDriver:
    def __init__(self, harness: SlackHarness) -> None:
        self.slack = harness
        self.cards: list[str] = []

    def lead(self, **kwargs) -> None:
        tracker.ingest(self.slack.core, self.slack.team_id, incoming(**kwargs))
        self.slack.deliver()
        posts = [c for c in self.slack.fake.calls_to("chat.postMessage") if c.response["ok"]]
        self.cards.append(posts[-1].response["ts"])

    def _ephemeral(self, who: str, send) -> str:
        before = len(self.slack.ephemeral_to(PEOPLE[who]))
        assert send().status_code == 200
        told = wait_for(lambda: self.slack.ephemeral_to(PEOPLE[who])[before:])
        self.slack.deliver()
        return plain(told[0])

    def react(self, who: str, lead: int) -> str:
        return self._ephemeral(who, lambda: self.slack.post(self.slack.reaction(PEOPLE[who], self.cards[lead - 1])))

    def act(self, who: str, lead: int, act: str, detail: str = "") -> str:
        """A card action as Slack sends it: a button, a menu choice, or a button and its modal."""
        user, ts = PEOPLE[who], self.cards[lead - 1]
        if act in ("note", "lost"):
            opened = len(self.slack.fake.opened_views)
            assert self.slack.post(self.slack.button(user, ts, f"lead:{act}", str(lead))).status_code == 200
            modal = wait_for(lambda: self.slack.fake.opened_views[opened:])[0]
            typed = {"detail": {"detail_input": {"type": "plain_text_input", "value": detail}}}
            return self._ephemeral(who, lambda: self.slack.post(self.slack.view_submission(user, modal, typed)))
        if act in ("call", "reassign"):
            choice = PEOPLE[detail.lstrip("@")] if act == "reassign" else detail
            payload = self.slack.button(user, ts, f"lead:{act}", "")
            chosen = payload["actions"][0]
            del chosen["value"]
            chosen.update(type="static_select", selected_option={
                "text": {"type": "plain_text", "text": detail}, "value": f"{lead}|{choice}"})
            return self._ephemeral(who, lambda: self.slack.post(payload))
        return self._ephemeral(who, lambda: self.slack.post(self.slack.button(user, ts, f"lead:{act}", str(lead))))

    def command(self, who: str, line: str) -> str:
        name, _, text = line.partition(" ")
        slash = f"/{name}" if name in ("leads", "baseline", "stalled", "oncall", "followup") else "/followup"
        text = text if slash != "/followup" or name == "followup" else line
        if name == "followup":
            text = line.partition(" ")[2]
        before = len(self.slack.fake.responses)
        assert self.slack.post(self.slack.command(PEOPLE[who], slash, text)).status_code == 200
        told = wait_for(lambda: self.slack.fake.responses[before:])
        return plain(told[0]["text"])


STORY = [  # (who, how, lead or command, detail)
    ("sam", "react", 1, ""),
    ("alex", "react", 1, ""),
    ("sam", "act", 1, "call voicemail"),
    ("sam", "act", 1, "note customer's wife called back"),
    ("alex", "act", 1, "won"),
    ("sam", "act", 1, "reassign @alex"),
    ("alex", "act", 1, "release"),
    ("alex", "react", 2, ""),
    ("alex", "act", 2, "text"),
    ("alex", "act", 2, "won"),
    ("sam", "react", 1, ""),
    ("sam", "act", 1, "lost bought elsewhere"),
    ("pat", "command", "followup oncall @sam @alex", ""),
    ("pat", "command", "leads all", ""),
    ("sam", "command", "leads", ""),
    ("pat", "command", "baseline this-week @sam Cars.com", ""),
    ("pat", "command", "stalled @sam", ""),
    ("pat", "command", "oncall", ""),
    ("sam", "command", "followup set first-contact 5m", ""),
    ("sam", "command", "frobnicate", ""),
]


def tell(driver, who: str, how: str, what, detail: str) -> str:
    if how == "react":
        return driver.react(who, what)
    if how == "act":
        act, _, rest = detail.partition(" ")
        return driver.act(who, what, act, rest)
    return driver.command(who, what)


@pytest.fixture
def transcripts(tmp_path, slack, clock):
    console = ConsoleDriver(tmp_path)
    slack_driver = SlackDriver(slack)
    for driver in (console, slack_driver):
        driver.lead()
        driver.lead(name="James Carter", external_id="L-2", phone="(312) 555-0199", email="james@example.com")
    told = {"console": [], "slack": []}
    for step in STORY:
        told["console"].append(tell(console, *step))
        told["slack"].append(tell(slack_driver, *step))
    console.core.engine.dispose()
    return told


def same_words(text: str) -> str:
    """Slack reaches commands without a slash command of their own through /followup: the one
    difference in wording the platforms' phrasebooks are there to make."""
    return text.replace("/followup ", "/")


def test_every_person_hears_the_same_facts_in_the_console_and_in_slack(transcripts):
    for step, console, slack in zip(STORY, transcripts["console"], transcripts["slack"]):
        assert same_words(console) == same_words(slack), f"{step}: the console said {console!r}, Slack said {slack!r}"


def test_the_story_says_what_a_rep_and_a_manager_need(transcripts):
    said = dict(zip(range(len(STORY)), transcripts["slack"]))
    assert said[0].startswith("Maria Gonzalez is yours (claimed 0s after posting).")
    assert said[1] == "Sam has this lead since 10:00 (0s ago)."
    assert said[2].startswith("Call (voicemail) logged for Maria Gonzalez. First contact 0s after asking.")
    assert said[3].startswith("Note logged for Maria Gonzalez.")
    assert said[4] == "Sam owns Maria Gonzalez; only they or a manager can close it."
    assert said[5] == "Maria Gonzalez is now Alex's."
    assert said[6] == "Maria Gonzalez is back in the channel for anyone to claim."
    assert said[9] == "James Carter closed won after 1 attempt(s). Nice work."
    assert said[11].startswith("Maria Gonzalez closed lost after only 1 attempt(s): fewer than 3.")
    assert said[12] == "On-call rotation: Sam, Alex, one evening each, in turn."
    assert said[13] == "No open leads."
    assert said[14] == "You have no open leads. /leads all shows the team's."
    assert said[15].startswith("First contact took 0s on median, target 15 min; 100% of leads were reached")
    assert "Baseline, this week (Nov 23-Nov 24, today so far) · Sam · Cars.com: 1 lead(s), 1 contacted" in said[15]
    assert said[16].startswith("No stalled leads")
    assert said[17].startswith("On call tonight: ")
    assert said[18] == "Settings are for managers. Ask your sales manager to change them."
    assert said[19] == "/followup frobnicate is not a command. /followup help lists them."
    assert transcripts["console"][19] == "/frobnicate is not a command. /help lists them."
