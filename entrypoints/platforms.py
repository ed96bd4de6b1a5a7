"""The chat platforms this bot can reach, in the order the README, the doctor and start-up name them.

Each is one object from its adapter (adapters/platform.py's `ChatPlatform`); the entry points
iterate this list: its variables (entrypoints/config.py), its chat in the delivery registry, its
routes on the web app, its doctor checks, the secrets the logs mask. Adding a chat is its folder
under adapters/ and one line here.
"""

from __future__ import annotations

from adapters.slack.plugin import SLACK
from adapters.teams.plugin import TEAMS

PLATFORMS = (SLACK, TEAMS)
