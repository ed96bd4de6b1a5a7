"""The on-call handoff notice (escalation/handoffs.py), on SQLite and PostgreSQL: a running shift
gets one row and one notice however many ticks see it, none while no shift runs, each team on
its own hours and handoff time, none for a team with nobody on call; a notice the chat could not
take goes through the outbox when it can, and not at all once its shift is over."""

from __future__ import annotations

from datetime import datetime

from alembic import command
from sqlalchemy import bindparam, text
from sqlmodel import select

from chatbot.core import alembic_config, upgrade_database
from chatbot.escalation import handoffs
from chatbot.messaging.platforms import Platforms, deliver_all
from chatbot.messaging.ports import ChatDown, Direct, MessageRef
from chatbot.store.db import UTCDateTime, transaction
from chatbot.store.models import OncallHandoff, OutboxMessage
from chatbot.team import roster
from tests.conftest import CHICAGO


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=CHICAGO)


class Recorder:
    def __init__(self) -> None:
        self.direct: list[str] = []
        self.down = False

    def post(self, to, view) -> MessageRef:
        if self.down:
            raise ChatDown("503", error="http_503")
        if isinstance(to, Direct):
            self.direct.append(to.user_id)
        return MessageRef("c", str(len(self.direct)))

    def update(self, ref, view) -> None:
        pass


def sweep_handoffs(core, platforms) -> list[int]:
    """The worker tick's part for handoffs: plan the running shifts' notices, deliver the outbox;
    returns the ids of the rows planned now."""
    planned = handoffs.sweep_handoffs(core)
    deliver_all(core, platforms)
    return planned


def rows(core) -> list[tuple[int, str, bool]]:
    with transaction(core.engine) as session:
        return [(r.team_id, r.day.isoformat(), r.sent_at is not None)
                for r in session.exec(select(OncallHandoff).order_by(OncallHandoff.team_id, OncallHandoff.day))]


def test_each_running_shift_gets_one_notice_each_team_on_its_own_hours(core, team, clock):
    early = roster.ensure_team(core, name="Early Motors", platform="console", platform_team_id="T2",
                               leads_channel="#leads2", oncall_handoff="17:00")
    for order, name in enumerate(["Kim", "Lee"], start=1):
        roster.add_member(core, early.id, name=name, chat_user_id=name.lower(), oncall_order=order)
    nobody = roster.ensure_team(core, name="No Rotation Motors", platform="console", platform_team_id="T3")
    roster.add_member(core, nobody.id, name="Solo", chat_user_id="solo")  # not in an on-call rotation
    chat = Recorder()
    platforms = Platforms.one_chat(chat)

    clock.set(at(24, 10))  # Tuesday, open: Demo Motors has no shift running; Early Motors' runs 17:00 to 17:00
    assert len(sweep_handoffs(core, platforms)) == 1
    assert sweep_handoffs(core, platforms) == []
    assert rows(core) == [(early.id, "2026-11-23", True)]

    clock.set(at(24, 17, 30))  # Early Motors' next shift has begun, Demo Motors' not yet
    for _ in range(3):
        sweep_handoffs(core, platforms)
    assert rows(core) == [(early.id, "2026-11-23", True), (early.id, "2026-11-24", True)]

    clock.set(at(24, 19, 30))  # now Demo Motors' too
    for _ in range(3):
        sweep_handoffs(core, platforms)
    assert rows(core) == [(team.id, "2026-11-24", True), (early.id, "2026-11-23", True),
                          (early.id, "2026-11-24", True)]
    assert len(chat.direct) == 3

    clock.set(at(25, 8))  # still the night's shifts: nothing new
    sweep_handoffs(core, platforms)
    assert len(rows(core)) == 3

    clock.set(at(25, 19, 5))  # Wednesday evening: the next shift of each
    sweep_handoffs(core, platforms)
    sweep_handoffs(core, platforms)
    assert rows(core)[1] == (team.id, "2026-11-25", True) and rows(core)[-1] == (early.id, "2026-11-25", True)
    assert len(rows(core)) == 5 and len(chat.direct) == 5


def test_a_handoff_the_chat_could_not_take_goes_once_it_can_and_not_after_its_shift(core, team, clock):
    chat = Recorder()
    platforms = Platforms.one_chat(chat)
    chat.down = True
    clock.set(at(24, 19, 30))  # Tuesday: the shift began at 19:00
    assert len(sweep_handoffs(core, platforms)) == 1 and chat.direct == []
    chat.down = False
    clock.set(at(24, 19, 31))
    assert sweep_handoffs(core, platforms) == []  # planned once; the outbox retries it
    assert chat.direct == ["sam"] and rows(core) == [(team.id, "2026-11-24", True)]

    chat.down = True
    clock.set(at(25, 19, 30))  # Wednesday's shift: its notice waits while the chat is down...
    sweep_handoffs(core, platforms)
    chat.down = False
    clock.set(at(26, 9, 30))  # ...and the shift is over when it is back: nobody is told
    sweep_handoffs(core, platforms)
    assert chat.direct == ["sam"] and rows(core)[-1] == (team.id, "2026-11-25", False)


def test_the_upgrade_queues_the_handoffs_and_digests_that_were_waiting(core, team, clock):
    """Before 0014 the rows were sent by their own sweeps: a digest still due and a handoff not
    sent (nor given up after 20 attempts) get their outbox message, and go as any message."""
    values = {"team": team.id, "sam": roster.member_named(core, team.id, "sam").id, "at": at(24, 19)}
    command.downgrade(alembic_config(core.engine), "0013")
    with core.engine.begin() as connection:
        connection.execute(text("INSERT INTO teamjob (team_id, kind, period, due_at, created_at, status, attempts, "
                                "late) VALUES (:team, 'digest', '2026-W47', :at, :at, 'due', 2, false)")
                           .bindparams(bindparam("at", type_=UTCDateTime())), values)
        for day, attempts in (("2026-11-23", 20), ("2026-11-24", 1)):
            connection.execute(text("INSERT INTO oncallhandoff (team_id, day, member_id, due_at, created_at, "
                                    "attempts) VALUES (:team, :day, :sam, :at, :at, :tries)")
                               .bindparams(bindparam("at", type_=UTCDateTime())),
                               {**values, "day": day, "tries": attempts})
    upgrade_database(core.engine)
    with transaction(core.engine) as session:
        queued = [(m.kind, m.payload) for m in session.exec(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert queued == [("digest", {"to": "channel", "address": "#leads", "job": 1}),
                      ("handoff", {"to": "direct", "address": "sam", "handoff": 2})]
    chat = Recorder()
    clock.set(at(24, 19, 30))
    assert sweep_handoffs(core, Platforms.one_chat(chat)) == []  # the shift has its row: none made again
    assert chat.direct == ["sam"]
