"""The doctor's database lines: the database answers, and its schema is at the newest migration."""

from __future__ import annotations

from pathlib import Path

from adapters.platform import first_line
from entrypoints.doctor.report import Probe, Report

CONNECT_TIMEOUT_S = 5


def database(report: Report, probe: Probe, explicit: str | None) -> None:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from chatbot.store.db import database_url, make_engine

    check = "database"
    raw = database_url(explicit or probe.settings.database_url)
    try:
        url = make_url(raw)
    except ArgumentError:
        report.bad(check, "the database URL cannot be read: it should read postgres://USER:PASSWORD@HOST:5432/DATABASE")
        return
    if url.password:
        probe.secrets.append(str(url.password))
    shown = url.render_as_string(hide_password=True)
    probe.url = shown
    if url.get_backend_name() == "sqlite":
        path = url.database
        if path and path != ":memory:" and not path.startswith("file:") and not Path(path).is_file():
            report.bad(check, f"the SQLite file {Path(path).resolve()} does not exist: create it with "
                              f"`chatbot db upgrade` (in production set DATABASE_URL to your PostgreSQL)")
            return
    elif url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
        url = url.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_S)})
    try:
        engine = make_engine(url.render_as_string(hide_password=False))
    except Exception as exc:  # noqa: BLE001 - e.g. a driver that is not installed
        report.bad(check, f"{shown} cannot be used ({first_line(exc)}): use postgres://... or postgresql://... "
                          f"(the psycopg driver) or sqlite:///FILE")
        return
    probe.engine = engine
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                version = connection.execute(text("SHOW server_version")).scalar()
                what = f"PostgreSQL {str(version).split()[0]}"
            else:
                connection.execute(text("SELECT 1"))
                what = "SQLite: one host only, see the README's Scaling out"
    except Exception as exc:  # noqa: BLE001
        report.bad(check, f"cannot connect to {shown} ({first_line(exc)}): check DATABASE_URL and that the "
                          f"server is up and lets this host in")
        return
    probe.reachable = True
    report.ok(check, f"{shown} answers ({what})")


def schema(report: Report, probe: Probe) -> None:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from chatbot.core import Core, alembic_config
    from chatbot.domain.clock import SystemClock

    check = "database schema"
    if not probe.reachable:
        report.skip(check, "not checked: see the database line above")
        return
    script = ScriptDirectory.from_config(alembic_config(probe.engine))
    heads = set(script.get_heads())
    with probe.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    fix = "run `chatbot db upgrade` (the Procfile's release step does it on each deploy)"
    if current == heads:
        probe.migrated = True
        probe.core = Core(engine=probe.engine, clock=SystemClock())
        report.ok(check, f"at the newest migration ({', '.join(sorted(heads))})")
    elif not current:
        report.bad(check, f"no tables yet (no migration applied): {fix}")
    elif current - {r.revision for r in script.walk_revisions()}:
        report.bad(check, f"at {', '.join(sorted(current))}, a migration this code does not know: the database "
                          f"belongs to a newer release; deploy that release (or restore a matching backup)")
    else:
        report.bad(check, f"at {', '.join(sorted(current))}, the code needs {', '.join(sorted(heads))}: {fix}")
