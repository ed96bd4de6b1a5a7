"""A CSV the product writes never runs in the manager's spreadsheet: a text cell that starts with
= + - @, a tab or a carriage return is written with a quote in front (OWASP's rule for CSV
injection), while the numbers the product computed stay numbers. `chatbot baseline --csv` is the
product's CSV; chatbot/reports/spreadsheet.py is the one way it writes one."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from chatbot.leads import tracker
from chatbot.reports.spreadsheet import cell, write_csv
from chatbot.team import roster
from entrypoints.cli import app
from tests.helpers import new_lead

FORMULAS = {  # what a web form or a provider could send -> what the spreadsheet must be given
    '=HYPERLINK("http://evil.example","x")': '\'=HYPERLINK("http://evil.example","x")',
    "+cmd|' /C calc'!A0": "'+cmd|' /C calc'!A0",
    "=1+1": "'=1+1",
    "-2+3": "'-2+3",
    "@SUM(A1:A9)": "'@SUM(A1:A9)",
    "\t=1+1": "'\t=1+1",
    "\r=1+1": "'\r=1+1",
}


@pytest.mark.parametrize("typed, written", FORMULAS.items())
def test_a_text_that_starts_like_a_formula_is_written_as_text(typed, written):
    assert cell(typed) == written


@pytest.mark.parametrize("value", [0, 12, -5, -1.5, None, "", "Maria Gonzalez", "2026-11-24T10:00:00-06:00",
                                   "O'Neil = 1", " =1+1"])
def test_numbers_and_ordinary_text_are_written_as_they_are(value):
    assert cell(value) == value


def test_a_computed_negative_number_stays_a_number_and_a_typed_one_is_text():
    out = io.StringIO()
    write_csv(out, ("lead_id", "customer", "seconds"), [{"lead_id": 7, "customer": "-5", "seconds": -30}])
    assert out.getvalue() == "lead_id,customer,seconds\r\n7,'-5,-30\r\n"


def test_chatbot_baseline_csv_writes_names_sources_and_reps_as_text(core, team, clock):
    roster.add_member(core, team.id, name="=1+1", chat_user_id="formula-rep")
    typed = list(FORMULAS)
    for n, name in enumerate(typed):
        lead_id = new_lead(core, team, name=name, source=typed[(n + 1) % len(typed)][:80], external_id=f"F-{n}")
        if n == 0:
            tracker.claim(core, team.id, lead_id, "formula-rep")
            clock.advance(timedelta(minutes=3))
            tracker.log_touch(core, team.id, lead_id, "formula-rep", "call")
    clock.advance(timedelta(minutes=1))

    result = CliRunner().invoke(app, ["baseline", "--csv", "--team", "Demo Motors", "--period", "this-week", "--as-of",
                                      clock.now().isoformat(), "--database-url",
                                      core.engine.url.render_as_string(hide_password=False)])

    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout, newline="")))
    assert [row["customer"] for row in rows] == [FORMULAS[name] for name in typed]
    assert [row["source"] for row in rows] == [FORMULAS[typed[(n + 1) % len(typed)]] for n in range(len(typed))]
    assert rows[0]["owner"] == "'=1+1"
    assert (rows[0]["attempts"], rows[0]["seconds_to_first_contact"], rows[0]["within_5_min"]) == ("1", "180", "1")
    dangerous = ("=", "+", "-", "@", "\t", "\r")
    assert not [value for row in rows for value in row.values() if value.startswith(dangerous)]
