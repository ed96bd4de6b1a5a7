"""The Teams app package: manifest.json (schema 1.19) and its two icons, zipped for upload.

`manifest()` builds the manifest from the core's command table (the personal command menu and
the team's @mention suggestions list the same commands Slack offers), so adapters/teams/
manifest.json is what it returns for the placeholder app id, and a test keeps them equal.
`write_package` fills in the real app id (and your host) and writes the zip Teams takes.
The icons are drawn here too (`draw_icons`), as real PNGs, without an imaging library.
"""

from __future__ import annotations

import json
import re
import struct
import zipfile
import zlib
from pathlib import Path

from chatbot.inbound import COMMANDS

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest.json"
COLOR_ICON, OUTLINE_ICON = HERE / "color.png", HERE / "outline.png"
PLACEHOLDER_ID = "00000000-0000-0000-0000-000000000000"
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
HOST = re.compile(r"(?=.{1,253}$)([a-zA-Z0-9-]{1,63}\.)+[a-zA-Z]{2,63}")
ACCENT = "#1F6FEB"
# Teams shows at most 10 commands per list: the ones a rep needs most, in the core's words.
MENU = ("help", "leads", "stalled", "baseline", "oncall", "reps", "claim", "call", "note", "followup")


class PackageError(ValueError):
    """The package cannot be made as asked (an app id that is not a GUID, a host that is not one)."""


def menu_commands() -> list[dict]:
    by_name = {command.name: command for command in COMMANDS}
    listed = []
    for name in MENU:
        if name == "help":
            listed.append({"title": "help", "description": "Every command, with what it takes"})
            continue
        command = by_name[name]
        listed.append({"title": name, "description": f"{command.summary} · {name} {command.usage}".strip()[:128]})
    return listed


def manifest(app_id: str = PLACEHOLDER_ID, host: str | None = None) -> dict:
    made = {
        "$schema": "https://developer.microsoft.com/en-us/json-schemas/teams/v1.19/MicrosoftTeams.schema.json",
        "manifestVersion": "1.19",
        "version": "1.0.0",
        "id": app_id,
        "developer": {"name": "Lead follow-up", "websiteUrl": "https://example.com/lead-followup",
                      "privacyUrl": "https://example.com/lead-followup/privacy",
                      "termsOfUseUrl": "https://example.com/lead-followup/terms"},
        "name": {"short": "Lead follow-up", "full": "Lead follow-up for dealerships"},
        "description": {
            "short": "Every new lead posted, claimed and followed up on time.",
            "full": ("Posts each new sales lead to the team's channel within a second. A rep claims it by reacting "
                     "or pressing Claim, logs calls, texts and e-mails with the card's buttons, and the bot "
                     "escalates when a follow-up promise to the customer lapses."),
        },
        "icons": {"color": COLOR_ICON.name, "outline": OUTLINE_ICON.name},
        "accentColor": ACCENT,
        "bots": [{
            "botId": app_id,
            "scopes": ["team", "personal"],
            "supportsFiles": False,
            "isNotificationOnly": False,
            "commandLists": [{"scopes": ["personal", "team"], "commands": menu_commands()}],
        }],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [host] if host else [],
    }
    return made


def write_package(out: Path, app_id: str, host: str | None = None) -> Path:
    app_id = (app_id or "").strip()
    if not GUID.fullmatch(app_id):
        raise PackageError(f"'{app_id[:60]}' is not an app id like 2f1c...-...: copy the Azure Bot's Microsoft App ID.")
    if host is not None:
        host = host.strip().removeprefix("https://").split("/", 1)[0]
        if not HOST.fullmatch(host):
            raise PackageError(f"'{host[:60]}' is not a host name like bot.dealer.com.")
    out = Path(out)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("manifest.json", json.dumps(manifest(app_id, host), indent=2))
        package.write(COLOR_ICON, COLOR_ICON.name)
        package.write(OUTLINE_ICON, OUTLINE_ICON.name)
    return out


# --- icons -------------------------------------------------------------------------------------


def png(width: int, height: int, pixel) -> bytes:
    """A PNG (8-bit RGBA) from pixel(x, y) -> (r, g, b, a)."""
    rows = b"".join(b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def _mark(u: float, v: float) -> bool:
    """The app's mark in a unit square: a speech bubble with a check mark cut out of it."""
    bubble = (u - 0.5) ** 2 / 0.36 ** 2 + (v - 0.45) ** 2 / 0.3 ** 2 <= 1 or (
        0.28 <= u <= 0.42 and 0.6 <= v <= 0.86 and v - 0.6 <= (0.42 - u) * 1.9)
    check = (abs((v - 0.55) - (u - 0.3)) < 0.05 and 0.3 <= u <= 0.45) or (
        abs((v - 0.6) + (u - 0.45) * 1.2) < 0.05 and 0.45 <= u <= 0.7)
    return bubble and not check


def draw_icons() -> None:
    blue = tuple(int(ACCENT[i:i + 2], 16) for i in (1, 3, 5)) + (255,)
    COLOR_ICON.write_bytes(png(192, 192, lambda x, y: (255, 255, 255, 255) if _mark((x + .5) / 192, (y + .5) / 192)
                               else blue))
    OUTLINE_ICON.write_bytes(png(32, 32, lambda x, y: (255, 255, 255, 255) if _mark((x + .5) / 32, (y + .5) / 32)
                                 else (0, 0, 0, 0)))


if __name__ == "__main__":  # python -m adapters.teams.package: redraw the icons and the manifest
    draw_icons()
    MANIFEST.write_text(json.dumps(manifest(), indent=2) + "\n")
