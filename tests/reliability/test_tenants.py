"""Two dealerships in one deployment: A on Slack, B on Teams, one database, each with its own
intake keys and chat. Every read and every command is tried across, both ways: 0 reads of the
other's data, 0 writes to the other's rows (issue 13).

Tried by A against B: A's intake key delivering a lead with B's source and id and logging a CRM
touch on B's lead; A's rep and A's manager pressing every card control (every card action, Take
it, Nudge; buttons, selects, modals and their submissions) with B's lead id; reacting to B's card
(B's conversation and message id); every work command with B's lead id (/followup claim, call,
text, email, appt, note, won, lost, release, reassign, take, nudge) and the reports (/leads all,
/baseline, /stalled, /oncall, /followup reps, settings, ladder). The same by B (Teams) against A:
Action.Execute with A's lead id for every action, @mention commands, personal-chat reports.

Judged by: B's rows (its team, members, leads, touches, escalations, outbox, keys, references)
identical before and after, and nothing identifying B's customers (name, phone, e-mail, source
id) in anything A was told (ephemeral replies, response_url answers, posts, Home views, modals);
and the mirror image for B.
"""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import SQLModel

from chatbot.intake import apikeys
from chatbot.leads import tracker
from chatbot.leads.actions import CARD_ACTIONS
from chatbot.store.models import Lead
from entrypoints.web import create_web_app
from tests.fakes.slack_web_api import FakeSlack
from tests.fakes.teams_auth import LocalIssuer
from tests.fakes.teams_connector import FakeConnector
from tests.helpers import incoming
from tests.reliability.conftest import figure, with_transaction
from tests.slack.harness import ALEX, LEADS, PAT, SAM, SlackHarness
from tests.teams import harness as teams_harness
from tests.teams.harness import TeamsHarness

pytestmark = [pytest.mark.filterwarnings("ignore::DeprecationWarning"),
              pytest.mark.parametrize("core", [pytest.param("postgres", marks=pytest.mark.postgres)],
                                      indirect=True)]

A_CUSTOMER = dict(name="Alma Aardvark", source="Cars.com", external_id="A-SECRET-1", phone="(312) 555-0111",
                  email="alma@a-dealer.example.com")
B_CUSTOMER = dict(name="Bruno Bonaventure", source="Cars.com", external_id="B-SECRET-2", phone="(773) 555-0222",
                  email="bruno@b-dealer.example.com")


def marks(customer: dict) -> list[str]:
    """What would give a customer away in a reply."""
    digits = "".join(c for c in customer["phone"] if c.isdigit())
    return [customer["name"], customer["name"].split()[1], customer["external_id"], customer["email"],
            digits[-7:], customer["phone"]]


def team_rows(core, team_id: int) -> dict[str, list[str]]:
    """Every row that belongs to one team: its own, its leads', its members'."""
    out: dict[str, list[str]] = {}
    with core.engine.connect() as connection:
        leads = [r[0] for r in connection.execute(select(Lead.id).where(Lead.team_id == team_id))]
        for table in SQLModel.metadata.sorted_tables:
            columns = table.columns
            if table.name == "team":
                query = select(table).where(columns.id == team_id)
            elif "team_id" in columns:
                query = select(table).where(columns.team_id == team_id)
            elif "lead_id" in columns:
                query = select(table).where(columns.lead_id.in_(leads or [-1]))
            else:
                continue
            out[table.name] = sorted(repr(tuple(row)) for row in connection.execute(query))
    return out


@pytest.fixture
def deployment(core, monkeypatch):
    with FakeSlack() as fake, LocalIssuer() as issuer, FakeConnector(verify_token=issuer.verify) as connector:
        a = SlackHarness(core, fake)
        b = TeamsHarness(core, connector, issuer, monkeypatch)
        assert b.install().status_code == 202
        for user in (teams_harness.SAM, teams_harness.ALEX):
            assert b.post(b.mention(user, "reps")).status_code == 202  # on the team first
        for user in (teams_harness.SAM, teams_harness.ALEX):
            assert b.post(b.personal(user, "reps")).status_code == 202
        for user in (SAM, ALEX, PAT):
            a.services.ensure_member(a.team_id, user, a.client)
        yield a, b
        a.close()
        b.http.close()
        assert fake.errors == [] and connector.errors == []


