"""The lead card's actions as commands: claim, call, text, e-mail, appointment, note, won, lost,
release, reassign, and take (an escalated lead, from its owner). Each runs the same action a card button runs (chatbot.leads.actions)."""

from __future__ import annotations

from chatbot.commands.arguments import CommandError, lead_number, member
from chatbot.commands.base import Caller, Handler, say
from chatbot.core import Work
from chatbot.ladder.rules import Act
from chatbot.leads import actions
from chatbot.messaging.phrasebook import Phrasebook
from chatbot.messaging.views import Reply
from chatbot.store.models import LoggedVia

USAGE = {
    Act.CLAIM: "claim N",
    Act.CALL: "call N [reached | voicemail | no answer]",
    Act.TEXT: "text N",
    Act.EMAIL: "email N",
    Act.APPOINTMENT: "appt N",
    Act.NOTE: "note N TEXT",
    Act.WON: "won N [reason]",
    Act.LOST: "lost N REASON",
    Act.RELEASE: "release N",
    Act.REASSIGN: "reassign N @rep",
    Act.TAKE: "take N",
}


def acting(act: Act) -> Handler:
    """The command for one card action: `N` then what the action asks for."""

    def handle(work: Work, caller: Caller, args: list[str], phrases: Phrasebook) -> Reply:
        usage = phrases.command(USAGE[act])
        lead_id = lead_number(args, usage)
        rest = args[1:]
        if act is Act.REASSIGN:
            if not rest:
                raise CommandError(f"To whom? Usage: {usage}")
            detail = member(work.session, caller.team_id, rest[0]).chat_user_id
        else:
            detail = " ".join(rest) or None
        return say(actions.perform(work, caller.team_id, lead_id, caller.user_id, act, detail,
                                   via=LoggedVia.COMMAND))

    return handle
