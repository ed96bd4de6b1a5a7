"""Who may do what to a lead: what a list offers a person (rules.may, rules.may_nudge) is exactly
what the action lets them do (rules.require_allowed, rules.require_nudge_allowed)."""

from __future__ import annotations

import pytest

from chatbot.errors import NotAllowed
from chatbot.ladder.rules import Act, may, may_nudge, require_allowed, require_nudge_allowed
from chatbot.store.models import Lead, LeadStatus, Member, Role

MANAGER = Member(id=1, team_id=1, name="Pat", chat_user_id="pat", role=Role.MANAGER)
OWNER = Member(id=2, team_id=1, name="Sam", chat_user_id="sam", role=Role.REP)
OTHER = Member(id=3, team_id=1, name="Alex", chat_user_id="alex", role=Role.REP)


class People:
    """The one thing require_allowed asks of a session: the owner, to name them in a refusal."""

    def get(self, model, member_id):
        return {m.id: m for m in (MANAGER, OWNER, OTHER)}[member_id]


def open_lead(owner: Member | None) -> Lead:
    return Lead(id=7, team_id=1, customer_name="Maria Gonzalez", status=LeadStatus.OPEN,
                owner_id=owner.id if owner else None)


def allowed(act: Act, lead: Lead, member: Member) -> bool:
    try:
        require_allowed(People(), act, lead, member)
    except NotAllowed:
        return False
    return True


@pytest.mark.parametrize("owner", [None, OWNER], ids=["unclaimed", "claimed"])
@pytest.mark.parametrize("member", [MANAGER, OWNER, OTHER], ids=["manager", "owner", "another rep"])
def test_a_list_offers_an_act_exactly_when_the_act_is_allowed(owner, member):
    lead = open_lead(owner)
    assert {act: may(act, member, lead.owner_id) for act in Act} == {act: allowed(act, lead, member) for act in Act}


def test_another_rep_may_not_hand_on_a_claimed_lead_but_may_an_unclaimed_one():
    assert (may(Act.REASSIGN, OTHER, OWNER.id), may(Act.REASSIGN, OTHER, None)) == (False, True)
    with pytest.raises(NotAllowed, match="^Sam owns Maria Gonzalez; only they or a manager can hand it on.$"):
        require_allowed(People(), Act.REASSIGN, open_lead(OWNER), OTHER)


def test_someone_not_on_the_team_is_offered_no_release_of_an_unclaimed_lead():
    stranger = Member(name="", chat_user_id="U999")  # /stalled's asker who is no member yet: no id
    assert may(Act.RELEASE, stranger, None) is False and may(Act.REASSIGN, stranger, OWNER.id) is False


@pytest.mark.parametrize("member, owner, refusal", [
    (MANAGER, OWNER, None),
    (MANAGER, None, "Maria Gonzalez is unclaimed: nobody to nudge. Reassign it to a rep."),
    (OWNER, OWNER, "Nudges are for managers. Ask your sales manager."),
])
def test_only_a_manager_nudges_and_only_a_claimed_leads_owner(member, owner, refusal):
    lead = open_lead(owner)
    assert may_nudge(member, lead.owner_id) is (refusal is None)
    if refusal is None:
        require_nudge_allowed(lead, member)
    else:
        with pytest.raises(NotAllowed, match=f"^{refusal}$"):
            require_nudge_allowed(lead, member)
