"""The commands that read: leads, baseline, stalled, on-call, reps."""

from __future__ import annotations

from chatbot.commands.arguments import member, report_query
from chatbot.commands.base import Caller, say
from chatbot.core import Work
from chatbot.leads.deadlines import due_window, hours_of
from chatbot.messaging.phrasebook import Phrasebook
from chatbot.messaging.views import (
    Reply,
    Table,
    baseline_text,
    due_short,
    oncall_lines,
    relative,
    stalled_text,
)
from chatbot.reports.figures import baseline, open_leads, period_for, stalled_leads
from chatbot.store import queries


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
    table = Table(("#", "Customer", "Owner", "Asked", "Attempts", "Next"), tuple(
        (str(lead.id), lead.customer_name, owner or "unclaimed", f"asked {relative(lead.submitted_at, now)}",
         f"{lead.attempts} attempt(s)", f"next: {due_short(lead, team, due_window(lead, team), now)}")
        for lead, owner in rows))
    title = f"Open leads{' for ' + whose.name if whose else ''}: {len(rows)}"
    return Reply(lines=(title,), table=table, share=line)


def baseline_report(work: Work, caller: Caller, args: list[str], phrases: Phrasebook) -> Reply:
    session, now = work.session, work.now
    team = queries.team(session, caller.team_id)
    query = report_query(session, team.id, args, phrases.command("baseline"))
    period = period_for(query.period, hours_of(team), now)
    figures = baseline(session, team, period, now, owner_id=query.rep.id if query.rep else None, source=query.source)
    return say(*baseline_text(figures, query.scope()).splitlines(), share=" ".join(["baseline", *args]))


def stalled(work: Work, caller: Caller, args: list[str], phrases: Phrasebook) -> Reply:
    session, now = work.session, work.now
    team = queries.team(session, caller.team_id)
    query = report_query(session, team.id, args, phrases.command("stalled"), periods=False)
    rows = stalled_leads(session, team, now, owner_id=query.rep.id if query.rep else None)
    rows = [row for row in rows if not query.source or row.source == query.source]
    return say(*stalled_text(rows, team, now).splitlines(), share=" ".join(["stalled", *args]))


def oncall(work: Work, caller: Caller, args: list[str], phrases: Phrasebook) -> Reply:
    session, now = work.session, work.now
    team = queries.team(session, caller.team_id)
    people = queries.rotation(session, team.id)
    if not people:
        return say(f"Nobody is in the on-call rotation. A manager sets it with "
                   f"{phrases.command('followup oncall @a @b ...')}.")
    return say(*oncall_lines(people, hours_of(team), now), share="oncall")


def reps(work: Work, caller: Caller, args: list[str], phrases: Phrasebook) -> Reply:
    people = queries.members(work.session, caller.team_id)
    return say(*(f"{m.name} ({m.role}{f', on-call #{m.oncall_order}' if m.oncall_order else ''})" for m in people))
