"""One story, told through the console, the real Slack app and the real Teams app: each person
must hear the same facts on every platform, because all ask the same core commands and card actions.

The console is driven as a person types; Slack through the real web app with signed requests
and a real WebClient talking to the fake Web API; Teams through the real web app's /api/messages
(the Microsoft 365 Agents SDK checking tokens from a local issuer) with the Bot Connector faked
over real HTTP. Each step records what the person who acted was told; the transcripts must agree
line by line (after each platform's markup is taken off and commands are named the console's
way), and the story's key sentences are pinned by hand.
"""

from __future__ import annotations

import html
import io
import re

import pytest
from rich.console import Console

from adapters.console.session import DEMO_PEOPLE, DEMO_TEAM, ConsoleSession
from chatbot.core import bootstrap
from chatbot.domain.clock import ManualClock
from chatbot.leads import tracker
from chatbot.team import roster
from tests.conftest import TUESDAY_10AM
from tests.helpers import incoming
from tests.slack.harness import ALEX, PAT, SAM, SlackHarness, wait_for
from tests.teams import harness as teams_harness
from tests.teams.harness import TeamsHarness

PEOPLE = {"sam": SAM, "alex": ALEX, "pat": PAT}
TEAMS_PEOPLE = {"sam": teams_harness.SAM, "alex": teams_harness.ALEX, "pat": teams_harness.PAT}


