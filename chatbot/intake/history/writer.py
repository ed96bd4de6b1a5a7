"""Storing what the reader found: history leads and their touches in bulk, fast, then fresh planner statistics.

Imported leads are `history=True`: they count in every figure, are never posted and never
escalate. Leads already here (an earlier import, or delivered live) gain only the activities
not yet seen, so running the same file twice adds nothing. A claim read from the file (the
lead's first assignment) is stored on a new lead, and on a history lead already here that had
none or a later one; a lead delivered live keeps the claim the bot saw.

New leads are stored in submission order (their ids follow it), whatever the file's order.

Speed (docs/PERFORMANCE.md): leads and touches are written in batches of 5,000 leads, never
through the per-lead use cases: on SQLite one DBAPI executemany per batch through SQLAlchemy's
connection (`exec_driver_sql`), on PostgreSQL one COPY per batch (psycopg's `cursor.copy`; its
executemany sent a row at a time). SQLAlchemy core `insert()` executemany was tried first: its
per-row parameter processing took a third of the time, so the writer converts values itself
(BulkWriter). Memory: each lead read from the file is let go once it is stored, so the import's
peak is the file's leads as read, not that plus what storing builds.

Commits do not wait for the disk (`_import_connection`: SQLite's synchronous=NORMAL in WAL mode,
PostgreSQL's synchronous_commit off, for the import's own connection and transactions only): a
power cut can lose the last batches stored, never corrupt anything, and the import is idempotent,
so running it again stores what is missing. On a busy disk the waits were most of the storing time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from operator import itemgetter

from sqlalchemy import Column, Integer, MetaData, Table, bindparam, func, select, text, tuple_, update
from sqlmodel import Session, col

from chatbot.core import Core
from chatbot.intake.history.reader import HistoryLead
from chatbot.intake.history.report import ImportReport
from chatbot.ladder.deadlines import refresh_due
from chatbot.store.models import Lead, LeadStatus, LoggedVia, Team, Touch, TouchKind

BATCH = 5_000
ANALYZE_AFTER = 10_000  # new leads + touches
UTC = timezone.utc

_LEAD_TIMES = ("submitted_at", "received_at", "posted_at", "claimed_at", "first_contact_at", "second_contact_at",
               "last_touch_at", "last_activity_at", "closed_at", "due_at")


def _contact_facts(touches: Iterable[tuple[str, datetime]]) -> dict:
    """Attempts (every touch but a note), the first two attempts and the last touch, from (kind, at) pairs."""
    touches = list(touches)
    attempts = sorted(at for kind, at in touches if kind != TouchKind.NOTE)
    return {
        "attempts": len(attempts),
        "first_contact_at": attempts[0] if attempts else None,
        "second_contact_at": attempts[1] if len(attempts) > 1 else None,
        "last_touch_at": max((at for _, at in touches), default=None),
    }


def _facts(lead: HistoryLead, touches: list[tuple[str, datetime]]) -> dict:
    """Every computed column of a new history lead, from its status and activities."""
    every = [at for _, at in touches]
    closed_at = None
    if lead.status != LeadStatus.OPEN:
        closed_at = lead.closed_at or max(every, default=lead.submitted_at)
        closed_at = max(closed_at, lead.submitted_at)
    return {
        **_contact_facts(touches),
        "last_activity_at": max([lead.submitted_at, *every, *([closed_at] if closed_at else [])]),
        "closed_at": closed_at,
    }


class BulkWriter:
    """Bulk inserts that skip the ORM's per-value processing (the slow part of a million rows).

    The tables are addressed without column types, so values go to the driver as given; this
    class converts them the way the column types would: UTC datetimes as SQLite's text format
    or as aware datetimes for PostgreSQL, the JSON column as JSON text.
    """

    def __init__(self, dialect: str, paramstyle: str) -> None:
        self.sqlite = dialect == "sqlite"
        self.copy = dialect == "postgresql"
        self.paramstyle = paramstyle
        self._text: dict[datetime, str] = {}
        self.lead, self.touch = _untyped(Lead.__table__), _untyped(Touch.__table__)

    def time(self, moment: datetime | None):
        if moment is None or not self.sqlite:
            return moment
        found = self._text.get(moment)
        if found is None:
            found = self._text[moment] = moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.000000")
        return found

    def leads(self, session, team_id: int, rows: list[dict]) -> list[int]:
        """Insert leads, returning their ids in the order given.

        executemany cannot return ids on every driver, so they are read back: rows of this team
        with an id above the highest before the insert (a sequence only grows, so ours are all
        there; a concurrent import's rows are told apart by source and external id)."""
        if self.sqlite:
            time = self.time
            for row in rows:
                for name in _LEAD_TIMES:
                    if row[name] is not None:
                        row[name] = time(row[name])
        dumps = json.dumps
        for row in rows:
            row["details"] = dumps(row["details"])
        before = session.execute(select(func.coalesce(func.max(self.lead.c.id), 0))).scalar_one()
        self._insert(session, self.lead, rows)
        c = self.lead.c
        ids = {(s, e): i for s, e, i in session.execute(
            select(c.source, c.external_id, c.id).where(c.team_id == team_id, c.id > before))}
        return [ids[(row["source"], row["external_id"])] for row in rows]

    def touches(self, session, rows: list[dict]) -> None:
        if self.sqlite:
            time = self.time
            for row in rows:
                row["at"] = time(row["at"])
                row["recorded_at"] = time(row["recorded_at"])
        for start in range(0, len(rows), BATCH):
            self._insert(session, self.touch, rows[start:start + BATCH])

    def _insert(self, session, target: Table, rows: list[dict]) -> None:
        """executemany on the driver itself: SQLAlchemy's per-row parameter building was a third
        of the import's time. Plain column names, the driver's own placeholder style. PostgreSQL:
        COPY FROM STDIN (psycopg), each value in PostgreSQL's text form as its type would send it."""
        if not rows:
            return
        names = list(rows[0])
        if self.copy:
            with session.connection().connection.cursor() as cursor:
                with cursor.copy(f"COPY {target.name} ({', '.join(names)}) FROM STDIN") as copy:
                    write = copy.write_row
                    for values in map(itemgetter(*names), rows):
                        write(values)
            return
        mark = "?" if self.paramstyle == "qmark" else "%s"
        sql = f"INSERT INTO {target.name} ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})"
        session.connection().exec_driver_sql(sql, list(map(itemgetter(*names), rows)))  # a tuple per row, in C


def _untyped(model_table: Table) -> Table:
    """The same table with no column types (NullType: values pass to the driver unchanged)."""
    return Table(model_table.name, MetaData(), *(
        Column(c.name, Integer, primary_key=True) if c.primary_key else Column(c.name) for c in model_table.columns))


@contextmanager
def _import_connection(core: Core) -> Iterator:
    """One connection for the whole import whose commits do not wait for the disk (see the module
    docstring); SQLite's setting is put back before the connection returns to the pool."""
    with core.engine.connect() as connection:
        if core.engine.dialect.name != "sqlite":
            yield connection
            return
        raw = connection.connection.dbapi_connection  # no transaction open yet: the level can change
        level = raw.execute("PRAGMA synchronous").fetchone()[0]
        raw.execute("PRAGMA synchronous=NORMAL")
        try:
            yield connection
        finally:
            if connection.in_transaction():
                connection.rollback()
            raw.execute(f"PRAGMA synchronous={int(level)}")


@contextmanager
def _batch(connection) -> Iterator[Session]:
    """A transaction on the import's connection: commits if the block finishes."""
    with Session(bind=connection, expire_on_commit=False) as session, session.begin():
        if connection.dialect.name == "postgresql":
            session.execute(text("SET LOCAL synchronous_commit TO OFF"))
        yield session


def store(core: Core, team: Team, hours, reps: dict[str, int], leads: dict[tuple[str, str], HistoryLead],
          now: datetime, report: ImportReport, progress: Callable[[str, int, int], None] | None) -> None:
    """Write `leads` into the team, counting in `report`; `reps` is a lower-cased rep name -> member id.
    New leads leave `leads` as they are stored (memory).

    Calls `progress("storing", done, total)` after each batch, and ANALYZEs after a large import."""
    keys = list(leads)
    existing: dict[tuple[str, str], int] = {}
    claims_here: dict[int, tuple[bool, datetime | None]] = {}  # lead id -> (history, claimed_at)
    with core.engine.connect() as connection:
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            rows = connection.execute(
                select(Lead.source, Lead.external_id, Lead.id, Lead.history, Lead.claimed_at)
                .where(Lead.team_id == team.id, tuple_(Lead.source, Lead.external_id).in_(chunk))
            ).all()
            existing.update({(s, e): i for s, e, i, _, _ in rows})
            claims_here.update({i: (h, c) for _, _, i, h, c in rows})
    total = len(leads) + sum(len(lead.touches) for lead in leads.values())
    done = 0
    writer = BulkWriter(core.engine.dialect.name, core.engine.dialect.paramstyle)
    # In submission order, not the file's: the lead indexes that start with (team, submitted_at)
    # then grow at their end instead of taking rows all over (1M rows on SQLite: storing ~2x faster).
    new_keys = sorted((k for k in keys if k not in existing), key=lambda k: leads[k].submitted_at)
    report.leads_existing = len(keys) - len(new_keys)
    report.leads_new = len(new_keys)
    open_hours: dict[datetime, bool] = {}

    def after_hours(moment: datetime) -> bool:
        if moment not in open_hours:
            open_hours[moment] = not hours.is_open(moment)
        return open_hours[moment]

    def touch_row(lead_id: int, ext: str, kind: TouchKind, at: datetime, rep: str | None) -> dict:
        return {"lead_id": lead_id, "member_id": reps.get((rep or "").lower()), "kind": kind.value, "outcome": None,
                "at": at, "logged_via": LoggedVia.IMPORT.value, "recorded_at": now, "external_id": ext}

    with _import_connection(core) as connection:
        # New leads, with their facts computed here, in batches; then their touches.
        for start in range(0, len(new_keys), BATCH):
            batch = new_keys[start:start + BATCH]
            rows = []
            for key in batch:
                lead = leads[key]
                facts = _facts(lead, [(k, at) for k, at, _ in lead.touches.values()])
                rows.append({
                    "team_id": team.id, "source": lead.source, "external_id": lead.external_id,
                    "submitted_at": lead.submitted_at, "received_at": now, "posted_at": None,
                    "customer_name": lead.customer_name, "phone": lead.phone, "email": lead.email,
                    "vehicle": lead.vehicle, "comments": None,
                    "details": {"imported": True, "crm_status": lead.raw_status, "rep": lead.rep},
                    "status": str(lead.status), "owner_id": reps.get((lead.rep or "").lower()),
                    "claimed_at": lead.claimed_at,
                    "close_reason": "imported" if lead.status != LeadStatus.OPEN else None,
                    "due_at": None, "due_rule": None, "due_level": None, "chat_channel": None, "chat_message_id": None,
                    "returning_of_id": None, "after_hours": after_hours(lead.submitted_at), "history": True,
                    **facts,
                })
            report.claims_new += sum(1 for row in rows if row["claimed_at"] is not None)
            with _batch(connection) as session:
                ids = writer.leads(session, team.id, rows)
                touch_rows = [touch_row(lead_id, ext, kind, at, rep)
                              for key, lead_id in zip(batch, ids, strict=True)
                              for ext, (kind, at, rep) in leads[key].touches.items()]
                writer.touches(session, touch_rows)
                report.touches_new += len(touch_rows)
            for key in batch:
                del leads[key]  # stored: let it go (the caller reads only the report)
            done += len(batch) + len(touch_rows)
            if progress:
                progress("storing", done, total)

        # Leads already here (an earlier import, or delivered live): add only activities not yet seen.
        old_keys = [k for k in keys if k in existing]
        for start in range(0, len(old_keys), BATCH):
            batch = old_keys[start:start + BATCH]
            with _batch(connection) as session:
                ids = [existing[k] for k in batch]
                seen = set(session.execute(
                    select(Touch.lead_id, Touch.external_id).where(col(Touch.lead_id).in_(ids))).all())
                touch_rows, changed = [], set()
                for key in batch:
                    lead_id = existing[key]
                    for ext, (kind, at, rep) in leads[key].touches.items():
                        if (lead_id, ext) in seen:
                            report.touches_existing += 1
                            continue
                        changed.add(lead_id)
                        touch_rows.append(touch_row(lead_id, ext, kind, at, rep))
                if touch_rows:
                    writer.touches(session, touch_rows)
                    report.touches_new += len(touch_rows)
                    _recount(session, team, changed)
                claims = _earlier_claims(batch, leads, existing, claims_here)
                if claims:
                    table = Lead.__table__  # core, typed: an executemany of plain UPDATEs
                    session.execute(update(table).where(table.c.id == bindparam("lead_id"))
                                    .values(claimed_at=bindparam("claim")), claims)
                    report.claims_new += len(claims)
            done += len(batch) + sum(len(leads[k].touches) for k in batch)
            if progress:
                progress("storing", done, total)

    if report.leads_new + report.touches_new > ANALYZE_AFTER:
        # The planner's statistics still describe the tables before the import; without fresh
        # ones PostgreSQL walked every lead of the team to find a returning shopper (130 ms an ingest).
        with core.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE lead")
            connection.exec_driver_sql("ANALYZE touch")


def _earlier_claims(batch: list[tuple[str, str]], leads: dict[tuple[str, str], HistoryLead],
                    existing: dict[tuple[str, str], int],
                    claims_here: dict[int, tuple[bool, datetime | None]]) -> list[dict]:
    """{lead_id, claim} for the history leads here whose claim the file gives earlier (or at all).

    A later export repeats the first assignment (nothing changes) or adds reassignments (which
    never move a claim). Leads delivered live keep the claim the bot recorded."""
    found = []
    for key in batch:
        claim = leads[key].claimed_at
        if claim is None:
            continue
        lead_id = existing[key]
        history, claimed_at = claims_here[lead_id]
        if history and (claimed_at is None or claim < claimed_at):
            found.append({"lead_id": lead_id, "claim": claim})
    return found


def _recount(session, team: Team, lead_ids: set[int]) -> None:
    """Contact facts of leads that gained activities, from all their touches (few: a re-import)."""
    for lead_id in lead_ids:
        lead = session.get(Lead, lead_id)
        touches = session.execute(select(Touch.kind, Touch.at).where(Touch.lead_id == lead_id)).all()
        for name, value in _contact_facts(touches).items():
            setattr(lead, name, value)
        lead.last_activity_at = max([lead.last_activity_at, *(at for _, at in touches)])
        refresh_due(session, lead, team)  # a live lead's windows move; a history lead stays quiet
