"""Whatever a web form, a provider or a rep types is shown as typed, on every platform.

One hostile lead, every field of which holds mention, link, card-function and formatting markup
(and a rep's note and lost reason the same), goes through every kind of message: the card as
posted, updated and closed, the claim, note and lost answers, the note and lost forms, the
escalation notices (in the channel, by direct message, with a "Take it" button, @mentioning
someone), /leads, /stalled, /baseline by source, the Home tab, the weekly digest and its chart.
Slack and Teams are the real apps behind the real web app (tests/story's drivers); what they sent
is read back from the fakes, and each platform's rules decide what would have become a mention,
a link, a function or formatting. The console must print the same text exactly as typed.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
from datetime import timedelta

from matplotlib.text import Text as ChartText
from rich.console import Console
from sqlalchemy import update

from adapters.console.chat import ConsoleChat
from adapters.slack.chat import SlackChat
from adapters.teams.chat import digest_message
from chatbot.core import run
from chatbot.escalation.sweeper import sweep
from chatbot.intake.lead import Customer, IncomingLead, Phone, Vehicle
from chatbot.leads import tracker
from chatbot.messaging.ports import Channel
from chatbot.reports.chart import digest_figure, digest_png
from chatbot.reports.digest import digest_for, week_label
from chatbot.store.db import transaction
from chatbot.store.models import Member
from tests.slack.harness import ALEX, LEADS, PAT, SAM, wait_for
from tests.story.test_same_story_everywhere import PEOPLE, ConsoleDriver, SlackDriver, TeamsDriver
from tests.teams import harness as teams_harness

# What the issue lists, plus console markup and matplotlib's mathtext.
HOSTILE = ("<!channel> <@U1> [x](http://evil.example) <http://evil.example|y> "
           "{{DATE(2017-02-14T06:08:00Z, SHORT)}} *b* <b>b</b> [b]b[/b] $x^2$")
SOURCE = "<!channel> [x](http://evil.example) *b* {{DATE(2017-02-14T06:08:00Z, SHORT)}}"  # at most 80
PHONE = "<!channel> *b* <b>b</b>"  # not a number: shown as given, at most 40
MAKE, MODEL = "<@U1> *b*", "<http://evil.example|y> <b>b</b> [b]b[/b]"

# The customer's name as each platform must carry it, written out by hand.
SLACK_NAME = ("&lt;!channel&gt; &lt;@U1&gt; [x](http:\u200b//evil.example) &lt;http:\u200b//evil.example|y&gt; "
              "{{DATE(2017-02-14T06:08:00Z, SHORT)}} \u200b*\u200bb\u200b*\u200b &lt;b&gt;b&lt;/b&gt; [b]b[/b] $x^2$")
TEAMS_NAME = ("<!channel> <@U1> \\[x\\](http:\u200b//evil.example) <http:\u200b//evil.example|y> "
              "{\u200b{\u200bDATE(2017-02-14T06:08:00Z, SHORT)}} \\*b\\* <b>b</b> \\[b\\]b\\[/b\\] $x^2$")
TEAMS_XML_NAME = ("&lt;!channel&gt; &lt;@U1&gt; [x](http:\u200b//evil.example) &lt;http:\u200b//evil.example|y&gt; "
                  "{\u200b{\u200bDATE(2017-02-14T06:08:00Z, SHORT)}} *b* &lt;b&gt;b&lt;/b&gt; [b]b[/b] $x^2$")


def hostile_lead(external_id: str) -> IncomingLead:
    return IncomingLead(source=SOURCE, external_id=external_id, comments=HOSTILE,
                        customer=Customer(name=HOSTILE, email=HOSTILE, phones=[Phone(number=PHONE)]),
                        vehicles=[Vehicle(make=MAKE, model=MODEL)])


def story(driver, core, clock, team_id: int, deliver, *, home=lambda: None, before_ladder=lambda: None) -> None:
    """The hostile lead's life on one platform: posted, claimed, noted, escalated, reported, lost;
    a second one nobody claims, so the channel is told about it."""
    for external_id in ("H-1", "H-2"):
        tracker.ingest(core, team_id, hostile_lead(external_id))
        deliver()
    driver.react("sam", 1)
    driver.act("sam", 1, "note", HOSTILE)
    before_ladder()
    clock.advance(timedelta(minutes=40))  # every first-contact and claim step is due, up to the managers
    sweep(core)
    deliver()
    for line in ("leads all", "stalled", "baseline this-week by source", "baseline this-week by rep"):
        driver.command("pat", line)
    driver.command("sam", "leads")
    home()  # Slack's Home tab, while Sam still has the lead
    driver.act("sam", 1, "lost", HOSTILE)


def digest_of(core, team_id: int, clock):
    """This week's digest (the hostile leads are in its lists of leads that need someone)."""
    return run(core, digest_for, team_id, week_label(clock.now().date()))


