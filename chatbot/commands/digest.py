"""`digest [2026-W46]`: a private preview of the weekly digest, now (managers only)."""

from __future__ import annotations

from chatbot.commands.base import Caller
from chatbot.core import Work
from chatbot.errors import NotAllowed
from chatbot.ladder.rules import is_manager
from chatbot.messaging.phrasebook import Phrasebook
from chatbot.messaging.views import Reply
from chatbot.reports.digest import digest_for
from chatbot.store import queries

USAGE = "digest [2026-W46]"


def digest(work: Work, caller: Caller, args: list[str], phrases: Phrasebook) -> Reply:
    """This week's digest (last week against the week before) as it would go out now; only the
    manager who asked sees it. The chart goes with the scheduled message."""
    if not is_manager(queries.member_by_chat_id(work.session, caller.team_id, caller.user_id)):
        raise NotAllowed("The digest preview is for managers. The team gets the digest every week.")
    shown = digest_for(work, caller.team_id, args[0] if args else None)
    return Reply(lines=(f"Preview (only you see this): {shown.message.title}", *shown.message.lines))
