"""People on a team (chatbot.team.roster): managers, roles, removal, and reps added by e-mail
before they ever use the chat, on SQLite and PostgreSQL.

The `team` fixture is Demo Motors: reps Sam, Alex, Jordan (chat ids sam, alex, jordan, in the
rotation in that order) and Pat, a manager (chat id pat).
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from chatbot.errors import NotAllowed, UnknownMember
from chatbot.leads import tracker
from chatbot.store.db import transaction
from chatbot.store.models import Lead, Member, Role
from chatbot.team import roster
from tests.helpers import new_lead


def people(core, team) -> list[tuple]:
    """Every row of the team, removed ones too: (name, chat id, e-mail, role, rotation, active)."""
    with transaction(core.engine) as session:
        rows = session.exec(select(Member).where(Member.team_id == team.id).order_by(Member.id)).all()
        return [(m.name, m.chat_user_id, m.email, m.role, m.oncall_order, m.active) for m in rows]


class TestManagers:
    def test_a_manager_makes_reps_managers_and_hears_who_the_managers_are_now(self, core, team):
        said = roster.make_managers(core, team.id, "pat", ["sam"])

        assert said == "Managers now: Pat, Sam."
        assert [(m.name, m.role) for m in roster.members(core, team.id)] == [
            ("Alex", "rep"), ("Jordan", "rep"), ("Pat", "manager"), ("Sam", "manager")]

    def test_a_rep_cannot_make_someone_a_manager(self, core, team):
        before = people(core, team)

        with pytest.raises(NotAllowed) as refused:
            roster.make_managers(core, team.id, "sam", ["sam", "alex"])

        assert str(refused.value) == "Only managers can name managers. Ask your sales manager."
        assert people(core, team) == before

    def test_someone_not_on_the_team_is_named_and_nobody_is_made_a_manager(self, core, team):
        before = people(core, team)

        with pytest.raises(UnknownMember) as refused:
            roster.make_managers(core, team.id, "pat", ["alex", "U0NOBODY1"])

        assert str(refused.value).startswith("U0NOBODY1 is not on this team yet, so nobody was made a manager.")
        assert people(core, team) == before

    def test_an_admin_stays_an_admin(self, core, team):
        roster.set_role(core, team.id, "Jordan", "admin")

        said = roster.make_managers(core, team.id, "jordan", ["alex", "jordan"])

        assert said == "Managers now: Alex, Jordan, Pat."
        assert {m.name: m.role for m in roster.members(core, team.id)}["Jordan"] == "admin"

    def test_a_removed_manager_can_no_longer_name_managers(self, core, team):
        roster.remove_member(core, team.id, "pat")
        with pytest.raises(NotAllowed):
            roster.make_managers(core, team.id, "pat", ["sam"])


class TestRolesAndRemoval:
    def test_set_role_finds_a_person_by_name_email_or_chat_id(self, core, team):
        roster.add_member(core, team.id, name="Riley", chat_user_id="U0RILEY01", email="Riley@Dealer.com")

        assert roster.set_role(core, team.id, "alex", "manager") == "Alex is now a manager (was a rep)."
        assert roster.set_role(core, team.id, "riley@dealer.com", "admin") == "Riley is now an admin (was a rep)."
        assert roster.set_role(core, team.id, "U0RILEY01", "rep") == "Riley is now a rep (was an admin)."
        assert roster.set_role(core, team.id, "Pat", "manager") == "Pat is already a manager."

    def test_an_unknown_role_or_person_changes_nothing(self, core, team):
        before = people(core, team)
        with pytest.raises(roster.MemberError, match="'boss' is not a role: rep, manager or admin."):
            roster.set_role(core, team.id, "Sam", "boss")
        with pytest.raises(UnknownMember) as refused:
            roster.set_role(core, team.id, "Taylor", "manager")
        assert str(refused.value) == ("Nobody on this team is called Taylor (by name, e-mail or chat id). "
                                      "On the team: Alex, Jordan, Pat, Sam.")
        assert people(core, team) == before

    def test_a_removed_rep_leaves_the_team_and_the_rotation_but_keeps_their_open_leads(self, core, team):
        lead_id = new_lead(core, team)
        tracker.claim(core, team.id, lead_id, "sam")

        said = roster.remove_member(core, team.id, "Sam")

        assert said == "Sam is off the team. Their 1 open lead(s) still show Sam as owner: reassign them."
        assert [m.name for m in roster.members(core, team.id)] == ["Alex", "Jordan", "Pat"]
        assert ("Sam", "sam", None, "rep", None, False) in people(core, team)
        with transaction(core.engine) as session:
            owner = session.get(Member, session.get(Lead, lead_id).owner_id)
        assert owner.name == "Sam"

    def test_removing_someone_twice_is_refused_the_second_time(self, core, team):
        roster.remove_member(core, team.id, "jordan")
        with pytest.raises(UnknownMember):
            roster.remove_member(core, team.id, "jordan")


class TestAddingPeopleBeforeTheyUseTheChat:
    def test_a_rep_added_by_email_is_stored_under_a_placeholder_chat_id(self, core, team):
        member = roster.add_member(core, team.id, name="Riley", email=" Riley@Dealer.com ", oncall_order=4)

        assert (member.chat_user_id, member.email, member.role, member.oncall_order) == (
            "email:riley@dealer.com", "riley@dealer.com", "rep", 4)
        assert roster.is_placeholder(member)

    def test_a_rep_added_by_email_is_matched_when_they_first_act_in_the_chat(self, core, team):
        added = roster.add_member(core, team.id, name="Riley", email="riley@dealer.com", role=Role.MANAGER)

        seen = roster.member_from_chat(core, team.id, chat_user_id="U0RILEY01", name="riley.k",
                                       email="RILEY@dealer.com")

        assert seen.id == added.id
        assert [row for row in people(core, team) if row[0].startswith("Riley")] == [
            ("Riley", "U0RILEY01", "riley@dealer.com", "manager", None, True)]

    def test_someone_new_to_the_chat_becomes_a_member_with_the_given_role(self, core, team):
        seen = roster.member_from_chat(core, team.id, chat_user_id="U0NEW0001", name="Casey", email=None,
                                       role=Role.MANAGER)
        again = roster.member_from_chat(core, team.id, chat_user_id="U0NEW0001", name="Casey K")

        assert again.id == seen.id and (again.name, again.role) == ("Casey", "manager")

    def test_a_removed_member_stays_removed_when_they_act_in_the_chat_again(self, core, team):
        roster.remove_member(core, team.id, "alex")

        seen = roster.member_from_chat(core, team.id, chat_user_id="alex", name="Alex")

        assert seen.active is False and "Alex" not in [m.name for m in roster.members(core, team.id)]

    def test_adding_by_slack_id_takes_over_a_placeholder_with_the_same_email(self, core, team):
        first = roster.add_member(core, team.id, name="Riley", email="riley@dealer.com")
        second = roster.add_member(core, team.id, name="Riley K", email="riley@dealer.com", chat_user_id="U0RILEY01")

        assert second.id == first.id and second.chat_user_id == "U0RILEY01" and second.name == "Riley K"

    def test_adding_again_brings_a_removed_member_back(self, core, team):
        roster.remove_member(core, team.id, "jordan")
        back = roster.add_member(core, team.id, name="Jordan", chat_user_id="jordan", oncall_order=3)
        assert back.active and back.oncall_order == 3

    @pytest.mark.parametrize("kwargs, message", [
        ({"name": "Riley"}, "Say how the bot will know Riley: an e-mail, a chat user id, or both."),
        ({"name": "Riley", "email": "riley at dealer"}, "'riley at dealer' is not an e-mail address like "
                                                        "sam@dealer.com."),
        ({"name": "  ", "email": "riley@dealer.com"}, "Give the person a name, e.g. --name Sam."),
        ({"name": "Riley", "email": "riley@dealer.com", "role": "owner"},
         "'owner' is not a role: rep, manager or admin."),
    ])
    def test_a_person_the_bot_could_not_recognise_is_refused(self, core, team, kwargs, message):
        before = people(core, team)
        with pytest.raises(roster.MemberError) as refused:
            roster.add_member(core, team.id, **kwargs)
        assert str(refused.value) == message
        assert people(core, team) == before

    def test_an_email_that_belongs_to_someone_seen_in_the_chat_is_not_moved_to_another_id(self, core, team):
        roster.add_member(core, team.id, name="Riley", chat_user_id="U0RILEY01", email="riley@dealer.com")
        before = people(core, team)
        with pytest.raises(roster.MemberError, match="riley@dealer.com is Riley's e-mail"):
            roster.add_member(core, team.id, name="Riley", chat_user_id="U0OTHER01", email="riley@dealer.com")
        assert people(core, team) == before


class TestTeamNames:
    def test_a_second_team_with_the_same_name_in_any_case_is_refused(self, core, team):
        with pytest.raises(roster.TeamNameTaken) as refused:
            roster.create_team(core, name="demo MOTORS", platform="api", platform_team_id="demo-motors")
        assert str(refused.value) == (f"Team #{team.id} (console) is already called 'Demo Motors'. "
                                      "Team names are unique: pick another, e.g. 'demo MOTORS North'.")
        assert [t.name for t in roster.all_teams(core)] == ["Demo Motors"]

    def test_a_chat_workspace_whose_name_is_taken_gets_its_id_added(self, core, team):
        made = roster.ensure_team(core, name="Demo Motors", platform="slack", platform_team_id="T0SLACK01")
        assert made.name == "Demo Motors (slack T0SLACK01)"
