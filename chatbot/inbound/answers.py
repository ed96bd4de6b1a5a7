"""What the person who reacted or pressed is told."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Told:
    """What the person is to hear, privately; `refused`: nothing was done, `text` says why."""

    text: str
    refused: bool = False