# --- Slack ---------------------------------------------------------------------------------------

SLACK_OURS = re.compile(r"<@(?:%s)>|<https://slack\.com/archives/[A-Za-z0-9/]+\|" % "|".join((SAM, ALEX, PAT)))


def mrkdwn(node, where: str) -> list[tuple[str, str]]:
    """The texts of mrkdwn objects in blocks or a view (plain_text objects never format)."""
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            return [(where, node.get("text", ""))]
        return [found for key, value in node.items() for found in mrkdwn(value, f"{where}/{key}")]
    if isinstance(node, list):
        return [found for n, value in enumerate(node) for found in mrkdwn(value, f"{where}/{n}")]
    return []


def slack_mrkdwn(fake) -> list[tuple[str, str]]:
    """Every text Slack reads as mrkdwn: a message's `text` (also what a notification shows),
    mrkdwn objects in blocks, modals and the Home tab, a file's comment, response_url answers."""
    sent = []
    for n, (method, args) in enumerate([(c.method, c.args) for c in fake.calls] +
                                       [("response_url", body) for body in fake.responses]):
        for key in ("text", "initial_comment"):
            if isinstance(args.get(key), str):
                sent.append((f"{n} {method} {key}", args[key]))
        for key in ("blocks", "view"):
            value = args.get(key)
            sent += mrkdwn(json.loads(value) if isinstance(value, str) else value, f"{n} {method} {key}")
    return sent


class HostileSlack(SlackDriver):
    """The story's Slack driver; a button press carries the card it is on, as Slack sends it (the
    form a button opens names the customer from the card's header)."""

    def act(self, who: str, lead: int, act: str, detail: str = "") -> str:
        if act not in ("note", "lost"):
            return super().act(who, lead, act, detail)
        user, ts = PEOPLE[who], self.cards[lead - 1]
        opened = len(self.slack.fake.opened_views)
        pressed = self.slack.button(user, ts, f"lead:{act}", str(lead))
        pressed["message"] = self.slack.card(ts)
        assert self.slack.post(pressed).status_code == 200
        modal = wait_for(lambda: self.slack.fake.opened_views[opened:])[0]
        typed = {"detail": {"detail_input": {"type": "plain_text_input", "value": detail}}}
        return self._ephemeral(who, lambda: self.slack.post(self.slack.view_submission(user, modal, typed)))

    def deliver(self) -> None:
        before = len(self.slack.fake.calls_to("chat.postMessage"))
        self.slack.deliver()
        self.cards.extend(c.response["ts"] for c in self.slack.fake.calls_to("chat.postMessage")[before:]
                          if c.response["ok"] and "metadata" in c.args)

    def home(self) -> None:
        opened = self.slack.reaction(SAM, self.cards[0])
        opened["event"] = {"type": "app_home_opened", "user": SAM, "channel": "D0SAM0001", "tab": "home",
                           "event_ts": "1732440000.000900"}
        assert self.slack.post(opened).status_code == 200
        wait_for(lambda: self.slack.fake.home_views.get(SAM))


