"""The chat port on the Bot Connector API (the Agents SDK's ConnectorClient): cards to the
leads channel, notices in the card's reply chain and in personal chats, cards updated in place.

Where to post comes from the conversation references the bot stored when it was installed
(chatbot.messaging.conversations): the team's service URL and tenant, and each personal chat.
A person the bot has no personal chat with yet gets one (POST /v3/conversations), remembered.

Teams throttles bots (429; 412, 500, 502, 503 and 504 are worth another try too): a call is
retried a couple of times with exponential backoff and jitter. Retry-After is kept as given:
the call waits at least that long, or, when it is longer than a call may wait (8 s), gives up
at once and the outbox tries the message again exactly when Teams said. Every
failure becomes the kind that tells the outbox what to do (chatbot.messaging.ports), as on Slack:
- Teams answered with an error about this message (400, a 404 for a card that was deleted ...):
  `ChatUnavailable`, the message backs off on its own;
- Teams refuses the rooftop's channel itself (403 to a post or update there: the app was removed
  from the team; 404 to a post in the channel: no such channel for the bot): `ChatGone`, the
  rooftop is parked until the app is back (chatbot.messaging.access), its messages wait;
- Teams could not be reached (the request never went out), or still answered 5xx or 429 after
  the retries: `ChatDown`, the outbox stops sending to this team and its oldest message probes;
- the request went out and no answer came (timeout, connection closed or reset while waiting):
  `ChatOutcomeUnknown`, Teams may have acted on it. A POST is then never repeated here; an update
  (PUT, the same card again) is.
Teams cannot look for a card already posted (no `find_card`), so a card whose answer was lost is
posted again: at least once. To keep that to one extra card per outage, not one per probe, the
first POST after a lost answer waits until Teams answers a harmless read (the conversation's
members); until then it raises `ChatDown` and posts nothing. A Teams outage delays a card, it
never loses a lead.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import io
import ipaddress
import logging
import random
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

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
from adapters.teams.words import literal, literal_plain, literal_xml
from chatbot.inbound import SERVICE, recall, remember, user_address
from chatbot.messaging.ports import (
    Channel,
    ChatDown,
    ChatGone,
    ChatOutcomeUnknown,
    ChatUnavailable,
    Destination,
    Direct,
    MessageRef,
    Thread,
)
from chatbot.messaging.views import LeadCard, Notice
from chatbot.ops.metrics import chat_api_error

log = logging.getLogger(__name__)
RETRY_STATUSES = frozenset({412, 429, 500, 502, 503, 504})  # Teams busy or failing: try again, then ChatDown
THREAD_MARK = ";messageid="
TokenSource = Callable[[], "asyncio.Future[str] | str"]


def base_conversation(conversation_id: str) -> str:
    """A channel's conversation id without the reply chain it came in ('19:x@thread.skype')."""
    return conversation_id.split(THREAD_MARK, 1)[0]


