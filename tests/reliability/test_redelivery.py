"""Every Slack event and every Teams activity the app handles, delivered three times, one after
the other and all at once from three threads: one delivery's effect, never more (issue 13).

Slack retries an Events API delivery it did not see acked (same body and event_id, re-signed,
`X-Slack-Retry-Num`); Teams retries an activity (same id). What is counted, by hand, after each
delivery (`effects`): touches, claims (owner, claimed_at), closed leads, attempts, escalations,
outbox messages, delivery ids stored, and what reached the chat: cards posted and updated,
private replies, Home tabs published, modals opened (Slack); activities posted, updated, personal
chats opened, conversation references and members (Teams).

How a kind is judged: the same kind is first delivered once on one lead (its effect, `single`),
then three times on an equal, fresh lead (`triple`); `triple - single` must be zero in every
count. The "three times" is either sequential (the 2nd and 3rd carry Slack's retry headers) or
concurrent (the very same signed request / token from three threads released by a barrier).

Slack's interactive payloads (block_actions, slash commands, view submissions) have no event_id;
the app keys them on their trigger_id: test_slack_replays_act_once.py.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from chatbot.leads import tracker
from chatbot.store.models import ConversationRef, Escalation, Lead, Member, OutboxMessage, ProcessedEvent, Touch
from tests.fakes.slack_signing import signed_request
from tests.fakes.slack_web_api import FakeSlack
from tests.fakes.teams_auth import LocalIssuer
from tests.fakes.teams_connector import FakeConnector
from tests.helpers import incoming
from tests.reliability.conftest import at_once, figure, short_or_long, with_transaction
from tests.slack.harness import ALEX, PAT, SAM, SECRET, SlackHarness
from tests.teams import harness as teams_harness
from tests.teams.harness import TeamsHarness, load

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ROUNDS = short_or_long(1, 8)
"""Short: one triple per kind and mode. Long: eight, each on its own fresh lead."""
COPIES = 3
_names = itertools.count(1)


def fresh(prefix: str):
    """A lead from a new shopper (a returning one would also tell the earlier lead's owner)."""
    n = next(_names)
    return incoming(f"Customer {n}", external_id=f"{prefix}-{n}", phone=f"(312) 555-{n:04d}",
                    email=f"c{n}@example.com")


def db_effects(core) -> Counter:
    def read(s):
        leads = list(s.scalars(select(Lead)))
        return Counter({
            "touches": s.scalar(select(func.count()).select_from(Touch)),
            "escalations": s.scalar(select(func.count()).select_from(Escalation)),
            "outbox": s.scalar(select(func.count()).select_from(OutboxMessage)),
            "outbox sent": s.scalar(select(func.count()).select_from(OutboxMessage)
                                    .where(OutboxMessage.sent_at.is_not(None))),
            "delivery ids": s.scalar(select(func.count()).select_from(ProcessedEvent)),
            "claimed": sum(1 for lead in leads if lead.owner_id is not None),
            "closed": sum(1 for lead in leads if lead.closed_at is not None),
            "attempts": sum(lead.attempts for lead in leads),
            "members": s.scalar(select(func.count()).select_from(Member)),
            "conversation refs": s.scalar(select(func.count()).select_from(ConversationRef)),
        })
    return with_transaction(core, read)


def minus(after: Counter, before: Counter) -> dict[str, int]:
    return {k: after[k] - before[k] for k in set(after) | set(before) if after[k] != before[k]}


def double_effects(single: dict[str, int], triple: dict[str, int]) -> dict[str, int]:
    """What three deliveries did beyond what one did (0 everywhere is the pass)."""
    return {k: triple.get(k, 0) - single.get(k, 0) for k in set(single) | set(triple)
            if triple.get(k, 0) != single.get(k, 0)}


@dataclass(frozen=True)
class Kind:
    name: str
    prepare: Callable  # (harness) -> a delivery: something `send` can post any number of times
    expect: Callable[[dict[str, int]], bool]  # a sanity check on one delivery's effect


# ============================================================================== Slack


@pytest.fixture
def slack(core):
    with FakeSlack() as fake:
        harness = SlackHarness(core, fake)
        for user in (SAM, ALEX, PAT):
            harness.services.ensure_member(harness.team_id, user, harness.client)
        yield harness
        harness.close()
        assert fake.errors == []


def slack_effects(h: SlackHarness) -> Counter:
    with h.fake.lock:
        chat = Counter(c.method for c in h.fake.calls if c.status == 200 and (c.response or {}).get("ok"))
        chat["private replies"] = len(h.fake.ephemeral)
        chat["response_url answers"] = len(h.fake.responses)
    return db_effects(h.core) + chat


def slack_posted_lead(h: SlackHarness) -> tuple[int, str]:
    lead_id = tracker.ingest(h.core, h.team_id, fresh("R")).lead_id
    assert h.deliver().sent >= 1
    with h.fake.lock:
        (ts,) = [c.response["ts"] for c in h.fake.calls if c.method == "chat.postMessage" and c.response.get("ok")
                 and "lead_card" in str(c.args.get("metadata"))
                 and f'"lead_id": {lead_id}' in str(c.args.get("metadata")).replace("'", '"')]
    return lead_id, ts


def slack_event(h: SlackHarness, event: dict) -> dict:
    n = next(_names)
    payload = h.reaction(SAM, "1.0", event_id=f"Ev0REDELIV{n:05d}")
    payload["event"] = event
    return payload


def slack_reaction_added(h):
    _, ts = slack_posted_lead(h)
    return h.reaction(SAM, ts, event_id=f"Ev0REACT{next(_names):05d}")


def slack_reaction_removed(h):
    _, ts = slack_posted_lead(h)
    payload = h.reaction(SAM, ts, event_id=f"Ev0UNREACT{next(_names):05d}")
    payload["event"]["type"] = "reaction_removed"
    return payload


def slack_home_opened(h):
    return slack_event(h, {"type": "app_home_opened", "user": ALEX, "channel": "D0HOME0001", "tab": "home",
                           "event_ts": "1732464000.000100"})


def slack_tokens_revoked(h):
    return slack_event(h, {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["U0OTHERBOT"]},
                           "event_ts": "1732464000.000200"})


