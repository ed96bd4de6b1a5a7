"""A Teams invoke (a card button, Action.Execute) delivered again with the same activity id is
answered 200 with an "already done" card response, and acts once (was part 2 of
failing_slack_interactive_replay.py).

What was wrong: LeadBot.on_turn returned early for a delivery id already seen, so the invoke got no
invoke response and the Agents SDK answered HTTP 501: Teams showed the person an error for a press
that had worked. Now the repeat is answered from on_turn itself.
"""

from __future__ import annotations

from collections import Counter

import pytest

from adapters.teams.bot import ALREADY_DONE
from tests.reliability.conftest import figure
from tests.reliability.test_redelivery import (  # noqa: F401 - fixtures
    POSTGRES,
    TEAMS_KINDS,
    Kind,
    claimed_first,
    installed,
    judge,
    teams,
    teams_call_button,
    teams_claim_button,
    teams_effects,
    teams_send_concurrent,
    teams_send_sequential,
)

INVOKES = [kind for kind in TEAMS_KINDS if kind.name.startswith("invoke")]


def owned_if_needed(kind: Kind, h) -> Kind:
    if kind.name.endswith(("lead:call", "lead:note")):  # actions that need an owner
        return Kind(kind.name, claimed_first(kind, h), kind.expect)
    return kind


@POSTGRES
@pytest.mark.parametrize("kind", INVOKES, ids=lambda k: k.name)
def test_a_repeated_teams_invoke_is_answered_200_and_acts_once(installed, kind):  # noqa: F811
    kind = owned_if_needed(kind, installed)
    statuses = judge(kind.name, "teams", installed, teams_effects,
                     {"sequential": teams_send_sequential, "concurrent": teams_send_concurrent}, kind,
                     settle=lambda: None)  # the Agents SDK answers once the turn has run: all is done
    figure(f"redelivery teams {kind.name} (repeats answered): {dict(sorted(Counter(statuses).items()))}")
    assert Counter(statuses) == {200: len(statuses)}


@pytest.mark.parametrize("core", ["sqlite"], indirect=True)
@pytest.mark.parametrize("prepare", [teams_claim_button, teams_call_button], ids=["lead:claim", "lead:call"])
def test_the_repeat_says_it_was_already_done(installed, prepare):  # noqa: F811
    kind = owned_if_needed(Kind(f"invoke {prepare.__name__}", prepare, lambda d: True), installed)
    activity = kind.prepare(installed)
    first, again = installed.post(activity), installed.post(activity)
    assert first.status_code == again.status_code == 200
    assert first.json()["value"] != ALREADY_DONE
    assert again.json() == {"statusCode": 200, "type": "application/vnd.microsoft.activity.message",
                            "value": ALREADY_DONE}
