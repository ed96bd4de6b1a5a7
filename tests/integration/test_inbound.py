"""The core's inbound API, one spec for every chat (Slack, Teams and the console call these same
functions): what a reaction on a message does and what the reactor hears, who a person first
seen becomes, what a press does. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from chatbot import inbound
from chatbot.inbound import Person, Told
from chatbot.ladder.rules import Act
from chatbot.messaging.outbox import deliver_pending
from chatbot.store.db import transaction
from chatbot.store.models import Lead, Member, Team
from chatbot.team import roster
from tests.fakes.chat import FakeChat
from tests.helpers import new_lead


def posted(core, team) -> tuple[int, str]:
    """A lead whose card is up in the leads channel: (lead id, the card's message id)."""
    lead_id = new_lead(core, team)
    deliver_pending(core, FakeChat())
    with transaction(core.engine) as session:
        return lead_id, session.get(Lead, lead_id).chat_message_id


def owner(core, lead_id: int) -> str | None:
    with transaction(core.engine) as session:
        lead = session.get(Lead, lead_id)
        return session.get(Member, lead.owner_id).chat_user_id if lead.owner_id else None


def set_claim_emoji(core, team, emoji: str) -> None:
    with transaction(core.engine) as session:
        session.get(Team, team.id).claim_emoji = emoji


def roles(core, team_id: int) -> dict[str, str]:
    with transaction(core.engine) as session:
        return {m.chat_user_id: m.role for m in session.exec(select(Member).where(Member.team_id == team_id))}


class TestAReaction:
    def test_the_first_reaction_on_a_lead_card_claims_it_and_the_reactor_hears_it_is_theirs(self, core, team, clock):
        lead_id, card = posted(core, team)
        clock.advance(timedelta(seconds=40))

        told = inbound.reaction_on_message(core, team.id, "#leads", card, "eyes", Person("sam"))

        assert told.text.startswith("Maria Gonzalez is yours (claimed 40s after posting).")
        assert not told.refused and owner(core, lead_id) == "sam"

    def test_a_second_reaction_does_not_steal_the_claim(self, core, team):
        lead_id, card = posted(core, team)
        inbound.reaction_on_message(core, team.id, "#leads", card, "eyes", Person("sam"))

        told = inbound.reaction_on_message(core, team.id, "#leads", card, "raised_hands", Person("alex"))

        assert told == Told("Sam has this lead since 10:00 (0s ago).")
        assert owner(core, lead_id) == "sam"

    def test_a_reaction_with_another_emoji_does_not_claim_and_says_nothing(self, core, team):
        set_claim_emoji(core, team, "raising_hand")
        lead_id, card = posted(core, team)

        assert inbound.reaction_on_message(core, team.id, "#leads", card, "eyes", Person("sam")) is None
        assert owner(core, lead_id) is None
        assert inbound.reaction_on_message(core, team.id, "#leads", card, "raising_hand", Person("sam")).text \
            .startswith("Maria Gonzalez is yours")

    def test_a_reaction_on_a_message_that_is_not_a_lead_card_does_nothing(self, core, team):
        lead_id, card = posted(core, team)

        assert inbound.reaction_on_message(core, team.id, "#leads", "999.0001", "eyes", Person("sam")) is None
        assert inbound.reaction_on_message(core, team.id, "#random", card, "eyes", Person("sam")) is None
        assert owner(core, lead_id) is None

    def test_a_reaction_on_another_rooftops_card_does_nothing_there(self, core, team):
        lead_id, card = posted(core, team)
        other = roster.ensure_team(core, name="North Motors", platform="console", platform_team_id="T2")

        assert inbound.reaction_on_message(core, other.id, "#leads", card, "eyes", Person("sam")) is None
        assert owner(core, lead_id) is None and "sam" not in roles(core, other.id)

    def test_someone_new_who_reacts_joins_the_rooftop_as_a_rep_and_claims(self, core, team):
        lead_id, card = posted(core, team)

        inbound.reaction_on_message(core, team.id, "#leads", card, "eyes", Person("U0RILEY", "Riley"))

        assert owner(core, lead_id) == "U0RILEY" and roles(core, team.id)["U0RILEY"] == "rep"

    def test_a_removed_member_is_told_why_and_nothing_changes(self, core, team):
        lead_id, card = posted(core, team)
        roster.remove_member(core, team.id, "sam")

        told = inbound.reaction_on_message(core, team.id, "#leads", card, "eyes", Person("sam"))

        assert told.refused and owner(core, lead_id) is None

    def test_a_lead_named_by_number_that_is_not_on_the_rooftop_is_refused(self, core, team):
        assert inbound.reaction_on_lead(core, team.id, 99, "eyes", Person("sam")) == Told(
            "There is no lead #99 on this team.", refused=True)


class TestAPersonFirstSeen:
    def test_an_admin_first_seen_becomes_a_manager_and_anyone_else_a_rep(self, core, team):
        inbound.person_seen(core, team.id, Person("U0BOSS", "Robin", admin=True))
        inbound.person_seen(core, team.id, Person("U0NEW", "Casey"))
        assert roles(core, team.id)["U0BOSS"] == "manager" and roles(core, team.id)["U0NEW"] == "rep"

    def test_someone_already_on_the_rooftop_stays_as_they_are_and_the_platform_is_not_asked(self, core, team):
        asked = []
        seen = inbound.person_seen(core, team.id, Person("sam"), describe=lambda: asked.append(1) or Person("sam"))
        assert seen.name == "Sam" and seen.role == "rep" and asked == []
        admin = inbound.person_seen(core, team.id, Person("sam", admin=True))
        assert admin.role == "rep"  # an admin already on the team as a rep stays a rep

    def test_someone_a_manager_added_by_email_takes_that_row_and_its_role(self, core, team):
        added = roster.add_member(core, team.id, name="Riley", email="riley@dealer.com", role="manager")
        seen = inbound.person_seen(core, team.id, Person("U0RILEY"),
                                   describe=lambda: Person("U0RILEY", "riley.s", email="Riley@Dealer.com"))
        assert (seen.id, seen.chat_user_id, seen.name, seen.role) == (added.id, "U0RILEY", "Riley", "manager")

    def test_someone_the_chat_knows_by_another_email_becomes_a_new_rep(self, core, team):
        roster.add_member(core, team.id, name="Riley", email="riley@dealer.com")
        seen = inbound.person_seen(core, team.id, Person("U0RILEY", "riley.s", email="riley@elsewhere.com"))
        assert (seen.name, seen.email, seen.role) == ("riley.s", "riley@elsewhere.com", "rep")
        assert roster.member_with_chat_id(core, team.id, "email:riley@dealer.com") is not None

    def test_the_installer_of_a_rooftop_with_no_manager_becomes_its_first_manager_a_second_installer_does_not(
            self, core):
        rooftop = roster.ensure_team(core, name="North Motors", platform="teams", platform_team_id="t/19:north")

        first = inbound.person_seen(core, rooftop.id, Person("U0PAT", "Pat", installer=True))
        second = inbound.person_seen(core, rooftop.id, Person("U0SAM", "Sam", installer=True))

        assert (first.role, second.role) == ("manager", "rep")

    def test_an_installer_already_on_a_rooftop_whose_managers_left_becomes_its_manager(self, core, team):
        roster.remove_member(core, team.id, "pat")
        assert inbound.person_seen(core, team.id, Person("sam", installer=True)).role == "manager"


class TestAnInstall:
    def test_the_picked_channel_becomes_the_leads_channel_unless_the_deployment_configured_it(self, core):
        rooftop = roster.ensure_team(core, name="North Motors", platform="teams", platform_team_id="t/19:north",
                                     leads_channel="19:configured")

        assert not inbound.app_installed(core, rooftop.id, Person("U0PAT", "Pat"), "19:picked", "19:configured")
        assert roster.team(core, rooftop.id).leads_channel == "19:configured"
        assert inbound.app_installed(core, rooftop.id, None, "19:picked", None)
        assert roster.team(core, rooftop.id).leads_channel == "19:picked"
        assert roles(core, rooftop.id) == {"U0PAT": "manager"}


class TestAPress:
    def test_a_card_action_is_done_and_the_presser_told(self, core, team):
        lead_id = new_lead(core, team)
        inbound.press(core, team.id, Person("sam"), lead_id, Act.CLAIM)

        told = inbound.press(core, team.id, Person("sam"), lead_id, Act.CALL, "voicemail")

        assert told == Told("Call (voicemail) logged for Maria Gonzalez. First contact 0s after asking. "
                            "Second contact due by Thu 10:00 (in 2 d).")

    def test_a_press_someone_may_not_make_is_refused_and_changes_nothing(self, core, team):
        lead_id = new_lead(core, team)
        inbound.press(core, team.id, Person("sam"), lead_id, Act.CLAIM)

        told = inbound.press(core, team.id, Person("alex"), lead_id, Act.RELEASE)

        assert told == Told("Sam owns Maria Gonzalez; only they or a manager can release it.", refused=True)
        assert owner(core, lead_id) == "sam"

    def test_a_form_is_refused_before_it_asks_for_words(self, core, team):
        lead_id = new_lead(core, team)
        inbound.press(core, team.id, Person("sam"), lead_id, Act.CLAIM)

        assert inbound.refusal_before_asking(core, team.id, Person("alex"), lead_id, Act.LOST) == (
            "Sam owns Maria Gonzalez; only they or a manager can close it.")
        assert inbound.refusal_before_asking(core, team.id, Person("sam"), lead_id, Act.LOST) is None