def host_allowed(url: str, hosts: tuple[str, ...]) -> bool:
    """May the bot send its token to `url` (a serviceUrl)? It must name one of `hosts` (or a
    subdomain), over https; http only to a loopback host (a local Connector)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        credentials = parts.username is not None or parts.password is not None
    except ValueError:
        return False
    if not host or credentials:
        return False
    if not any(host == allowed or host.endswith("." + allowed) for allowed in hosts):
        return False
    return parts.scheme == "https" or (parts.scheme == "http" and _loopback(host))


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


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
        text, entities = literal_plain(cards.notice_text(view)), None
        if view.mention:  # sent as xml: the name and the text are escaped as xml, the <at> tag is ours
            name = (name_of(view.mention) if name_of else None) or "you"
            shown = f"<at>{literal_xml(name)}</at>"
            text = f"{shown} {literal_xml(cards.notice_text(view))}"
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
    body: list[dict] = [{"type": "TextBlock", "text": literal(title), "weight": "Bolder", "wrap": True}]
    body += [{"type": "TextBlock", "text": literal(line) or " ", "wrap": True, "spacing": "None",
              "fontType": "Monospace" if line.startswith("  ") else "Default"} for line in lines]
    if len(png) <= INLINE_IMAGE_MOST:
        body.append({"type": "Image", "url": "data:image/png;base64," + base64.b64encode(png).decode("ascii"),
                     "altText": "First-contact times and daily medians, last week beside the week before"})
    else:
        body.append({"type": "TextBlock", "wrap": True, "isSubtle": True,
                     "text": "The chart is too large for a Teams card; chatbot digest --out DIR writes it."})
    card = {"type": "AdaptiveCard", "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "version": "1.5", "body": body}
    return Activity(type="message", summary=cards.clip(literal_plain(title), 200),
                    attachments=[Attachment(content_type=cards.CONTENT_TYPE, content=card)])


class TeamsChat:
    """ChatPort over the Bot Connector for one team (one tenant), from its stored references."""

    def __init__(self, core, team_id: int, token: Callable[[], object], *, retries: int = 2,
                 max_wait: float = 8.0, sleep: Callable[[float], None] = time.sleep,
                 name_of: Callable[[str], str | None] | None = None, hosts: tuple[str, ...] | None = None) -> None:
        self.core, self.team_id, self._token, self.hosts = core, team_id, token, hosts
        self.retries, self.max_wait, self.sleep, self.name_of = retries, max_wait, sleep, name_of
        self.answer_lost = False  # the last call went out and got no answer: check before posting again

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
        self._answering(service, conversation)
        refused_for_good = {403, 404} if isinstance(to, Channel) else {403} if isinstance(to, Thread) else set()
        with _gone_when(refused_for_good):
            response = self._call(service, "send_to_conversation", lambda client: client.conversations
                                  .send_to_conversation(conversation, self._addressed(activity, service, conversation)))
        if not response.id:
            raise ChatUnavailable("Teams took the message but gave no id for it")
        return MessageRef(base_conversation(conversation), response.id)

    def update(self, ref: MessageRef, view: object) -> None:
        service = self._service()
        activity = self._addressed(message_for(view, self.name_of), service, ref.channel)
        activity.id = ref.message_id
        with _gone_when({403}):  # a 404 is this card gone (deleted), not the channel
            self._call(service, "update_activity", lambda client: client.conversations.update_activity(
                ref.channel, ref.message_id, activity), repeatable=True)

    def upload(self, to: Channel, view: object, png: bytes, filename: str) -> MessageRef:
        """The weekly digest as an Adaptive Card, its chart inside as a data: URI when small enough."""
        service = self._service()
        activity = self._addressed(digest_message(view, png), service, to.channel)
        self._answering(service, to.channel)
        with _gone_when({403, 404}):
            response = self._call(service, "send_to_conversation",
                                  lambda client: client.conversations.send_to_conversation(to.channel, activity))
        if not response.id:
            raise ChatUnavailable("Teams took the message but gave no id for it")
        return MessageRef(base_conversation(to.channel), response.id)

    def team_member_ids(self, team: str) -> set[str]:
        """Who is in a Teams team (GET /v3/conversations/{team id}/members): their ids. Not part of
        the chat port: the Teams adapter asks it when someone it does not know yet opens a personal chat."""
        service = self._service()
        members = self._call(service, "get_conversation_members", lambda client:
                             client.conversations.get_conversation_members(team), repeatable=True)
        return {member.id for member in members or [] if getattr(member, "id", None)}

    # -- where ------------------------------------------------------------------------------

    def _service(self) -> dict:
        service = recall(self.core, self.team_id, SERVICE)
        if not service or not service.get("service_url"):
            raise ChatUnavailable("Teams: the app has not been installed in this team yet (no service URL known)")
        if self.hosts is not None and not host_allowed(service["service_url"], self.hosts):
            # stored before the door checked it: our token goes to Microsoft's hosts only. The next
            # activity from Teams stores the right one and what waits is sent.
            raise ChatUnavailable("Teams: the stored service URL is not on TEAMS_SERVICE_URL_HOSTS",
                                  error="service_url_not_allowed")
        return service

    def _addressed(self, activity: Activity, service: dict, conversation: str) -> Activity:
        activity.conversation = ConversationAccount(id=conversation, tenant_id=service.get("tenant_id"))
        if service.get("bot_id"):
            activity.from_property = ChannelAccount(id=service["bot_id"], name=service.get("bot_name"))
        return activity

    def _personal_chat(self, service: dict, user_id: str) -> str:
        address = user_address(user_id)
        known = recall(self.core, self.team_id, address)
        if known and known.get("conversation_id"):
            return known["conversation_id"]
        tenant = service.get("tenant_id")
        parameters = ConversationParameters(
            is_group=False, members=[ChannelAccount(id=user_id)], tenant_id=tenant,
            agent=ChannelAccount(id=service.get("bot_id") or ""),
            channel_data={"tenant": {"id": tenant}} if tenant else None)
        made = self._call(service, "create_conversation",  # Teams gives back the same chat if asked twice
                          lambda client: client.conversations.create_conversation(parameters), repeatable=True)
        if not made.id:
            raise ChatUnavailable("Teams did not open a personal chat")
        remember(self.core, self.team_id, address,
                               {"conversation_id": made.id, "service_url": service["service_url"]})
        return made.id

    # -- how --------------------------------------------------------------------------------

    def _call(self, service: dict, method: str, operation, *, repeatable: bool = False):
        """One Connector call, retried on throttling, transient errors and connections that never
        opened; a call that went out and got no answer is retried only when `repeatable` (doing it
        twice is harmless). Raises the failure's kind (the module's docstring), counted in
        chatbot_chat_api_errors_total by its code."""
        attempt = 0
        while True:
            try:
                result = run_async(lambda: self._once(service["service_url"], operation))
            except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                failure = _failure(exc, method)
                unknown = isinstance(failure, ChatOutcomeUnknown)
                self.answer_lost = self.answer_lost or unknown
                wait = self._backoff(attempt, failure.retry_after)
                if not isinstance(failure, ChatDown) or (unknown and not repeatable) or attempt >= self.retries \
                        or wait is None:
                    chat_api_error("teams", failure.error)
                    raise failure from exc
                log.info("Teams call failed (%s); trying again in %.1f s", failure.error, wait)
                attempt += 1
                self.sleep(wait)
            else:
                self.answer_lost = False
                return result

    def _answering(self, service: dict, conversation: str) -> None:
        """Before a POST, when the last call's answer was lost: does Teams answer now? Any answer
        to a read of the conversation's members will do; no answer (or 5xx, 429) is `ChatDown`, and
        nothing is posted, so a card whose answer was lost is not posted again on every probe."""
        if not self.answer_lost:
            return
        try:
            run_async(lambda: self._once(service["service_url"], lambda client:
                                         client.conversations.get_conversation_members(base_conversation(conversation))))
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            if not isinstance(exc, aiohttp.ClientResponseError) or exc.status in RETRY_STATUSES:
                failure = _failure(exc, "get_conversation_members")
                chat_api_error("teams", failure.error)
                raise ChatDown(f"Teams is not answering yet ({failure})", method=failure.method, error=failure.error,
                               retry_after=failure.retry_after) from exc
            # any other answer, even an error, says Teams answers again
        self.answer_lost = False

    def _backoff(self, attempt: int, retry_after: float | None) -> float | None:
        """How long to wait before trying again in this call: Retry-After when Teams says it, never
        less, else 0.5 s, 1 s, 2 s ...; plus up to 50 % jitter, within `max_wait`. None when Teams
        asks for longer than `max_wait`: the call gives up at once and the outbox tries again after
        exactly the Retry-After the failure carries, without holding a delivery thread meanwhile."""
        if retry_after is not None:
            if retry_after > self.max_wait:
                return None
            return retry_after + random.uniform(0, min(retry_after / 2, self.max_wait - retry_after))
        base = 0.5 * 2 ** attempt
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


GONE_WORDS = {403: "Teams refuses the bot in the team's channel (HTTP 403): the app was probably removed from the team",
              404: "Teams does not know the team's leads channel (HTTP 404): deleted, or the app is not in its team"}


@contextlib.contextmanager
def _gone_when(statuses: set[int]):
    """A refusal with one of `statuses` is the rooftop's channel refusing us for good: `ChatGone`."""
    try:
        yield
    except ChatUnavailable as failure:
        status = int(failure.error[5:]) if (failure.error or "").startswith("http_") else None
        if isinstance(failure, ChatDown) or status not in statuses:
            raise
        raise ChatGone(GONE_WORDS[status], method=failure.method, error=failure.error) from failure


def _failure(exc: Exception, method: str) -> ChatUnavailable:
    """What a failed Connector call means for the outbox (the module's docstring). No token, no text."""
    if isinstance(exc, aiohttp.ClientResponseError):
        if exc.status in RETRY_STATUSES:
            return ChatDown(f"Teams said {exc.status}", method=method, error=f"http_{exc.status}",
                            retry_after=_retry_after(exc.headers))
        return ChatUnavailable(f"Teams said {exc.status}", method=method, error=f"http_{exc.status}")
    if isinstance(exc, (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)):  # never went out
        return ChatDown(f"Teams unreachable: {type(exc).__name__}", method=method,
                        error=f"unreachable_{type(exc).__name__}")
    return ChatOutcomeUnknown(f"Teams did not answer: {type(exc).__name__}", method=method,
                              error=f"no_answer_{type(exc).__name__}")


def _retry_after(headers) -> float | None:
    try:
        return float(headers.get("Retry-After")) if headers is not None else None
    except (TypeError, ValueError):
        return None
