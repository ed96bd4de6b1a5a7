"""What an import tells its caller: the report of what was read, stored and skipped, or CannotImport."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field


class CannotImport(ValueError):
    """The file cannot be imported at all (no lead id or date column, unknown --map field)."""


@dataclass
class ImportReport:
    rows: int = 0
    leads_new: int = 0
    leads_existing: int = 0
    touches_new: int = 0
    touches_existing: int = 0
    claims_read: int = 0  # leads with an assignment at or after submission in the file
    claims_new: int = 0  # claims stored (new leads, or history leads given an earlier claim)
    reassignments: int = 0  # assignments after a lead's first: read, never its claim
    skipped: Counter = field(default_factory=Counter)  # reason -> rows
    layout: str = ""
    columns: dict[str, str] = field(default_factory=dict)  # field -> the file's column name

    def lines(self) -> list[str]:
        out = [f"{self.rows:,} rows read ({self.layout})",
               f"leads: {self.leads_new:,} new, {self.leads_existing:,} already here",
               f"activities: {self.touches_new:,} new, {self.touches_existing:,} already here",
               self._claims_line()]
        out += [f"skipped, {reason}: {n:,} rows" for reason, n in sorted(self.skipped.items(), key=lambda kv: -kv[1])]
        return out

    def _claims_line(self) -> str:
        if not self.claims_read:
            return "claims: none read (no assignment activities, so no time to claim)"
        line = f"claims: {self.claims_read:,} read (each lead's first assignment), {self.claims_new:,} new"
        if self.reassignments:
            line += f"; {self.reassignments:,} later reassignments do not move them"
        return line