def slack_uninstalled(h):
    return slack_event(h, {"type": "app_uninstalled", "event_ts": "1732464000.000300"})


SLACK_KINDS = [
    Kind("reaction_added (claims)", slack_reaction_added,
         lambda d: d.get("claimed") == 1 and d.get("chat.update") == 1 and d.get("private replies") == 1),
    Kind("reaction_removed (acked only)", slack_reaction_removed, lambda d: d.get("claimed") is None),
    Kind("app_home_opened (Home tab)", slack_home_opened, lambda d: d.get("views.publish") == 1),
    Kind("tokens_revoked", slack_tokens_revoked, lambda d: d.get("delivery ids") == 1),
    Kind("app_uninstalled", slack_uninstalled, lambda d: d.get("delivery ids") == 1),
]


def slack_send_sequential(h: SlackHarness, payload, copies: int) -> list[int]:
    """As Slack retries: the same body, signed afresh each time, the retries numbered."""
    statuses = []
    for n in range(copies):
        request = signed_request(payload, SECRET)
        retry = {"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"} if n else {}
        statuses.append(h.http.post("/slack/events", content=request.body.encode(),
                                    headers={**request.headers, **retry}).status_code)
    return statuses


def slack_send_concurrent(h: SlackHarness, payload, copies: int) -> list[int]:
    """The very same signed request from `copies` threads at once."""
    request = signed_request(payload, SECRET)
    return [r.status_code for r in at_once(copies, lambda: h.http.post(
        "/slack/events", content=request.body.encode(), headers=request.headers))]


def judge(name: str, platform: str, harness, effects, senders: dict, kind: Kind,
          settle: Callable[[], None]) -> None:
    """One delivery on one lead, then `COPIES` deliveries on another (one after the other, then
    all at once): each time exactly the single delivery's effect. `settle` returns once whatever
    the deliveries sent so far were going to do is done."""
    def settled():
        settle()
        return effects(harness)

    payload = kind.prepare(harness)
    before = settled()
    statuses = senders["sequential"](harness, payload, 1)
    single = minus(settled(), before)
    assert kind.expect(single), f"{name}: one delivery did {single}"
    for mode, send in senders.items():
        deliveries, doubles = 0, 0
        for _ in range(ROUNDS):
            payload = kind.prepare(harness)
            before = settled()
            statuses += send(harness, payload, COPIES)
            extra = double_effects(single, minus(settled(), before))
            deliveries += COPIES
            doubles += sum(abs(v) for v in extra.values())
            assert extra == {}, f"{name} delivered {COPIES} times ({mode}) did more than once: {extra}"
        figure(f"redelivery {platform} {name} {mode}: {deliveries} deliveries, double effects {doubles}")
    return statuses


