"""The bot's turn handlers, one small method per kind of Teams activity, each calling the core.

- conversationUpdate / installationUpdate: the app added to a team (its rooftop, made the first
  time: the channel the installer picked becomes the leads channel, the installer the first
  manager; greet there), or to a personal chat (it serves the rooftops the person is on, or says
  to add the app to a team first; it makes no rooftop and no manager); the app removed from a
  team (its rooftop is parked and its managers told: chatbot.messaging.access) or from a
  personal chat (forgotten). Any other activity from a parked rooftop's team resumes it.
- message (an @mention in a channel, or a personal chat): a core command; the reply is a card.
- messageReaction on a lead card: the first reaction claims it; others hear who has it, privately.
- invoke adaptiveCard/action (Action.Execute): one of the core's card actions (Claim among
  them); the person is answered in the invoke's response, the card is updated for everyone by the outbox.

The core is synchronous (SQLAlchemy); each call runs in a worker thread so the event loop
stays free. Nothing here decides who may do what: the core does, once.
"""

from __future__ import annotations

import asyncio
import logging
from http import HTTPStatus

from microsoft_agents.activity import (
    Activity,
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    Attachment,
    InvokeResponse,
)
from microsoft_agents.hosting.core import ActivityHandler, TurnContext

from adapters.teams import cards
from adapters.teams.chat import base_conversation
from adapters.teams.services import TeamsServices, picked_channel
from adapters.teams.words import PHRASES, literal_plain, to_core_text
from chatbot.inbound import Caller, Person, app_installed, first_delivery, press, reaction_on_message, run_command
from chatbot.messaging.ports import Direct
from chatbot.messaging.views import Notice

log = logging.getLogger(__name__)
MESSAGE_RESPONSE = "application/vnd.microsoft.activity.message"
UNREADABLE = "That button's lead could not be read, so nothing was done. Use the buttons on the lead's card."
WELCOME = ("Lead follow-up is here. New leads are posted in this channel: react to a card or press Claim "
           "to take it, and log each call, text and e-mail with the card's buttons. Type @mention help for the "
           "commands.")
WELCOME_ELSEWHERE = ("Lead follow-up is here. New leads are posted in the channel set for them in this team, not "
                     "this one: react to a card or press Claim to take it, and log each call, text and e-mail with "
                     "the card's buttons. Type @mention help for the commands.")
ADD_TO_A_TEAM = ("Lead follow-up works for a sales team: add it to your team first (Apps, Manage your apps, Lead "
                 "follow-up, Add to a team) and pick the channel for new leads, or @mention it in a channel of a "
                 "team that has it. Then this chat answers your commands and brings your private notices.")
PERSONAL_WELCOME = ("Hi {name}. This chat brings you private notices about your leads at {rooftops}. Type help "
                    "for the commands.")
SEVERAL_ROOFTOPS = ("You are on {count} rooftops: {rooftops}. A command typed here cannot tell which one you mean: "
                    "@mention Lead follow-up in that rooftop's channel instead.")
NOT_YOURS = "That lead is not on a rooftop you are on, so nothing was done."
SORRY = "Something went wrong on our side. Try again in a minute."
ALREADY_DONE = "Already done: that press was taken care of the first time."


def card_message(content: dict, summary: str | None = None) -> Activity:
    return Activity(type="message", summary=literal_plain(summary) if summary else None,
                    attachments=[Attachment(content_type=cards.CONTENT_TYPE, content=content)])


