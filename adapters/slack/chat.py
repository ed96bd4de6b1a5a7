"""The chat port on Slack's Web API: cards to the leads channel, notices to threads and DMs.

Every failure to deliver becomes a `ChatUnavailable`, so the outbox keeps the message and tries
again (a Slack outage delays a card, it never loses a lead), of the kind that tells the outbox
what to do (chatbot.messaging.ports, docs/RELIABILITY.md):
- Slack answered with an error about this message (`channel_not_found`, `invalid_blocks`, ...):
  `ChatUnavailable`, the message backs off on its own;
- Slack could not be reached (the request never went out), answered 5xx, or rate limited us
  after the client's own retries: `ChatDown`;
- the request went out and no answer came (read timeout, connection reset or closed before the
  answer): `ChatOutcomeUnknown`, Slack may have posted it. The client never retries those by
  itself, and a lead card carries its lead id in the message's metadata
  (event_type `lead_card`), so `find_card` can find it in the channel's history. A look Slack
  refuses for good (`missing_scope`, `not_in_channel`, ...) counts as "not found": rather than
  stall the channel, that card is posted (at least once) and the look logged `card_lookup_refused`.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from http.client import HTTPException
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from adapters.slack.blocks import render
from adapters.slack.words import literal
from chatbot.messaging.ports import (
    Channel,
    ChatDown,
    ChatOutcomeUnknown,
    ChatUnavailable,
    Destination,
    Direct,
    MessageRef,
    Pace,
    Thread,
)
from chatbot.messaging.views import LeadCard, Notice
from chatbot.ops.metrics import chat_api_error

log = logging.getLogger(__name__)

CARD_EVENT = "lead_card"  # message metadata event_type of a lead's card; event_payload {"lead_id": N}
HISTORY_PAGES, HISTORY_PAGE = 3, 200  # how far back find_card looks: the newest 600 messages
# Slack: about one message per second per channel, short bursts allowed (docs.slack.dev, chat.postMessage)
SLACK_PACE = Pace(per_second=1.0, burst=3)
# Slack errors that say Slack itself is failing, not that this message is wrong
SERVICE_ERRORS = {"ratelimited", "fatal_error", "internal_error", "service_unavailable", "request_timeout"}


def make_client(token: str | None, base_url: str = "https://slack.com/api/", *, max_retries: int = 2,
                timeout: int = 10) -> WebClient:
    """A WebClient that honours 429 Retry-After and retries 5xx and connections that never opened.

    A connection that drops after the request went out is *not* retried here: Slack may have
    acted on it (a second chat.postMessage would be a second card). urllib wraps failures while
    sending in URLError; failures while waiting for the answer surface unwrapped.
    """
    return WebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=[
        ConnectionErrorRetryHandler(max_retry_count=max_retries, error_types=[URLError]),
        RateLimitErrorRetryHandler(max_retry_count=max_retries),
        ServerErrorRetryHandler(max_retry_count=max_retries),
    ])


class SlackChat:
    """ChatPort over one workspace's WebClient."""

    pace = SLACK_PACE

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def post(self, to: Destination, view: object) -> MessageRef:
        message = render(view)
        if isinstance(view, LeadCard):
            message["metadata"] = {"event_type": CARD_EVENT, "event_payload": {"lead_id": view.lead_id}}
        method = "chat.postMessage"
        try:
            if isinstance(to, Channel):
                response = self.client.chat_postMessage(channel=to.channel, **message)
            elif isinstance(to, Thread):
                # A notice that names nobody (an unclaimed lead) is for the whole channel: show it there too.
                broadcast = {"reply_broadcast": True} if isinstance(view, Notice) and not view.mention else {}
                response = self.client.chat_postMessage(channel=to.parent.channel, thread_ts=to.parent.message_id,
                                                        **broadcast, **message)
            elif isinstance(to, Direct):
                method = "conversations.open"
                channel = self.client.conversations_open(users=to.user_id)["channel"]["id"]
                method = "chat.postMessage"
                response = self.client.chat_postMessage(channel=channel, **message)
            else:
                raise TypeError(f"unknown destination {to!r}")
        except (SlackApiError, SlackClientError, OSError, HTTPException) as exc:
            raise _failure(exc, method) from exc
        return MessageRef(response["channel"], response["ts"])

    def update(self, ref: MessageRef, view: object) -> None:
        message = render(view)
        if isinstance(view, LeadCard):
            message["metadata"] = {"event_type": CARD_EVENT, "event_payload": {"lead_id": view.lead_id}}
        try:
            self.client.chat_update(channel=ref.channel, ts=ref.message_id, **message)
        except (SlackApiError, SlackClientError, OSError, HTTPException) as exc:
            raise _failure(exc, "chat.update") from exc

    def find_card(self, to: Channel, lead_id: int) -> MessageRef | None:
        """The lead's card among the channel's newest messages, by the metadata it was posted with."""
        try:
            return next(self._cards(to, lead_id), None)
        except (SlackApiError, SlackClientError, OSError, HTTPException) as exc:
            failure = _failure(exc, "conversations.history")
            if isinstance(failure, ChatDown):  # 5xx, 429, timeout: look again once Slack answers
                raise failure from exc
            # Slack refused the look (missing_scope, not_in_channel, ...) and will go on refusing it:
            # waiting would stall the channel for good, so the card is posted (at least once).
            log.warning("card_lookup_refused channel=%s lead=%d error=%s then=post_at_least_once",
                        to.channel, lead_id, failure.error)
        return None

    def lead_cards(self, to: Channel, lead_id: int) -> list[MessageRef]:
        """Every card of the lead among the channel's newest messages, oldest first."""
        try:
            return list(self._cards(to, lead_id))[::-1]  # history comes newest first
        except (SlackApiError, SlackClientError, OSError, HTTPException) as exc:
            raise _failure(exc, "conversations.history") from exc

    def _cards(self, to: Channel, lead_id: int) -> Iterator[MessageRef]:
        """The lead's top-level cards in the newest HISTORY_PAGES pages of history, newest first."""
        cursor = None
        for _ in range(HISTORY_PAGES):
            page = self.client.conversations_history(channel=to.channel, limit=HISTORY_PAGE,
                                                     include_all_metadata=True, cursor=cursor)
            for message in page.get("messages", []):
                metadata = message.get("metadata") or {}
                if (metadata.get("event_type") == CARD_EVENT and not message.get("thread_ts")
                        and (metadata.get("event_payload") or {}).get("lead_id") == lead_id):
                    yield MessageRef(page.get("channel") or to.channel, message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not page.get("has_more") or not cursor:
                return

    def delete(self, ref: MessageRef) -> None:
        """chat.delete; a message already gone (`message_not_found`) is what was wanted."""
        try:
            self.client.chat_delete(channel=ref.channel, ts=ref.message_id)
        except SlackApiError as exc:
            if exc.response.get("error") != "message_not_found":
                raise _failure(exc, "chat.delete") from exc
        except (SlackClientError, OSError, HTTPException) as exc:
            raise _failure(exc, "chat.delete") from exc

    def reactions(self, ref: MessageRef) -> list[tuple[str, str]]:
        """(user, reaction name) on a message (reactions.get), in Slack's order: each reaction's
        users as they came, reactions in the order they were first added."""
        try:
            message = self.client.reactions_get(channel=ref.channel, timestamp=ref.message_id).get("message") or {}
        except (SlackApiError, SlackClientError, OSError, HTTPException) as exc:
            raise _failure(exc, "reactions.get") from exc
        return [(user, reaction.get("name") or "") for reaction in message.get("reactions") or []
                for user in reaction.get("users") or []]

    def upload(self, to: Channel, view: object, png: bytes, filename: str) -> MessageRef:
        """The weekly digest with its chart: one file in the channel, the digest as its message
        (files_upload_v2: files.getUploadURLExternal, the upload, files.completeUploadExternal)."""
        title, lines = getattr(view, "title", ""), getattr(view, "lines", ())
        comment = "\n".join([f"*{literal(title)}*", *(literal(line) for line in lines)])
        try:
            response = self.client.files_upload_v2(channel=to.channel, file=png, filename=filename, title=title,
                                                   initial_comment=comment, request_file_info=False)
        except (SlackApiError, SlackClientError, OSError, HTTPException) as exc:
            raise _failure(exc, "files.uploadV2") from exc
        uploaded = response.get("file") or (response.get("files") or [{}])[0]
        return MessageRef(to.channel, uploaded.get("id", ""))


def _failure(exc: Exception, method: str) -> ChatUnavailable:
    """What a failed call means for the outbox (see the module's docstring), counted in
    chatbot_chat_api_errors_total by its code. No token, no text."""
    failure = _classify(exc, method)
    chat_api_error("slack", failure.error)
    return failure


def _classify(exc: Exception, method: str) -> ChatUnavailable:
    if isinstance(exc, SlackApiError):
        status, error = exc.response.status_code, exc.response.get("error") or "unknown"
        retry_after = exc.response.headers.get("Retry-After") or exc.response.headers.get("retry-after")
        described = f"Slack said {status}: {error}"
        if status >= 500 or status == 429 or error in SERVICE_ERRORS:
            return ChatDown(described, method=method, error=f"http_{status}_{error}" if status != 200 else error,
                            retry_after=float(retry_after) if retry_after else None)
        return ChatUnavailable(described, method=method, error=error)
    if isinstance(exc, URLError):  # never got the request out (refused, DNS, connect timeout)
        reason = exc.reason
        name = type(reason).__name__ if isinstance(reason, BaseException) else "url_error"
        return ChatDown(f"Slack unreachable: {name}", method=method, error=f"unreachable_{name}")
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return ChatOutcomeUnknown("Slack did not answer in time", method=method, error="timeout")
    if isinstance(exc, (ConnectionError, HTTPException)):  # reset or closed while waiting for the answer
        return ChatOutcomeUnknown(f"Slack dropped the connection: {type(exc).__name__}", method=method,
                                  error=f"dropped_{type(exc).__name__}")
    return ChatDown(f"Slack unreachable: {type(exc).__name__}", method=method, error=type(exc).__name__)
