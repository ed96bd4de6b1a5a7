"""The commands that read: leads, baseline, stalled, on-call, reps."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from chatbot.commands.arguments import lead_number, member, report_query
from chatbot.commands.base import Caller, say
from chatbot.commands.people import oncall as oncall_schedule
from chatbot.core import Work
from chatbot.domain.wording import relative
from chatbot.ladder.deadlines import hours_of
from chatbot.ladder.rules import Act, may, may_nudge
from chatbot.leads.nudge import nudge as nudge_owner
from chatbot.messaging.next_up import next_up
from chatbot.messaging.phrasebook import Phrasebook
from chatbot.messaging.views import CardRef, Reply, RowAction, Table
from chatbot.messaging.views.baseline import baseline_text, breakdown_table
from chatbot.messaging.views.card import due_line
from chatbot.messaging.views.stalled import never_contacted_title, stalled_title, work_row
from chatbot.reports.cohort import cohort_rows
from chatbot.reports.figures import Comparison, FirstContactSplit, after_hours_split, by_group, compare
from chatbot.reports.periods import Period, period_for
from chatbot.reports.worklists import (
    StalledLead,
    never_contacted_leads,
    open_leads,
    stalled_leads,
    work_list_counts,
)
from chatbot.store import queries
from chatbot.store.models import Member, Team

PAGE_SIZE = 10
NUDGE_USAGE = "nudge N"


def leads(work: Work, caller: Caller, args: list[str], phrases: Phrasebook) -> Reply:
    """`leads` (mine), `leads all`, or `leads @rep`."""
    session, now = work.session, work.now
    team = queries.team(session, caller.team_id)
    everyone = bool(args) and args[0].lower() == "all"
    whose = None if everyone else (member(session, team.id, args[0]) if args else
                                   queries.member_by_chat_id(session, team.id, caller.user_id))
    rows = open_leads(session, team, owner_id=whose.id if whose else None)
    line = " ".join(["leads", *args])
    if not rows:
        if whose is None:
            return say("No open leads.", share=line)
        mine = whose.chat_user_id == caller.user_id
        return say(f"{'You have' if mine else whose.name + ' has'} no open leads. "
                   f"{phrases.command('leads all')} shows the team's.")
    zone = ZoneInfo(team.timezone)

    def due(lead) -> str:
        up = next_up(session, lead, team, now)
        return due_line(up, zone, now) if up else "nothing due"

    table = Table(("#", "Customer", "Owner", "Asked", "Attempts", "Next"), tuple(
        (str(lead.id), lead.customer_name, owner or "unclaimed", f"asked {relative(lead.submitted_at, now)}",
         f"{lead.attempts} attempt(s)", due(lead))
        for lead, owner in rows))
    title = f"Open leads{' for ' + whose.name if whose else ''}: {len(rows)}"
    return Reply(lines=(title,), table=table, share=line)


@dataclass(frozen=True)
class PeriodFigures:
    """A team's follow-up figures for a period, against the period before, with the first contacts
    split inside and after hours: what `/baseline` and `chatbot baseline` show."""

    team: Team
    period: Period
    figures: Comparison
    split: list[FirstContactSplit]

    def text(self, scope: str) -> str:
        """The figures in words, headed by `scope` (the team's name, or the rep or source asked for)."""
        return baseline_text(self.figures.now, scope, before=self.figures.before, split=self.split)


def period_figures(work: Work, team_id: int, period: str | None = None, *, owner_id: int | None = None,
                   source: str | None = None) -> PeriodFigures:
    """The figures of `period` (7d, 30d, last-week, this-week, 2026-11-09..2026-11-15; default the last
    7 days) on the team's business hours, for one rep or source when given. PeriodError: not a period."""
    team = queries.team(work.session, team_id)
    chosen = period_for(period, hours_of(team), work.now)
    scope = {"owner_id": owner_id, "source": source}
    return PeriodFigures(team, chosen, compare(work.session, team, chosen, work.now, **scope),
                         after_hours_split(work.session, team, chosen, **scope))


def cohort(work: Work, team_id: int, period: str | None = None) -> list[dict]:
    """The leads of `period`'s cohort one by one, each with every figure's inputs and tests
    (`chatbot baseline --csv`). PeriodError: not a period."""
    team = queries.team(work.session, team_id)
    return cohort_rows(work.session, team, period_for(period, hours_of(team), work.now), work.now)


def baseline_report(work: Work, caller: Caller, args: list[str], phrases: Phrasebook) -> Reply:
    """The figures for a period against the period before and the team's targets; `by rep` /
    `by source` adds a table split that way."""
    query = report_query(work.session, caller.team_id, args, phrases.command("baseline"), groups=True)
    scope = {"owner_id": query.rep.id if query.rep else None, "source": query.source}
    shown = period_figures(work, caller.team_id, query.period, **scope)
    table = None
    if query.by:
        table = breakdown_table(by_group(work.session, shown.team, shown.period, work.now, query.by, **scope),
                                query.by, shown.figures.now)
    return Reply(lines=tuple(shown.text(query.scope()).splitlines()), table=table,
                 share=" ".join(["baseline", *args]))


def stalled(work: Work, caller: Caller, args: list[str], phrases: Phrasebook) -> Reply:
    """Two lists to act on: stalled (contacted, quiet past the stall window) and never contacted
    (past the first-contact window, no attempt), each with Nudge and Reassign, paged."""
    session, now = work.session, work.now
    team = queries.team(session, caller.team_id)
    command = phrases.command("stalled")
    query = report_query(session, team.id, args, command, periods=False, pages=True)
    scope = {"owner_id": query.rep.id if query.rep else None, "source": query.source}
    counts = work_list_counts(session, team, now, **scope)
    page = {"limit": PAGE_SIZE, "offset": (query.page - 1) * PAGE_SIZE}
    quiet = stalled_leads(session, team, now, **scope, **page)
    waiting = never_contacted_leads(session, team, now, **scope, **page)
    people = queries.members(session, team.id)
    asker = next((m for m in people if m.chat_user_id == caller.user_id), Member(name="", chat_user_id=caller.user_id))
    more_args = [w for n, w in enumerate(args) if w.lower() != "page" and not (n and args[n - 1].lower() == "page")]
    more = phrases.command(" ".join(["stalled", *more_args, "page", str(query.page + 1)]))
    lines, tables = [], []
    for rows, total, is_stalled, title in ((quiet, counts[0], True, stalled_title(counts[0], team)),
                                           (waiting, counts[1], False, never_contacted_title(counts[1], team))):
        if not total:
            lines.append(title)
            continue
        tables.append(_work_table(rows, total, is_stalled, title, team, now, asker, people, phrases, query.page,
                                  more))
    if query.page > 1 and not any(table.rows for table in tables):
        lines.append(f"Page {query.page} is past the end of both lists.")
    return Reply(lines=tuple(lines), tables=tuple(tables), share=" ".join(["stalled", *args]))


def _work_table(shown: list[StalledLead], total: int, is_stalled: bool, title: str, team: Team, now, asker: Member,
                people: list[Member], phrases: Phrasebook, page: int, more: str) -> Table:
    left = total - (page - 1) * PAGE_SIZE - len(shown)
    if page > 1:
        title += f" (page {page}: {(page - 1) * PAGE_SIZE + 1}-{(page - 1) * PAGE_SIZE + len(shown)})"
    actions = []
    for row in shown:
        acts = []
        if may_nudge(asker, row.owner_id):
            acts.append(RowAction("nudge", row.lead_id, "Nudge",
                                  phrases.command(f"{NUDGE_USAGE.split()[0]} {row.lead_id}")))
        if may(Act.REASSIGN, asker, row.owner_id):
            hand_to = tuple((m.chat_user_id, m.name) for m in people if m.chat_user_id != row.owner_user_id)
            if hand_to:
                acts.append(RowAction(Act.REASSIGN.value, row.lead_id, "Reassign",
                                      phrases.command(f"reassign {row.lead_id} @rep"), hand_to))
        actions.append(tuple(acts))
    return Table(
        ("Lead", "Owner", "Last touch", "Quiet" if is_stalled else "Asked", "Attempts"),
        tuple(work_row(row, team, now, is_stalled) for row in shown),
        title=title, actions=tuple(actions),
        cards=tuple(CardRef(row.chat_channel, row.chat_message_id) if row.chat_channel and row.chat_message_id
                    else None for row in shown),
        more=f"{left} more: {more}" if left > 0 else None,
    )


def nudge(work: Work, caller: Caller, args: list[str], phrases: Phrasebook) -> Reply:
    """`nudge N`: a direct message to lead N's owner (managers)."""
    lead_id = lead_number(args, phrases.command(NUDGE_USAGE))
    return say(nudge_owner(work, caller.team_id, lead_id, caller.user_id))


def oncall(work: Work, caller: Caller, args: list[str], phrases: Phrasebook) -> Reply:
    """`/oncall`: who covers now and next, and changes to the schedule (chatbot.commands.people)."""
    return oncall_schedule(work, caller, args, phrases)


def reps(work: Work, caller: Caller, args: list[str], phrases: Phrasebook) -> Reply:
    people = queries.members(work.session, caller.team_id)
    return say(*(f"{m.name} ({m.role}{f', on-call #{m.oncall_order}' if m.oncall_order else ''})" for m in people))
