"""Many rooftops on one deployment, as Teams installs them: each Teams team is its own rooftop (its
roster, settings and channel), several of them in one tenant; a team install posts its cards in
the channel the installer picked and makes the installer the rooftop's first manager; a personal
chat makes no rooftop and no manager; the app removed from a team parks its rooftop (nothing is
sent, nothing is lost, its managers are told where they can be reached, /readyz names it), so does
a Connector 403 nobody announced; adding the app again sends what waited.

The activities are the recorded install, personal install and removal payloads
(tests/fixtures/teams/activities) through the real Agents SDK at /api/messages."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import pytest

from adapters.teams.bot import ADD_TO_A_TEAM
from adapters.teams.settings import TeamsSettings
from chatbot.leads import tracker
from chatbot.messaging import access, conversations
from chatbot.messaging.outbox import pending_count
from chatbot.messaging.platforms import deliver_all
from chatbot.messaging.ports import Channel, ChatGone, ChatUnavailable, MessageRef
from chatbot.messaging.views import Notice
from chatbot.team import roster
from tests.fakes.teams_auth import APP_ID
from tests.helpers import incoming
from tests.teams.harness import ALEX, BOT, GENERAL, LEADS, LOCAL_CONNECTOR, PAT, SAM, TENANT, TeamsHarness, load

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

NORTH = (GENERAL, "Sales")
SOUTH = ("19:south-general-3d1e8f@thread.tacv2", "Sales South")
SOUTH_LEADS = "19:south-new-leads-77a0c2@thread.tacv2"
REMOVED_TOLD = ("Lead follow-up can no longer post for Demo Motors: the app was removed from the team in Teams. "
                "New leads are still taken and kept, and go out as soon as the app is back. To resume, add the app "
                "to the team again in Teams (Apps, Manage your apps, Lead follow-up, Add to a team) and pick the "
                "channel for new leads.")


def texts(connector, conversation: str) -> list[str]:
    """What the bot posted in a conversation: a card's first line, or a message's text."""
    said = []
    for posted in connector.in_conversation(conversation):
        attachments = posted.activity.get("attachments") or []
        said.append(attachments[0]["content"]["body"][0]["text"] if attachments and not posted.activity.get("text")
                    else posted.activity.get("text") or "")
    return said


def new_lead(teams, team_id: int, name: str, external_id: str) -> int:
    return tracker.ingest(teams.core, team_id, incoming(name=name, external_id=external_id)).lead_id


def teams_rooftops(core) -> list:
    return [t for t in roster.all_teams(core) if t.platform == "teams"]


# ------------------------------------------------------------------------- installs


def test_a_team_install_posts_the_welcome_and_every_card_in_the_channel_the_installer_picked(teams, connector):
    assert teams.install(channel=LEADS).status_code == 202
    rooftop = roster.team(teams.core, teams.team_id)
    assert (rooftop.name, rooftop.platform_team_id, rooftop.leads_channel) == ("Demo Motors", f"{TENANT}/{GENERAL}",
                                                                              LEADS)
    new_lead(teams, rooftop.id, "Maria Gonzalez", "L-1")
    assert teams.deliver().sent == 1
    assert texts(connector, LEADS)[0].startswith("Lead follow-up is here. New leads are posted in this channel")
    assert texts(connector, LEADS)[1] == "New lead #1: Maria Gonzalez"
    assert texts(connector, GENERAL) == [], "nothing goes to the team's General channel"


def test_the_person_who_adds_the_app_to_the_team_is_its_manager_not_who_installed_it_personally_first(teams,
                                                                                                     connector):
    assert teams.personal_install(SAM).status_code == 202
    assert texts(connector, teams.personal_chat(SAM)) == [ADD_TO_A_TEAM]
    assert teams_rooftops(teams.core) == [], "a personal chat makes no rooftop"

    assert teams.install(PAT).status_code == 202
    assert [(m.name, m.role) for m in roster.members(teams.core, teams.team_id)] == [("Pat", "manager")]
    teams.post(teams.mention(SAM, "leads"))
    assert [(m.name, m.role) for m in roster.members(teams.core, teams.team_id)] == [("Pat", "manager"),
                                                                                    ("Sam", "rep")]


def test_a_personal_chat_serves_the_one_rooftop_its_person_is_on_and_asks_when_there_are_several(teams, connector):
    teams.install(PAT)
    teams.post(teams.personal(SAM, "leads"))
    assert texts(connector, teams.personal_chat(SAM))[-1] == ADD_TO_A_TEAM, "not on a rooftop yet"
    teams.post(teams.mention(SAM, "leads"))
    teams.post(teams.personal(SAM, "leads"))
    assert texts(connector, teams.personal_chat(SAM))[-1] == "You have no open leads. 'leads all' shows the team's."
    teams.install(ALEX, channel=SOUTH_LEADS, team=SOUTH)
    teams.post(teams.fill(teams.mention(SAM, "leads"), user=SAM, conversation=SOUTH_LEADS, team=SOUTH))
    teams.post(teams.personal(SAM, "leads"))
    assert texts(connector, teams.personal_chat(SAM))[-1] == (
        "You are on 2 rooftops: Demo Motors, Demo Motors (Sales South). A command typed here cannot tell which one "
        "you mean: @mention Lead follow-up in that rooftop's channel instead.")


def test_two_teams_in_one_tenant_are_two_rooftops_each_with_its_roster_channel_and_leads(teams, connector):
    assert teams.install(PAT, channel=LEADS, team=NORTH).status_code == 202
    assert teams.install(SAM, channel=SOUTH_LEADS, team=SOUTH).status_code == 202
    north, south = teams_rooftops(teams.core)
    assert (north.name, north.leads_channel) == ("Demo Motors", LEADS)
    assert (south.name, south.platform_team_id, south.leads_channel) == ("Demo Motors (Sales South)",
                                                                         f"{TENANT}/{SOUTH[0]}", SOUTH_LEADS)
    assert [(m.name, m.role) for m in roster.members(teams.core, north.id)] == [("Pat", "manager")]
    assert [(m.name, m.role) for m in roster.members(teams.core, south.id)] == [("Sam", "manager")]

    new_lead(teams, north.id, "North Shopper", "N-1")
    new_lead(teams, south.id, "South Shopper", "S-1")
    assert teams.app.services.deliver(north.id).sent == 1 and teams.app.services.deliver(south.id).sent == 1
    assert [t for t in texts(connector, LEADS) if t.startswith("New lead")] == ["New lead #1: North Shopper"]
    assert [t for t in texts(connector, SOUTH_LEADS) if t.startswith("New lead")] == ["New lead #2: South Shopper"]
    assert texts(connector, SOUTH_LEADS)[0].startswith("Lead follow-up is here. New leads are posted in this channel")


def test_a_rooftop_from_before_rooftops_were_per_team_is_taken_over_by_its_own_team_only(teams, connector):
    legacy = roster.ensure_team(teams.core, name="Demo Motors", platform="teams", platform_team_id=TENANT,
                                leads_channel=LEADS)
    roster.add_member(teams.core, legacy.id, name="Pat", chat_user_id=PAT, role="manager")
    teams.post(teams.fill(teams.mention(ALEX, "leads"), user=ALEX, conversation=SOUTH_LEADS, team=SOUTH))
    teams.post(teams.mention(SAM, "leads"))
    rooftops = {t.platform_team_id: t.id for t in teams_rooftops(teams.core)}
    assert rooftops == {f"{TENANT}/{GENERAL}": legacy.id, f"{TENANT}/{SOUTH[0]}": legacy.id + 1}
    assert [m.name for m in roster.members(teams.core, legacy.id)] == ["Pat", "Sam"]


def test_a_button_in_a_personal_chat_acts_on_the_leads_rooftop_only_for_a_person_on_it(teams, connector):
    teams.install(PAT, team=NORTH)
    teams.post(teams.mention(SAM, "leads"))
    teams.install(ALEX, channel=SOUTH_LEADS, team=SOUTH)  # Alex is South's manager, not on North
    lead = new_lead(teams, teams.team_id, "Maria Gonzalez", "L-1")
    teams.deliver()
    card = connector.in_conversation(LEADS)[-1].id

    outsider = teams.post(teams.execute(ALEX, card, "lead:claim", {"lead": lead}, personal=True))
    assert outsider.json()["value"] == "That lead is not on a rooftop you are on, so nothing was done."
    assert roster.member_with_chat_id(teams.core, teams.team_id, ALEX) is None
    member = teams.post(teams.execute(SAM, card, "lead:claim", {"lead": lead}, personal=True))
    assert member.json()["value"].startswith("Maria Gonzalez is yours")


def test_a_personal_install_by_someone_on_a_rooftop_says_which_and_makes_nobody_manager(teams, connector):
    teams.install(PAT)
    teams.post(teams.mention(SAM, "leads"))
    assert teams.personal_install(SAM).status_code == 202
    assert texts(connector, teams.personal_chat(SAM)) == [
        "Hi Sam. This chat brings you private notices about your leads at Demo Motors. Type help for the commands."]
    assert [(m.name, m.role) for m in roster.members(teams.core, teams.team_id)] == [("Pat", "manager"),
                                                                                    ("Sam", "rep")]


def test_a_personal_chat_joins_its_person_to_the_rooftops_whose_team_teams_says_they_are_in(teams, connector):
    teams.install(PAT)
    connector.rosters[GENERAL] = [{"id": PAT, "name": "Pat"}, {"id": SAM, "name": "Sam"}]
    assert teams.personal_install(SAM).status_code == 202
    assert texts(connector, teams.personal_chat(SAM)) == [
        "Hi Sam. This chat brings you private notices about your leads at Demo Motors. Type help for the commands."]
    assert [(m.name, m.role) for m in roster.members(teams.core, teams.team_id)] == [("Pat", "manager"),
                                                                                    ("Sam", "rep")]
    assert conversations.recall(teams.core, teams.team_id, conversations.user_address(SAM))["conversation_id"] \
        == teams.personal_chat(SAM), "his notices come to this chat"
    teams.post(teams.personal(ALEX, "leads"))  # in the tenant, not in the team
    assert texts(connector, teams.personal_chat(ALEX)) == [ADD_TO_A_TEAM]
    assert roster.member_with_chat_id(teams.core, teams.team_id, ALEX) is None


# ------------------------------------------------------------------------- removal and back


@pytest.fixture
def north(teams):
    """Pat added the app to the team (its manager) and to his personal chat; Sam is a rep."""
    assert teams.install(PAT).status_code == 202
    assert teams.personal_install(PAT).status_code == 202
    assert teams.post(teams.mention(SAM, "leads")).status_code == 202
    return teams


@pytest.mark.parametrize("how", ["conversationUpdate", "installationUpdate"])
def test_removal_parks_the_rooftop_tells_its_manager_and_adding_it_again_sends_what_waited(north, connector, how,
                                                                                        caplog):
    caplog.set_level(logging.INFO, logger="chatbot.delivery")
    connector.remove_app(LEADS, GENERAL)
    assert north.post(north.removal(how)).status_code == 202
    assert texts(connector, north.personal_chat(PAT))[-1] == REMOVED_TOLD
    lost = [r.getMessage() for r in caplog.records if r.getMessage().startswith("chat_lost")]
    assert lost == [f'chat_lost platform=teams team={north.team_id} reason="the app was removed from the team in '
                    f'Teams" waiting=0 managers_told=1 managers_unreachable=0']

    calls = len(connector.calls)
    new_lead(north, north.team_id, "Maria Gonzalez", "L-1")
    assert (north.deliver().sent, pending_count(north.core)) == (0, 1)
    assert connector.calls[calls:] == [], "nothing is tried while the app is out of the team"
    ready = north.http.get("/readyz").json()
    assert "rooftops" in ready["failed"]
    assert ready["checks"]["rooftops"]["detail"].startswith(
        f"Demo Motors (#{north.team_id}, teams): the app was removed from the team in Teams since ")
    assert ready["checks"]["rooftops"]["detail"].endswith(", 1 message(s) waiting")
    assert "\nchatbot_rooftops_parked 1.0\n" in north.http.get("/metrics").text

    connector.add_app()
    assert north.install(PAT).status_code == 202
    assert texts(connector, LEADS)[-1] == "New lead #1: Maria Gonzalez"
    assert pending_count(north.core) == 0 and access.parked(north.core) == []
    assert north.http.get("/readyz").json()["checks"]["rooftops"] == {
        "ok": True, "detail": "every rooftop's chat takes our messages"}
    assert [(m.name, m.role) for m in roster.members(north.core, north.team_id)] == [("Pat", "manager"),
                                                                                    ("Sam", "rep")]


def test_a_403_nobody_announced_is_surfaced_once_and_the_leads_wait_for_the_app(teams, connector, caplog):
    caplog.set_level(logging.INFO, logger="chatbot.delivery")
    teams.install(PAT)  # no personal chat with Pat: he cannot be reached once the team is gone
    connector.remove_app(LEADS, GENERAL)  # the removal's own event never came
    new_lead(teams, teams.team_id, "Maria Gonzalez", "L-1")
    result = teams.deliver()
    assert (result.sent, result.failed, pending_count(teams.core)) == (0, 1, 1)
    new_lead(teams, teams.team_id, "James Carter", "L-2")
    calls = len(connector.calls)
    assert teams.deliver().sent == 0 and connector.calls[calls:] == [], "one refusal parks the rooftop"

    lines = [r.getMessage() for r in caplog.records if r.name == "chatbot.delivery"]
    reason = ("Teams refuses the bot in the team's channel (HTTP 403): the app was probably removed from the team")
    assert [line for line in lines if line.startswith("chat_lost")] == [
        f'chat_lost platform=teams team={teams.team_id} reason="{reason}" waiting=1 managers_told=0 '
        f'managers_unreachable=1']
    assert [line.split(" next_try")[0] for line in lines if line.startswith("delivery_failed")] == [
        f"delivery_failed platform=teams team={teams.team_id} outbox=1 kind=card method=send_to_conversation "
        f"outcome=gone error=http_403 attempt=1"]
    assert [p.reason for p in access.parked(teams.core)] == [reason]

    connector.add_app()
    teams.install(PAT)
    assert [t for t in texts(connector, LEADS) if t.startswith("New lead")] == [
        "New lead #1: Maria Gonzalez", "New lead #2: James Carter"]
    assert pending_count(teams.core) == 0


def test_any_activity_from_a_parked_rooftops_team_says_the_app_is_there_and_resumes_it(north, connector):
    connector.remove_app(LEADS, GENERAL)
    new_lead(north, north.team_id, "Maria Gonzalez", "L-1")
    north.deliver()
    assert [p.name for p in access.parked(north.core)] == ["Demo Motors"]
    connector.add_app()
    assert north.post(north.mention(SAM, "leads")).status_code == 202
    assert access.parked(north.core) == [] and texts(connector, LEADS)[-1] == "New lead #1: Maria Gonzalez"


def test_removal_from_one_team_leaves_the_other_rooftop_of_the_tenant_alone(teams, connector):
    teams.install(PAT, team=NORTH)
    teams.install(SAM, channel=SOUTH_LEADS, team=SOUTH)
    connector.remove_app(LEADS, GENERAL)
    teams.post(teams.removal(team=NORTH))
    north, south = teams_rooftops(teams.core)
    new_lead(teams, north.id, "North Shopper", "N-1")
    new_lead(teams, south.id, "South Shopper", "S-1")
    delivered = deliver_all(teams.core, teams.platforms)  # what the worker's Courier does
    assert (delivered.sent, delivered.waiting) == (1, 1)
    assert [t for t in texts(connector, SOUTH_LEADS) if t.startswith("New lead")] == ["New lead #2: South Shopper"]
    assert [p.name for p in access.parked(teams.core)] == ["Demo Motors"]


def test_a_removal_from_a_team_the_bot_never_met_makes_no_rooftop(teams, connector):
    assert teams.post(teams.removal(team=SOUTH)).status_code == 202
    assert teams_rooftops(teams.core) == [] and connector.posted == []


# ------------------------------------------------------------------------- what a refusal means


@pytest.mark.parametrize(("status", "send", "kind"), [
    (403, "post", ChatGone), (404, "post", ChatGone), (403, "update", ChatGone),
    (404, "update", ChatUnavailable),  # the card was deleted: that card's problem, not the rooftop's
    (400, "post", ChatUnavailable)])
def test_which_refusals_mean_the_rooftops_channel_is_gone(teams, connector, status, send, kind):
    teams.install()
    chat = teams.app.services.chat(teams.team_id)
    ref = chat.post(Channel(LEADS), Notice(text="first"))
    connector.fail_next(status)
    with pytest.raises(ChatUnavailable) as raised:
        if send == "post":
            chat.post(Channel(LEADS), Notice(text="second"))
        else:
            chat.update(MessageRef(ref.channel, ref.message_id), Notice(text="second"))
    assert type(raised.value) is kind and raised.value.error == f"http_{status}"


def test_configured_channels_are_one_teams_so_only_the_first_rooftop_gets_them(core, connector, issuer, monkeypatch):
    settings = TeamsSettings(_env_file=None, teams_app_id=APP_ID, teams_app_password="not-used", teams_tenant_id=TENANT,
                             teams_team_name="Demo Motors", teams_leads_channel="19:configured-leads@thread.tacv2",
                             teams_managers_channel="19:configured-managers@thread.tacv2",
                             teams_service_url_hosts=LOCAL_CONNECTOR)
    teams = TeamsHarness(core, connector, issuer, monkeypatch, settings=settings)
    try:
        teams.install(PAT, channel=LEADS, team=NORTH)
        teams.install(SAM, channel=SOUTH_LEADS, team=SOUTH)
        north, south = teams_rooftops(core)
        assert (north.leads_channel, north.managers_channel) == ("19:configured-leads@thread.tacv2",
                                                                 "19:configured-managers@thread.tacv2")
        assert (south.leads_channel, south.managers_channel) == (SOUTH_LEADS, None)
        assert texts(connector, LEADS)[0].startswith("Lead follow-up is here. New leads are posted in the channel "
                                                     "set for them in this team, not this one")
    finally:
        teams.http.close()


def test_the_app_removed_from_a_personal_chat_forgets_that_chat_and_leaves_the_rooftop_alone(north, connector):
    assert conversations.recall(north.core, north.team_id, conversations.user_address(PAT)) is not None
    activity = north.fill(load("msteams-docs_conversationUpdate_membersAdded_personal.json"), user=PAT,
                          conversation=north.personal_chat(PAT), kind="personal")
    activity["membersRemoved"] = [{"id": BOT}]
    activity.pop("membersAdded")
    assert north.post(activity).status_code == 202
    assert conversations.recall(north.core, north.team_id, conversations.user_address(PAT)) is None
    assert access.parked(north.core) == []


def test_an_installs_two_activities_arriving_together_make_one_rooftop(teams, connector):
    """Teams sends a team install's conversationUpdate and installationUpdate 'add' at once."""
    install = teams.fill(load("msteams-docs_conversationUpdate_teamMemberAdded.json"))
    install["membersAdded"] = [{"id": BOT}]
    added = teams.fill(load("msteams-docs_conversationUpdate_teamMemberAdded.json"))
    added.pop("membersAdded")
    added["channelData"].pop("eventType")
    added.update(type="installationUpdate", action="add")
    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(teams.post, [install, added]))
    assert [a.status_code for a in answers] == [202, 202]
    assert [(t.platform_team_id, t.leads_channel) for t in teams_rooftops(teams.core)] == [
        (f"{TENANT}/{GENERAL}", LEADS)]
    assert [(m.name, m.role) for m in roster.members(teams.core, teams.team_id)] == [("Pat", "manager")]
