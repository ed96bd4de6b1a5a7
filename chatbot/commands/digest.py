"""`digest [2026-W46]`: a private preview of the weekly digest, now (managers only); and the digest
of a week as it went out, for `chatbot digest`."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from chatbot.commands.base import Caller
from chatbot.core import Work
from chatbot.errors import NotAllowed
from chatbot.escalation import team_jobs
from chatbot.ladder.rules import is_manager
from chatbot.messaging.phrasebook import Phrasebook
from chatbot.messaging.views import Reply
from chatbot.reports.digest import Digest, digest_for, last_week, week_monday
from chatbot.store import queries

USAGE = "digest [2026-W46]"


def digest(work: Work, caller: Caller, args: list[str], phrases: Phrasebook) -> Reply:
    """This week's digest (last week against the week before) as it would go out now; only the
    manager who asked sees it. The chart goes with the scheduled message."""
    if not is_manager(queries.member_by_chat_id(work.session, caller.team_id, caller.user_id)):
        raise NotAllowed("The digest preview is for managers. The team gets the digest every week.")
    shown = digest_for(work, caller.team_id, args[0] if args else None)
    return Reply(lines=(f"Preview (only you see this): {shown.message.title}", *shown.message.lines))


def digest_as_sent(work: Work, team_id: int, week: str | None = None) -> Digest:
    """The digest of ISO week `week` (default: last week) as the team read it the morning it went
    out on its schedule (the default schedule when it is off), or as of now for one not due yet.
    WeekError: `week` is not an ISO week like 2026-W46."""
    team = queries.team(work.session, team_id)
    zone = ZoneInfo(team.timezone)
    label = week or last_week(work.now, zone)
    week_monday(label)
    schedule = team_jobs.schedule_of(work.session, team_id)
    moment = team_jobs.due_moment(label, team_jobs.DEFAULT if schedule.off else schedule, zone)
    return digest_for(work, team_id, label, as_of=min(work.now, moment))