class LeadBot(ActivityHandler):
    def __init__(self, services: TeamsServices) -> None:
        self.services = services

    async def core(self, function, *args, **kwargs):
        return await asyncio.to_thread(function, *args, **kwargs)

    async def on_turn(self, turn_context: TurnContext):
        activity = turn_context.activity
        if activity.id and not await self.core(first_delivery, self.services.core,
                                                f"teams:{activity.conversation.id}:{activity.id}:{activity.type}"):
            if activity.type == ActivityTypes.invoke:  # Teams waits for an answer (none would be a 501)
                await turn_context.send_activity(invoke_answer(answer(ALREADY_DONE)))
            return  # Teams retried a delivery we already acted on
        removal = is_removal(activity)
        team_id = await self.core(self.services.rooftop, activity, create=not removal)
        turn_context.turn_state["team_id"] = team_id
        await self.core(self.services.remember, team_id, activity)
        if team_id is not None and not removal and await self.core(self.services.back, team_id) \
                and not is_install(activity):  # an install delivers after its welcome (the Courier else)
            await self._deliver(team_id)  # the app is there again: what waited goes out
        await super().on_turn(turn_context)

    def _team(self, turn_context: TurnContext) -> int | None:
        """The rooftop of the team the activity came from; None in a personal chat."""
        return turn_context.turn_state["team_id"]

    async def _deliver(self, team_id: int) -> None:
        await self.core(self.services.deliver, team_id)

    async def _tell(self, team_id: int, user_id: str, text: str) -> None:
        """Say something to one person only: in their personal chat with the bot."""
        try:
            await self.core(self.services.chat(team_id).post, Direct(user_id), Notice(text=text))
        except Exception as exc:  # noqa: BLE001 - a reply that did not go out is logged, never raised
            log.warning("Teams: could not tell a person privately (%s)", type(exc).__name__)

    # -- install ----------------------------------------------------------------------------

    async def on_members_added_activity(self, members_added, turn_context: TurnContext):
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        if not any(member.id == bot_id for member in members_added or []):
            return  # someone joined the team; they are added when they first act
        team_id = self._team(turn_context)
        if team_id is None:
            await self._personal_install(turn_context)
            return
        installer = activity.from_property
        here = await self.core(app_installed, self.services.core, team_id,
                               Person(installer.id, installer.name) if installer is not None else None,
                               picked_channel(activity), self.services.settings.teams_leads_channel)
        await turn_context.send_activity(card_message(cards.text_card(WELCOME if here else WELCOME_ELSEWHERE),
                                                      "Lead follow-up is here"))
        await self._deliver(team_id)  # leads that waited for the install

    async def _personal_install(self, turn_context: TurnContext) -> None:
        """The app added to a personal chat: no rooftop and no manager; it serves the person's rooftops."""
        activity = turn_context.activity
        rooftops = await self.core(self.services.rooftops_of, activity, ask_teams=True)
        if not rooftops:
            said = ADD_TO_A_TEAM
        else:
            name = (activity.from_property.name if activity.from_property else None) or "there"
            said = PERSONAL_WELCOME.format(name=name, rooftops=", ".join(r.name for r in rooftops))
        await turn_context.send_activity(card_message(cards.text_card(said), said[:200]))

    async def on_members_removed_activity(self, members_removed, turn_context: TurnContext):
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        if any(member.id == bot_id for member in members_removed or []):
            await self._removed(turn_context)

    async def on_installation_update_remove(self, turn_context: TurnContext):
        await self._removed(turn_context)

    async def _removed(self, turn_context: TurnContext) -> None:
        """The app removed from a team (its rooftop parked, managers told) or a personal chat."""
        team_id = self._team(turn_context)
        if team_id is not None:
            await self.core(self.services.removed, team_id)
        elif turn_context.activity.conversation and turn_context.activity.conversation.conversation_type == "personal":
            await self.core(self.services.forget_personal_chat, turn_context.activity)

    # -- commands ---------------------------------------------------------------------------

    async def on_message_activity(self, turn_context: TurnContext):
        activity = turn_context.activity
        if activity.from_property is None:
            return
        team_id = self._team(turn_context)
        user = activity.from_property
        if team_id is None:  # a personal chat: the rooftop the person is on, if exactly one
            rooftops = await self.core(self.services.rooftops_of, activity, ask_teams=True)
            if len(rooftops) != 1:
                said = ADD_TO_A_TEAM if not rooftops else SEVERAL_ROOFTOPS.format(
                    count=len(rooftops), rooftops=", ".join(r.name for r in rooftops))
                await turn_context.send_activity(card_message(cards.text_card(said), said[:200]))
                return
            team_id = rooftops[0].id
        bot_id = activity.recipient.id if activity.recipient else None
        line = to_core_text(activity.text, [e.model_dump(by_alias=True, exclude_none=True)
                                            for e in activity.entities or []], bot_id)
        await self.core(self.services.ensure_member, team_id, user.id, user.name)
        reply = await self.core(run_command, self.services.core, Caller(team_id, user.id), line or "help", PHRASES)
        await turn_context.send_activity(card_message(cards.reply_card(reply), reply.lines[0][:200]
                                                      if reply.lines else None))
        await self._deliver(team_id)

    # -- claim by reaction -----------------------------------------------------------------

    async def on_reactions_added(self, message_reactions, turn_context: TurnContext):
        activity = turn_context.activity
        if activity.from_property is None or not activity.reply_to_id or activity.conversation is None:
            return
        user = activity.from_property
        if activity.recipient and user.id == activity.recipient.id:
            return
        team_id = self._team(turn_context)
        if team_id is None or not message_reactions:
            return  # lead cards live in a team's channel; and something must have been reacted
        told = await self.core(reaction_on_message, self.services.core, team_id,
                               base_conversation(activity.conversation.id), activity.reply_to_id,
                               message_reactions[0].type or "", Person(user.id, user.name))
        if told is None:
            return  # not a lead card, or an emoji that does not claim here
        await self._tell(team_id, user.id, told.text)
        if not told.refused:
            await self._deliver(team_id)

    async def on_reactions_removed(self, message_reactions, turn_context: TurnContext):
        """Taking a reaction back does not release the lead (the card's Release does)."""

    # -- the card's buttons ------------------------------------------------------------------

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        """Action.Execute is read here, from the raw value, so a malformed press gets our sentence."""
        if turn_context.activity.name != "adaptiveCard/action":
            return await super().on_invoke_activity(turn_context)
        value = turn_context.activity.value if isinstance(turn_context.activity.value, dict) else {}
        action = value.get("action") if isinstance(value.get("action"), dict) else {}
        return invoke_response(await self.card_action(turn_context, action))

    async def card_action(self, turn_context: TurnContext, action: dict) -> AdaptiveCardInvokeResponse:
        activity = turn_context.activity
        act = cards.act_of(action.get("verb")) if action.get("type") == "Action.Execute" else None
        data = action.get("data")
        lead_id = cards.read_lead(data)
        if act is None or lead_id is None or activity.from_property is None:
            return answer(UNREADABLE)
        team_id = self._team(turn_context)
        user = activity.from_property
        if team_id is None:  # a button in a personal chat ("Take it"): the lead's rooftop, if the person is on it
            team_id = await self.core(self.services.personal_rooftop, activity, lead_id)
            if team_id is None:
                return answer(NOT_YOURS)
        detail = data.get(cards.detail_id(act)) if isinstance(data, dict) else None
        detail = detail if isinstance(detail, str) and detail.strip() else None
        told = await self.core(press, self.services.core, team_id, Person(user.id, user.name), lead_id, act, detail)
        if not told.refused:
            await self._deliver(team_id)
        return answer(told.text)


