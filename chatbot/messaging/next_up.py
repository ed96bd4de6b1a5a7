"""What is due next on an open lead, resolved for its card and `/leads`: the promise to keep and
the next step of the lead's ladder that will speak, with who hears it and when.

The step comes from the plan kept on the lead (deadlines.pending_step); who hears it comes from
the sweep's own `Duty` (chatbot/team/duty.py), asked about the moment the step falls due (who
is on call then, whether the showroom is open then), so the card names the person the sweep
will tell. After hours with
quiet hours on, what the managers or the channel would hear waits for the morning summary.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from chatbot.domain.policy import Action
from chatbot.ladder.deadlines import due_window, hours_of, pending_step
from chatbot.messaging.views.card import NextUp
from chatbot.store.models import Escalation, Lead, LeadStatus, Member, Team
from chatbot.team.duty import Duty, told_members

LABELS = {"on_call": "{} (on call)", "next_rep": "{} (next rep)"}


def next_up(session: Session, lead: Lead, team: Team, now: datetime, *,
            posting_at: datetime | None = None) -> NextUp | None:
    """What the lead needs next (None: it is closed, or nothing is due). `posting_at`: the card
    is about to be posted then, which opens its claim window (as deadlines.due_window)."""
    if lead.status != LeadStatus.OPEN:
        return None
    due = due_window(lead, team, posting_at=posting_at)
    if due is None:
        return None
    if lead.history:  # imported history is never escalated
        return NextUp(due.rule, due.deadline)
    earlier = list(session.exec(select(Escalation).where(Escalation.lead_id == lead.id)).all())
    step = pending_step(session, lead, team, posting_at=posting_at,
                        fired={(e.rule, e.deadline, e.level) for e in earlier})
    if step is None:
        return NextUp(due.rule, due.deadline, done=True)
    at = max(step.due_at, now)
    hours = hours_of(team)
    owner = session.get(Member, lead.owner_id) if lead.owner_id else None
    duty = Duty.now(session, team, owner, at)  # as the sweep will ask when the step falls due
    to = duty.reassign_to() if step.action is Action.REASSIGN else None
    if to is not None:
        return NextUp(due.rule, due.deadline, to.name, step.due_at, moves=True)
    recipient = duty.recipient(step, told_members(step, earlier))
    if recipient.member is not None:
        who = LABELS.get(recipient.audience, "{}").format(recipient.member.name)
    else:
        who = "the managers" if recipient.audience == "managers" else "the channel"
    if duty.held_until_opening(recipient, at) is not None:
        return NextUp(due.rule, due.deadline, who, hours.next_opening(at), summary=True)
    return NextUp(due.rule, due.deadline, who, step.due_at)
