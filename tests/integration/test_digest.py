"""The weekly digest (issue 11) as specifications, on SQLite and PostgreSQL: its content on a
week worked out by hand, the week across a DST change, the stored weekly job sent exactly once
through the outbox (late when the worker was down, once with two workers, once across a
restart, once when the chat is back), the setting, /digest, `chatbot digest`, and the chart as
a real PNG."""

from __future__ import annotations

import struct
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from chatbot.commands.base import Caller
from chatbot.commands.registry import run_command
from chatbot.core import bootstrap, unit_of_work
from chatbot.escalation.team_jobs import sweep_team_jobs
from chatbot.leads import tracker
from chatbot.messaging.outbox import Delivery
from chatbot.messaging.phrasebook import Phrasebook
from chatbot.messaging.platforms import Platforms, deliver_all
from chatbot.messaging.ports import Channel, MessageRef
from chatbot.reports.chart import HEIGHT_PX, LAST_WEEK, WEEK_BEFORE, WIDTH_PX, digest_png
from chatbot.reports.digest import digest_for, week_period
from chatbot.store.db import transaction
from chatbot.store.models import Team, TeamJob
from entrypoints.cli import app
from tests.conftest import CHICAGO
from tests.helpers import new_lead

PHRASES = Phrasebook()
UTC = timezone.utc


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CHICAGO)


def made_on(core, team, moment: datetime) -> None:
    """The team's creation moment (the fixture makes it at the test clock's Tuesday)."""
    with transaction(core.engine) as session:
        session.get(Team, team.id).created_at = moment


class Recorder:
    """A chat that keeps what it was given: digests with their PNG, and plain posts."""

    def __init__(self, delay: float = 0.0) -> None:
        self.uploads: list[tuple[str, object, bytes, str]] = []
        self.posts: list[object] = []
        self.delay = delay
        self.lock = threading.Lock()

    def post(self, to, view) -> MessageRef:
        self.posts.append(view)
        return MessageRef("c", str(len(self.posts)))

    def update(self, ref, view) -> None:
        pass

    def upload(self, to: Channel, view, png: bytes, filename: str) -> MessageRef:
        time.sleep(self.delay)
        with self.lock:
            self.uploads.append((to.channel, view, png, filename))
            return MessageRef(to.channel, f"F{len(self.uploads)}")


def digest_tick(core, chat) -> Delivery:
    """The worker tick's part for the digest: plan what is due (its row and outbox message), deliver."""
    sweep_team_jobs(core)
    return deliver_all(core, Platforms.one_chat(chat))


def weeks_sent(chat: Recorder) -> list[tuple[str, bool]]:
    """Each digest the chat got: its week, and whether it says it is late."""
    return [(view.week, view.lines[1].startswith("Sent late")) for _, view, _, _ in chat.uploads]