def test_slack_shows_every_text_from_outside_as_typed(slack, clock):
    driver = HostileSlack(slack)
    story(driver, slack.core, clock, slack.team_id, driver.deliver, home=driver.home)
    shared = []
    for value in ("leads all", f"baseline by source {HOSTILE}"):  # a report's Share button, and a forged one
        before = len(slack.fake.responses)
        assert slack.post(slack.button(PAT, driver.cards[0], "share_report", value)).status_code == 200
        shared += wait_for(lambda: slack.fake.responses[before:])
    SlackChat(slack.client).upload(Channel(LEADS), digest_of(slack.core, slack.team_id, clock).message,
                                   b"\x89PNG\r\n\x1a\n", "digest.png")

    texts = slack_mrkdwn(slack.fake)
    kinds = {where.split(" ")[1] for where, _ in texts}
    assert {"chat.postMessage", "chat.update", "chat.postEphemeral", "views.open", "views.publish",
            "files.completeUploadExternal", "response_url"} <= kinds
    for where, text in texts:
        ours_out = SLACK_OURS.sub("", text)
        for live in ("<!", "<@", "<http", "http://", "*b*", "<b>"):
            assert live not in ours_out, f"{where}: {live!r} would be live in {text!r}"
    named = {where.split(" ")[1] for where, text in texts if SLACK_NAME in text}
    assert named == kinds, "the customer's name is in every kind of message, in its escaped form"
    posted = slack.fake.calls_to("chat.postMessage")[0].args
    assert posted["text"].startswith(f"New lead #1: {SLACK_NAME} · ")  # the notification's words
    assert shared[0]["response_type"] == "in_channel" and SLACK_NAME in shared[0]["text"]
    assert shared[1]["response_type"] == "ephemeral" and "&lt;!channel&gt;" in shared[1]["text"]  # refused
    header, fields = posted["blocks"][0], posted["blocks"][1]["fields"]
    assert header["text"] == {"type": "plain_text", "text": f"New lead #1: {HOSTILE}", "emoji": True}
    assert fields[0] == {"type": "mrkdwn", "text": f"*Customer*\n{SLACK_NAME}"}
    assert [SLACK_NAME in view["blocks"][0]["text"]["text"] for view in slack.fake.opened_views] == [True, True]
    takes = [c.args for c in slack.fake.calls_to("chat.postMessage") if "notice_actions" in str(c.args.get("blocks"))]
    assert takes and all(SLACK_NAME in args["text"] for args in takes)  # escalations with a "Take it" button
    assert "Closed lost" in slack.card_text(driver.cards[0])
    assert f": {SLACK_NAME}" in slack.card_text(driver.cards[0])  # the lost reason, as typed


# --- Teams ---------------------------------------------------------------------------------------

REP = "Sam <b>b</b> & <at>Pat</at>"  # a rep's display name, as Teams could send it


def card_texts(node, where: str) -> list[tuple[str, str, str]]:
    """(where, kind, text) of every text in an Adaptive Card: 'markdown' for TextBlocks and
    facts' values, 'plain' for labels, choices, titles and placeholders (no markdown)."""
    found = []
    if isinstance(node, dict):
        if node.get("type") == "TextBlock":
            found.append((where, "markdown", node["text"]))
        for key, value in node.items():
            if key == "facts":
                found += [(f"{where}/facts/{n}", "markdown", fact["value"]) for n, fact in enumerate(value)]
            elif key in ("label", "title", "placeholder") and isinstance(value, str):
                found.append((f"{where}/{key}", "plain", value))
            else:
                found += card_texts(value, f"{where}/{key}")
    elif isinstance(node, list):
        found += [text for n, value in enumerate(node) for text in card_texts(value, f"{where}/{n}")]
    return found


def teams_texts(connector, answers: list[dict]) -> list[tuple[str, str, str]]:
    """(where, kind, text) of everything the bot sent: messages and their updates (text as
    'xml' or 'plain' by its textFormat, the notification summary, cards), and invoke answers."""
    found = []
    for posted in connector.posted:
        for n, activity in enumerate([posted.activity, *posted.updates]):
            where = f"{posted.id}/{n}"
            if activity.get("text"):
                found.append((f"{where}/text", activity.get("textFormat") or "plain", activity["text"]))
            if activity.get("summary"):
                found.append((f"{where}/summary", "plain", activity["summary"]))
            for attachment in activity.get("attachments") or []:
                found += card_texts(attachment.get("content"), f"{where}/card")
    return found + [(f"answer/{n}", "plain", said["value"]) for n, said in enumerate(answers)]


