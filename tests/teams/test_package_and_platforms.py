"""The Teams app package validates against the manifest schema and lists the core's commands;
`chatbot teams-package` writes it; Slack and Teams run side by side, each team through its own
platform; the core imports no Teams SDK."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from adapters.teams import package
from adapters.teams.services import register_teams
from chatbot.commands import COMMANDS
from chatbot.leads import tracker
from chatbot.messaging.platforms import Platforms, deliver_all
from chatbot.team import roster
from entrypoints.cli import app
from tests.fakes.chat import FakeChat
from tests.helpers import incoming
from tests.teams.harness import LEADS

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "tests/fixtures/teams/MicrosoftTeams.schema.v1.19.json").read_text())
APP_ID = "2f1c3d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f"


def manifest_errors(manifest: dict) -> list[str]:
    validator = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(manifest)]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_the_shipped_manifest_is_valid_and_is_what_the_generator_makes():
    shipped = json.loads(package.MANIFEST.read_text())
    assert manifest_errors(shipped) == []
    assert shipped == package.manifest(), "regenerate with: python -m adapters.teams.package"


def test_the_command_menu_comes_from_the_core_command_table():
    names = {command.name for command in COMMANDS} | {"help"}
    listed = package.manifest()["bots"][0]["commandLists"][0]["commands"]
    assert [c["title"] for c in listed] == list(package.MENU) and set(package.MENU) <= names
    leads = next(c for c in listed if c["title"] == "leads")
    assert "[all | @rep]" in leads["description"]


def test_teams_package_fills_in_the_app_id_and_writes_a_zip_with_real_icons(tmp_path):
    out = tmp_path / "app.zip"
    result = CliRunner().invoke(app, ["teams-package", "--app-id", APP_ID, "--host", "bot.dealer.com",
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(out) as made:
        assert sorted(made.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(made.read("manifest.json"))
        assert png_size(made.read("color.png")) == (192, 192)
        assert png_size(made.read("outline.png")) == (32, 32)
    assert manifest_errors(manifest) == []
    assert manifest["id"] == manifest["bots"][0]["botId"] == APP_ID
    assert manifest["validDomains"] == ["bot.dealer.com"]


@pytest.mark.parametrize("args", [["--app-id", "not-a-guid"], ["--app-id", APP_ID, "--host", "not a host"]])
def test_teams_package_refuses_what_teams_would_refuse(tmp_path, args):
    result = CliRunner().invoke(app, ["teams-package", *args, "--out", str(tmp_path / "x.zip")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert not (tmp_path / "x.zip").exists()


def test_slack_and_teams_side_by_side_each_team_through_its_own_platform(teams, connector):
    teams.install()
    slack_chat = FakeChat()
    platforms = register_teams(Platforms.of(slack=lambda team: slack_chat), teams.app.services)
    slack_team = roster.ensure_team(teams.core, name="Other Rooftop", platform="slack", platform_team_id="T0SLACK",
                                    leads_channel="C0LEADS")
    tracker.ingest(teams.core, slack_team.id, incoming(name="Slack Shopper", external_id="S-1"))
    tracker.ingest(teams.core, teams.team_id, incoming(name="Teams Shopper", external_id="T-1"))
    assert deliver_all(teams.core, platforms).sent == 2
    assert [p.activity["attachments"][0]["content"]["body"][0]["text"] for p in connector.in_conversation(LEADS)
            if p.activity.get("attachments") and "Shopper" in json.dumps(p.activity)] == ["New lead #2: Teams Shopper"]
    assert [card.customer_name for card in slack_chat.cards()] == ["Slack Shopper"]


def test_the_core_imports_no_teams_sdk():
    code = ("import sys, pkgutil, importlib, chatbot\n"
            "for m in pkgutil.walk_packages(chatbot.__path__, 'chatbot.'):\n"
            "    'migrations' in m.name or importlib.import_module(m.name)\n"
            "print(sorted({n.split('.')[0] for n in sys.modules} & {'microsoft_agents', 'aiohttp', 'msal'}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
