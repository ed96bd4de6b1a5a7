"""The lead card's actions (every one of the core's CARD_ACTIONS, through one path), the
Share button on report answers, and a report row's Nudge (/stalled; its Reassign menu is the
card's lead:reassign, so it takes the card actions' path). Each acts once per interaction: a
copy of a payload delivered again does nothing (`repeated`)."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from adapters.slack.blocks import (
    AWAY_ACTION,
    BACK_ACTION,
    CARD_ACTION_PREFIX,
    NUDGE_ACTION,
    SHARE_ACTION,
    action_modal,
    card_action_for,
    card_action_id,
    control_of,
    customer_of,
    home_view,
    read_lead_value,
    reply_message,
)
from adapters.slack.words import PHRASES, literal
from chatbot.inbound import (
    Act,
    Caller,
    CardAction,
    Person,
    first_delivery,
    nudge,
    press,
    refusal_before_asking,
    run_command,
)

CARD_ACTIONS_PATTERN = re.compile("^" + re.escape(CARD_ACTION_PREFIX))
# Buttons on cards posted before the card's actions came from the core's list: same actions.
OLD_ACTION_IDS = {"touch_call": Act.CALL, "touch_text": Act.TEXT, "touch_email": Act.EMAIL,
                  "touch_appointment": Act.APPOINTMENT, "close_won": Act.WON, "close_lost": Act.LOST}
log = logging.getLogger(__name__)
UNREADABLE = "That button's lead could not be read, so nothing was done. Use the buttons on the lead's card."


def tell(client: WebClient, channel: str | None, user: str, text: str) -> None:
    """Say something to one person only: privately in the channel they acted in, else by DM.
    `text` is the core's plain text (it names customers): shown literally."""
    text = literal(text)
    if channel:
        try:
            client.chat_postEphemeral(channel=channel, user=user, text=text)
            return
        except SlackApiError as exc:  # not a channel the bot is in (or not theirs): say it directly
            log.info("chat.postEphemeral in %s failed (%s); telling %s by DM", channel,
                     exc.response.get("error"), user)
    client.chat_postMessage(channel=user, text=text)


def repeated(services, payload: dict) -> bool:
    """Whether this interactive payload (block_actions, slash command, view_submission) was
    delivered before. Slack gives each interaction its own trigger_id, and a copy of the payload
    (a proxy's retry, a replay within the signature's 5 minutes) carries the same one; the first
    delivery records it, as events.once does with the Events API's event_id."""
    trigger_id = payload.get("trigger_id")
    return bool(trigger_id) and not first_delivery(services.core, f"slack:{trigger_id}")


def fits(action: CardAction, detail: str | None) -> bool:
    """Whether a control's detail is one the card offered: a choice of the action's choices, a
    person for 'rep', nothing for a plain button (a call without an outcome is a call)."""
    control = control_of(action)
    if detail is None:
        return True
    return control == "rep" or (control == "choices" and detail in action.choices)


def run_card_action(services, client: WebClient, slack_team_id: str | None, user: str, action: CardAction,
                    lead_id: int, detail: str | None, *, answer: Callable[[str], None],
                    refuse: Callable[[str], None]) -> bool:
    """The one path of every card action: do it as this person in the core, `answer` them (or
    `refuse` them with the core's sentence: nothing changed), then deliver the card update and
    any notice the core queued (a new owner is told). True when it was done."""
    team_id = services.team_id(slack_team_id)
    told = press(services.core, team_id, Person(user), lead_id, action.act, detail,
                 describe=services.describer(user, client))
    if told.refused:
        refuse(told.text)
        return False
    answer(told.text)
    services.deliver(client, team_id)
    return True


def register(app: App, services) -> None:
    def card_action(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
        """A control on a lead card: a button (value: lead id) or a select (value: lead id|detail)."""
        ack()
        if repeated(services, body):
            return
        user = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        action_id = action.get("action_id")
        wanted = card_action_for(action_id) or card_action_for(card_action_id(OLD_ACTION_IDS.get(action_id, "")))
        value = action.get("value") if "value" in action else (action.get("selected_option") or {}).get("value")
        read = read_lead_value(value)
        if wanted is None or read is None or not fits(wanted, read[1]):
            tell(client, channel, user, UNREADABLE)
            return
        lead_id, detail = read
        if control_of(wanted) == "modal":  # it asks for words: a form, whose submission runs it (views.py)
            team_id = services.team_id(context.team_id)
            refused = refusal_before_asking(services.core, team_id, Person(user), lead_id, wanted.act,
                                            services.describer(user, client))
            if refused:  # say no now, not after they have typed the reason
                tell(client, channel, user, refused)
                return
            client.views_open(trigger_id=body["trigger_id"],
                              view=action_modal(wanted, lead_id, customer_of(body.get("message")), channel))
            return

        def say(text: str) -> None:
            tell(client, channel, user, text)

        run_card_action(services, client, context.team_id, user, wanted, lead_id, detail, answer=say, refuse=say)

    def share(ack: Ack, body: dict, action: dict, context: BoltContext, respond: Respond) -> None:
        """Post a report someone ran privately to the channel, recomputed now."""
        ack()
        if repeated(services, body):
            return
        team_id = services.team_id(context.team_id)
        user = body["user"]["id"]
        reply = run_command(services.core, Caller(team_id, user), action.get("value") or "", PHRASES)
        if reply.refused:
            respond(text=literal(reply.text), response_type="ephemeral", replace_original=False)
            return
        shared = reply_message(reply)["text"]
        respond(text=f"<@{user}> shared {literal(PHRASES.command(action['value']))}:\n{shared}",
                response_type="in_channel", replace_original=False)

    def nudge_owner(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
        """A report row's Nudge: the core queues a direct message to the lead's owner; the
        manager is told privately, and the outbox delivers the DM."""
        ack()
        if repeated(services, body):
            return
        user = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
        read = read_lead_value(action.get("value"))
        if read is None or read[1] is not None:
            tell(client, channel, user, UNREADABLE)
            return
        team_id = services.team_id(context.team_id)
        told = nudge(services.core, team_id, Person(user), read[0], services.describer(user, client))
        tell(client, channel, user, told.text)
        if not told.refused:
            services.deliver(client, team_id)

    def availability(ack: Ack, body: dict, action: dict, context: BoltContext, client: WebClient) -> None:
        """The Home tab's I'm away / I'm back: the same core commands as /followup away and back;
        the tab is redrawn with the answer on top."""
        ack()
        if repeated(services, body):
            return
        user = body["user"]["id"]
        team_id = services.team_id(context.team_id)
        services.ensure_member(team_id, user, client)
        said = run_command(services.core, Caller(team_id, user), "away" if action["action_id"] == AWAY_ACTION
                           else "back", PHRASES)
        leads = run_command(services.core, Caller(team_id, user), "leads", PHRASES)
        client.views_publish(user_id=user, view=home_view(leads, said.text))

    app.action(AWAY_ACTION)(availability)
    app.action(BACK_ACTION)(availability)
    app.action(NUDGE_ACTION)(nudge_owner)
    app.action(CARD_ACTIONS_PATTERN)(card_action)
    for old in OLD_ACTION_IDS:
        app.action(old)(card_action)
    app.action(SHARE_ACTION)(share)