POSTGRES = pytest.mark.parametrize("core", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
"""Concurrent deliveries on the production database (its own connections, real row locks)."""


@POSTGRES
def test_every_slack_event_delivered_three_times_has_one_effect(slack):
    for kind in SLACK_KINDS:
        statuses = judge(kind.name, "slack", slack, slack_effects,
                         {"sequential": slack_send_sequential, "concurrent": slack_send_concurrent}, kind,
                         settle=slack.settle)  # Bolt acks first: wait for its listeners
        assert set(statuses) == {200}, (kind.name, statuses)


# ============================================================================== Teams


@pytest.fixture
def teams(core, monkeypatch):
    with LocalIssuer() as issuer, FakeConnector(verify_token=issuer.verify) as connector:
        harness = TeamsHarness(core, connector, issuer, monkeypatch)
        yield harness
        harness.http.close()
        assert connector.errors == []


@pytest.fixture
def installed(teams):
    assert teams.install().status_code == 202
    for user in (teams_harness.SAM, teams_harness.ALEX):
        assert teams.post(teams.mention(user, "reps")).status_code == 202  # on the team first
    for user in (teams_harness.SAM, teams_harness.ALEX):
        assert teams.post(teams.personal(user, "reps")).status_code == 202
    return teams


def teams_effects(h: TeamsHarness) -> Counter:
    c = h.connector
    chat = Counter({"activities posted": len(c.posted), "activities updated": sum(len(p.updates) for p in c.posted),
                    "personal chats opened": len(c.conversations_made)})
    return db_effects(h.core) + chat


def teams_card(h: TeamsHarness) -> tuple[int, str]:
    lead_id = tracker.ingest(h.core, h.team_id, fresh("T")).lead_id
    assert h.deliver().sent >= 1
    return lead_id, h.connector.in_conversation(teams_harness.LEADS)[-1].id


def teams_reaction_added(h):
    _, card = teams_card(h)
    return h.reaction(teams_harness.SAM, card)


def teams_reaction_removed(h):
    _, card = teams_card(h)
    activity = h.reaction(teams_harness.SAM, card)
    activity["reactionsRemoved"] = activity.pop("reactionsAdded")
    return activity


def teams_claim_button(h):
    lead_id, card = teams_card(h)
    return h.execute(teams_harness.ALEX, card, "lead:claim", {"lead": lead_id})


def teams_call_button(h):
    lead_id, card = teams_card(h)
    return h.execute(teams_harness.SAM, card, "lead:call", {"lead": lead_id, "call_detail": "voicemail"})


def teams_note_button(h):
    lead_id, card = teams_card(h)
    return h.execute(teams_harness.SAM, card, "lead:note", {"lead": lead_id, "note_detail": "called back"})


def teams_mention_command(h):
    lead_id, _ = teams_card(h)
    return h.mention(teams_harness.SAM, f"text {lead_id}")


def teams_personal_command(h):
    return h.personal(teams_harness.ALEX, "leads all")


def teams_install(h):
    activity = h.fill(load("msteams-docs_conversationUpdate_teamMemberAdded.json"), user=teams_harness.PAT)
    activity["membersAdded"] = [{"id": teams_harness.BOT}]
    activity["channelData"]["eventType"] = "teamMemberAdded"
    return activity


TEAMS_KINDS = [
    Kind("messageReaction added (claims)", teams_reaction_added,
         lambda d: d.get("claimed") == 1 and d.get("activities updated") == 1),
    Kind("messageReaction removed (acked only)", teams_reaction_removed, lambda d: d.get("claimed") is None),
    Kind("invoke adaptiveCard/action lead:claim", teams_claim_button, lambda d: d.get("claimed") == 1),
    Kind("invoke adaptiveCard/action lead:call", teams_call_button, lambda d: d.get("touches") == 1),
    Kind("invoke adaptiveCard/action lead:note", teams_note_button, lambda d: d.get("touches") == 1),
    Kind("message @mention command (text N)", teams_mention_command,
         lambda d: d.get("touches") == 1 and d.get("activities posted", 0) >= 1),
    Kind("message personal command (leads all)", teams_personal_command, lambda d: d.get("activities posted") == 1),
    Kind("conversationUpdate install", teams_install, lambda d: d.get("activities posted") == 1),
]


def teams_send_sequential(h: TeamsHarness, activity, copies: int) -> list[int]:
    return [h.post(activity).status_code for _ in range(copies)]


def teams_send_concurrent(h: TeamsHarness, activity, copies: int) -> list[int]:
    token = h.issuer.token(service_url=activity.get("serviceUrl"))
    return [r.status_code for r in at_once(copies, lambda: h.post(activity, token=token))]


def claimed_first(kind: Kind, h: TeamsHarness):
    """Actions that need an owner act on a lead Sam has claimed."""
    def prepare(harness):
        activity = kind.prepare(harness)
        lead = with_transaction(harness.core, lambda s: s.scalars(select(Lead).order_by(Lead.id.desc())).first().id)
        tracker.claim(harness.core, harness.team_id, lead, teams_harness.SAM)
        harness.deliver()
        return activity
    return prepare




@POSTGRES
def test_every_teams_activity_delivered_three_times_has_one_effect(installed):
    for kind in TEAMS_KINDS:
        if kind.name.endswith(("lead:call", "lead:note")):
            kind = Kind(kind.name, claimed_first(kind, installed), kind.expect)
        statuses = judge(kind.name, "teams", installed, teams_effects,
                         {"sequential": teams_send_sequential, "concurrent": teams_send_concurrent}, kind,
                         settle=lambda: None)  # the Agents SDK answers once the turn has run: all is done
        figure(f"redelivery teams {kind.name}: answers {dict(sorted(Counter(statuses).items()))}")
        assert all(s < 500 for s in statuses), (kind.name, statuses)
