"""The console's one escape: every text from the core's views is printed as it was typed.

Rich reads a str as console markup (`[b]`, `[link=...]`), emoji codes and highlighting; a `Text`
is none of those. And a terminal obeys control characters: an escape sequence in a customer's
name could colour, hide or rewrite what is on the screen, or draw a link. So the console prints
view texts only as `literal(...)`: a `Text` whose control characters are shown as `\\x1b`.
"""

from __future__ import annotations

import re

from rich.text import Text

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # all but tab and line break


def printable(text: str) -> str:
    """`text` with each control character a terminal would obey written out ('\\x1b')."""
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def literal(text: str, style: str = "") -> Text:
    """A text printed exactly as typed: no console markup, emoji codes, highlighting or control."""
    return Text(printable(text), style=style)