@pytest.fixture
def known_weeks(core, team, clock):
    """Week 2026-W46 (Nov 9-15) and 2026-W47 (Nov 16-22) in Chicago, open Mon-Sat 09-19:
    W46  H Mon 9 10:00   Sam claims +1 min, calls +5 min               (within 15 min)
         G Sun 15 12:00  never touched
    W47  A Mon 16 10:00  Sam claims +2, calls +4 min, texts Tue 09:04 (+23 h); silent since -> stalled
         B Mon 16 20:00  Alex claims +30, calls +40 min; closed lost after 1 attempt
         C Wed 18 11:00  never touched
         D Thu 19 12:00  Jordan claims +10, calls +20 min, e-mails Sat 13:00 (+48 h 40 min); won
         E Sun 22 10:00  Alex calls +3 min (claims it), a note at 11:00
    Lead ids in that order: H 1, G 2, A 3, B 4, C 5, D 6, E 7. The team exists since Nov 1."""
    made_on(core, team, datetime(2026, 11, 1, tzinfo=UTC))

    def lead(name, when):
        clock.set(when)
        return new_lead(core, team, name=name, external_id=name, phone=None, email=f"{name.lower()}@example.com")

    def do(when, action, *args, **kwargs):
        clock.set(when)
        return action(core, team.id, *args, **kwargs)

    h = lead("H", at(11, 9, 10))
    do(at(11, 9, 10, 1), tracker.claim, h, "sam")
    do(at(11, 9, 10, 5), tracker.log_touch, h, "sam", "call")
    lead("G", at(11, 15, 12))
    a = lead("A", at(11, 16, 10))
    do(at(11, 16, 10, 2), tracker.claim, a, "sam")
    do(at(11, 16, 10, 4), tracker.log_touch, a, "sam", "call")
    b = lead("B", at(11, 16, 20))
    do(at(11, 16, 20, 30), tracker.claim, b, "alex")
    do(at(11, 16, 20, 40), tracker.log_touch, b, "alex", "call")
    do(at(11, 16, 21), tracker.close, b, "alex", won=False)
    do(at(11, 17, 9, 4), tracker.log_touch, a, "sam", "text")
    lead("C", at(11, 18, 11))
    d = lead("D", at(11, 19, 12))
    do(at(11, 19, 12, 10), tracker.claim, d, "jordan")
    do(at(11, 19, 12, 20), tracker.log_touch, d, "jordan", "call")
    do(at(11, 21, 13), tracker.log_touch, d, "jordan", "email")
    do(at(11, 21, 13, 5), tracker.close, d, "jordan", won=True)
    e = lead("E", at(11, 22, 10))
    do(at(11, 22, 10, 3), tracker.log_touch, e, "alex", "call")
    do(at(11, 22, 11), tracker.log_touch, e, "alex", "note")
    return team


def digest_lines(core, team, week, as_of):
    with unit_of_work(core) as work:
        return digest_for(work, team.id, week, as_of).message


def test_the_digest_of_a_week_worked_out_by_hand(core, known_weeks):
    made = digest_lines(core, known_weeks, "2026-W47", at(11, 23, 8))
    assert made.title == "Weekly digest for Demo Motors: week 2026-W47 (Nov 16-Nov 22), against 2026-W46"
    lines = list(made.lines)
    # first contacts 240, 2400, 1200, 180 s -> median 720 s; within 15 min: A and E of 5; W46: H of 2
    assert lines[0] == ("First contact took 12 min on median, target 15 min; 40% of leads were reached within "
                        "15 min, down from 50%.")
    for expected in (
        "  Leads: 5 · 2",
        "  Contacted: 4 · 1",
        "  Never contacted: 1 · 1 · target 0 · missed",
        "  First contact, median: 12 min · 5 min · target 15 min · met",
        "  First contact, mean: 16 min · 5 min",  # 1005 s
        "  First contact, p90: 40 min · 5 min · target 15 min · missed",
        "  Within 5 min: 40% (2/5) · 50% (1/2)",
        "  Within target (15 min): 40% (2/5) · 50% (1/2)",
        "  Time to claim, median: 6 min 30s · 1 min",  # 120, 1800, 600, 180 s -> 390 s; H 60 s
        # eligible by Mon 23 08:00: A, B, D (E's first contact is under 48 h old); A's came within 48 h
        "  Second contact within 2 d: 33% (1/3) · 0% (0/1)",
        "  First to second contact, median: 1 d 11 h · n/a · target 2 d · met",  # 23 h and 48 h 40 min
        "  Stalled: 1 · 1 · target 0 · missed",  # A; H (quiet since Nov 9)
        "  Lost: 1 · 0",
        "  Lost with < 3 attempts: 1 · 0 · target 0 · missed",
        # inside hours: A, C, D; after hours: B (Mon 20:00), E (Sunday); W46: H inside, G Sunday
        "  Inside hours: 3 · 1 lead(s); median first contact 12 min · 5 min; within 15 min 33% (1/3) · 100% (1/1)",
        "  After hours: 2 · 1 lead(s); median first contact 21 min · n/a; within 15 min 50% (1/2) · 0% (0/1)",
        "Reps (leads · median first contact · within 15 min · second contact within 2 d · stalled):",
        "  Alex: 2 · 21 min · 50% · 0% · 0",  # B 2400 s, E 180 s; only B is eligible, its second never came
        "  Jordan: 1 · 20 min · 0% · 0% · 0",
        "  Sam: 1 · 4 min · 100% · 100% · 1",
        "Stalled or never contacted (2):",
        "  #3 A (Cars.com) · Sam · stalled · last touch text Tue Nov 17 09:04",
        "  #5 C (Cars.com) · unclaimed · never contacted · asked Wed Nov 18 11:00",
        "Lost with fewer than 3 attempts (1):",
        "  #4 B (Cars.com) · Alex · 1 attempt",
        # the rotation Sam, Alex, Jordan walks the dates: Nov 23 is Jordan's (ordinal % 3 == 0)
        "On call this week: Mon Jordan, Tue Sam, Wed Alex, Thu Jordan, Fri Sam, Sat Alex, Sun Jordan.",
    ):
        assert expected in lines, f"missing {expected!r} in:\n" + "\n".join(lines)
    assert not any(line.startswith("Sent late") for line in lines)


