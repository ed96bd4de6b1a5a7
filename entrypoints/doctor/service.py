"""The doctor's lines on the running service: every team has an intake key, no rooftop is parked
because its chat refuses us, and a worker beats."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from entrypoints.doctor.report import Probe, Report

WORKER_STALE_S = 120
"""The worker beats every tick (5 s); two minutes without a beat means none is running."""
CONSOLE = "console"


def rooftops(report: Report, probe: Probe) -> None:
    """A rooftop whose chat refuses us for good (chatbot.messaging.access) is named, with the fix."""
    from chatbot.messaging import access

    check = "rooftops"
    if not probe.migrated:
        report.skip(check, "not checked: the database is not ready (see above)")
        return
    lost = access.parked(probe.core)
    for p in lost:
        fix = next((chat.reinstall for chat in probe.settings.platforms if chat.name == p.platform),
                   "set the rooftop's chat up again")
        report.bad(check, f"{p.name} gets no messages: {p.reason} (since {p.since:%Y-%m-%d %H:%M} UTC; "
                          f"{p.waiting} waiting, kept): {fix}")
    if not lost:
        report.ok(check, "every rooftop's chat takes our messages")


def intake_keys(report: Report, probe: Probe) -> None:
    from chatbot.intake import apikeys
    from chatbot.team import roster

    check = "intake keys"
    if not probe.migrated:
        report.skip(check, "not checked: the database is not ready (see above)")
        return
    teams = [t for t in roster.all_teams(probe.core) if t.platform != CONSOLE]
    if not teams:
        report.bad(check, "no team yet, so no key: Slack and Teams make the team when the app is installed, or "
                          "`chatbot team create --name NAME --timezone America/Chicago`; then "
                          "`chatbot keys create --team NAME --name PROVIDER`")
        return
    active: dict[int, int] = {}
    for key in apikeys.list_keys(probe.core):
        if key.revoked_at is None:
            active[key.team_id] = active.get(key.team_id, 0) + 1
    missing = [t for t in teams if not active.get(t.id)]
    if missing:
        for team in missing:
            report.bad(check, f"{team.name} has no API key, so no lead provider or CRM can send it leads: "
                              f"`chatbot keys create --team \"{team.name}\" --name cars.com` (one per sender)")
        return
    report.ok(check, "every team has one (" + ", ".join(f"{t.name}: {active[t.id]}" for t in teams) + ")")


def worker(report: Report, probe: Probe, now: Callable[[], datetime]) -> None:
    check = "worker"
    if not probe.migrated:
        report.skip(check, "not checked: the database is not ready (see above)")
        return
    try:
        from chatbot.ops.heartbeat import last_beat
    except ImportError:
        report.skip(check, "not checked: this version keeps no worker heartbeat")
        return
    beat = last_beat(probe.core)
    if beat is None:
        report.bad(check, "no worker has ever run on this database: start the Procfile's worker (`chatbot worker`); "
                          "without it nothing escalates and no message leaves the outbox")
        return
    age = max(0, int((now() - beat).total_seconds()))
    if age > WORKER_STALE_S:
        report.bad(check, f"last heartbeat {_ago(age)} ago ({beat:%Y-%m-%d %H:%M} UTC): the worker is not running; "
                          f"start it (`chatbot worker`, the Procfile's worker) and check its logs")
    else:
        report.ok(check, f"alive, last heartbeat {_ago(age)} ago")


def _ago(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"
