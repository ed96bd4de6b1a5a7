"""Import a CRM's history of leads and activities, so the baseline covers the months before the bot.

One file per concern: `vocabulary` (the CSV words of CRM exports: column aliases, activity types,
outcomes), `local_time` (naive local times in a zone, daylight-saving folds chosen on purpose),
`reader` (CSV dialect, rows -> leads and activities, skips counted), `writer` (bulk inserts of
history leads and touches, ANALYZE after) and `report` (what the caller is told). This module
ties them together: read the whole file, then store it.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from chatbot.core import Core
from chatbot.intake.history.reader import check_header, read_file
from chatbot.intake.history.report import CannotImport, ImportReport
from chatbot.intake.history.vocabulary import FIELDS, detect_columns
from chatbot.intake.history.writer import store
from chatbot.ladder.deadlines import hours_of
from chatbot.store.db import transaction
from chatbot.store.models import Member, Team

__all__ = ["FIELDS", "CannotImport", "ImportReport", "check_header", "detect_columns", "import_history"]


def import_history(core: Core, team_id: int, path: Path, *, tz: str | None = None,
                   mapping: dict[str, str] | None = None,
                   progress: Callable[[str, int, int], None] | None = None) -> ImportReport:
    """Import `path` into the team. `progress(phase, done, total)` is called now and then.

    Local times are read in `tz`, else the team's zone; `mapping` is --map's column -> field."""
    now = core.clock.now()
    report = ImportReport()
    with transaction(core.engine) as session:
        team = session.get(Team, team_id)
        members = list(session.scalars(select(Member).where(Member.team_id == team_id)))
    zone = ZoneInfo(tz or team.timezone)
    hours = hours_of(team)
    reps = {}
    for m in members:
        for name in (m.name, m.chat_user_id, m.email):
            if name:
                reps[name.strip().lower()] = m.id

    # Millions of small objects that all live until the end: the cyclic collector would walk
    # them again and again for nothing (they hold no cycles). Reference counting still frees.
    collecting = gc.isenabled()
    gc.disable()
    try:
        leads = read_file(path, zone, team.phone_region, now, mapping=mapping, report=report, progress=progress)
        store(core, team, hours, reps, leads, now, report, progress)
        return report
    finally:
        if collecting:
            gc.enable()