def lead_for(core, team_id: int, customer: dict) -> int:
    return tracker.ingest(core, team_id, incoming(customer["name"], source=customer["source"],
                                                  external_id=customer["external_id"], phone=customer["phone"],
                                                  email=customer["email"])).lead_id


def slack_said(fake) -> str:
    """Everything the Slack side was told or shown, as one text."""
    with fake.lock:
        return json.dumps([fake.ephemeral, fake.responses, fake.messages, fake.home_views, fake.opened_views],
                          default=str)


def teams_said(connector, answers: list[str]) -> str:
    return json.dumps([[p.activity for p in connector.posted], [p.updates for p in connector.posted], answers],
                      default=str)


def test_nothing_crosses_between_two_dealerships_in_one_deployment(deployment, core):
    a, b = deployment
    a_lead, b_lead = lead_for(core, a.team_id, A_CUSTOMER), lead_for(core, b.team_id, B_CUSTOMER)
    assert a.services.deliver(a.client, a.team_id).sent == 1 and b.deliver().sent >= 1
    a_ts = a.fake.calls_to("chat.postMessage")[-1].response["ts"]
    b_card = b.connector.in_conversation(teams_harness.LEADS)[-1].id
    tracker.claim(core, a.team_id, a_lead, SAM)
    tracker.claim(core, b.team_id, b_lead, teams_harness.SAM)
    a.services.deliver(a.client, a.team_id)
    b.deliver()
    a_key = apikeys.create_key(core, a.team_id, "a-crm")
    b_key = apikeys.create_key(core, b.team_id, "b-crm")
    web = TestClient(create_web_app(core))

    # ---------------------------------------------------------------- A against B
    b_before, tried = team_rows(core, b.team_id), 0
    # intake: A's key with B's lead's source and id; a touch on B's lead; B's key is not A's
    made = web.post("/intake/leads", headers={"Authorization": f"Bearer {a_key.key}"},
                    json={"source": B_CUSTOMER["source"], "external_id": B_CUSTOMER["external_id"],
                          "customer": {"name": "Someone at A"}})
    assert made.status_code == 201 and made.json()["lead_id"] != b_lead  # a new lead of A's, not B's
    touch = web.post("/intake/touches", headers={"Authorization": f"Bearer {a_key.key}"},
                     json={"source": B_CUSTOMER["source"], "external_id": B_CUSTOMER["external_id"], "kind": "call",
                           "at": "2026-11-24T10:05:00-06:00", "rep": teams_harness.SAM})
    assert touch.status_code in (404, 422), touch.text
    assert B_CUSTOMER["name"] not in made.text + touch.text
    tried += 2
    # every card control, as A's rep and as A's manager, with B's lead id
    for user in (SAM, PAT):
        for action in CARD_ACTIONS:
            control = f"lead:{action.act}"
            values = [str(b_lead)]
            if action.choices:
                values = [f"{b_lead}|{choice}" for choice in list(action.choices)[:1]]
            elif action.asks == "rep":
                values = [f"{b_lead}|{ALEX}"]
            for value in values:
                payload = a.button(user, a_ts, control, value)
                payload["message"] = a.card(a_ts)
                assert a.post(payload).status_code == 200
                tried += 1
            if action.asks and not action.choices and action.asks != "rep":  # a modal: submit it too
                view = {"id": "V0CROSS001", "type": "modal", "callback_id": control,
                        "private_metadata": f"{b_lead}|{LEADS}", "title": {"type": "plain_text", "text": "x"},
                        "blocks": []}
                a.post(a.view_submission(user, view, {"detail": {"detail_input": {"value": "bought elsewhere"}}}))
                tried += 1
        for control in ("lead:take", "report:nudge"):
            a.post(a.button(user, a_ts, control, str(b_lead)))
            tried += 1
        # a reaction on B's card, by its Teams address
        reaction = a.reaction(user, b_card, channel=teams_harness.LEADS)
        assert a.post(reaction).status_code == 200
        tried += 1
        # every work command with B's lead id, and every report
        for line in (f"claim {b_lead}", f"call {b_lead} reached", f"text {b_lead}", f"email {b_lead}",
                     f"appt {b_lead}", f"note {b_lead} from A", f"won {b_lead}", f"lost {b_lead} price",
                     f"release {b_lead}", f"reassign {b_lead} <@{ALEX}>", f"take {b_lead}", f"nudge {b_lead}",
                     "reps", "settings", "ladder", "leads all"):
            assert a.post(a.command(user, "/followup", line)).status_code == 200
            tried += 1
        for command, text in (("/leads", "all"), ("/leads", ""), ("/baseline", ""), ("/baseline", "30d by rep"),
                              ("/baseline", "by source"), ("/stalled", ""), ("/oncall", "")):
            assert a.post(a.command(user, command, text)).status_code == 200
            tried += 1
    a.settle()  # every Slack listener of the requests above has finished
    a.services.deliver(a.client, a.team_id)
    b_changed = {t: rows for t, rows in team_rows(core, b.team_id).items() if rows != b_before.get(t)}
    told_a = slack_said(a.fake)  # all of it: A's Slack is never to show anything of B's
    leaked_to_a = [m for m in marks(B_CUSTOMER) if m in told_a]
    figure(f"tenants A (Slack) against B (Teams): {tried} cross-tenant requests "
           f"(intake, {len(CARD_ACTIONS)} card actions + take + nudge as rep and manager, modals, reaction, "
           f"12 work commands, 11 reports), B's tables changed {len(b_changed)}, B's data in A's replies "
           f"{len(leaked_to_a)}")
    assert b_changed == {}, f"A's requests changed B's rows: {list(b_changed)}"
    assert leaked_to_a == [], f"A was shown B's {leaked_to_a}"
    assert len(a.fake.responses) + len(a.fake.ephemeral) > 0  # A was answered (refusals), just not with B's data

    # ---------------------------------------------------------------- B against A
    a_before, tried = team_rows(core, a.team_id), 0
    answers: list[str] = []
    made = web.post("/intake/leads", headers={"Authorization": f"Bearer {b_key.key}"},
                    json={"source": A_CUSTOMER["source"], "external_id": A_CUSTOMER["external_id"],
                          "customer": {"name": "Someone at B"}})
    assert made.status_code == 201 and made.json()["lead_id"] != a_lead
    touch = web.post("/intake/touches", headers={"Authorization": f"Bearer {b_key.key}"},
                     json={"source": A_CUSTOMER["source"], "external_id": A_CUSTOMER["external_id"], "kind": "text",
                           "at": "2026-11-24T10:05:00-06:00", "rep": SAM})
    assert touch.status_code in (404, 422), touch.text
    answers += [made.text, touch.text]
    tried += 2
    for user in (teams_harness.SAM, teams_harness.PAT):
        for action in [*CARD_ACTIONS, None]:
            verb = f"lead:{action.act}" if action else "lead:take"
            data = {"lead": a_lead, "call_detail": "reached", "note_detail": "from B", "lost_detail": "price",
                    "reassign_detail": teams_harness.ALEX}
            response = b.post(b.execute(user, b_card, verb, data))
            assert response.status_code == 200
            answers.append(response.text)
            tried += 1
        for line in (f"claim {a_lead}", f"call {a_lead}", f"note {a_lead} from B", f"won {a_lead}",
                     f"release {a_lead}", f"nudge {a_lead}", "leads all", "baseline", "baseline by rep",
                     "stalled", "oncall", "reps"):
            assert b.post(b.mention(user, line)).status_code == 202
            assert b.post(b.personal(user, line)).status_code == 202
            tried += 2
    a_changed = {t: rows for t, rows in team_rows(core, a.team_id).items() if rows != a_before.get(t)}
    told_b = teams_said(b.connector, answers)  # all of it: B's Teams is never to show anything of A's
    leaked_to_b = [m for m in marks(A_CUSTOMER) if m in told_b]
    figure(f"tenants B (Teams) against A (Slack): {tried} cross-tenant requests (intake, every Action.Execute "
           f"verb as rep and manager, 12 commands by mention and in a personal chat), A's tables changed "
           f"{len(a_changed)}, A's data in B's replies {len(leaked_to_b)}")
    assert a_changed == {}, f"B's requests changed A's rows: {list(a_changed)}"
    assert leaked_to_b == [], f"B was shown A's {leaked_to_b}"

    # and each still works for itself (the refusals above were about the other team, not broken)
    mine = with_transaction(core, lambda s: s.get(Lead, b_lead))
    assert mine.owner_id is not None and mine.team_id == b.team_id
