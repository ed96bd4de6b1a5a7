"""Slack as a chat platform (adapters/platform.py): its variables, its chat in the delivery
registry, its routes (or Socket Mode), its doctor line. The SDK is imported only when used."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from adapters.platform import ChatPlatform
from adapters.slack.settings import SlackSettings


class Slack(ChatPlatform):
    name = "slack"
    title = "Slack"
    settings = SlackSettings
    switch = "SLACK_BOT_TOKEN"
    how_to_configure = "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET for Slack"
    reinstall = "reinstall the app in that workspace (/slack/install); its waiting messages then go out"
    shown_defaults = {"slack_api_url": "`https://slack.com/api/`"}
    sdk_loggers = ("slack_sdk", "slack_bolt")
    token_shapes = ((re.compile(r"\bx(?:ox[abposer]|app)-[A-Za-z0-9-]+"), "xox?-(redacted)"),)

    def configured(self, settings: SlackSettings) -> bool:
        return settings.enabled

    def start_problem(self, settings: SlackSettings) -> str | None:
        """A token of the wrong kind, or SECRET_KEYS missing or malformed where tokens are stored."""
        return settings.token_problem() or settings.keys_problem()

    def keeps_tokens(self, settings: SlackSettings) -> bool:
        """Under OAuth each workspace's bot token is stored, sealed."""
        return settings.oauth

    def sealed_columns(self) -> dict[str, tuple[str, ...]]:
        from adapters.slack.oauth import SEALED_COLUMNS

        return SEALED_COLUMNS

    def register(self, platforms, core, settings: SlackSettings) -> None:
        from adapters.slack.services import register_slack

        register_slack(platforms, core, settings)

    def mount(self, web, core, settings: SlackSettings) -> None:
        from adapters.slack.app import create_slack_app
        from adapters.slack.web import mount_slack

        mount_slack(web, create_slack_app(core, settings))

    def connection(self, core, settings: SlackSettings):
        """Socket Mode (SLACK_APP_TOKEN): Slack's events over a socket this process opens, no public URL."""
        if not settings.socket_mode:
            return None
        from adapters.slack.app import create_slack_app
        from adapters.slack.socket import socket_mode_handler

        return socket_mode_handler(create_slack_app(core, settings), settings).start

    def setting_problems(self, settings: SlackSettings) -> list[str]:
        problems = [problem for problem in (settings.token_problem(), settings.keys_problem()) if problem]
        if bool(settings.slack_client_id) != bool(settings.slack_client_secret):
            have, missing = (("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET") if settings.slack_client_id
                             else ("SLACK_CLIENT_SECRET", "SLACK_CLIENT_ID"))
            problems.append(f"{have} is set without {missing}: installs through /slack/install need both "
                            f"(api.slack.com/apps → your app → Basic Information → App Credentials)")
        if settings.enabled and not settings.socket_mode and not settings.slack_signing_secret:
            problems.append("SLACK_SIGNING_SECRET is not set: the web app cannot verify Slack's requests and will not "
                            "start. Copy the Signing Secret from api.slack.com/apps → your app → Basic Information "
                            "(or set SLACK_APP_TOKEN for Socket Mode)")
        try:
            ZoneInfo(settings.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"TIMEZONE={settings.timezone!r} is not a time zone: use an IANA name such as "
                            f"America/Chicago")
        return problems

    def check(self, findings, probe, settings: SlackSettings) -> None:
        from adapters.slack.doctor import check_slack

        check_slack(findings, probe, settings)


SLACK = Slack()