def test_a_week_across_the_end_of_daylight_saving_is_169_hours_of_wall_clock(core, team, clock):
    """Chicago falls back on Sun Nov 1 2026 at 02:00: week 2026-W44 runs Mon Oct 26 00:00 CDT to
    Mon Nov 2 00:00 CST. A lead at 23:30 on Sunday after the change is W44's; one at 00:30 Monday W45's."""
    period = week_period("2026-W44", CHICAGO)
    assert period.end.astimezone(UTC) - period.start.astimezone(UTC) == timedelta(hours=169)
    assert period.start == datetime(2026, 10, 26, 5, 0, tzinfo=UTC)
    assert period.end == datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
    clock.set(datetime(2026, 11, 2, 5, 30, tzinfo=UTC))  # Sun Nov 1 23:30 CST
    late_sunday = new_lead(core, team, name="Late Sunday", external_id="S")
    clock.set(datetime(2026, 11, 2, 5, 33, tzinfo=UTC))
    tracker.log_touch(core, team.id, late_sunday, "sam", "call")
    clock.set(datetime(2026, 11, 2, 6, 30, tzinfo=UTC))  # Mon Nov 2 00:30 CST
    new_lead(core, team, name="Early Monday", external_id="M")

    lines = digest_lines(core, team, "2026-W44", datetime(2026, 11, 2, 14, 0, tzinfo=UTC)).lines
    assert "  Leads: 1 · 0" in lines
    assert "  First contact, median: 3 min · n/a · target 15 min · met" in lines
    assert "  #2 Early Monday (Cars.com) · unclaimed · never contacted · asked Mon Nov 2 00:30" not in lines


def test_the_monday_digest_goes_out_at_08_00_wall_clock_on_both_sides_of_the_change(core, team, clock):
    """Mon Oct 26 08:00 is 13:00 UTC (CDT); Mon Nov 2 08:00 is 14:00 UTC (CST)."""
    chat = Recorder()
    clock.set(datetime(2026, 10, 20, 12, 0, tzinfo=UTC))
    made_on(core, team, datetime(2026, 10, 20, 12, 0, tzinfo=UTC))  # so week 2026-W43's digest is its first
    for moment, sent in ((datetime(2026, 10, 26, 12, 59, tzinfo=UTC), 0),
                         (datetime(2026, 10, 26, 13, 0, tzinfo=UTC), 1),
                         (datetime(2026, 11, 2, 13, 59, tzinfo=UTC), 1),
                         (datetime(2026, 11, 2, 14, 0, tzinfo=UTC), 2),
                         (datetime(2026, 11, 2, 14, 1, tzinfo=UTC), 2)):
        clock.set(moment)
        digest_tick(core, chat)
        assert len(chat.uploads) == sent, moment
    assert [view.week for _, view, _, _ in chat.uploads] == ["2026-W43", "2026-W44"]
    assert all(channel == "#leads" for channel, *_ in chat.uploads)


