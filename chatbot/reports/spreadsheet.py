"""CSV the product writes, safe to open in a spreadsheet.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel,
LibreOffice and Google Sheets: a customer named `=HYPERLINK("http://evil.example","x")` or a
source `+cmd|' /C calc'!A0` would run on the manager's machine. Such a text cell is written with
a single quote in front (OWASP's rule for CSV injection), which the spreadsheet shows as text.
Only text is touched: a number the product computed (a negative count of seconds, say) is
written as a number and stays one; a text that merely looks like a negative number ("-5" as a
customer's name) came from outside and is quoted like any other text.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """`value` as a spreadsheet reads it literally: a text starting like a formula gets a `'`."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(out: IO[str], columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> None:
    """A header and one line per row, every cell through `cell`: the one way the product writes CSV.

    Lines end in CRLF (RFC 4180): Python's csv module quotes a cell holding any character of the
    line ending, so a name with a carriage return or a line break in it stays one cell."""
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({name: cell(value) for name, value in row.items()} for row in rows)
