"""The chat port on the Bot Connector API (the Agents SDK's ConnectorClient): cards to the
leads channel, notices in the card's reply chain and in personal chats, cards updated in place.

Where to post comes from the conversation references the bot stored when it was installed
(chatbot.messaging.conversations): the team's service URL and tenant, and each personal chat.
A person the bot has no personal chat with yet gets one (POST /v3/conversations), remembered.

Teams throttles bots (429; 412, 502, 503 and 504 are worth another try too): each call is
retried a couple of times with exponential backoff and jitter, honouring Retry-After; after
that, or on any other failure, `ChatUnavailable`, and the outbox keeps the message and tries
again later. A Teams outage delays a card, it never loses a lead.
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import random
import threading
import time
from collections.abc import Callable

import aiohttp
from microsoft_agents.activity import (
    Activity,
    Attachment,
    ChannelAccount,
    ConversationAccount,
    ConversationParameters,
    Entity,
)
from microsoft_agents.hosting.core.connector.client import ConnectorClient

from adapters.teams import cards
from chatbot.messaging import conversations
from chatbot.messaging.ports import Channel, ChatUnavailable, Destination, Direct, MessageRef, Thread
from chatbot.messaging.views import LeadCard, Notice
from chatbot.ops.metrics import chat_api_error

log = logging.getLogger(__name__)
RETRY_STATUSES = frozenset({412, 429, 500, 502, 503, 504})
THREAD_MARK = ";messageid="
TokenSource = Callable[[], "asyncio.Future[str] | str"]


def base_conversation(conversation_id: str) -> str:
    """A channel's conversation id without the reply chain it came in ('19:x@thread.skype')."""
    return conversation_id.split(THREAD_MARK, 1)[0]