def plain(text: str) -> str:
    """What a person reads, without the platform's markup or layout."""
    text = html.unescape(re.sub(r"<@(\w+)>", lambda m: "@" + m.group(1), text))
    lines = [re.sub(r"^(✗ |• |\(to \w+ only\) )", "", line.strip()).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


class ConsoleDriver:
    def __init__(self, tmp_path) -> None:
        self.clock = ManualClock(TUESDAY_10AM)
        self.core = bootstrap(f"sqlite:///{tmp_path / 'console.db'}", self.clock)
        # The console's demo people, as a chat's team starts: nobody on call until Pat names the
        # rotation (the demo's standing rotation would keep its coming shifts, which no chat has).
        team = roster.ensure_team(self.core, platform="console", platform_team_id="console", **DEMO_TEAM)
        for name, role, _ in DEMO_PEOPLE:
            roster.add_member(self.core, team.id, name=name, chat_user_id=name.lower(), role=role)
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


class TeamsDriver:
    """Teams as Teams sends it, through the real Agents SDK behind /api/messages: Pat installs the
    app in the leads channel (the team's first manager); a reaction is a messageReaction on the
    card, answered in the person's personal chat; a card action is the Action.Execute the card
    itself draws (its verb and data, with what its input asked), answered in the invoke's
    response; Pat types commands after @mentioning the bot in the channel (the people he names
    @mentioned too), Sam in his personal chat with the bot; both are answered with a card."""

    def __init__(self, harness: TeamsHarness) -> None:
        self.teams = harness
        self.cards: list[str] = []
        assert harness.install(TEAMS_PEOPLE["pat"]).status_code == 202

    def lead(self, **kwargs) -> None:
        tracker.ingest(self.teams.core, self.teams.team_id, incoming(**kwargs))
        assert self.teams.deliver().sent >= 1
        posted = self.teams.connector.in_conversation(teams_harness.LEADS)[-1]
        assert posted.activity["attachments"][0]["content"]["body"][0]["text"].startswith("New lead #")
        self.cards.append(posted.id)

    def react(self, who: str, lead: int) -> str:
        user = TEAMS_PEOPLE[who]
        before = len(self.teams.told(user))
        assert self.teams.post(self.teams.reaction(user, self.cards[lead - 1])).status_code == 202
        told = wait_for(lambda: self.teams.told(user)[before:])
        return plain(told[0])

    def act(self, who: str, lead: int, act: str, detail: str = "") -> str:
        """The button the card shows for `act`; what its input asks is chosen (one of the card's
        choices) or typed, and sent in the action's data as Teams does."""
        user, card_id = TEAMS_PEOPLE[who], self.cards[lead - 1]
        action, inputs = pressable(self.teams.card(card_id), f"lead:{act}")
        data = dict(action.get("data") or {})
        for field in inputs:
            value = TEAMS_PEOPLE[detail.lstrip("@")] if act == "reassign" else detail
            if field["type"] == "Input.ChoiceSet":
                assert value in [c["value"] for c in field["choices"]], f"{act}: the card offers no {detail!r}"
            data[field["id"]] = value
        answered = self.teams.post(self.teams.execute(user, card_id, action["verb"], data))
        assert answered.status_code == 200
        said = answered.json()
        assert said["type"] == "application/vnd.microsoft.activity.message"
        return plain(said["value"])

    def command(self, who: str, line: str) -> str:
        user = TEAMS_PEOPLE[who]
        named = re.findall(r"@(\w+)", line)
        typed = re.sub(r"@(\w+)", lambda m: f"<at>{m.group(1).title()}</at>", line)
        if who == "pat":
            activity = self.teams.mention(user, typed)
            where = activity["conversation"]["id"]
        else:
            activity = self.teams.personal(user, typed)
            where = self.teams.personal_chat(user)
        activity.setdefault("entities", []).extend(
            {"type": "mention", "text": f"<at>{name.title()}</at>",
             "mentioned": {"id": TEAMS_PEOPLE[name], "name": name.title()}} for name in named)
        before = len(self.teams.connector.posted)
        assert self.teams.post(activity).status_code == 202
        replies = wait_for(lambda: [p for p in self.teams.connector.posted[before:] if p.conversation == where])
        return plain(card_words(replies[0].activity["attachments"][0]["content"]))


def pressable(card: dict, verb: str) -> tuple[dict, list[dict]]:
    """The Action.Execute with this verb anywhere on the card, and the inputs its card holds."""
    def walk(node: dict, inputs: list[dict]):
        for item in node.get("body", []) + node.get("actions", []):
            if item.get("type") == "ActionSet":
                found = walk({"actions": item["actions"]}, inputs)
            elif item.get("type") == "Action.ShowCard":
                shown = item["card"]
                found = walk(shown, [i for i in shown.get("body", []) if i["type"].startswith("Input.")])
            else:
                found = (item, inputs) if item.get("type") == "Action.Execute" and item.get("verb") == verb else None
            if found:
                return found
        return None

    found = walk(card, [])
    assert found, f"the card offers no {verb} button"
    return found


def card_words(card: dict) -> str:
    """A reply card's text, one line per TextBlock, its markdown taken off (bold, escapes)."""
    lines = [block["text"] for block in card["body"] if block.get("type") == "TextBlock"]
    return "\n".join(re.sub(r"\\(.)", r"\1", line.replace("**", "")) for line in lines)


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
def transcripts(tmp_path, slack, teams):
    drivers = {"console": ConsoleDriver(tmp_path), "slack": SlackDriver(slack), "teams": TeamsDriver(teams)}
    for driver in drivers.values():
        driver.lead()
        driver.lead(name="James Carter", external_id="L-2", phone="(312) 555-0199", email="james@example.com")
    told = {name: [] for name in drivers}
    for step in STORY:
        for name, driver in drivers.items():
            told[name].append(tell(driver, *step))
    drivers["console"].core.engine.dispose()
    return told


def same_words(text: str, platform: str = "console") -> str:
    """How a command is named is the one difference in wording the phrasebooks are there to make:
    Slack reaches commands without a slash command of their own through /followup, Teams quotes
    what to type after @mentioning the bot ('leads all'). Both read as the console's /leads all."""
    if platform == "teams":  # a quote opens after no letter and closes before none (not "Alex's")
        return re.sub(r"(?<!\w)'([^'\n]+?)'(?!\w)", r"/\1", text)
    return text.replace("/followup ", "/")


def test_every_person_hears_the_same_facts_in_the_console_and_in_slack(transcripts):
    for step, console, slack in zip(STORY, transcripts["console"], transcripts["slack"]):
        assert same_words(console) == same_words(slack), f"{step}: the console said {console!r}, Slack said {slack!r}"


def test_every_person_hears_the_same_facts_in_the_console_and_in_teams(transcripts):
    for step, console, teams in zip(STORY, transcripts["console"], transcripts["teams"]):
        assert same_words(console) == same_words(teams, "teams"), \
            f"{step}: the console said {console!r}, Teams said {teams!r}"


OWN_WORDS = {  # what each chat says in its own words where a command is named (steps 14 and 19)
    "slack": ("You have no open leads. /leads all shows the team's.",
              "/followup frobnicate is not a command. /followup help lists them."),
    "teams": ("You have no open leads. 'leads all' shows the team's.",
              "'frobnicate' is not a command. 'help' lists them."),
}


@pytest.mark.parametrize("chat", ["slack", "teams"])
def test_the_story_says_what_a_rep_and_a_manager_need(transcripts, chat):
    said = dict(zip(range(len(STORY)), transcripts[chat]))
    assert said[0].startswith("Maria Gonzalez is yours (claimed 0s after posting).")
    assert said[1] == "Sam has this lead since 10:00 (0s ago)."
    assert said[2].startswith("Call (voicemail) logged for Maria Gonzalez. First contact 0s after asking.")
    assert said[3].startswith("Note logged for Maria Gonzalez.")
    assert said[4] == "Sam owns Maria Gonzalez; only they or a manager can close it."
    assert said[5] == "Maria Gonzalez is now Alex's."
    assert said[6] == "Maria Gonzalez is back in the channel for anyone to claim."
    assert said[7].startswith("James Carter is yours (claimed 0s after posting).")
    assert said[8].startswith("Text logged for James Carter.")
    assert said[9] == "James Carter closed won after 1 attempt(s). Nice work."
    assert said[10].startswith("Maria Gonzalez is yours (claimed 0s after posting).")
    assert said[11].startswith("Maria Gonzalez closed lost after only 1 attempt(s): fewer than 3.")
    assert said[12] == "On-call rotation: Sam, Alex, one evening each, in turn."
    assert said[13] == "No open leads."
    assert said[14] == OWN_WORDS[chat][0]
    assert said[15].startswith("First contact took 0s on median, target 15 min; 100% of leads were reached")
    assert "Baseline, this week (Nov 23-Nov 24, today so far) · Sam · Cars.com: 1 lead(s), 1 contacted" in said[15]
    assert said[16].startswith("No stalled leads")
    assert said[17].startswith("Open now, nobody on call yet; tonight: Sam from 19:00.\nNext: Wed 19:00 Alex, ")
    assert said[18] == "Settings are for managers. Ask your sales manager to change them."
    assert said[19] == OWN_WORDS[chat][1]
    assert transcripts["console"][14] == "You have no open leads. /leads all shows the team's."
    assert transcripts["console"][19] == "/frobnicate is not a command. /help lists them."