def test_a_digest_missed_while_the_worker_was_down_is_sent_once_late_saying_so(core, known_weeks, clock):
    chat = Recorder()
    clock.set(at(11, 23, 11, 42))  # the worker comes back at 11:42; 08:00 passed with nobody sweeping
    digest_tick(core, chat)
    assert weeks_sent(chat) == [("2026-W47", True)]
    lines = chat.uploads[0][1].lines
    assert lines[1] == ("Sent late: this digest was due Mon Nov 23 08:00 and goes out Mon Nov 23 11:42, "
                        "3 h 42 min late (the bot could not send it then).")
    # a restart: a new process on the same database sends nothing more, that day or later in the week
    again = bootstrap(core.engine.url.render_as_string(hide_password=False), clock, migrate=False)
    for moment in (at(11, 23, 11, 43), at(11, 27, 9)):
        clock.set(moment)
        digest_tick(again, chat)
    again.engine.dispose()
    assert len(chat.uploads) == 1
    with transaction(core.engine) as session:
        job = session.exec(__import__("sqlmodel").select(TeamJob)).one()
        assert (job.period, job.status, job.late, job.channel) == ("2026-W47", "sent", True, "#leads")


def test_two_workers_send_one_digest(core, known_weeks, clock):
    chat = Recorder(delay=0.3)  # the first worker is still sending when the second looks
    clock.set(at(11, 23, 8, 0))
    url = core.engine.url.render_as_string(hide_password=False)
    workers = [bootstrap(url, clock, migrate=False) for _ in range(2)]
    start = threading.Barrier(2)

    def run(worker):
        start.wait()
        digest_tick(worker, chat)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for worker in workers:
        worker.engine.dispose()
    assert weeks_sent(chat) == [("2026-W47", False)]


def test_a_chat_that_fails_keeps_the_digest_due_and_it_goes_once_when_the_chat_is_back(core, known_weeks, clock):
    from chatbot.messaging.ports import ChatDown

    class Down(Recorder):
        def upload(self, to, view, png, filename):
            raise ChatDown("503", error="http_503")

    clock.set(at(11, 23, 8, 0))
    assert digest_tick(core, Down()).failed == 1
    chat = Recorder()
    digest_tick(core, chat)
    assert chat.uploads == []  # the outbox's next probe is not due yet
    clock.set(at(11, 23, 8, 0) + timedelta(seconds=30))
    digest_tick(core, chat)
    clock.set(at(11, 23, 9, 0))
    digest_tick(core, chat)
    assert weeks_sent(chat) == [("2026-W47", False)]


def test_managers_set_the_digest_moment_or_turn_it_off(core, known_weeks, clock):
    clock.set(at(11, 20, 15))
    pat, sam = Caller(known_weeks.id, "pat"), Caller(known_weeks.id, "sam")
    refused = run_command(core, sam, "/followup set digest tue 07:30", PHRASES)
    assert refused.refused
    reply = run_command(core, pat, "/followup set digest tue 07:30", PHRASES)
    assert reply.lines == ("digest is now tue 07:30 (America/Chicago), covering the week before; the next one "
                           "(2026-W47) goes out Tue Nov 24 07:30.",)
    assert "  digest: tue 07:30 (the weekly digest of the week before)" in \
        run_command(core, pat, "/followup settings", PHRASES).lines
    chat = Recorder()
    for moment, sent in ((at(11, 23, 8), 0), (at(11, 24, 7, 29), 0), (at(11, 24, 7, 30), 1)):
        clock.set(moment)
        digest_tick(core, chat)
        assert len(chat.uploads) == sent
    assert run_command(core, pat, "/followup set digest off", PHRASES).lines == ("digest is now off: no weekly digest.",)
    clock.set(at(12, 1, 9))
    digest_tick(core, chat)
    assert len(chat.uploads) == 1
    assert run_command(core, pat, "/followup set digest someday", PHRASES).refused


