"""What people type after a command, read one way for every chat.

Words are split on spaces only: quotes and apostrophes are ordinary text ("Sean O'Brien",
"customer's wife called"). A person is '@name' (name, chat id or e-mail; the adapter has
already turned its platform's mention markup into '@<chat id>'). Anything that cannot be read
is refused with the forms that work, so a typo never silently does something else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session

from chatbot.errors import FollowUpError
from chatbot.store import queries
from chatbot.store.models import Member

PERIOD = re.compile(r"\d+d|last-week|this-week|\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}", re.IGNORECASE)
PERIOD_FORMS = "7d, 30d, this-week, last-week or 2026-11-09..2026-11-15"


class CommandError(FollowUpError):
    """A command's arguments could not be read; the message says which forms work."""


def lead_number(words: list[str], usage: str) -> int:
    """The lead a command acts on: its first word, '12' or '#12'."""
    if not words:
        raise CommandError(f"Which lead? Usage: {usage}")
    digits = words[0].lstrip("#")
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 9:
        raise CommandError(f"'{words[0][:40]}' is not a lead number. Usage: {usage}")
    return int(digits)


def member(session: Session, team_id: int, word: str) -> Member:
    found = queries.member_named(session, team_id, word)
    if found is None:
        names = ", ".join(m.name for m in queries.members(session, team_id))
        raise CommandError(f"Nobody called {word.lstrip('@')[:40]} is on this team. People: {names}.")
    return found


BY = {"rep": "rep", "reps": "rep", "source": "source", "sources": "source"}
MAX_PAGE = 10_000


@dataclass(frozen=True)
class ReportQuery:
    period: str | None = None
    rep: Member | None = None
    source: str | None = None
    by: str | None = None  # "rep" or "source": a table split that way
    page: int = 1

    def scope(self) -> str:
        return " · ".join(x for x in (self.rep.name if self.rep else None, self.source) if x)


def report_query(session: Session, team_id: int, words: list[str], command: str, *, periods: bool = True,
                 groups: bool = False, pages: bool = False) -> ReportQuery:
    """`[period] [@rep] [source] [by rep | by source] [page N]`: each word is a period, a rep
    (starting with @), a lead source, `by` and what to split by, or `page` and a number."""
    period = rep = source = by = None
    page = 1
    sources = queries.lead_sources(session, team_id)
    rest = list(words)
    while rest:
        word = rest.pop(0)
        if periods and PERIOD.fullmatch(word):
            period = word
        elif word.startswith("@"):
            rep = member(session, team_id, word)
        elif groups and word.lower() == "by":
            wanted = rest.pop(0).lower() if rest else ""
            if wanted not in BY:
                raise CommandError(f"{command}: split by rep or by source, e.g. {command} 30d by rep.")
            by = BY[wanted]
        elif pages and word.lower() == "page":
            number = rest.pop(0) if rest else ""
            if not (number.isascii() and number.isdigit()) or not 1 <= int(number[:6] or 0) <= MAX_PAGE:
                raise CommandError(f"{command}: 'page' needs a page number, e.g. {command} page 2.")
            page = int(number)
        elif word.lower() in sources:
            source = sources[word.lower()]
        else:
            known = ", ".join(sorted(sources.values())) or "none yet"
            forms = f"a period ({PERIOD_FORMS}), " if periods else ""
            raise CommandError(f"{command}: '{word[:40]}' is not {forms}a @rep or a lead source ({known}).")
    return ReportQuery(period, rep, source, by, page)