def run_async(make_coroutine: Callable[[], object]):
    """Run a coroutine to its end from synchronous code (the outbox, the Courier thread); in a
    thread of its own when this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make_coroutine())
    result: dict = {}

    def run() -> None:
        try:
            result["value"] = asyncio.run(make_coroutine())
        except BaseException as exc:  # noqa: BLE001 - handed back to the caller's thread
            result["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")


def message_for(view: object, name_of: Callable[[str], str | None] | None = None) -> Activity:
    """The activity that shows a view: an Adaptive Card for a lead card, text for a notice."""
    if isinstance(view, LeadCard):
        return Activity(type="message", summary=cards.card_summary(view),
                        attachments=[Attachment(content_type=cards.CONTENT_TYPE, content=cards.lead_card(view))])
    if isinstance(view, Notice):
        text, entities = cards.notice_text(view), None
        if view.mention:
            name = (name_of(view.mention) if name_of else None) or "you"
            shown = f"<at>{name}</at>"
            text = f"{shown} {text}"
            entities = [Entity(type="mention", text=shown, mentioned={"id": view.mention, "name": name})]
        offer = cards.notice_card(view)  # "Take it" on an escalation a colleague or manager reads
        return Activity(type="message", text=cards.clip(text, 20_000), text_format="xml" if entities else "plain",
                        entities=entities,
                        attachments=[Attachment(content_type=cards.CONTENT_TYPE, content=offer)] if offer else [])
    raise TypeError(f"Teams cannot show a {type(view).__name__}")


INLINE_IMAGE_MOST = 30_000  # bytes of PNG a card carries inline; a bigger chart is left out, saying so


def compact_png(png: bytes, colors: int = 32) -> bytes:
    """The same chart in a 32-colour palette: a flat-coloured chart keeps its look at about a
    quarter of the bytes (the sample's 49 KB chart becomes 13 KB), small enough for a card."""
    from PIL import Image  # Pillow comes with matplotlib

    image = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=colors)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def digest_message(view: object, png: bytes) -> Activity:
    """The digest card: its title, its lines, and the chart (or a line saying where it is)."""
    title, lines = getattr(view, "title", ""), list(getattr(view, "lines", ()))
    if len(png) > INLINE_IMAGE_MOST:
        try:
            png = compact_png(png)
        except (OSError, ValueError):  # not an image Pillow reads: leave it out below, saying so
            pass
    body: list[dict] = [{"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": True}]
    body += [{"type": "TextBlock", "text": line or " ", "wrap": True, "spacing": "None",
              "fontType": "Monospace" if line.startswith("  ") else "Default"} for line in lines]
    if len(png) <= INLINE_IMAGE_MOST:
        body.append({"type": "Image", "url": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
                     "altText": "First-contact times and daily medians, last week beside the week before"})
    else:
        body.append({"type": "TextBlock", "wrap": True, "isSubtle": True,
                     "text": "The chart is too large for a Teams card; chatbot digest --out DIR writes it."})
    card = {"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "version": "1.5", "body": body}
    return Activity(type="message", summary=cards.clip(title, 200),
                    attachments=[Attachment(content_type=cards.CONTENT_TYPE, content=card)])


class TeamsChat:
    """ChatPort over the Bot Connector for one team (one tenant), from its stored references."""

    def __init__(self, core, team_id: int, token: Callable[[], object], *, retries: int = 2,
                 max_wait: float = 8.0, sleep: Callable[[float], None] = time.sleep,
                 name_of: Callable[[str], str | None] | None = None) -> None:
        self.core, self.team_id, self._token = core, team_id, token
        self.retries, self.max_wait, self.sleep, self.name_of = retries, max_wait, sleep, name_of

    # -- the port ----------------------------------------------------------------------------

    def post(self, to: Destination, view: object) -> MessageRef:
        service = self._service()
        activity = message_for(view, self.name_of)
        if isinstance(to, Channel):
            conversation = to.channel
        elif isinstance(to, Thread):
            conversation = f"{base_conversation(to.parent.channel)}{THREAD_MARK}{to.parent.message_id}"
        elif isinstance(to, Direct):
            conversation = self._personal_chat(service, to.user_id)
        else:
            raise TypeError(f"unknown destination {to!r}")
        response = self._call(service, lambda client: client.conversations.send_to_conversation(
            conversation, self._addressed(activity, service, conversation)))
        if not response.id:
            raise ChatUnavailable("Teams took the message but gave no id for it")
        return MessageRef(base_conversation(conversation), response.id)

    def update(self, ref: MessageRef, view: object) -> None:
        service = self._service()
        activity = self._addressed(message_for(view, self.name_of), service, ref.channel)
        activity.id = ref.message_id
        self._call(service, lambda client: client.conversations.update_activity(ref.channel, ref.message_id, activity))

    def upload(self, to: Channel, view: object, png: bytes, filename: str) -> MessageRef:
        """The weekly digest as an Adaptive Card, its chart inside as a data: URI when small enough."""
        service = self._service()
        activity = self._addressed(digest_message(view, png), service, to.channel)
        response = self._call(service, lambda client: client.conversations.send_to_conversation(to.channel, activity))
        if not response.id:
            raise ChatUnavailable("Teams took the message but gave no id for it")
        return MessageRef(base_conversation(to.channel), response.id)

    # -- where ------------------------------------------------------------------------------

    def _service(self) -> dict:
        service = conversations.recall(self.core, self.team_id, conversations.SERVICE)
        if not service or not service.get("service_url"):
            raise ChatUnavailable("Teams: the app has not been installed in this team yet (no service URL known)")
        return service

    def _addressed(self, activity: Activity, service: dict, conversation: str) -> Activity:
        activity.conversation = ConversationAccount(id=conversation, tenant_id=service.get("tenant_id"))
        if service.get("bot_id"):
            activity.from_property = ChannelAccount(id=service["bot_id"], name=service.get("bot_name"))
        return activity

    def _personal_chat(self, service: dict, user_id: str) -> str:
        address = conversations.user_address(user_id)
        known = conversations.recall(self.core, self.team_id, address)
        if known and known.get("conversation_id"):
            return known["conversation_id"]
        tenant = service.get("tenant_id")
        parameters = ConversationParameters(
            is_group=False, members=[ChannelAccount(id=user_id)], tenant_id=tenant,
            agent=ChannelAccount(id=service.get("bot_id") or ""),
            channel_data={"tenant": {"id": tenant}} if tenant else None)
        made = self._call(service, lambda client: client.conversations.create_conversation(parameters))
        if not made.id:
            raise ChatUnavailable("Teams did not open a personal chat")
        conversations.remember(self.core, self.team_id, address,
                               {"conversation_id": made.id, "service_url": service["service_url"]})
        return made.id

    # -- how --------------------------------------------------------------------------------

    def _call(self, service: dict, operation):
        """One Connector call, retried on throttling and transient errors; ChatUnavailable at the end
        (counted in chatbot_chat_api_errors_total: `http_<status>` or the kind of connection failure)."""
        attempt = 0
        while True:
            try:
                return run_async(lambda: self._once(service["service_url"], operation))
            except aiohttp.ClientResponseError as exc:
                if exc.status not in RETRY_STATUSES or attempt >= self.retries:
                    chat_api_error("teams", f"http_{exc.status}")
                    raise ChatUnavailable(f"Teams said {exc.status}") from exc
                wait = self._backoff(attempt, exc.headers)
                log.info("Teams answered %s; trying again in %.1f s", exc.status, wait)
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                if attempt >= self.retries:
                    chat_api_error("teams", f"unreachable_{type(exc).__name__}")
                    raise ChatUnavailable(f"Teams unreachable: {type(exc).__name__}") from exc
                wait = self._backoff(attempt, None)
            attempt += 1
            self.sleep(wait)

    def _backoff(self, attempt: int, headers) -> float:
        """Retry-After when Teams says it, else 0.5 s, 1 s, 2 s ...; plus up to 50 % jitter."""
        after = None
        if headers is not None:
            try:
                after = float(headers.get("Retry-After"))
            except (TypeError, ValueError):
                after = None
        base = after if after is not None else 0.5 * 2 ** attempt
        return min(base + random.uniform(0, base / 2), self.max_wait)

    async def _once(self, service_url: str, operation):
        token = self._token()
        if asyncio.iscoroutine(token):
            token = await token
        session = aiohttp.ClientSession(base_url=service_url if service_url.endswith("/") else service_url + "/",
                                        timeout=aiohttp.ClientTimeout(total=15))
        client = ConnectorClient(service_url, token or "", session=session)
        try:
            return await operation(client)
        finally:
            await client.close()