def test_digest_previews_this_weeks_digest_privately_for_managers_only(core, known_weeks, clock):
    clock.set(at(11, 24, 10))
    reply = run_command(core, Caller(known_weeks.id, "pat"), "/digest", PHRASES)
    assert not reply.refused and reply.share is None
    assert reply.lines[0] == ("Preview (only you see this): Weekly digest for Demo Motors: week 2026-W47 "
                              "(Nov 16-Nov 22), against 2026-W46")
    assert "  Leads: 5 · 2" in reply.lines
    earlier = run_command(core, Caller(known_weeks.id, "pat"), "/digest 2026-W46", PHRASES)
    assert earlier.lines[:3] == (
        "Preview (only you see this): Weekly digest for Demo Motors: week 2026-W46 (Nov 9-Nov 15), against 2026-W45",
        "First contact took 5 min on median, target 15 min; 50% of leads were reached within 15 min, "
        "no leads the week before.",
        "")
    assert "  Leads: 2 · 0" in earlier.lines
    rep = run_command(core, Caller(known_weeks.id, "sam"), "/digest", PHRASES)
    assert rep.refused and rep.lines == ("The digest preview is for managers. The team gets the digest every week.",)
    assert run_command(core, Caller(known_weeks.id, "pat"), "/digest 2026-W60", PHRASES).lines == \
        ("2026 has no week 60: ISO weeks run 1-53.",)


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    return struct.unpack(">II", png[16:24])


def test_the_chart_is_a_png_of_the_expected_size_with_both_weeks_drawn(core, known_weeks, clock):
    import io

    from matplotlib.image import imread

    with unit_of_work(core) as work:
        made = digest_for(work, known_weeks.id, "2026-W47", at(11, 23, 8))
    # W47: 180 and 240 s (<= 5 min), 1200 s (15-30 min), 2400 s (30-60 min), C never; W46: 300 s, G never
    assert made.this_week.bins == (2, 0, 1, 1, 0, 0, 0, 1)
    assert made.week_before.bins == (1, 0, 0, 0, 0, 0, 0, 1)
    # daily medians, Mon..Sun: Mon A 240 and B 2400 -> 1320; Wed C none; Thu D 1200; Sun E 180
    assert made.this_week.daily_median_s == (1320.0, None, None, 1200.0, None, None, 180.0)
    png = digest_png(made)
    assert png_size(png) == (WIDTH_PX, HEIGHT_PX)
    pixels = (imread(io.BytesIO(png))[:, :, :3] * 255).round().astype(int)

    def has(colour: str) -> bool:
        rgb = [int(colour[i:i + 2], 16) for i in (1, 3, 5)]
        return bool(((abs(pixels - rgb) <= 2).all(axis=2)).sum() > 50)

    assert has(LAST_WEEK) and has(WEEK_BEFORE)


def test_chatbot_digest_writes_the_text_and_the_png(core, known_weeks, clock, tmp_path):
    url = core.engine.url.render_as_string(hide_password=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["digest", "--team", "Demo Motors", "--week", "2026-W47", "--out", str(out),
                                      "--database-url", url])
    assert result.exit_code == 0, result.output
    text = (out / "digest-demo-motors-2026-W47.txt").read_text()
    assert text.startswith("Weekly digest for Demo Motors: week 2026-W47 (Nov 16-Nov 22), against 2026-W46\n"
                           "First contact took 12 min on median")
    assert png_size((out / "digest-demo-motors-2026-W47.png").read_bytes()) == (WIDTH_PX, HEIGHT_PX)
    bad = CliRunner().invoke(app, ["digest", "--team", "Demo Motors", "--week", "W47", "--database-url", url])
    assert bad.exit_code != 0 and "is not a week" in bad.output


def test_the_workers_tick_sends_the_digest(core, known_weeks, clock):
    from chatbot.worker import tick

    chat = Recorder()
    clock.set(at(11, 23, 8, 0))
    tick(core, Platforms.one_chat(chat))
    tick(core, Platforms.one_chat(chat))
    assert [view.week for _, view, _, _ in chat.uploads] == ["2026-W47"]
