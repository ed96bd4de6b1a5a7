"""The `chatbot` command as a host runs it: a process of its own, a clean environment, a real port."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from tests.reliability.lifecycles import chatbot_command, free_port  # noqa: F401 (re-exported)

CHAT_PREFIXES = ("SLACK_", "TEAMS_")


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without a chat, a DATABASE_URL or a PORT: each test says its own."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(CHAT_PREFIXES) and k not in ("DATABASE_URL", "PORT")}
    return {**env, **extra}


def run_chatbot(args: list[str], cwd: Path, timeout: float = 60, **env: str) -> subprocess.CompletedProcess:
    """Run `chatbot ARGS` to its end; stdout and stderr kept apart, as text."""
    return subprocess.run(chatbot_command() + args, cwd=cwd, env=clean_env(**env), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def start_chatbot(args: list[str], cwd: Path, **env: str) -> subprocess.Popen:
    """Start `chatbot ARGS` in the background; its output (stdout and stderr together) goes to a file in cwd."""
    path = cwd / f"{args[0]}-{uuid.uuid4().hex[:6]}.log"
    with path.open("wb") as log:
        proc = subprocess.Popen(chatbot_command() + args, cwd=cwd, env=clean_env(**env), stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    proc.log_path = path  # type: ignore[attr-defined]
    return proc


def output_of(proc: subprocess.Popen) -> str:
    """What the process has printed so far (stdout and stderr)."""
    return proc.log_path.read_text(errors="replace")  # type: ignore[attr-defined]


def wait_for_http(url: str, proc: subprocess.Popen, timeout: float = 40) -> httpx.Response:
    """The first answer from `url`; fails with the process's output if it exits or never answers."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(url, timeout=2)
        except httpx.TransportError:
            if proc.poll() is not None:
                raise AssertionError(f"exited with {proc.returncode}:\n{output_of(proc)}") from None
            if time.monotonic() > deadline:
                raise AssertionError(f"no answer from {url}:\n{output_of(proc)}") from None
            time.sleep(0.1)


def stop(proc: subprocess.Popen, timeout: float = 20) -> int:
    """SIGTERM, as systemd and the platforms stop a process; its exit code."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


@contextmanager
def sibling_database(postgres_url: str):
    """A new, empty database on the test server (beside `postgres_url`'s), dropped afterwards."""
    name = f"chatbot_ops_{uuid.uuid4().hex[:10]}"
    admin_url = postgres_url.rsplit("/", 1)[0] + "/postgres"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield postgres_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def port_is_closed() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
