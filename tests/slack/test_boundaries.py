"""The Slack branch keeps the project's rules: the core imports no chat SDK, and the schema the
migrations build is the one the models describe (including 0003's processed events)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from chatbot.store.db import include_in_migrations

ROOT = Path(__file__).resolve().parents[2]
# chat SDKs (Slack's, Teams' Agents SDK and its predecessor botbuilder), the web framework, the outer layers
FORBIDDEN_IN_THE_CORE = ("slack_bolt", "slack_sdk", "microsoft_agents", "botbuilder", "fastapi", "starlette",
                         "uvicorn", "adapters", "entrypoints")


def test_the_core_imports_no_chat_sdk_and_no_web_framework():
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts) for p in (ROOT / "chatbot").rglob("*.py")
        if "migrations" not in p.parts and p.name != "__init__.py"
    )
    code = ("import sys\n" + "".join(f"import {m}\n" for m in modules)
            + f"print(sorted({{n.split('.')[0] for n in sys.modules}} & {set(FORBIDDEN_IN_THE_CORE)!r}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_no_core_file_names_a_chat_sdk_or_a_web_framework_in_an_import():
    """Also what the core would import only inside a function or only on some path (the import
    above runs just the module level): the Agents SDK (microsoft_agents) as well as botbuilder."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(name for name in imports_of(path)
                                            if name.split(".")[0] in FORBIDDEN_IN_THE_CORE)
        for path in (ROOT / "chatbot").rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_core_names_no_platforms_settings():
    """How to configure Slack or Teams is the composition root's to say (entrypoints/), not the core's."""
    named = [f"{p.relative_to(ROOT)}: {word}" for p in (ROOT / "chatbot").rglob("*.py")
             for word in re.findall(r"\b(?:SLACK|TEAMS)_[A-Z_]+", p.read_text())]
    assert named == []


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_adapters_and_entrypoints_reach_the_data_only_through_core_functions():
    """No adapter opens a transaction or touches the tables: it calls a use case or a read function."""
    forbidden = ("chatbot.store",)
    offenders = {
        str(path.relative_to(ROOT)): sorted(name for name in imports_of(path) if name.startswith(forbidden))
        for path in (ROOT / "adapters").rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


# What adapters may import from the core: its inbound API, and the few modules that are ports or
# types an adapter implements or renders (each with why). Anything else is reached through
# chatbot.inbound, so the rules stay behind it.
ADAPTERS_MAY_IMPORT = {
    "chatbot.inbound": "the one door in: reactions, presses, people, installs, commands, leads in",
    "chatbot.messaging.views": "what a renderer draws: cards, notices, replies",
    "chatbot.messaging.ports": "the ChatPort an adapter implements, its destinations and its failures",
    "chatbot.messaging.phrasebook": "the platform's words for how to do something (a Phrasebook)",
    "chatbot.messaging.platforms": "registering a chat with the platform registry (ChatFor, Platforms)",
    "chatbot.core": "the Core type an adapter is handed",
    "chatbot.errors": "the refusals an adapter maps to its answer (an HTTP status, a form error)",
    "chatbot.secret_keys": "the keys the Slack install store seals tokens with, and its refusal",
    "chatbot.ops.metrics": "the counter a ChatPort adds to when the platform refuses a call",
}


def _core_names(path: Path) -> set[str]:
    """Every core name an adapter imports, anywhere in the file: `from chatbot import inbound`
    gives chatbot.inbound, `from chatbot.inbound import press` chatbot.inbound.press."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] == "chatbot"}


def _allowed(name: str) -> bool:
    return any(name == allowed or name.startswith(allowed + ".") for allowed in ADAPTERS_MAY_IMPORT)


def test_adapters_import_from_the_core_only_its_inbound_api_its_views_and_its_ports():
    offenders = {
        str(path.relative_to(ROOT)): sorted(name for name in _core_names(path) if not _allowed(name))
        for path in (ROOT / "adapters").rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_adapters_import_reader_sees_imports_inside_functions_and_on_several_lines(tmp_path):
    source = ("from chatbot import inbound\n"
              "from chatbot.inbound import (\n    press,\n    Person,\n)\n"
              "def later():\n    import chatbot.leads.tracker\n    from chatbot.team import roster\n")
    (tmp_path / "listener.py").write_text(source)
    names = _core_names(tmp_path / "listener.py")
    assert names == {"chatbot.inbound", "chatbot.inbound.press", "chatbot.inbound.Person",
                     "chatbot.leads.tracker", "chatbot.team.roster"}
    assert sorted(name for name in names if not _allowed(name)) == ["chatbot.leads.tracker", "chatbot.team.roster"]


def test_migrations_build_exactly_the_models_schema(core):
    with core.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "include_name": include_in_migrations})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []
