"""The doctor's report: one line per check (✓, ✗, or – when not checked), and what the checks found
out that later checks need (`Probe`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from entrypoints import config

OK, BAD, SKIP = "✓", "✗", "–"


@dataclass(frozen=True)
class Line:
    mark: str
    check: str
    text: str

    def render(self) -> str:
        return f"{self.mark} {self.check}: {self.text}"


@dataclass
class Report:
    lines: list[Line] = field(default_factory=list)

    def ok(self, check: str, text: str) -> None:
        self.lines.append(Line(OK, check, text))

    def bad(self, check: str, text: str) -> None:
        self.lines.append(Line(BAD, check, text))

    def skip(self, check: str, text: str) -> None:
        self.lines.append(Line(SKIP, check, text))

    @property
    def problems(self) -> int:
        return sum(1 for line in self.lines if line.mark == BAD)


@dataclass
class Probe:
    """What the checks found out that later checks need (adapters/platform.py's `Probe`)."""

    settings: config.ProcessSettings
    url: str | None = None
    engine: object = None
    core: object = None
    reachable: bool = False
    migrated: bool = False
    secrets: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
