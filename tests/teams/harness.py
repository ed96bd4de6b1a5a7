"""The Teams app as Teams sees it: the real web app with the real Agents SDK behind its JWT check,
activities from the recorded fixtures (tests/fixtures/teams/activities) posted over HTTP with
tokens from a local issuer, and the bot's outgoing calls going over real HTTP to FakeConnector.
"""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path

from fastapi.testclient import TestClient
from microsoft_agents.activity import Activity

from adapters.teams.services import register_teams
from adapters.teams.settings import TeamsSettings
from adapters.teams.web import TeamsApp, mount_teams
from chatbot.messaging.platforms import Platforms
from entrypoints.web import create_web_app
from tests.fakes.teams_auth import APP_ID, LocalTokenProvider

ACTIVITIES = Path(__file__).resolve().parent.parent / "fixtures" / "teams" / "activities"
TENANT = "b28fdbfd-2b78-4f93-b0f8-8881793f0f8f"
LEADS = "19:0b7f32667e064dd9b25d7969801541f4@thread.tacv2"  # the channel picked at install (the fixture's)
GENERAL = "19:zFLSDFWsesfzcmKArqKJ-65aOXJz@sgf462H2wz41@thread.tacv2"  # the team's id (its General channel)
BOT = "28:608cacfd-1cea-40c9-b678-4b93e69bb72b"
SAM, ALEX, PAT = "29:1sam-rivera", "29:1alex-kim", "29:1pat-lee"
NAMES = {SAM: "Sam", ALEX: "Alex", PAT: "Pat"}
LOCAL_CONNECTOR = "127.0.0.1"  # the fake Connector's host: on the serviceUrl allow-list in these tests only


def load(name: str) -> dict:
    return json.loads((ACTIVITIES / name).read_text())