def test_teams_shows_every_text_from_outside_as_typed(teams, clock):
    answers = []
    posting = teams.post

    def post(activity, **kwargs):  # keeps what each invoke answered (only the person sees it)
        response = posting(activity, **kwargs)
        if response.status_code == 200 and response.content:
            answers.append(response.json())
        return response

    teams.post = post
    driver = TeamsDriver(teams)

    def deliver():
        teams.deliver()
        driver.cards[:] = [p.id for p in teams.connector.in_conversation(teams_harness.LEADS)
                           if p.activity.get("attachments") and p.activity["attachments"][0]["content"]["body"][0]
                           .get("id") == "title"]

    def rename_sam():  # before the ladder speaks: the owner's reminder @mentions them by this name
        with transaction(teams.core.engine) as session:
            session.execute(update(Member).where(Member.chat_user_id == teams_harness.SAM).values(name=REP))

    story(driver, teams.core, clock, teams.team_id, deliver, before_ladder=rename_sam)
    digest = digest_message(digest_of(teams.core, teams.team_id, clock).message, b"\x89PNG\r\n\x1a\n")
    texts = teams_texts(teams.connector, answers) + card_texts(
        digest.model_dump(mode="json", by_alias=True, exclude_none=True)["attachments"][0]["content"], "digest")

    kinds = {kind for _, kind, _ in texts}
    assert kinds == {"markdown", "plain", "xml"}
    for where, kind, text in texts:
        for live in ("{{", "http://"):  # a card function, an address Teams turns into a link
            assert live not in text, f"{where}: {live!r} would be live in {text!r}"
        if kind == "markdown":
            for live in ("[x](", "*b*", "[b]b[/b]"):
                assert live not in text, f"{where}: {live!r} would be live in {text!r}"
        if kind == "xml":
            at = re.findall(r"<at>.*?</at>", text)
            assert len(at) == 1 and text.startswith(at[0]), f"{where}: one <at> tag, ours: {text!r}"
            assert "<" not in text[len(at[0]):], f"{where}: a tag someone typed would be drawn: {text!r}"
    assert sum(TEAMS_NAME in text for _, kind, text in texts if kind == "markdown") >= 10
    mentions = [text for _, kind, text in texts if kind == "xml"]
    assert mentions and all(text.startswith("<at>Sam &lt;b&gt;b&lt;/b&gt; &amp; &lt;at&gt;Pat&lt;/at&gt;</at> ")
                            for text in mentions)
    assert any(TEAMS_XML_NAME in text for text in mentions)


# --- the console and the chart -------------------------------------------------------------------


def test_the_console_prints_every_text_from_outside_as_typed(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))  # where the console writes the chart
    driver = ConsoleDriver(tmp_path)
    out = io.StringIO()  # wide enough that no line wraps: each text is found whole
    wide = Console(file=out, width=2000, soft_wrap=True, color_system=None)
    driver.session.out = wide
    driver.session.chat = ConsoleChat(wide, driver.session.chat.names)
    session = driver.session

    story(driver, driver.core, driver.clock, session.team_id, session.after_command)
    digest = digest_of(driver.core, session.team_id, driver.clock)
    session.chat.upload(Channel("#leads"), digest.message, digest_png(digest), digest.filename)

    printed = out.getvalue()
    assert f"#leads · New lead #1: {HOSTILE}" in printed  # the card's panel title
    assert f"“{HOSTILE}”" in printed  # the customer's comments on the card
    assert f"⚠ phone given: {PHONE}, not a number" in printed
    assert f"{MAKE} {MODEL}" in printed  # the vehicle
    assert f"Note logged for {HOSTILE}." in printed
    assert "Closed lost" in printed and f": {HOSTILE}" in printed  # the lost reason on the card
    assert f"#1 {HOSTILE} ({SOURCE})" in printed  # a report's table cell
    assert printed.count(HOSTILE) >= 10
    driver.core.engine.dispose()


def test_the_charts_title_is_drawn_as_typed_never_as_mathtext(tmp_path):
    driver = ConsoleDriver(tmp_path)
    tracker.ingest(driver.core, driver.session.team_id, hostile_lead("H-1"))
    digest = digest_of(driver.core, driver.session.team_id, driver.clock)
    named = dataclasses.replace(digest, message=dataclasses.replace(digest.message, team_name=HOSTILE))

    figure = digest_figure(named)
    typed = [t for t in figure.findobj(ChartText) if "$" in t.get_text()]
    assert [t.get_text() for t in typed] == [f"{HOSTILE}: {digest.this_week.label} against "
                                             f"{digest.week_before.label}"]
    assert [t.get_parse_math() for t in typed] == [False]
    assert digest_png(named).startswith(b"\x89PNG")
    driver.core.engine.dispose()
