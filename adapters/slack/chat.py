"""The chat port on Slack's Web API: cards to the leads channel, notices to threads and DMs.

Any failure to deliver (an API error, HTTP 5xx after retries, no connection) becomes
`ChatUnavailable`, so the outbox keeps the message and tries again: a Slack outage delays a
card, it never loses a lead.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from adapters.slack.blocks import render
from chatbot.messaging.ports import Channel, ChatUnavailable, Destination, Direct, MessageRef, Thread


def make_client(token: str | None, base_url: str = "https://slack.com/api/", *, max_retries: int = 2,
                timeout: int = 10) -> WebClient:
    """A WebClient that honours 429 Retry-After and retries 5xx and dropped connections."""
    return WebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=[
        ConnectionErrorRetryHandler(max_retry_count=max_retries),
        RateLimitErrorRetryHandler(max_retry_count=max_retries),
        ServerErrorRetryHandler(max_retry_count=max_retries),
    ])


class SlackChat:
    """ChatPort over one workspace's WebClient."""

    def __init__(self, client: WebClient) -> None:
        self.client = client

    def post(self, to: Destination, view: object) -> MessageRef:
        message = render(view)
        try:
            if isinstance(to, Channel):
                response = self.client.chat_postMessage(channel=to.channel, **message)
            elif isinstance(to, Thread):
                response = self.client.chat_postMessage(channel=to.parent.channel, thread_ts=to.parent.message_id,
                                                        **message)
            elif isinstance(to, Direct):
                channel = self.client.conversations_open(users=to.user_id)["channel"]["id"]
                response = self.client.chat_postMessage(channel=channel, **message)
            else:
                raise TypeError(f"unknown destination {to!r}")
        except (SlackApiError, SlackClientError, OSError) as exc:
            raise ChatUnavailable(_describe(exc)) from exc
        return MessageRef(response["channel"], response["ts"])

    def update(self, ref: MessageRef, view: object) -> None:
        try:
            self.client.chat_update(channel=ref.channel, ts=ref.message_id, **render(view))
        except (SlackApiError, SlackClientError, OSError) as exc:
            raise ChatUnavailable(_describe(exc)) from exc


def _describe(exc: Exception) -> str:
    if isinstance(exc, SlackApiError):
        return f"Slack said {exc.response.status_code}: {exc.response.get('error')}"
    return f"Slack unreachable: {type(exc).__name__}: {exc}"