class TeamsHarness:
    def __init__(self, core, connector, issuer, monkeypatch, *, settings: TeamsSettings | None = None,
                 platforms: Platforms | None = None) -> None:
        issuer.trust(monkeypatch)
        self.core, self.connector, self.issuer = core, connector, issuer
        self.settings = settings or TeamsSettings(_env_file=None, teams_app_id=APP_ID, teams_app_password="not-used",
                                                  teams_tenant_id=TENANT, teams_team_name="Demo Motors",
                                                  teams_service_url_hosts=LOCAL_CONNECTOR)
        self.waits: list[float] = []
        self.app = TeamsApp(core, self.settings, provider_factory=lambda config: LocalTokenProvider(issuer, config),
                            sleep=self.waits.append)
        self.platforms = register_teams(platforms if platforms is not None else Platforms(), self.app.services)
        self.web = create_web_app(core, self.platforms)
        mount_teams(self.web, self.app)
        self.http = TestClient(self.web)
        self._ids = itertools.count(1)
        self.cards: list[str] = []

    @property
    def team_id(self) -> int:
        """The rooftop of the team the app is added to (made now if the bot has not met it yet)."""
        known = self.app.services.rooftop_id(TENANT, GENERAL)
        if known is not None:
            return known
        return self.app.services.rooftop(Activity.model_validate(
            self.fill(load("msteams-docs_conversationUpdate_teamMemberAdded.json"))))

    # -- what arrives from Teams ----------------------------------------------------------------

    def post(self, activity: dict, *, token: str | None = "valid", headers: dict | None = None):
        sent = dict(headers or {})
        if token == "valid":
            token = self.issuer.token(service_url=activity.get("serviceUrl"))
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        return self.http.post("/api/messages", json=activity, headers=sent)

    def fill(self, activity: dict, *, user: str = PAT, conversation: str = LEADS, kind: str = "channel",
             team: tuple[str, str] = (GENERAL, "Sales"), tenant: str = TENANT) -> dict:
        """A recorded activity addressed to this bot, tenant, team, channel and person, with a fresh id."""
        made = copy.deepcopy(activity)
        made["id"] = f"f:{next(self._ids):08d}"
        made["serviceUrl"] = self.connector.service_url
        made["from"] = {"id": user, "name": NAMES.get(user, user), "aadObjectId": f"aad-{user[3:]}"}
        made["recipient"] = {"id": BOT, "name": "Lead follow-up"}
        made["conversation"] = {**made.get("conversation", {}), "id": conversation, "conversationType": kind,
                                "tenantId": tenant}
        made.setdefault("channelData", {})["tenant"] = {"id": tenant}
        if kind == "channel":
            made["channelData"]["channel"] = {"id": conversation.split(";", 1)[0]}
            made["channelData"]["team"] = {"id": team[0], "name": team[1]}
        else:
            made["channelData"].pop("team", None)
            made["channelData"].pop("settings", None)
        return made

    def install(self, user: str = PAT, *, channel: str = LEADS, team: tuple[str, str] = (GENERAL, "Sales")):
        """The app added to a team, into the channel the installer picked (the recorded install's
        shape: the conversation and `settings.selectedChannel` are that channel, `team.id` the team)."""
        activity = self.fill(load("msteams-docs_conversationUpdate_teamMemberAdded.json"), user=user,
                             conversation=channel, team=team)
        activity["membersAdded"] = [{"id": BOT}]
        activity["channelData"]["eventType"] = "teamMemberAdded"
        activity["channelData"]["settings"] = {"selectedChannel": {"id": channel}}
        return self.post(activity)

    def personal_install(self, user: str):
        """The app added to a person's personal chat (the recorded personal membersAdded)."""
        activity = self.fill(load("msteams-docs_conversationUpdate_membersAdded_personal.json"), user=user,
                             conversation=self.personal_chat(user), kind="personal")
        activity["membersAdded"] = [{"id": BOT}, {"id": user, "aadObjectId": f"aad-{user[3:]}"}]
        return self.post(activity)

    def removal(self, how: str = "conversationUpdate", user: str = PAT,
                team: tuple[str, str] = (GENERAL, "Sales")) -> dict:
        """The app removed from a team, as Teams says it: a conversationUpdate whose membersRemoved
        holds the bot (the recorded teamMemberRemoved, on the team's General channel), or an
        installationUpdate with action 'remove' (no recording in the docs: the same envelope with
        the documented `type` and `action`)."""
        activity = self.fill(load("msteams-docs_conversationUpdate_teamMemberRemoved.json"), user=user,
                             conversation=team[0], team=team)
        if how == "conversationUpdate":
            activity["membersRemoved"] = [{"id": BOT}]
        else:
            activity.pop("membersRemoved")
            activity["channelData"].pop("eventType")
            activity.update(type="installationUpdate", action="remove")
        return activity

    def reaction(self, user: str, card_id: str, emoji: str = "like") -> dict:
        activity = self.fill(load("msteams-docs_messageReaction_reactionsAdded.json"), user=user)
        activity["replyToId"] = card_id
        activity["reactionsAdded"] = [{"type": emoji}]
        return activity

    def mention(self, user: str, line: str) -> dict:
        """A channel message @mentioning the bot (the recorded mention message's shape)."""
        activity = self.fill(load("msteams-docs_message_channel_with_mention.json"), user=user,
                             conversation=f"{LEADS};messageid=1481567603816")
        activity.pop("attachments", None)
        activity["text"] = f"<at>Lead follow-up</at> {line}"
        activity["entities"] = [{"type": "mention", "text": "<at>Lead follow-up</at>",
                                 "mentioned": {"id": BOT, "name": "Lead follow-up"}}]
        return activity

    def personal(self, user: str, line: str) -> dict:
        activity = self.fill(load("msteams-docs_message_personal_richtext.json"), user=user,
                             conversation=f"a:1personal-{user[3:]}", kind="personal")
        activity["text"], activity["attachments"] = line, []
        return activity

    def execute(self, user: str, card_id: str, verb: str, data: dict, *, personal: bool = False) -> dict:
        """An Action.Execute press as Teams sends it: an invoke named adaptiveCard/action (the
        envelope of the recorded channel activities, or of the recorded personal message for a
        card in the person's personal chat; value as documented for Universal Actions)."""
        if personal:
            activity = self.fill(load("msteams-docs_message_personal_richtext.json"), user=user,
                                 conversation=self.connector.personal_chat_of(user) or self.personal_chat(user),
                                 kind="personal")
        else:
            activity = self.fill(load("msteams-docs_messageReaction_reactionsAdded.json"), user=user)
        for key in ("reactionsAdded", "legacy", "text", "textFormat", "attachments", "entities"):
            activity.pop(key, None)
        activity.update(type="invoke", name="adaptiveCard/action", replyToId=card_id,
                        value={"action": {"type": "Action.Execute", "verb": verb, "data": data},
                               "trigger": "manual"})
        return activity

    # -- what the fake saw ----------------------------------------------------------------------

    def deliver(self):
        return self.app.services.deliver(self.team_id)

    def card(self, card_id: str) -> dict:
        return self.connector.message(card_id).current["attachments"][0]["content"]

    def card_text(self, card_id: str) -> str:
        parts: list[str] = []

        def walk(node) -> None:
            if isinstance(node, dict):
                for key, value in node.items():
                    if key in ("text", "title", "value") and isinstance(value, str):
                        parts.append(value)
                    else:
                        walk(value)
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        walk(self.card(card_id))
        return "\n".join(parts)

    def personal_chat(self, user: str) -> str:
        return f"a:1personal-{user[3:]}"

    def told(self, user: str) -> list[str]:
        """What the bot said to this person in their personal chat (the one they used, or one it opened)."""
        chats = {self.personal_chat(user), self.connector.personal_chat_of(user)}
        return [p.activity.get("text") or "" for p in self.connector.posted if p.conversation in chats]
