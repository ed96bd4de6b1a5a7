"""Shared by the reliability suites (issue 13): the short/long switch, the real Slack and Teams
apps on one core, what a test counts, and the figures each suite prints at the end of a run.

Short by default (CI); `RELIABILITY_LONG=1` runs the long version of each suite (more
deliveries, longer outages, more schemathesis examples). The figures a run measured are printed
under "reliability figures" in pytest's summary; docs/RELIABILITY.md quotes them.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlmodel import SQLModel

from chatbot.store.db import transaction

LONG = os.environ.get("RELIABILITY_LONG", "") not in ("", "0")
"""RELIABILITY_LONG=1: the long versions (minutes, not seconds)."""


def short_or_long(short, long):
    return long if LONG else short


# ---------------------------------------------------------------------------------- figures

_FIGURES: list[str] = []
_LOCK = threading.Lock()


def figure(line: str) -> None:
    """One measured figure, printed in the run's summary (and quoted in docs/RELIABILITY.md)."""
    with _LOCK:
        _FIGURES.append(line)


def pytest_terminal_summary(terminalreporter) -> None:
    if _FIGURES:
        terminalreporter.section(f"reliability figures ({'long' if LONG else 'short'} version)")
        for line in _FIGURES:
            terminalreporter.write_line(line)


# ---------------------------------------------------------------------------------- counting


def every_row(core) -> dict[str, list[str]]:
    """Every row of every table, as plain tuples: a refused request must leave this as it was."""
    out: dict[str, list[tuple]] = {}
    with core.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            rows = connection.execute(select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = [repr(tuple(row)) for row in rows]
    return out


def rows_changed(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, int]:
    """Table -> how many rows were added, removed or changed between two `every_row`s."""
    changed = {}
    for name in after:
        diff = Counter(after[name])
        diff.subtract(Counter(before.get(name, [])))
        n = sum(abs(v) for v in diff.values())
        if n:
            changed[name] = n
    return changed


def at_once(n: int, send: Callable[[], Any]) -> list[Any]:
    """`send()` from `n` threads released together; their results (an exception is re-raised)."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = send()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


def with_transaction(core, fn):
    with transaction(core.engine) as session:
        return fn(session)
