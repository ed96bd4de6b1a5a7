"""Arguments of the chat commands every adapter offers (/baseline, /stalled), read one way.

`/baseline [7d | 30d | last-week | 2026-11-09..2026-11-15] [@rep] [source]`: each word is a
period, a rep (starting with @) or one of the team's lead sources; anything else is refused
with the forms that work, so a typo never silently gives an empty report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import select

from chatbot.errors import FollowUpError
from chatbot.store.db import transaction
from chatbot.store.models import Lead, Member
from chatbot.team.roster import member_named

PERIOD = re.compile(r"\d{1,3}d|last-week|this-week|\d{4}-\d{2}-\d{2}\.\.\d{4}-\d{2}-\d{2}", re.IGNORECASE)


class CommandError(FollowUpError):
    """A command's arguments could not be read; the message says which forms work."""


@dataclass(frozen=True)
class ReportQuery:
    period: str | None = None
    rep: Member | None = None
    source: str | None = None


def parse_report_args(core, team_id: int, words: list[str], command: str = "/baseline") -> ReportQuery:
    period = rep = source = None
    sources = _sources(core, team_id)
    for word in words:
        if PERIOD.fullmatch(word):
            period = word
        elif word.startswith("@") or word.startswith("<@"):
            rep = member_named(core, team_id, word.strip("<>@").split("|")[0])
            if rep is None:
                raise CommandError(f"{command}: nobody called {word.lstrip('@')} is on this team.")
        elif word.lower() in sources:
            source = sources[word.lower()]
        else:
            known = ", ".join(sorted(sources.values())) or "none yet"
            raise CommandError(f"{command}: '{word}' is not a period (7d, 30d, last-week, 2026-11-09..2026-11-15), "
                               f"a @rep or a lead source ({known}).")
    return ReportQuery(period, rep, source)


def _sources(core, team_id: int) -> dict[str, str]:
    with transaction(core.engine) as session:
        names = session.exec(select(Lead.source).where(Lead.team_id == team_id).distinct()).all()
    return {name.lower(): name for name in names}
