"""The lock files are what gets installed: they must keep up with pyproject.toml, pin every
package with its hashes, and be what the README and CI install from."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==(?P<version>[^\s;\\]+)")


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _pins(lock: str) -> dict[str, str]:
    """{package: version} from a hashed requirements file, and a check that each pin has hashes."""
    pins: dict[str, str] = {}
    entries = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / lock).read_text())
    for entry in entries:
        match = PIN.match(entry)
        if not match:
            continue
        assert "--hash=sha256:" in entry, f"{lock}: {match['name']} is pinned without a hash"
        pins[canonicalize_name(match["name"])] = match["version"]
    return pins


@pytest.mark.parametrize("lock, extras", [("requirements.lock", ()), ("requirements-test.lock", ("test",))])
def test_every_dependency_is_pinned_within_the_range_pyproject_allows(lock, extras):
    pins = _pins(lock)
    project = _project()
    wanted = [Requirement(line) for line in project["dependencies"]]
    for extra in extras:
        wanted += [Requirement(line) for line in project["optional-dependencies"][extra]]
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{lock} has no pin for {requirement.name}: make the lock again (README)"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{lock} pins {requirement.name}=={pins[name]}, outside {requirement.specifier}: make the lock again")


def test_the_bot_lock_holds_no_test_tools():
    pins = _pins("requirements.lock")
    assert "pytest" not in pins and "hypothesis" not in pins


def test_floors_stay_above_the_versions_with_published_cves():
    floors = {Requirement(line).name: Requirement(line).specifier for line in _project()["dependencies"]}
    assert not floors["python-multipart"].contains("0.0.17")  # CVE-2024-53981
    assert not floors["starlette"].contains("0.47.1")  # CVE-2025-54121
    assert not floors["h11"].contains("0.15.0")  # CVE-2025-43859


def test_the_readme_and_ci_install_from_the_lock_files():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    run = ("python3 -m venv .venv && .venv/bin/pip install -q -r requirements.lock && "
           ".venv/bin/pip install -q --no-deps -e . && .venv/bin/chatbot")
    test = ("python3 -m venv .venv && .venv/bin/pip install -q -r requirements-test.lock && "
            ".venv/bin/pip install -q --no-deps -e . && .venv/bin/python -m pytest")
    assert run in readme
    assert test in readme
    assert test in ci
