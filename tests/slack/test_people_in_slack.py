"""People a manager added before they used Slack are recognised there: the first reaction of a
rep added by e-mail claims the lead as that rep (one member, not two). Through the real web
app and Bolt app, signed requests and FakeSlack; on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlmodel import select

from chatbot.leads import tracker
from chatbot.store.db import transaction
from chatbot.store.models import Lead, Member
from chatbot.team import roster
from tests.helpers import incoming
from tests.slack.harness import wait_for

RILEY = "U0REP0009"


def posted(slack) -> tuple[int, str]:
    lead_id = tracker.ingest(slack.core, slack.team_id, incoming()).lead_id
    assert slack.deliver().sent == 1
    return lead_id, slack.fake.calls_to("chat.postMessage")[-1].response["ts"]


def rows_called(core, team_id: int, name: str) -> list[tuple]:
    """Every member row whose name starts with `name` (any case), by id."""
    with transaction(core.engine) as session:
        rows = session.exec(select(Member).where(Member.team_id == team_id).order_by(Member.id)).all()
        return [(m.chat_user_id, m.email, m.role, m.oncall_order, m.active) for m in rows
                if m.name.lower().startswith(name.lower())]


def owner(core, lead_id: int) -> Member | None:
    with transaction(core.engine) as session:
        owner_id = session.get(Lead, lead_id).owner_id
        return session.get(Member, owner_id) if owner_id else None


def test_a_rep_added_by_email_is_matched_when_they_first_react_in_slack(slack):
    slack.fake.add_user(RILEY, name="riley", real_name="Riley Stone", is_admin=False,
                        profile={"display_name": "riley.s", "email": "Riley@Dealer.com"})
    added = roster.add_member(slack.core, slack.team_id, name="Riley", email="riley@dealer.com", oncall_order=2)
    lead_id, ts = posted(slack)

    assert slack.post(slack.reaction(RILEY, ts)).status_code == 200

    wait_for(lambda: owner(slack.core, lead_id) and slack.fake.calls_to("chat.update"))
    assert owner(slack.core, lead_id).id == added.id
    assert rows_called(slack.core, slack.team_id, "Riley") == [(RILEY, "riley@dealer.com", "rep", 2, True)]
    assert [c.args["user"] for c in slack.fake.calls_to("users.info")] == [RILEY]


def test_a_workspace_admin_still_starts_as_a_manager(slack):
    slack.fake.add_user(RILEY, name="riley", real_name="Riley Stone", is_admin=True,
                        profile={"display_name": "riley.s"})
    lead_id, ts = posted(slack)

    slack.post(slack.reaction(RILEY, ts))

    wait_for(lambda: owner(slack.core, lead_id) and slack.fake.calls_to("chat.update"))
    assert rows_called(slack.core, slack.team_id, "riley") == [(RILEY, None, "manager", None, True)]
