"""Who may do what to a lead, decided once for every chat and every command.

- Anyone on the team may claim an unclaimed lead (a reaction on its card, or its Claim), log an
  attempt on it (which claims it), or add a note to any open lead.
- Anyone on the team may take an open lead over from its owner (the "Take it" button on an
  escalation notice): its owner is told.
- A claimed lead's calls, texts, e-mails and appointments, and closing, releasing or handing
  it on, belong to its owner or a manager.
- Nudging a lead's owner is a manager's; so is changing the team's settings (its windows, hours,
  holidays, chains and on-call rotation).
"""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import Session

from chatbot.errors import LeadClosed, NotAllowed
from chatbot.store.models import Lead, LeadStatus, Member, Role


class Act(StrEnum):
    """Everything a person can do to a lead, as the card and the commands name it."""

    CLAIM = "claim"
    CALL = "call"
    TEXT = "text"
    EMAIL = "email"
    APPOINTMENT = "appointment"
    NOTE = "note"
    WON = "won"
    LOST = "lost"
    RELEASE = "release"
    REASSIGN = "reassign"
    TAKE = "take"  # on escalation notices only, never on the card


ANYONE = frozenset({Act.CLAIM, Act.NOTE, Act.TAKE})
VERBS = {Act.CALL: "log a call on it", Act.TEXT: "log a text on it", Act.EMAIL: "log an e-mail on it",
         Act.APPOINTMENT: "set an appointment on it", Act.WON: "close it", Act.LOST: "close it",
         Act.RELEASE: "release it", Act.REASSIGN: "hand it on"}


def card_offers(lead: Lead, can_hand_to: int) -> frozenset[Act]:
    """What the lead's card offers now: nothing once it is closed; claim only while nobody owns it
    (a reaction claims too), release only while someone does; reassign only when there is someone
    to hand it to (`can_hand_to` people). Take is a notice's button, never the card's."""
    if lead.status != LeadStatus.OPEN:
        return frozenset()
    offers = set(Act) - {Act.TAKE}
    offers.discard(Act.RELEASE if lead.owner_id is None else Act.CLAIM)
    if not can_hand_to:
        offers.discard(Act.REASSIGN)
    return frozenset(offers)


def is_manager(member: Member) -> bool:
    return member.role in (Role.MANAGER, Role.ADMIN)


def require_open(lead: Lead) -> None:
    if lead.status != LeadStatus.OPEN:
        raise LeadClosed(f"Lead #{lead.id} ({lead.customer_name}) is closed {lead.status}; nothing to do.")


def may(act: Act, member: Member, owner_id: int | None) -> bool:
    """Whether `member` may do `act` to an open lead owned by `owner_id` (None: unclaimed): what
    `require_allowed` enforces, asked without a refusal (a list offers each row only what its
    reader may do). An unclaimed lead is anyone's: an attempt claims it, anyone may triage it."""
    if act in ANYONE or is_manager(member) or (member.id is not None and owner_id == member.id):
        return True
    return owner_id is None and act is not Act.RELEASE


def require_allowed(session: Session, act: Act, lead: Lead, member: Member) -> None:
    """Raise NotAllowed (nothing changes) unless `member` may do `act` to this open lead."""
    require_open(lead)
    if may(act, member, lead.owner_id):
        return
    if lead.owner_id is None:
        raise NotAllowed(f"{lead.customer_name} is not claimed: there is nothing to release.")
    owner = session.get(Member, lead.owner_id)
    raise NotAllowed(f"{owner.name} owns {lead.customer_name}; only they or a manager can {VERBS[act]}.")


def may_nudge(member: Member, owner_id: int | None) -> bool:
    """Whether `member` may nudge the owner of an open lead owned by `owner_id` (None: nobody to nudge)."""
    return is_manager(member) and owner_id is not None


def require_nudge_allowed(lead: Lead, member: Member) -> None:
    """Raise NotAllowed unless `member` may nudge this open lead's owner."""
    require_open(lead)
    if not is_manager(member):
        raise NotAllowed("Nudges are for managers. Ask your sales manager.")
    if lead.owner_id is None:
        raise NotAllowed(f"{lead.customer_name} is unclaimed: nobody to nudge. Reassign it to a rep.")


def require_settings_allowed(member: Member) -> None:
    """Raise NotAllowed unless `member` may read and change the team's settings."""
    if not is_manager(member):
        raise NotAllowed("Settings are for managers. Ask your sales manager to change them.")
