"""Socket Mode: Slack delivers events over a WebSocket the app opens, so no public URL is needed.

For local use and for dealers without a public host. Set SLACK_APP_TOKEN (xapp-..., with the
connections:write scope) and turn Socket Mode on in the app's settings.
"""

from __future__ import annotations

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler

from adapters.slack.settings import SlackSettings


def socket_mode_handler(app: App, settings: SlackSettings) -> SocketModeHandler:
    """The handler, configured but not connected: call `.start()` (blocks) or `.connect()`."""
    if not settings.slack_app_token:
        raise ValueError("Socket Mode needs SLACK_APP_TOKEN (an app-level xapp- token).")
    return SocketModeHandler(app, app_token=settings.slack_app_token)
