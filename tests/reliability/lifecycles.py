"""Lead lifecycles driven over HTTP against the real Procfile processes, while they are SIGKILLed.

Used by tests/reliability/test_kill_lifecycles.py (issue 13). The pieces:

- `KillSlack`: the fake Slack Web API (tests/fakes/slack_web_api.py, real HTTP) noting when each
  message was posted, so a card posted twice can be explained.
- `Stack`: `chatbot web --port N` and `chatbot worker` as subprocesses on one PostgreSQL database,
  Slack (many workspaces, OAuth) pointed at the fake by SLACK_API_URL; SIGKILL and restart either one.
- `Driver`: N lifecycles, each a thread: ingest through the intake API, wait for the card, claim by
  a signed reaction event, log the first contact through the CRM touch webhook, close with the
  card's Won button; which of those happen and after which escalation is the lifecycle's kind.
  Before an action that closes a window it waits until every step already due has fired and
  none falls due in the next GAP_S seconds ("settle, then act"), so which steps must fire is
  known from the windows, not from when the worker happened to sweep.
- `Chaos`: a seeded schedule of SIGKILLs of the web, the worker or both, each restarted.
- `verify`: what must hold at the end, from the database and the fake: the figures and the
  problems found.

Windows are seconds long (the team's settings columns and its ladders): claim 4 s after the
card with steps at 0, +3 s, +6 s; first contact 18 s after the customer asked with steps at
-4 s, 0, +4 s. Second contact and stall keep their days-long defaults (they never fall due here).
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import httpx
from sqlalchemy import text

from chatbot.intake import apikeys
from chatbot.store.models import Role
from chatbot.team import roster
from tests.fakes.slack_signing import fill, load_fixture, signed_request
from tests.fakes.slack_web_api import FakeSlack

ROOT = Path(__file__).resolve().parents[2]
SECRET = "kill-lifecycles-signing-secret-0001"
SECRET_KEYS = "a2lsbC1saWZlY3ljbGVzLXNlY3JldC1rZXlzLTAwMDE="  # a Fernet key: the installs' tokens at rest

CLAIM_S = 4
CLAIM_LADDER = "0 remind channel, +3s remind on-call, +6s tell managers"
CLAIM_RUNGS = ((1, 0), (2, 3), (3, 6))  # (level, offset from the deadline in s), as the ladder reads
FIRST_S = 18
FIRST_LADDER = "-4s remind owner, 0 remind owner, +4s tell managers"
FIRST_RUNGS = ((0, -4), (1, 0), (2, 4))
GAP_S = 1.5  # an action is sent only when no step of its lead falls due within this many seconds
SLACK_RACE_S = 1.0  # whole-second clocks: a step this close to an action's moment may go either way
STUCK_S = 600.0  # a lifecycle waiting longer than this for something the processes must do: a problem
# (a kill mid-delivery leaves a message leased for 60 s and its team's leads channel waits behind
# it; kills during the catch-up chain those waits: minutes, in the long run)

# kind -> what the lifecycle does; weights of the seeded choice
KINDS = {
    "ignored": 0.15,        # nobody ever claims it: the whole claim chain fires
    "fast": 0.30,           # claimed at once, called, won
    "late_claim": 0.15,     # claimed after the claim chain's first step, called, won
    "chain_claim": 0.10,    # claimed after the whole claim chain, never called: first contact escalates
    "no_contact": 0.10,     # claimed at once, never called
    "late_contact": 0.20,   # claimed at once, called after first contact's deadline step, won
}


def utc(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).isoformat()


def epoch(value) -> float | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


def midday_zone(now: float) -> str:
    """A fixed-offset zone where it is about noon now: the team is open all day there (00:00-23:59)
    and its one closed minute, its on-call handoff and its morning summary are ~12 h away."""
    offset = 12 - datetime.fromtimestamp(now, timezone.utc).hour
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{'-' if offset > 0 else '+'}{abs(offset)}"


def chatbot_command() -> list[str]:
    """The `chatbot` console script of this interpreter (as the Procfile runs it), else the module."""
    script = Path(sys.executable).parent / "chatbot"
    return [str(script)] if script.exists() else [sys.executable, "-m", "entrypoints.cli"]


def free_port() -> int:
    """A free port below the kernel's ephemeral range: while the web is down between a kill and its
    restart, another program binding port 0 (another test's fake server) cannot be handed it."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0]) \
        if Path("/proc/sys/net/ipv4/ip_local_port_range").exists() else 32768
    rng = random.Random()
    for _ in range(200):
        port = rng.randrange(max(1024, low - 12000), low)
        with socket.socket() as s:
            try:
                s.bind(("0.0.0.0", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below the ephemeral range")


# ----------------------------------------------------------------------------- the fake Slack


class KillSlack(FakeSlack):
    """FakeSlack that notes the wall-clock time of each message it stores."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.posted_at: dict[tuple[str, str], float] = {}

    def _m_chat_postMessage(self, args: dict, headers: dict) -> dict:
        answer = super()._m_chat_postMessage(args, headers)
        self.posted_at[(answer["channel"], answer["ts"])] = time.time()
        return answer


# ----------------------------------------------------------------------------- teams


@dataclass(frozen=True)
class TeamInfo:
    id: int
    slack_id: str
    leads: str
    managers: str
    reps: tuple[str, ...]
    key: str


def make_teams(core, count: int, zone: str, fake: FakeSlack) -> list[TeamInfo]:
    """`count` Slack teams (one workspace each, installed through OAuth: each its installation, all
    with the fake's one bot token, stored encrypted with SECRET_KEYS), three reps in the on-call
    rotation and a manager each, short windows, and an intake key each. Several teams: Slack's
    pace is one new message per second per channel, and one channel could not carry the cards
    and notices of 1,000 lifecycles in the time. Several workspaces on one deployment is OAuth:
    one bot token serves its own workspace only."""
    from slack_sdk.oauth.installation_store import Installation

    from adapters.slack.oauth import installation_store
    from chatbot.secret_keys import SecretKeys

    store = installation_store(core.engine, fake.client_id, SecretKeys.parse(SECRET_KEYS))
    made = []
    for k in range(1, count + 1):
        slack_id = f"T0KILL{k:03d}"
        team = roster.ensure_team(
            core, name=f"Kill Motors {k}", platform="slack", platform_team_id=slack_id, timezone=zone,
            leads_channel=f"C0LEADS{k:03d}", managers_channel=f"C0MGRS{k:03d}",
            business_days="mon tue wed thu fri sat sun", opens_at="00:00", closes_at="23:59", quiet_hours=False,
            away_after_lapses=0, claim_window_s=CLAIM_S, first_contact_window_s=FIRST_S,
            ladders={"claim": CLAIM_LADDER, "first_contact": FIRST_LADDER})
        reps = tuple(f"U0K{k:03d}R{n}" for n in (1, 2, 3))
        for order, user in enumerate(reps, start=1):
            roster.add_member(core, team.id, name=f"Rep {k}-{order}", chat_user_id=user, oncall_order=order)
        roster.add_member(core, team.id, name=f"Manager {k}", chat_user_id=f"U0K{k:03d}M1", role=Role.MANAGER)
        key = apikeys.create_key(core, team.id, f"kill-test-{k}").key
        store.save(Installation(app_id=fake.app_id, team_id=slack_id, bot_token=fake.token, bot_id=fake.bot_id,
                                bot_user_id=fake.bot_user_id, bot_scopes=["chat:write"], user_id=f"U0K{k:03d}M1"))
        made.append(TeamInfo(team.id, slack_id, team.leads_channel, team.managers_channel, reps, key))
    return made


# ----------------------------------------------------------------------------- the processes


class Stack:
    """The Procfile's web and worker, each restarted after a SIGKILL; every incarnation logs to
    its own file in `scratch`."""

    def __init__(self, url: str, fake: FakeSlack, scratch: Path) -> None:
        self.scratch, self.port = scratch, free_port()
        self.procs: dict[str, subprocess.Popen | None] = {"web": None, "worker": None}
        self.closed = False
        self.logs: list[Path] = []
        self.kills: Counter = Counter()
        self.kill_times: list[tuple[float, str]] = []
        self.lock = threading.Lock()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMS_", "DATABASE_"))}
        env.update(DATABASE_URL=url, PYTHONPATH=str(ROOT), LOG_LEVEL="INFO", PORT=str(self.port),
                   SLACK_CLIENT_ID=fake.client_id, SLACK_CLIENT_SECRET=fake.client_secret, SECRET_KEYS=SECRET_KEYS,
                   SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.base_url, TIMEZONE="UTC")
        self.env = env
        self.command = chatbot_command()
        self.base = f"http://127.0.0.1:{self.port}"

    def start(self, name: str) -> None:
        args = ["web", "--port", str(self.port)] if name == "web" else ["worker"]
        with self.lock:
            if self.closed:
                return  # stop_all has run (the test is ending): start nothing more
            log = self.scratch / f"{name}-{len(self.logs) + 1:03d}.log"
            with log.open("wb") as out:  # cwd: the scratch directory, so no .env of the checkout is read
                proc = subprocess.Popen(self.command + args, cwd=self.scratch, env=self.env, stdout=out,
                                        stderr=subprocess.STDOUT)
            self.procs[name] = proc
            self.logs.append(log)

    def kill(self, name: str) -> None:
        with self.lock:
            proc = self.procs[name]
            self.procs[name] = None
        if proc is None:
            return
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        self.kills[name] += 1
        self.kill_times.append((time.time(), name))

    def alive(self, name: str) -> bool:
        proc = self.procs[name]
        return proc is not None and proc.poll() is None

    def web_ready(self, timeout: float = 30.0) -> bool:
        give_up = time.monotonic() + timeout
        while time.monotonic() < give_up:
            if self.alive("web"):
                try:
                    if httpx.get(self.base + "/healthz", timeout=1.0).status_code == 200:
                        return True
                except httpx.HTTPError:
                    pass
            time.sleep(0.1)
        return False

    def stop_all(self, *, final: bool = True) -> None:
        """SIGKILL whatever still runs (the finalizer: also after a failure); `final`: and start
        nothing after this (a chaos thread still sleeping cannot bring one back)."""
        for name in ("web", "worker"):
            with self.lock:
                self.closed = self.closed or final
                proc = self.procs[name]
                self.procs[name] = None
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)

    def output(self, tail: int = 6000) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-tail:]}" for log in self.logs)

    def tracebacks(self) -> list[str]:
        return [log.name for log in self.logs if "Traceback" in log.read_text(errors="replace")]


class Chaos(threading.Thread):
    """SIGKILL the web, the worker or both at seeded random moments; restart each after a
    seeded pause. Runs until `stop` is set, then leaves both running."""

    def __init__(self, stack: Stack, rng: random.Random, *, pause: tuple[float, float],
                 down: tuple[float, float], for_s: float | None = None) -> None:
        super().__init__(name="chaos", daemon=True)
        self.stack, self.rng, self.pause, self.down = stack, rng, pause, down
        self.until = None if for_s is None else time.monotonic() + for_s
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.web_restart_s: list[float] = []

    def run(self) -> None:
        try:
            while not self.stop.wait(self.rng.uniform(*self.pause)):
                if self.until is not None and time.monotonic() > self.until:
                    return
                roll = self.rng.random()
                victims = ["web"] if roll < 0.4 else ["worker"] if roll < 0.8 else ["web", "worker"]
                down = self.rng.uniform(*self.down)
                for name in victims:
                    self.stack.kill(name)
                time.sleep(down)
                for name in victims:
                    self.stack.start(name)
                if "web" in victims:
                    started = time.monotonic()
                    self.stack.web_ready()
                    self.web_restart_s.append(time.monotonic() - started)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc


# ----------------------------------------------------------------------------- what the database says


@dataclass(frozen=True)
class LeadRow:
    id: int
    team_id: int
    external_id: str
    submitted_at: float
    posted_at: float | None
    claimed_at: float | None
    owner_id: int | None
    first_contact_at: float | None
    status: str
    closed_at: float | None
    channel: str | None
    ts: str | None
    due_at: float | None


@dataclass(frozen=True)
class EscRow:
    id: int
    lead_id: int
    rule: str
    level: int
    deadline: float
    due_at: float
    fired_at: float
    target_member_id: int | None
    target_channel: str | None
    held_for: object


class Snapshot(threading.Thread):
    """Reads every lead and escalation a few times a second; lifecycles wait on it."""

    def __init__(self, engine, interval: float = 0.25) -> None:
        super().__init__(name="snapshot", daemon=True)
        self.engine, self.interval = engine, interval
        self.leads: dict[int, LeadRow] = {}
        self.fired: dict[int, set[tuple[str, int]]] = defaultdict(set)
        self.stop = threading.Event()
        self.changed = threading.Condition()
        self.error: BaseException | None = None

    def read(self) -> None:
        leads, escalations = read_all(self.engine, active_only=True)
        fired: dict[int, set[tuple[str, int]]] = defaultdict(set)
        for e in escalations:
            fired[e.lead_id].add((e.rule, e.level))
        with self.changed:
            self.leads, self.fired = leads, fired
            self.changed.notify_all()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.read()
            except Exception as exc:  # noqa: BLE001 - a read failing once is retried; reported if it persists
                self.error = exc
            self.stop.wait(self.interval)

    def wait(self, predicate, timeout: float = STUCK_S):
        """Until `predicate(self)` is true (returns it) or `timeout` passes (returns None)."""
        give_up = time.monotonic() + timeout
        with self.changed:
            while True:
                value = predicate(self)
                if value:
                    return value
                left = give_up - time.monotonic()
                if left <= 0:
                    return None
                self.changed.wait(min(left, 1.0))


def read_all(engine, *, active_only: bool = False) -> tuple[dict[int, LeadRow], list[EscRow]]:
    """Every lead and escalation (`active_only`: open leads and those closed in the last minutes)."""
    where = " WHERE status = 'open' OR closed_at > now() - interval '5 minutes'" if active_only else ""
    among = f" WHERE lead_id IN (SELECT id FROM lead{where})" if active_only else ""
    with engine.connect() as c:
        leads = {r.id: LeadRow(r.id, r.team_id, r.external_id, epoch(r.submitted_at), epoch(r.posted_at),
                               epoch(r.claimed_at), r.owner_id, epoch(r.first_contact_at), r.status,
                               epoch(r.closed_at), r.chat_channel, r.chat_message_id, epoch(r.due_at))
                 for r in c.execute(text(
                     "SELECT id, team_id, external_id, submitted_at, posted_at, claimed_at, owner_id, first_contact_at,"
                     " status, closed_at, chat_channel, chat_message_id, due_at FROM lead" + where))}
        escalations = [EscRow(r.id, r.lead_id, r.rule, r.level, epoch(r.deadline), epoch(r.due_at), epoch(r.fired_at),
                              r.target_member_id, r.target_channel, r.held_for)
                       for r in c.execute(text(
                           "SELECT id, lead_id, rule, level, deadline, due_at, fired_at, target_member_id,"
                           " target_channel, held_for FROM escalation" + among + " ORDER BY id"))]
    return leads, escalations


# ----------------------------------------------------------------------------- the oracle


@dataclass(frozen=True)
class Rung:
    rule: str
    level: int
    due: float


def rungs_of(lead: LeadRow) -> list[Rung]:
    """Every step the windows give this lead, by hand from the team's settings: the claim chain
    from the card's post, the first-contact chain from the customer's submission."""
    found = []
    if lead.posted_at is not None:
        deadline = lead.posted_at + CLAIM_S
        found += [Rung("claim", level, deadline + offset) for level, offset in CLAIM_RUNGS]
    deadline = lead.submitted_at + FIRST_S
    found += [Rung("first_contact", level, deadline + offset) for level, offset in FIRST_RUNGS]
    return found


def covered(rung: Rung, lead: LeadRow) -> bool:
    """A first-contact step the claim chain speaks for (one voice while the card sits unclaimed)."""
    return (rung.rule == "first_contact" and lead.posted_at is not None and rung.due >= lead.posted_at
            and (lead.claimed_at is None or rung.due <= lead.claimed_at))


def window_open(rung: Rung, lead: LeadRow) -> bool:
    if lead.status != "open":
        return False
    return lead.claimed_at is None if rung.rule == "claim" else lead.first_contact_at is None


# ----------------------------------------------------------------------------- lifecycles


@dataclass
class Act:
    """One action of a lifecycle: when it was first sent, how often, when the database shows it."""

    issued: float
    sends: int = 0
    landed: float | None = None


@dataclass
class Life:
    n: int
    team: TeamInfo
    kind: str
    submitted: float
    external_id: str
    token: str  # in the customer's name: finds this lead's notices in DMs and the managers' channel
    lead_id: int | None = None
    ingest_tries: int = 0
    answers: Counter = field(default_factory=Counter)
    claim: Act | None = None
    touch: Act | None = None
    close: Act | None = None
    owner: str | None = None
    problems: list[str] = field(default_factory=list)
    done: bool = False


class Driver:
    def __init__(self, stack: Stack, fake: FakeSlack, snapshot: Snapshot, teams: list[TeamInfo],
                 rng: random.Random, count: int, spread_s: float) -> None:
        self.stack, self.fake, self.snap, self.teams = stack, fake, snapshot, teams
        self.http = httpx.Client(base_url=stack.base, timeout=10.0)
        self.events = 0
        self.lock = threading.Lock()
        start = time.time() + 0.5
        names = list(KINDS)
        self.lives = [Life(n, teams[n % len(teams)], rng.choices(names, weights=[KINDS[k] for k in names])[0],
                           start + spread_s * n / max(count - 1, 1), f"KILL-{n:05d}", f"Zq{n:05d}")
                      for n in range(count)]
        self.picks = {life.n: rng.randrange(3) for life in self.lives}  # which rep claims it
        self.resends = Counter()

    # -- running ----------------------------------------------------------------------------

    def run(self) -> None:
        threads = []
        for life in self.lives:
            delay = life.submitted - time.time()
            if delay > 0:
                time.sleep(delay)
            thread = threading.Thread(target=self._live, args=(life,), name=f"life-{life.n}", daemon=True)
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join(timeout=STUCK_S * 4)
            if thread.is_alive():
                self.lives[int(thread.name.split("-")[1])].problems.append("lifecycle thread did not finish")

    def _live(self, life: Life) -> None:
        try:
            self._script(life)
        except Exception as exc:  # noqa: BLE001 - one lifecycle's failure is a problem to report
            life.problems.append(f"driver error: {type(exc).__name__}: {exc}")
        life.done = True

    def _script(self, life: Life) -> None:
        self.ingest(life)
        if not self.wait_for(life, "its card posted", lambda row: row.posted_at is not None):
            return
        if life.kind == "ignored":
            return
        if life.kind == "late_claim":
            self.wait_fired(life, "claim", 1)
        if life.kind == "chain_claim":
            self.wait_fired(life, "claim", 3)
        if not self.act_claim(life):
            return
        if life.kind in ("chain_claim", "no_contact"):
            return
        if life.kind == "late_contact":
            self.wait_fired(life, "first_contact", 1)
        if not self.act_touch(life):
            return
        self.act_won(life)

    # -- waiting ------------------------------------------------------------------------------

    def wait_for(self, life: Life, what: str, test) -> bool:
        found = self.snap.wait(lambda s: (row := s.leads.get(life.lead_id)) is not None and test(row))
        if not found:
            life.problems.append(f"waited {STUCK_S:.0f} s for {what}")
        return bool(found)

    def wait_fired(self, life: Life, rule: str, level: int) -> bool:
        """Until that step has fired, or cannot any more (covered by the claim chain, or its window closed)."""
        def over(s: Snapshot) -> bool:
            if (rule, level) in s.fired.get(life.lead_id, ()):
                return True
            lead = s.leads[life.lead_id]
            rung = next((r for r in rungs_of(lead) if (r.rule, r.level) == (rule, level)), None)
            return rung is not None and (not window_open(rung, lead) or (covered(rung, lead)
                                                                         and lead.claimed_at is not None))
        found = self.snap.wait(over)
        if not found:
            life.problems.append(f"waited {STUCK_S:.0f} s for step {rule} {level} to fire")
        return bool(found)

    def settle(self, life: Life) -> float:
        """Wait until every step of this lead's open windows that is due has fired and none falls
        due within GAP_S; return the moment to act."""
        def quiet(s: Snapshot):
            lead, now = s.leads.get(life.lead_id), time.time()
            if lead is None:
                return None
            fired = s.fired.get(life.lead_id, set())
            for rung in rungs_of(lead):
                if not window_open(rung, lead):
                    continue
                if now - SLACK_RACE_S <= rung.due <= now + GAP_S:
                    return None  # one is about to fall due: after it
                if rung.due < now and not covered(rung, lead) and (rung.rule, rung.level) not in fired:
                    return None  # due and not fired yet: the worker (restarting?) catches up first
            return now
        moment = self.snap.wait(quiet)
        if moment is None:
            life.problems.append(f"waited {STUCK_S:.0f} s for the due steps to fire before acting")
            return time.time()
        return moment

    # -- actions ------------------------------------------------------------------------------

    def ingest(self, life: Life) -> None:
        body = {"source": "KillTest", "external_id": life.external_id, "submitted_at": utc(life.submitted),
                "customer": {"name": f"{life.token} Kill"},
                "vehicles": [{"year": 2024, "make": "Toyota", "model": "RAV4", "status": "new"}]}
        while True:
            life.ingest_tries += 1
            try:
                answer = self.http.post("/intake/leads", json=body,
                                        headers={"Authorization": f"Bearer {life.team.key}"})
            except httpx.HTTPError as exc:
                life.answers[type(exc).__name__] += 1
                self.resends["ingest " + ("not sent (web down)" if isinstance(exc, httpx.ConnectError)
                                          else "sent, no answer")] += 1
                time.sleep(0.3)
                continue
            life.answers[answer.status_code] += 1
            if answer.status_code in (200, 201):
                if life.ingest_tries > 1:
                    self.resends["ingest " + ("duplicate" if answer.json()["duplicate"] else "stored on retry")] += 1
                life.lead_id = answer.json()["lead_id"]
                return
            if answer.status_code < 500:
                life.problems.append(f"intake refused the lead: {answer.status_code} {answer.text[:200]}")
                raise RuntimeError("lead refused")
            time.sleep(0.3)

    def _post(self, path: str, **kwargs) -> int | str:
        """The answer's status; 'refused' when no connection was made (nothing was sent), 'lost'
        when the request went out and no answer came (the web was killed mid-request: it may or
        may not have acted)."""
        try:
            return self.http.post(path, **kwargs).status_code
        except httpx.ConnectError:
            return "refused"
        except httpx.HTTPError:
            return "lost"

    def _slack(self, payload: dict) -> int | str:
        request = signed_request(payload, SECRET)
        return self._post("/slack/events", content=request.body.encode(), headers=request.headers)

    def _event_id(self) -> str:
        with self.lock:
            self.events += 1
            return f"Ev0KILL{self.events:07d}"

    def _until_landed(self, life: Life, what: str, send, landed) -> Act | None:
        """Settle, then send until the database shows it done; the Act says when it was first
        sent (`issued`: the first request that went out) and how often.

        Nothing sent (the web is down): settle again and send, as Slack and CRMs retry. Sent and
        no answer (killed mid-request): send again. Answered but not done, and the web was killed
        since: send again, as a person presses again (the web acks Slack's request before its
        listener runs, so a kill can lose an acked request): counted as '<what> acked, lost'."""
        act, began = None, time.time()
        while True:
            if time.time() - began > STUCK_S:
                life.problems.append(f"{what} never landed after {act.sends if act else 0} send(s)")
                return None
            moment = self.settle(life) if act is None else time.time()
            status = send(act is None)
            if status == "refused":
                self.resends[f"{what} not sent (web down)"] += 1
                time.sleep(0.3)
                continue
            act = act or Act(moment)
            act.sends += 1
            if status == "lost" or status >= 500:
                self.resends[f"{what} sent, no answer"] += 1
                time.sleep(0.3)
                if self.snap.wait(lambda s: (r := s.leads.get(life.lead_id)) is not None and landed(r), timeout=1.0):
                    return act
                continue
            if status >= 400:
                life.problems.append(f"{what} refused: {status}")
                return None
            sent_at = time.time()
            while True:
                if self.snap.wait(lambda s: (r := s.leads.get(life.lead_id)) is not None and landed(r), timeout=3.0):
                    return act
                if any(at >= sent_at and name == "web" for at, name in self.stack.kill_times):
                    self.resends[f"{what} acked, lost"] += 1
                    break  # the web died after answering: press again
                if time.time() - began > STUCK_S:
                    break

    def act_claim(self, life: Life) -> bool:
        lead = self.snap.leads[life.lead_id]
        user = life.team.reps[self.picks[life.n]]

        def send(first: bool) -> int | str:
            payload = fill(load_fixture("docs_reaction_added_event_callback.json"), channel=lead.channel, ts=lead.ts,
                           user=user, team=life.team.slack_id,
                           overrides={"event.reaction": "eyes", "event_id": self._event_id(),
                                      "api_app_id": self.fake.app_id,
                                      "authorizations.0.team_id": life.team.slack_id,
                                      "authorizations.0.user_id": self.fake.bot_user_id,
                                      "authorizations.0.is_bot": True})
            return self._slack(payload)

        life.claim = self._until_landed(life, "claim", send, lambda r: r.owner_id is not None)
        if life.claim is not None:
            life.claim.landed, life.owner = self.snap.leads[life.lead_id].claimed_at, user
        return life.claim is not None

    def act_touch(self, life: Life) -> bool:
        body: dict = {}
        answered: list[float] = []

        def send(first: bool) -> int | str:
            if first:  # the CRM logs the call now; its retries carry the same activity
                body.update(source="KillTest", external_id=life.external_id, kind="call", at=utc(int(time.time())),
                            rep=life.owner, touch_id=f"crm-{life.external_id}", outcome="reached")
            status = self._post("/intake/touches", json=body, headers={"Authorization": f"Bearer {life.team.key}"})
            if status in (200, 201):
                answered.append(time.time())
            return status

        life.touch = self._until_landed(life, "touch", send, lambda r: r.first_contact_at is not None)
        if life.touch is not None:
            life.touch.landed = answered[0] if answered else time.time()  # stored before the answer
        return life.touch is not None

    def act_won(self, life: Life) -> bool:
        lead = self.snap.leads[life.lead_id]

        def send(first: bool) -> int | str:
            payload = fill(load_fixture("bolt_block_actions_request_body.txt"), channel=lead.channel, ts=lead.ts,
                           user=life.owner, team=life.team.slack_id,
                           overrides={"actions.0.action_id": "lead:won", "actions.0.value": str(life.lead_id),
                                      "actions.0.block_id": "lead_actions", "container.is_ephemeral": False,
                                      "team.enterprise_id": None,  # a workspace of no Enterprise Grid org:
                                      # its installation is found by its team id alone
                                      "trigger_id": f"{self._event_id()}.press",  # each press its own
                                      "response_url": self.fake.response_url, "api_app_id": self.fake.app_id})
            return self._slack(payload)

        life.close = self._until_landed(life, "won", send, lambda r: r.status != "open")
        if life.close is not None:
            life.close.landed = self.snap.leads[life.lead_id].closed_at
        return life.close is not None


# ----------------------------------------------------------------------------- quiet, then verify


def wait_quiet(engine, stack: Stack, timeout: float) -> bool:
    """Both processes up, nothing left in the outbox, no open lead with a step due within the hour."""
    give_up = time.monotonic() + timeout
    calm_since = None
    while time.monotonic() < give_up:
        for name in ("web", "worker"):
            if not stack.alive(name):
                stack.start(name)
        with engine.connect() as c:
            unsent = c.execute(text("SELECT count(*) FROM outboxmessage WHERE sent_at IS NULL")).scalar()
            due = c.execute(text("SELECT count(*) FROM lead WHERE status = 'open' AND due_at IS NOT NULL"
                                 " AND due_at < now() + interval '1 hour'")).scalar()
        if unsent == 0 and due == 0:
            calm_since = calm_since or time.monotonic()
            if time.monotonic() - calm_since >= 2.0:  # room for a late duplicate to show up
                return True
        else:
            calm_since = None
        time.sleep(0.25)
    return False


@dataclass
class Report:
    lifecycles: int = 0
    kinds: Counter = field(default_factory=Counter)
    accepted: int = 0
    lead_rows: int = 0
    lost: list[str] = field(default_factory=list)
    doubled_leads: list[str] = field(default_factory=list)
    cards_missing: list[int] = field(default_factory=list)
    cards_extra: dict[int, int] = field(default_factory=dict)  # lead -> posts beyond the first
    card_extra_reasons: Counter = field(default_factory=Counter)
    expected: int = 0
    racing: int = 0
    racing_fired: int = 0
    racing_steps: list[str] = field(default_factory=list)
    notice_wait_s: dict = field(default_factory=dict)
    card_wait_s: dict = field(default_factory=dict)
    fired: int = 0
    missed: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    silent_heads_ups: int = 0
    notices_queued: int = 0
    notices_unsent: int = 0
    notices_wrong: list[str] = field(default_factory=list)
    notice_posts: int = 0
    notices_undelivered: list[str] = field(default_factory=list)
    notice_posts_extra: int = 0
    notice_extra_leads: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    resends: Counter = field(default_factory=Counter)
    ingest_retries: int = 0

    def failures(self) -> list[str]:
        found = []
        for name in ("lost", "doubled_leads", "cards_missing", "missed", "unexpected", "duplicated",
                     "notices_wrong", "notices_undelivered", "problems"):
            value = getattr(self, name)
            if value:
                found.append(f"{name}: {len(value)}: {list(value)[:20]}")
        if self.notices_unsent:
            found.append(f"notices_unsent: {self.notices_unsent}")
        if self.lead_rows != self.accepted:
            found.append(f"lead rows {self.lead_rows} != accepted {self.accepted}")
        return found

    def figures(self) -> dict:
        return {
            "lifecycles": self.lifecycles, "kinds": dict(self.kinds), "accepted": self.accepted,
            "lead_rows": self.lead_rows, "lost": len(self.lost), "doubled_leads": len(self.doubled_leads),
            "cards_missing": len(self.cards_missing), "cards_posted_twice": len(self.cards_extra),
            "card_extra_posts": sum(self.cards_extra.values()), "card_extra_reasons": dict(self.card_extra_reasons),
            "steps_expected": self.expected, "steps_racing": self.racing, "racing_fired": self.racing_fired,
            "escalations_fired": self.fired, "missed": len(self.missed), "unexpected": len(self.unexpected),
            "duplicated": len(self.duplicated), "silent_heads_ups": self.silent_heads_ups,
            "notices_queued": self.notices_queued, "notice_posts": self.notice_posts,
            "notice_posts_extra": self.notice_posts_extra, "notice_wait_s": self.notice_wait_s,
            "card_wait_s": self.card_wait_s,
            "resends": dict(self.resends),
            "ingest_retries": self.ingest_retries,
        }


def _expectation(rung: Rung, lead: LeadRow, life: Life, first_post: float | None) -> str:
    """'fire', 'not' or 'racing' for one step, from the windows and the lifecycle's actions."""
    if rung.rule == "first_contact":
        # the card was being posted as the step fell due (posted_at is when its delivery pass
        # began; the claim chain covers the step only once the post is recorded): covered or not
        recorded = (first_post or lead.posted_at) + SLACK_RACE_S
        if life.claim is not None and life.claim.landed is not None:
            recorded = min(recorded, life.claim.landed)  # a claim needs the recorded card
        if lead.posted_at is not None and lead.posted_at - SLACK_RACE_S <= rung.due <= recorded:
            return "racing"
        if covered(rung, lead):
            if life.claim and life.claim.landed is not None and \
                    life.claim.issued - SLACK_RACE_S <= rung.due <= life.claim.landed + SLACK_RACE_S:
                return "racing"
            return "not"
        closing = life.touch or life.close
    else:
        closing = life.claim or life.close
    if closing is None or closing.landed is None:
        return "fire"  # the window stayed open: every step of it falls due before the end
    if rung.due < closing.issued - SLACK_RACE_S:
        return "fire"
    if rung.due > closing.landed + SLACK_RACE_S:
        return "not"
    return "racing"


def verify(engine, fake: KillSlack, driver: Driver, stack: Stack) -> Report:
    report = Report(lifecycles=len(driver.lives), resends=driver.resends)
    leads, escalations = read_all(engine)
    by_external = defaultdict(list)
    for lead in leads.values():
        by_external[lead.external_id].append(lead)
    report.lead_rows = len(leads)
    with engine.connect() as c:
        outbox = list(c.execute(text("SELECT id, lead_id, kind, payload, sent_at, created_at FROM outboxmessage")))
        team_leads = dict(c.execute(text("SELECT id, leads_channel FROM team")).all())

    # what the fake saw: cards per lead, notices per lead
    lead_channels = {t.leads for t in driver.teams}
    cards: dict[int, list[tuple[str, float]]] = defaultdict(list)
    card_owner: dict[tuple[str, str], int] = {}
    token_lead = {life.token: life.lead_id for life in driver.lives}
    notice_posts: Counter = Counter()
    with fake.lock:
        messages = {channel: list(found) for channel, found in fake.messages.items()}
    for channel in lead_channels:
        for message in messages.get(channel, []):
            meta = message.get("metadata") or {}
            if not message.get("thread_ts") and meta.get("event_type") == "lead_card":
                lead_id = meta["event_payload"]["lead_id"]
                cards[lead_id].append((message["ts"], fake.posted_at.get((channel, message["ts"]), 0.0)))
                card_owner[(channel, message["ts"])] = lead_id
    for channel, found in messages.items():
        for message in found:
            if channel in lead_channels:
                if message.get("thread_ts") and (channel, message["thread_ts"]) in card_owner:
                    notice_posts[card_owner[(channel, message["thread_ts"])]] += 1
                continue
            words = message.get("text") or json.dumps(message.get("blocks") or "")
            owners = {lead for token, lead in token_lead.items() if token in words}
            if len(owners) == 1:
                notice_posts[owners.pop()] += 1
            else:
                report.problems.append(f"a message in {channel} names {len(owners)} leads: {words[:120]!r}")

    rows_by_lead = defaultdict(list)
    for e in escalations:
        rows_by_lead[e.lead_id].append(e)
    queued = Counter(r.lead_id for r in outbox if r.kind == "notice")
    report.notices_unsent = sum(1 for r in outbox if r.sent_at is None)
    # how long messages waited in the outbox (a kill mid-delivery leaves one leased for 60 s, and
    # its lane waits behind it): reported, never asserted
    posted = sorted(lead.posted_at - lead.submitted_at for lead in leads.values() if lead.posted_at)
    if posted:
        report.card_wait_s = {"median": round(posted[len(posted) // 2], 1),
                              "p99": round(posted[min(len(posted) - 1, int(len(posted) * 0.99))], 1),
                              "max": round(posted[-1], 1), "over_30s": sum(w > 30 for w in posted)}
    waits = sorted(epoch(r.sent_at) - epoch(r.created_at) for r in outbox if r.kind == "notice" and r.sent_at)
    if waits:
        report.notice_wait_s = {"median": round(waits[len(waits) // 2], 1),
                                "p99": round(waits[min(len(waits) - 1, int(len(waits) * 0.99))], 1),
                                "max": round(waits[-1], 1), "over_30s": sum(w > 30 for w in waits)}
    report.fired = len(escalations)

    for life in driver.lives:
        report.kinds[life.kind] += 1
        report.ingest_retries += life.ingest_tries - 1
        report.problems += [f"lifecycle {life.n} ({life.kind}, lead {life.lead_id}): {p}" for p in life.problems]
        if life.lead_id is None:
            continue
        report.accepted += 1
        found = by_external.get(life.external_id, [])
        if not found:
            report.lost.append(life.external_id)
            continue
        if len(found) > 1:
            report.doubled_leads.append(life.external_id)
        lead = leads[life.lead_id]
        posts = sorted(cards.get(lead.id, []), key=lambda p: p[1])
        if not posts:
            report.cards_missing.append(lead.id)
        elif len(posts) > 1:
            report.cards_extra[lead.id] = len(posts) - 1
            report.card_extra_reasons[card_reason(posts, stack.kill_times)] += 1
        # the steps, by hand
        rows = rows_by_lead.get(lead.id, [])
        keys = Counter((e.rule, e.level) for e in rows)
        report.duplicated += [f"lead {lead.id} {k} x{n}" for k, n in keys.items() if n > 1]
        wanted = {}
        for rung in rungs_of(lead):
            wanted[(rung.rule, rung.level)] = (rung, _expectation(rung, lead, life, posts[0][1] if posts else None))
        for e in rows:
            rung, expect = wanted.get((e.rule, e.level), (None, "not"))
            if rung is None or abs(e.deadline - (rung.due - dict(CLAIM_RUNGS if e.rule == "claim" else FIRST_RUNGS)
                                                  [e.level])) > 0.5:
                report.duplicated.append(f"lead {lead.id} {e.rule} {e.level} with a deadline nobody set")
            elif expect == "not":
                report.unexpected.append(f"lead {lead.id} ({life.kind}) {e.rule} {e.level} due {utc(e.due_at)} "
                                         f"fired {utc(e.fired_at)}")
        for (rule, level), (rung, expect) in wanted.items():
            if expect == "fire":
                report.expected += 1
                if keys[(rule, level)] == 0:
                    report.missed.append(f"lead {lead.id} ({life.kind}) {rule} {level} due {utc(rung.due)}")
            elif expect == "racing":
                report.racing += 1
                report.racing_fired += keys[(rule, level)] > 0
                report.racing_steps.append(
                    f"lead {lead.id} ({life.kind}) {rule} {level} due {rung.due - lead.submitted_at:+.1f}"
                    f" posted {_rel(lead.posted_at, lead)} claim {_span(life.claim, lead)}"
                    f" touch {_span(life.touch, lead)} won {_span(life.close, lead)}"
                    f" {'fired' if keys[(rule, level)] else 'not fired'}")
        # each escalation's notices: queued once with it, delivered at least once
        want = 0
        for e in rows:
            if e.held_for is not None:
                report.notices_wrong.append(f"lead {lead.id}: {e.rule} {e.level} held for a morning summary")
                continue
            if e.level < 1 and e.fired_at >= e.deadline:
                report.silent_heads_ups += 1  # a heads-up caught up after its deadline: the lapse speaks
                continue
            want += 1 + (e.target_member_id is not None) + (
                e.target_channel is not None and e.target_channel != team_leads.get(lead.team_id))
        report.notices_queued += queued[lead.id]
        if queued[lead.id] != want:
            report.notices_wrong.append(f"lead {lead.id}: {queued[lead.id]} notice(s) queued, {want} expected")
        report.notice_posts += notice_posts[lead.id]
        if notice_posts[lead.id] < queued[lead.id]:
            report.notices_undelivered.append(f"lead {lead.id}: {notice_posts[lead.id]} posted of "
                                              f"{queued[lead.id]} queued")
        elif notice_posts[lead.id] > queued[lead.id]:
            report.notice_posts_extra += notice_posts[lead.id] - queued[lead.id]
            report.notice_extra_leads.append(lead.id)
    return report


def _rel(moment: float | None, lead: LeadRow) -> str:
    return "-" if moment is None else f"{moment - lead.submitted_at:+.1f}"


def _span(act: Act | None, lead: LeadRow) -> str:
    """An action's [first sent, done] in seconds after the customer asked, and how many sends."""
    if act is None:
        return "-"
    return f"[{_rel(act.issued, lead)},{_rel(act.landed, lead)}]x{act.sends}"


def card_reason(posts: list[tuple[str, float]], kills: list[tuple[float, str]]) -> str:
    """Why a card was posted more than once: a process killed just after posting it (before it
    recorded the post) leaves the message leased; another takes it when the lease ends."""
    first = posts[0][1]
    killed = sorted({name for at, name in kills if first - 0.5 <= at <= first + 2.0})
    if killed:
        return f"{'+'.join(killed)} killed between the post and its record; re-posted after the lease"
    return "no kill near the first post"
