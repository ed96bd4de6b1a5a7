"""The console's one escape: every text from the core's views is printed as it was typed.

Rich reads a str as console markup (`[b]`, `[link=...]`), emoji codes and highlighting; a `Text`
is none of those. So the console prints view texts as `literal(...)` renderables, or as str with
`markup=False, highlight=False`, never as markup.
"""

from __future__ import annotations

from rich.text import Text


def literal(text: str, style: str = "") -> Text:
    """A text printed exactly as typed: no console markup, emoji codes or highlighting."""
    return Text(text, style=style)
