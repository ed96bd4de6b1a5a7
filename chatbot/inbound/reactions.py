"""A reaction on a message in a chat: on a lead's card, the first one with the rooftop's claim
emoji claims the lead (chatbot.leads.reactions); what the reactor hears is decided here, once,
for every chat.

- A reaction on a message that is not a lead card of this rooftop does nothing.
- The reactor is put on the rooftop the first time (chatbot.inbound.people).
- Another emoji than the one that claims here: nothing happens, nothing is said.
- A claim: the winner hears the lead is theirs; a later reactor hears who has it.
- A refusal (a removed member, a closed lead): the reactor hears why, and nothing changed.
"""

from __future__ import annotations

from chatbot.core import Core, run
from chatbot.errors import FollowUpError
from chatbot.inbound.answers import Told
from chatbot.inbound.people import Describe, Person, person_seen
from chatbot.leads import tracker
from chatbot.leads.reactions import claim_by_reaction


def reaction_on_message(core: Core, team_id: int, channel: str, message_id: str, emoji: str, person: Person,
                        describe: Describe | None = None) -> Told | None:
    """A reaction (`emoji`, its name without markup) on the chat message `message_id` in
    `channel`, by `person`, seen in the chat of rooftop `team_id`. None: say nothing."""
    found = tracker.lead_for_message(core, channel, message_id)
    if found is None or found[0] != team_id:
        return None  # another message, or a card of another rooftop: not this rooftop's lead card
    return reaction_on_lead(core, team_id, found[1], emoji, person, describe)


def reaction_on_lead(core: Core, team_id: int, lead_id: int, emoji: str, person: Person,
                     describe: Describe | None = None) -> Told | None:
    """A reaction on lead `lead_id`'s card, the card named by its lead (the console's `/react N`);
    a lead not on this rooftop is refused. None: say nothing."""
    person_seen(core, team_id, person, describe)
    try:
        claimed = run(core, claim_by_reaction, team_id, lead_id, person.chat_user_id, emoji)
    except FollowUpError as refused:
        return Told(refused.message, refused=True)
    return None if claimed is None else Told(claimed.message)
