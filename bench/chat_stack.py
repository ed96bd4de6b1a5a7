"""What bench/fanout.py and bench/flood.py share: production's processes against a slow fake Slack.

- `LatentSlack`: the fake Slack Web API (tests/fakes/slack_web_api.py: every call checked against
  Slack's OpenAPI spec, Slack's per-channel posting limit enforced) answering every call, a 429
  included, `latency` seconds after it was served, and noting when each lead's card was stored
  in its channel (CLOCK_MONOTONIC, the same clock in every process on the machine).
- `FakeSlackProcess`: that fake in a process of its own (its request checking is Slack's work, not
  ours, and must not compete with the measuring process for its interpreter lock).
- `Procfile`: `chatbot web --port N` and W `chatbot worker` processes, as the Procfile runs them,
  each logging to its own file in a scratch directory (its working directory, so no .env is read).
- `scratch_database`: a fresh PostgreSQL database on the local server (as bench/run_all.py makes
  them), or a SQLite file.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing as mp
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fakes.slack_web_api import FakeSlack  # noqa: E402

SIGNING_SECRET = "bench-signing-secret"
SECRET_KEYS = "YmVuY2gtY2hhdC1zdGFjay1zZWNyZXQta2V5cy0wMDE="  # a Fernet key: the installs' tokens at rest
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"


def now() -> float:
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def figures(values: list[float]) -> dict[str, float] | None:
    """p50, p99 and max of `values` (ms or s, as given); None when there are none."""
    if not values:
        return None
    return {"p50": percentile(values, 50), "p99": percentile(values, 99), "max": max(values), "n": len(values)}


class LatentSlack(FakeSlack):
    """FakeSlack whose every answer leaves `latency` seconds after the call was served."""

    def __init__(self, *args, latency: float = 0.0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.latency = latency
        self.landed: list[tuple[float, str, int]] = []  # (when, channel, lead id) of each card stored

    def handle(self, method, args, headers):
        answer = super().handle(method, args, headers)
        with self.lock:  # failures (a 429 for pace) too: a real Slack answers those over the same network
            call = next(c for c in reversed(self.calls) if c.args is args)
            call.delay = max(call.delay, self.latency)
        return answer

    def _m_chat_postMessage(self, args, headers):
        served = super()._m_chat_postMessage(args, headers)
        metadata = args.get("metadata") or {}
        if not args.get("thread_ts") and metadata.get("event_type") == "lead_card":
            self.landed.append((now(), served["channel"], int(metadata["event_payload"]["lead_id"])))
        return served

    def report(self) -> dict:
        """What was posted: each card's landing, each channel's top-level messages in order (lead id
        of a card, None for anything else), the 429s for pace, spec violations, calls per method."""
        with self.lock:
            channels = {channel: [((m.get("metadata") or {}).get("event_payload") or {}).get("lead_id")
                                  for m in messages if not m.get("thread_ts")]
                        for channel, messages in self.messages.items()}
            methods: dict[str, int] = {}
            for call in self.calls:
                methods[call.method] = methods.get(call.method, 0) + 1
            return {"landed": list(self.landed), "channels": channels, "rate_limited": self.rate_limited,
                    "errors": [(e.method, e.error) for e in self.errors], "methods": methods}


def _serve(connection, latency: float, tokens: list[str], users: int) -> None:
    """Child process: the fake, until the parent says stop; "report" answers `LatentSlack.report()`."""
    fake = LatentSlack(tokens, latency=latency).start()
    fake.pace()  # Slack's per-channel limit: 429 for a client that posts too fast
    for i in range(users):
        fake.add_user(f"U0BENCH{i:03d}", profile={"display_name": f"Rep {i}"}, is_admin=False)
    connection.send({"token": fake.token, "base_url": fake.base_url, "team_id": fake.team_id,
                     "bot_user_id": fake.bot_user_id, "response_url": fake.response_url,
                     "client_id": fake.client_id, "client_secret": fake.client_secret, "app_id": fake.app_id,
                     "bot_id": fake.bot_id})
    while True:
        command = connection.recv()
        if command == "report":
            connection.send(fake.report())
        elif command == "stop":
            fake.stop()
            return


class FakeSlackProcess:
    """`LatentSlack` in its own process; `info` has its token, base_url, team_id, client_id, ..."""

    def __init__(self, latency: float, tokens: list[str] | None = None, users: int = 0) -> None:
        context = mp.get_context("spawn")
        self._parent, child = context.Pipe()
        tokens = tokens or ["xoxb-1111-2222-fakefakefakefakefake"]
        self._process = context.Process(target=_serve, args=(child, latency, tokens, users), daemon=True)
        self._process.start()
        self.info = SimpleNamespace(**self._parent.recv())

    def report(self) -> dict:
        self._parent.send("report")
        return self._parent.recv()

    def stop(self) -> None:
        self._parent.send("stop")
        self._process.join(timeout=10)


async def post_json(host: str, port: int, path: str, key: str, body: dict) -> tuple[int, bytes]:
    """POST `body` as JSON with an intake key, on a connection of its own (closed after the answer):
    the answer's status and body.

    Plain asyncio streams, not httpx: the load must cost its sender little, or the sender, not the web
    process, is what runs out of CPU (httpx with 1,500 requests waiting for a connection used 7 ms of
    CPU per request on the 2-core machine, more than the web process spent answering each)."""
    data = json.dumps(body).encode()
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {key}\r\n"
                     f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n"
                     .encode() + data)
        await writer.drain()
        answer = await reader.read()  # until the server closes
    finally:
        writer.close()
    head, _, rest = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), rest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chatbot_command() -> list[str]:
    """The `chatbot` console script of this interpreter (as the Procfile runs it), else the module."""
    script = Path(sys.executable).parent / "chatbot"
    return [str(script)] if script.exists() else [sys.executable, "-m", "entrypoints.cli"]


class Procfile:
    """`chatbot web` and `workers` x `chatbot worker` on `database_url`, environment `env` added."""

    def __init__(self, database_url: str, env: dict[str, str], scratch: Path, workers: int) -> None:
        self.port, self.scratch = free_port(), scratch
        self.base = f"http://127.0.0.1:{self.port}"
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TEAMS_", "DATABASE_"))}
        self.env = {**keep, "DATABASE_URL": database_url, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "INFO",
                    "TIMEZONE": "UTC", **env}
        self.names = ["web"] + [f"worker-{n}" for n in range(1, workers + 1)]
        self.procs: dict[str, subprocess.Popen] = {}

    def log(self, name: str) -> Path:
        return self.scratch / f"{name}.log"

    def __enter__(self) -> "Procfile":
        for name in self.names:
            args = ["web", "--host", "127.0.0.1", "--port", str(self.port)] if name == "web" else ["worker"]
            with self.log(name).open("wb") as out:
                self.procs[name] = subprocess.Popen(chatbot_command() + args, cwd=self.scratch, env=self.env,
                                                    stdout=out, stderr=subprocess.STDOUT)
        give_up = time.monotonic() + 60
        while time.monotonic() < give_up:
            if any(p.poll() is not None for p in self.procs.values()):
                break
            try:
                if httpx.get(self.base + "/healthz", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"the processes did not start:\n{self.output()}")

    def __exit__(self, *exc) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)

    def output(self, tail: int = 3000) -> str:
        return "\n".join(f"--- {name}\n{self.log(name).read_text(errors='replace')[-tail:]}" for name in self.names
                         if self.log(name).exists())

    def per_second(self, name: str, needle: str) -> list[int]:
        """Lines of `name`'s log holding `needle`, per second of their `time=` field (whole seconds),
        from the first such second to the last."""
        seconds = Counter(line.split("time=", 1)[1][:20] for line in self.log(name).read_text(errors="replace").splitlines()
                          if needle in line and "time=" in line)
        if not seconds:
            return []
        stamps = sorted(datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ") for stamp in seconds)
        first = stamps[0]
        counts = [0] * (int((stamps[-1] - first).total_seconds()) + 1)
        for stamp, count in seconds.items():
            counts[int((datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ") - first).total_seconds())] += count
        return counts

    def cpu_seconds(self, name: str) -> float:
        """CPU time (user + system) `name` has used so far (Linux /proc; 0.0 elsewhere)."""
        try:
            fields = Path(f"/proc/{self.procs[name].pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def count(self, name: str, *needles: str) -> int:
        """Lines of `name`'s log holding any of `needles`."""
        text = self.log(name).read_text(errors="replace")
        return sum(1 for line in text.splitlines() if any(needle in line for needle in needles))


def scratch_database(url: str | None, name: str, scratch: Path) -> str:
    """`url` as given; "sqlite": a new SQLite file in `scratch`; None: a fresh PostgreSQL database
    `name` on the local server (dropped and made anew: never point this at one holding data)."""
    if url == "sqlite":
        return f"sqlite:///{scratch}/bench.db"
    if url:
        return url
    from bench.run_all import fresh_postgres

    return fresh_postgres(DEFAULT_POSTGRES, name)


def database_name(url: str) -> str:
    return "SQLite" if url.startswith("sqlite") else "PostgreSQL"