def is_install(activity) -> bool:
    """Does this activity say the app was added (the bot among the members added, or Teams'
    installationUpdate 'add' that comes with it)?"""
    if activity.type == ActivityTypes.installation_update:
        return (activity.action or "").startswith("add")
    bot_id = activity.recipient.id if activity.recipient else None
    return activity.type == ActivityTypes.conversation_update and any(
        member.id == bot_id for member in activity.members_added or [])


def is_removal(activity) -> bool:
    """Does this activity say the app was taken away (from a team or a personal chat)?"""
    if activity.type == ActivityTypes.installation_update:
        return (activity.action or "").startswith("remove")
    bot_id = activity.recipient.id if activity.recipient else None
    return activity.type == ActivityTypes.conversation_update and any(
        member.id == bot_id for member in activity.members_removed or [])


def invoke_response(said: AdaptiveCardInvokeResponse) -> InvokeResponse:
    return InvokeResponse(status=int(HTTPStatus.OK), body=said.model_dump(mode="json", by_alias=True, exclude_none=True))


def invoke_answer(said: AdaptiveCardInvokeResponse) -> Activity:
    """The invoke's answer sent from on_turn itself (the SDK returns it as the HTTP response)."""
    return Activity(type=ActivityTypes.invoke_response,
                    value=invoke_response(said).model_dump(mode="json", by_alias=True, exclude_none=True))


def answer(text: str) -> AdaptiveCardInvokeResponse:
    """What the person who pressed the button reads (only they see an invoke's response)."""
    return AdaptiveCardInvokeResponse(status_code=int(HTTPStatus.OK), type=MESSAGE_RESPONSE, value=literal_plain(text))
