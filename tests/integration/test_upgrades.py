"""Upgrading keeps everything: a database at each earlier migration, filled with a team, its people,
leads, touches, escalations and a queued message, is upgraded to the newest and every row reads
as it did, column for column; the tables' new columns get their defaults and the models read the
rows. On an SQLite file and on PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlmodel import select

from chatbot.core import alembic_config, head_revision, known_revisions, upgrade_database
from chatbot.store.db import make_engine, transaction
from chatbot.store.models import Escalation, Lead, Member, OutboxMessage, Team, Touch
from tests.e2e.processes import sibling_database

EARLIER = known_revisions()[:-1]


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, 24, hour, minute, tzinfo=timezone.utc)


# Written by hand, one value per column of the newest schema; at an older revision only the
# columns it has are written. Values are not the defaults, so a migration that reset one shows.
ROWS = {
    "team": [dict(id=1, name="Demo Motors", platform="slack", platform_team_id="T0DEMO", timezone="America/Denver",
                  business_days="mon tue wed thu fri", opens_at="08:30", closes_at="18:00", leads_channel="C0LEADS",
                  managers_channel="C0MGRS", claim_window_s=600, first_contact_window_s=1200,
                  second_contact_window_s=86400, stall_window_s=172800, claim_emoji="raised_hand",
                  playbook="Call within 10 minutes.", phone_region="CA", created_at=at(15))],
    "member": [dict(id=1, team_id=1, name="Sam", chat_user_id="U0SAM", role="rep", oncall_order=1, active=True),
               dict(id=2, team_id=1, name="Pat", chat_user_id="U0PAT", role="manager", oncall_order=None,
                    active=True)],
    "lead": [dict(id=1, team_id=1, source="Cars.com", external_id="L-1", submitted_at=at(16), received_at=at(16, 1),
                  posted_at=at(16, 2), customer_name="Maria Gonzalez", phone="+13125550147",
                  email="maria@example.com", vehicle="2022 Toyota RAV4", comments="Trade-in?",
                  details={"trade_in": "2015 Civic"}, status="open", owner_id=1, claimed_at=at(16, 3),
                  first_contact_at=at(16, 5), second_contact_at=None, last_touch_at=at(16, 9),
                  last_activity_at=at(16, 9), attempts=2, closed_at=None, close_reason=None, due_at=at(18),
                  due_rule="second_contact", due_level=0, chat_channel="C0LEADS", chat_message_id="1732464120.000100",
                  returning_of_id=None, after_hours=False, history=False),
             dict(id=2, team_id=1, source="Website", external_id="W-77", submitted_at=at(17), received_at=at(17),
                  posted_at=None, customer_name="James Carter", phone=None, email="jc@example.com", vehicle=None,
                  comments=None, details={}, status="open", owner_id=None, claimed_at=None, first_contact_at=None,
                  second_contact_at=None, last_touch_at=None, last_activity_at=at(17), attempts=0, closed_at=None,
                  close_reason=None, due_at=at(17, 10), due_rule="claim", due_level=1, chat_channel=None,
                  chat_message_id=None, returning_of_id=1, after_hours=True, history=False)],
    "touch": [dict(id=1, lead_id=1, member_id=1, kind="call", outcome="no_answer", at=at(16, 5), logged_via="button",
                   recorded_at=at(16, 5), external_id=None),
              dict(id=2, lead_id=1, member_id=1, kind="text", outcome=None, at=at(16, 9), logged_via="crm",
                   recorded_at=at(16, 10), external_id="crm-981")],
    "escalation": [dict(id=1, lead_id=2, rule="claim", deadline=at(17, 5), level=1, due_at=at(17, 5),
                        fired_at=at(17, 5), target_member_id=2, target_channel="C0MGRS")],
    "outboxmessage": [dict(id=1, team_id=1, lead_id=2, kind="card", payload={"lead_id": 2}, created_at=at(17),
                           next_attempt_at=at(17, 1), attempts=3, sent_at=None, last_error="channel_not_found")],
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
    else:
        with sibling_database(request.getfixturevalue("postgres_url")) as url:
            yield url


def _value(value, dialect: str):
    if isinstance(value, dict):
        return json.dumps(value)
    if isinstance(value, datetime) and dialect == "sqlite":
        return value.replace(tzinfo=None)  # as the app stores it there: naive UTC
    return value


def fill(engine) -> dict[str, list[str]]:
    """Write ROWS with the columns this revision has; the columns written, per table."""
    schema = inspect(engine)
    written = {table: [c["name"] for c in schema.get_columns(table) if c["name"] in rows[0]]
               for table, rows in ROWS.items()}
    with engine.begin() as connection:
        for table, rows in ROWS.items():
            columns = written[table]
            statement = text(f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
                             f"({', '.join(':' + c for c in columns)})")
            for row in rows:
                connection.execute(statement, {c: _value(row[c], engine.dialect.name) for c in columns})
    return written


def read(engine, written: dict[str, list[str]]) -> dict[str, list[tuple]]:
    with engine.connect() as connection:
        return {table: [tuple(row) for row in connection.execute(
                    text(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id"))]
                for table, columns in written.items()}


@pytest.mark.parametrize("revision", EARLIER)
def test_a_database_at_an_earlier_migration_keeps_every_row_through_the_upgrade(empty_url, revision):
    engine = make_engine(empty_url)
    command.upgrade(alembic_config(engine), revision)
    written = fill(engine)
    before = read(engine, written)

    applied = upgrade_database(engine)

    assert applied == known_revisions()[known_revisions().index(revision) + 1:]
    assert read(engine, written) == before
    assert [len(rows) for rows in before.values()] == [1, 2, 2, 2, 1, 1]
    with transaction(engine) as session:  # the models read every row at the newest schema
        team = session.exec(select(Team)).one()
        maria, james = session.exec(select(Lead).order_by(Lead.id)).all()
        assert (team.name, team.claim_window_s, team.phone_region) == ("Demo Motors", 600, "CA")
        assert (maria.customer_name, maria.owner_id, maria.attempts, maria.details) == \
            ("Maria Gonzalez", 1, 2, {"trade_in": "2015 Civic"})
        assert (maria.claimed_at, maria.due_at) == (at(16, 3), at(18))
        assert (james.customer_name, james.returning_of_id, james.after_hours) == ("James Carter", 1, True)
        assert [(t.kind, t.outcome, t.external_id) for t in session.exec(select(Touch).order_by(Touch.id))] == \
            [("call", "no_answer", None), ("text", None, "crm-981")]
        assert [(e.lead_id, e.rule, e.level, e.target_member_id) for e in session.exec(select(Escalation))] == \
            [(2, "claim", 1, 2)]
        assert [(m.name, m.role) for m in session.exec(select(Member).order_by(Member.id))] == \
            [("Sam", "rep"), ("Pat", "manager")]
        message = session.exec(select(OutboxMessage)).one()
        assert (message.kind, message.payload, message.attempts, message.sent_at) == ("card", {"lead_id": 2}, 3, None)
    engine.dispose()


def test_an_upgrade_with_nothing_to_do_applies_nothing(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    assert upgrade_database(engine) == known_revisions()
    assert upgrade_database(engine) == []
    assert known_revisions()[-1] == head_revision()
    engine.dispose()
