"""Each platform's one escape for text from outside, pinned by hand: what a renderer sends for a
text so that the platform shows it as typed (tests/story/test_literal_text.py runs them through
every kind of message)."""

from __future__ import annotations

import pytest
from rich.console import Console

from adapters.console.words import literal as console_literal
from adapters.console.words import printable
from adapters.slack.blocks import render_card
from adapters.slack.words import literal as slack_literal
from adapters.teams.cards import lead_card
from adapters.teams.words import literal as teams_literal
from adapters.teams.words import literal_plain, literal_xml
from tests.slack.test_blocks_and_chat import card

Z = "\u200b"  # zero-width space


@pytest.mark.parametrize("typed, sent", [
    ("<!channel> & <@U1>", "&lt;!channel&gt; &amp; &lt;@U1&gt;"),
    ("<http://evil.example|y>", f"&lt;http:{Z}//evil.example|y&gt;"),
    ("see www.evil.example", f"see www{Z}.evil.example"),
    ("*b* _i_ ~s~ `c`", f"{Z}*{Z}b{Z}*{Z} {Z}_{Z}i{Z}_{Z} {Z}~{Z}s{Z}~{Z} {Z}`{Z}c{Z}`{Z}"),
    ("**b** a*b*c", f"{Z}*{Z}{Z}*{Z}b{Z}*{Z}{Z}*{Z} a*b*c"),  # inside a word no style can open or close
    ("E-mail now: first_last@example.com.", "E-mail now: first_last@example.com."),
    ("Maria Gonzalez (Cars.com), 2 attempts", "Maria Gonzalez (Cars.com), 2 attempts"),
    ("", ""),
])
def test_slack_mrkdwn_gets_entities_and_no_style_or_link_can_start(typed, sent):
    assert slack_literal(typed) == sent


@pytest.mark.parametrize("typed, sent", [
    ("[x](http://evil.example)", f"\\[x\\](http:{Z}//evil.example)"),
    ("{{DATE(2017-02-14T06:08:00Z, SHORT)}}", f"{{{Z}{{{Z}DATE(2017-02-14T06:08:00Z, SHORT)}}}}"),
    ("*b* _i_ ~~s~~ `c` \\", "\\*b\\* \\_i\\_ \\~\\~s\\~\\~ \\`c\\` \\\\"),
    ("- item\n  12. item\n> quote\n# heading", "\\- item\n  12\\. item\n\\> quote\n\\# heading"),
    ("Maria Gonzalez (Cars.com), 2 attempts", "Maria Gonzalez (Cars.com), 2 attempts"),
])
def test_teams_textblock_markdown_is_escaped_and_card_functions_are_broken(typed, sent):
    assert teams_literal(typed) == sent


def test_teams_xml_and_plain_texts():
    typed = "<b>Ana</b> & <at>Pat</at> {{TIME(2017-02-14T06:08:00Z)}} http://evil.example *b*"
    assert literal_xml(typed) == (f"&lt;b&gt;Ana&lt;/b&gt; &amp; &lt;at&gt;Pat&lt;/at&gt; {{{Z}{{{Z}TIME"
                                  f"(2017-02-14T06:08:00Z)}}}} http:{Z}//evil.example *b*")
    assert literal_plain(typed) == (f"<b>Ana</b> & <at>Pat</at> {{{Z}{{{Z}TIME(2017-02-14T06:08:00Z)}}}} "
                                    f"http:{Z}//evil.example *b*")


def test_the_console_prints_rich_markup_as_typed():
    out = Console(record=True, width=200, color_system=None)
    out.print(console_literal("[b]Ana[/b] [link=http://evil.example]x[/link] :smile:"))
    assert out.export_text() == "[b]Ana[/b] [link=http://evil.example]x[/link] :smile:\n"


def test_the_console_shows_control_characters_instead_of_obeying_them():
    out = Console(record=True, width=200, color_system=None)
    out.print(console_literal("Ana\x1b[2J\x1b]8;;http://evil.example\x07x\r\x9b"))
    assert out.export_text() == "Ana\\x1b[2J\\x1b]8;;http://evil.example\\x07x\\x0d\\x9b\n"
    assert printable("a\tb\nc") == "a\tb\nc"  # a tab and a line break are layout, kept


def test_an_address_with_markup_in_it_is_linked_percent_encoded():
    # the intake takes 'x@e.com|<!channel>' for an address (an @, a dot in the domain, no space)
    email = "x@e.com|<!channel>"
    slack = render_card(card(email=email))
    shown = str(slack["blocks"])
    assert "<mailto:x@e.com%7C%3C%21channel%3E|x@e.com|&lt;!channel&gt;>" in shown and "<!" not in shown
    teams = lead_card(card(email=email))
    facts = next(b for b in teams["body"] if b["type"] == "FactSet")["facts"]
    assert {"title": "E-mail", "value": "[x@e.com|<!channel>](mailto:x@e.com%7C%3C%21channel%3E)"} in facts
