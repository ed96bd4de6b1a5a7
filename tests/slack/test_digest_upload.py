"""The digest in Slack: files_upload_v2 into the channel (files.getUploadURLExternal, the upload,
files.completeUploadExternal), each call checked by the fake against the method's documented
arguments and scopes; the digest is the file's message, the bytes are the chart's. Also the
console (prints the PNG's path) and Teams (the card with the chart inline, or a line saying not)."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from rich.console import Console

from adapters.console.chat import ConsoleChat
from adapters.slack.chat import SlackChat, make_client
from adapters.teams.chat import INLINE_IMAGE_MOST, digest_message
from chatbot.messaging.ports import Channel, ChatUnavailable
from chatbot.reports.digest import DigestMessage
from tests.fakes.slack_web_api import FakeSlack

DIGEST = DigestMessage("Demo Motors", "2026-W47", "Weekly digest for Demo Motors: week 2026-W47",
                       ("First contact took 12 min on median, target 15 min.", "  Lost with < 3 attempts: 1 · 0"))
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


@pytest.fixture
def fake():
    with FakeSlack(scopes=["chat:write", "files:write"]) as running:
        yield running
        assert running.errors == []


def test_the_digest_and_its_chart_go_into_the_channel_as_one_file(fake):
    chat = SlackChat(make_client(fake.token, fake.base_url))
    ref = chat.upload(Channel("C0LEADS"), DIGEST, PNG, "digest-demo-motors-2026-W47.png")
    assert [c.method for c in fake.calls] == ["files.getUploadURLExternal", "upload", "files.completeUploadExternal"]
    asked = fake.calls_to("files.getUploadURLExternal")[0].args
    assert (asked["filename"], int(asked["length"])) == ("digest-demo-motors-2026-W47.png", len(PNG))
    assert fake.uploads[ref.message_id] == PNG
    completed = fake.calls_to("files.completeUploadExternal")[0].args
    assert completed["channel_id"] == "C0LEADS"
    assert completed["initial_comment"] == ("*Weekly digest for Demo Motors: week 2026-W47*\n"
                                            "First contact took 12 min on median, target 15 min.\n"
                                            "  Lost with &lt; 3 attempts: 1 · 0")
    assert fake.files[ref.message_id]["channels"] == ["C0LEADS"]
    assert ref.channel == "C0LEADS"


def test_without_the_files_write_scope_the_digest_stays_due():
    with FakeSlack(scopes=["chat:write"]) as fake:
        chat = SlackChat(make_client(fake.token, fake.base_url))
        with pytest.raises(ChatUnavailable):
            chat.upload(Channel("C0LEADS"), DIGEST, PNG, "d.png")


def test_the_console_prints_the_digest_and_the_path_of_its_chart(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile
    monkeypatch.setattr(tempfile, "tempdir", None)
    out = io.StringIO()
    ConsoleChat(Console(file=out, width=200)).upload(Channel("#leads"), DIGEST, PNG, "d.png")
    written = tmp_path / "chatbot-digests" / "d.png"
    assert written.read_bytes() == PNG
    assert f"Chart: {written}" in out.getvalue() and "Lost with < 3 attempts: 1 · 0" in out.getvalue()


def test_teams_carries_a_small_chart_inside_the_card_and_says_so_when_it_is_too_big():
    card = digest_message(DIGEST, PNG).attachments[0].content
    assert card["body"][0]["text"] == DIGEST.title
    assert card["body"][-1]["url"] == "data:image/png;base64," + base64.b64encode(PNG).decode()
    big = digest_message(DIGEST, PNG * (INLINE_IMAGE_MOST // len(PNG) + 1)).attachments[0].content
    assert big["body"][-1]["type"] == "TextBlock" and "too large" in big["body"][-1]["text"]


def test_teams_carries_a_real_49_kb_chart_in_a_32_colour_palette_under_the_card_limit():
    chart = (Path(__file__).parents[1] / "fixtures" / "digest_chart_sample.png").read_bytes()
    assert len(chart) > INLINE_IMAGE_MOST  # the sample export's week 2026-W45, as chatbot digest drew it

    image = digest_message(DIGEST, chart).attachments[0].content["body"][-1]

    assert image["type"] == "Image"
    carried = base64.b64decode(image["url"].removeprefix("data:image/png;base64,"))
    assert carried.startswith(b"\x89PNG") and len(carried) <= INLINE_IMAGE_MOST
