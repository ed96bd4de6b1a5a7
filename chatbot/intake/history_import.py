"""Import a CRM's history of leads and activities, so the baseline covers the months before the bot.

Two layouts are recognised from the header (case, spaces and punctuation ignored):
- one row per activity: "Lead ID", "Created", "Customer", "Phone", "Email", "Source",
  "Activity Type", "Activity Date", "Rep", "Status" (and "Activity ID" when the CRM has one);
- one row per lead, with "First Contact" / "Second Contact" (and "... Type") date columns.
`--map column=field` names a column the aliases do not know (fields: see FIELDS).

Imported leads are `history=True`: they count in every figure, are never posted and never
escalate. Import is idempotent: a lead is its source + lead id, an activity its "Activity ID"
or, without one, a hash of its kind, time and rep. Running the same file twice adds nothing;
a later export adds only what is new.

Local times are read in the team's zone (or --tz). When daylight saving ends, an hour repeats
(01:00-01:59 twice in the US). We take the first of the two (fold=0, daylight time): a CRM that
writes local times writes them as they happen, and most of that hour's records come from
the first pass. One exception, deliberate: an activity that fold=0 would put before its lead's
submission, but fold=1 would not, gets fold=1, because a reply cannot precede the question.
A time that does not exist (the skipped spring-forward hour) is read with the offset in force
before the change (fold=0 again), i.e. 02:30 becomes 03:30 daylight time.

Speed (docs/PERFORMANCE.md): rows are parsed in one pass, date strings are parsed once each
(exports repeat the same minute), and leads and touches are written in batches of 20,000 with
one DBAPI executemany per batch through SQLAlchemy's connection (`exec_driver_sql`), never
through the per-lead use cases. SQLAlchemy core `insert()` executemany was tried first: its
per-row parameter processing took a third of the time, so the importer converts values itself
(see _Writer).
"""

from __future__ import annotations

import csv
import gc
import hashlib
import itertools
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Column, Integer, MetaData, Table, func, select, tuple_
from sqlmodel import col

from chatbot.core import Core
from chatbot.domain.contact import normalise_email, normalise_phone
from chatbot.leads.deadlines import hours_of, refresh_due
from chatbot.store.db import transaction
from chatbot.store.models import Lead, LeadStatus, LoggedVia, Member, Team, Touch, TouchKind

BATCH = 20_000
UTC = timezone.utc

FIELDS = ("lead_id", "created", "customer", "first_name", "last_name", "phone", "email", "source", "vehicle",
          "activity_id", "activity_type", "activity_date", "rep", "status", "first_contact", "first_contact_type",
          "second_contact", "second_contact_type", "closed")

ALIASES = {
    "lead_id": ["leadid", "lead", "leadnumber", "leadno", "prospectid", "opportunityid", "id", "crmid"],
    "created": ["created", "createddate", "createdat", "createdon", "leaddate", "datecreated", "submitted",
                "submittedat", "submitteddate", "received", "receiveddate", "leadcreated", "requestdate"],
    "customer": ["customer", "customername", "name", "fullname", "contact", "contactname", "prospect"],
    "first_name": ["firstname", "first"],
    "last_name": ["lastname", "last", "surname"],
    "phone": ["phone", "phonenumber", "mobile", "mobilephone", "cell", "cellphone", "homephone", "dayphone"],
    "email": ["email", "emailaddress", "mail"],
    "source": ["source", "leadsource", "provider", "leadprovider", "channel"],
    "vehicle": ["vehicle", "vehicleofinterest", "vehiclesought", "interest"],
    "activity_id": ["activityid", "taskid", "eventid", "touchid"],
    "activity_type": ["activitytype", "type", "activity", "tasktype", "eventtype", "action"],
    "activity_date": ["activitydate", "activitytime", "activitydatetime", "completed", "completeddate",
                      "completedat", "date", "eventdate", "taskdate"],
    "rep": ["rep", "salesrep", "salesperson", "assignedto", "owner", "user", "employee", "bdcagent"],
    "status": ["status", "leadstatus", "outcome", "result", "disposition"],
    "first_contact": ["firstcontact", "firstcontactdate", "firstcontactat", "firstresponse", "firstresponsedate",
                      "firstattempt"],
    "first_contact_type": ["firstcontacttype", "firstresponsetype", "firstattempttype"],
    "second_contact": ["secondcontact", "secondcontactdate", "secondcontactat", "secondresponse",
                       "secondattempt"],
    "second_contact_type": ["secondcontacttype", "secondresponsetype", "secondattempttype"],
    "closed": ["closed", "closeddate", "closedat", "solddate", "lostdate", "dateclosed"],
}

KINDS = {
    "call": TouchKind.CALL, "phonecall": TouchKind.CALL, "phone": TouchKind.CALL, "outboundcall": TouchKind.CALL,
    "outgoingcall": TouchKind.CALL, "calloutbound": TouchKind.CALL, "voicemail": TouchKind.CALL,
    "text": TouchKind.TEXT, "textmessage": TouchKind.TEXT, "sms": TouchKind.TEXT, "outboundtext": TouchKind.TEXT,
    "email": TouchKind.EMAIL, "emailsent": TouchKind.EMAIL, "outboundemail": TouchKind.EMAIL,
    "appointment": TouchKind.APPOINTMENT, "appt": TouchKind.APPOINTMENT, "appointmentset": TouchKind.APPOINTMENT,
    "showroomvisit": TouchKind.APPOINTMENT, "note": TouchKind.NOTE, "comment": TouchKind.NOTE,
}
AUTOMATED = re.compile(r"auto|automat|system|drip|campaign|template", re.IGNORECASE)
WON = {"won", "sold", "delivered", "closedwon", "purchased"}
LOST = {"lost", "dead", "closedlost", "bad", "badlead", "duplicate", "inactive", "junk", "notinterested"}

DATE_FORMATS = ("%m/%d/%Y %I:%M %p", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S",
                "%Y-%m-%d %H:%M", "%Y-%m-%d %I:%M %p", "%m/%d/%y %I:%M %p", "%m/%d/%y %H:%M", "%d.%m.%Y %H:%M",
                "%m/%d/%Y", "%Y-%m-%d")


class CannotImport(ValueError):
    """The file cannot be imported at all (no lead id or date column, unknown --map field)."""


@dataclass
class ImportReport:
    rows: int = 0
    leads_new: int = 0
    leads_existing: int = 0
    touches_new: int = 0
    touches_existing: int = 0
    skipped: Counter = field(default_factory=Counter)
    layout: str = ""
    columns: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [f"{self.rows:,} rows read ({self.layout})",
               f"leads: {self.leads_new:,} new, {self.leads_existing:,} already here",
               f"activities: {self.touches_new:,} new, {self.touches_existing:,} already here"]
        out += [f"skipped, {reason}: {n:,} rows" for reason, n in sorted(self.skipped.items(), key=lambda kv: -kv[1])]
        return out


def _key(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def detect_columns(header: list[str], mapping: dict[str, str] | None = None) -> dict[str, int]:
    """field -> column index, from the aliases, then `mapping` (column name -> field) on top."""
    found: dict[str, int] = {}
    keys = [_key(h) for h in header]
    for name, aliases in ALIASES.items():
        for alias in aliases:  # aliases are in order of preference
            if alias in keys and keys.index(alias) not in found.values():
                found[name] = keys.index(alias)
                break
    for column, name in (mapping or {}).items():
        if name not in FIELDS:
            raise CannotImport(f"--map {column}={name}: {name} is not a field; fields are {', '.join(FIELDS)}")
        if _key(column) not in keys:
            raise CannotImport(f"--map {column}={name}: the file has no column {column!r}")
        found = {f: i for f, i in found.items() if i != keys.index(_key(column))}
        found[name] = keys.index(_key(column))
    if "lead_id" not in found and "customer" not in found and "first_name" not in found:
        raise CannotImport("no lead id or customer column; name one with --map, e.g. --map 'Opp #=lead_id'")
    if "created" not in found:
        raise CannotImport("no column for when the lead was created; name it with --map, e.g. --map 'Date In=created'")
    return found


_US_TIME = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))? ?([AaPp][Mm])")


class _Times:
    """Local date-time strings -> aware UTC, the format learnt from the first value and kept."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self.format: str | None = None
        # Exports repeat the same minute thousands of times: remember what each string meant.
        self._naive: dict[str, datetime] = {}
        self._utc: dict[tuple[datetime, int], datetime] = {}

    def parse(self, text: str, *, fold: int = 0) -> datetime | None:
        naive = self.naive(text)
        if naive is None:
            return None
        return self.at(naive, fold)

    def at(self, naive: datetime, fold: int) -> datetime:
        key = (naive, fold)
        found = self._utc.get(key)
        if found is None:
            if naive.tzinfo is not None:
                found = naive.astimezone(UTC).replace(microsecond=0)
            else:
                found = naive.replace(tzinfo=self.zone, fold=fold).astimezone(UTC).replace(microsecond=0)
            self._utc[key] = found
        return found

    def naive(self, text: str) -> datetime | None:
        found = self._naive.get(text)
        if found is None:
            found = self._naive[text] = self._read(text)
        return found

    def _read(self, text: str) -> datetime:
        text = text.strip()
        if match := _US_TIME.fullmatch(text):  # 11/24/2026 09:30 AM, most CRMs' export format, without strptime
            month, day, year, hour, minute, second, half = match.groups()
            hour = int(hour) % 12 + (12 if half.upper() == "PM" else 0)
            return datetime(int(year), int(month), int(day), hour, int(minute), int(second or 0))
        if self.format is not None:
            try:
                return datetime.strptime(text, self.format)
            except ValueError:
                pass
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            pass
        for fmt in DATE_FORMATS:
            try:
                value = datetime.strptime(text, fmt)
            except ValueError:
                continue
            self.format = fmt
            return value
        raise ValueError(text)

    def ambiguous(self, naive: datetime) -> bool:
        if naive.tzinfo is not None:
            return False
        return naive.replace(tzinfo=self.zone, fold=0).utcoffset() != naive.replace(tzinfo=self.zone, fold=1).utcoffset()


@dataclass
class _Lead:
    source: str
    external_id: str
    submitted_at: datetime
    customer_name: str
    phone: str | None
    email: str | None
    vehicle: str | None
    status: str
    raw_status: str
    rep: str | None
    closed_at: datetime | None
    touches: dict[str, tuple[str, datetime, str | None]] = field(default_factory=dict)  # ext id -> (kind, at, rep)


_NANP = {"US", "CA"}
_DIGITS = re.compile(r"\D")


def _phone(raw: str, region: str) -> str | None:
    """normalise_phone, with a fast path for plain 10-digit North American numbers."""
    if not raw.strip():
        return None
    if region in _NANP and not raw.lstrip().startswith("+"):
        digits = _DIGITS.sub("", raw)
        if len(digits) == 10 and digits[0] in "23456789":
            return "+1" + digits
    return normalise_phone(raw, region)


def _kind(raw: str) -> TouchKind | str:
    """A TouchKind, or the reason the activity is skipped."""
    key = _key(raw)
    if key in KINDS:
        return KINDS[key]
    if AUTOMATED.search(raw):
        return "automated, not a contact attempt"
    for word, kind in (("call", TouchKind.CALL), ("text", TouchKind.TEXT), ("sms", TouchKind.TEXT),
                       ("email", TouchKind.EMAIL), ("appoint", TouchKind.APPOINTMENT), ("note", TouchKind.NOTE)):
        if word in key:
            return kind
    return "activity type not a call, text, e-mail, appointment or note"


def _status(raw: str) -> str:
    key = _key(raw)
    if key in WON:
        return LeadStatus.WON
    if key in LOST or key.startswith("lost"):
        return LeadStatus.LOST
    return LeadStatus.OPEN


def _touch_hash(kind: str, at: datetime, rep: str | None) -> str:
    return "sha256:" + hashlib.sha256(f"{kind}|{at.isoformat()}|{(rep or '').strip().lower()}".encode()).hexdigest()[:32]


def _customer(row: list[str], ix: dict[str, int]) -> str:
    return row[ix["customer"]].strip() or " ".join(
        p for p in (row[ix["first_name"]].strip(), row[ix["last_name"]].strip()) if p)


def read_rows(lines: Iterable[str], zone: ZoneInfo, region: str, now: datetime, *, mapping: dict[str, str] | None,
              report: ImportReport) -> dict[tuple[str, str], _Lead]:
    """Parse the CSV into leads with their activities, counting what is skipped and why.

    The delimiter is the one the header line uses most of: comma, semicolon (European Excel),
    tab or pipe."""
    lines = iter(lines)
    first = next(lines, None)
    if first is None:
        raise CannotImport("the file is empty")
    delimiter = max(",;\t|", key=first.count)
    reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter)
    header = next(reader)
    cols = detect_columns(header, mapping)
    report.columns = {name: header[i] for name, i in cols.items()}
    per_lead = "activity_date" not in cols and "first_contact" in cols
    report.layout = "one row per lead" if per_lead else "one row per activity"
    times = _Times(zone)
    blank = len(header)  # every row gets one empty cell at the end: a missing field reads from there
    ix = {name: cols.get(name, blank) for name in FIELDS}
    width = blank + 1
    leads: dict[tuple[str, str], _Lead] = {}
    skipped = report.skipped
    kinds: dict[str, TouchKind | str] = {}
    i_created, i_source, i_lead, i_rep, i_act = ix["created"], ix["source"], ix["lead_id"], ix["rep"], ix["activity_id"]
    activity_columns = ([(ix["first_contact"], ix["first_contact_type"]), (ix["second_contact"],
                                                                            ix["second_contact_type"])]
                        if per_lead else [(ix["activity_date"], ix["activity_type"])])
    for row in reader:
        if len(row) < blank and not any(c.strip() for c in row):
            continue  # a blank line (spreadsheets leave them at the end): not a row
        report.rows += 1
        row.append("")
        if len(row) < width:
            row.extend([""] * (width - len(row)))
        created_text = row[i_created].strip()
        if not created_text:
            skipped["no lead date"] += 1
            continue
        source = row[i_source].strip() or "CRM import"
        lead_key = row[i_lead].strip()
        if not lead_key:
            customer = _customer(row, ix)
            if not customer:
                skipped["no lead id and no customer"] += 1
                continue
            lead_key = "sha256:" + hashlib.sha256(f"{customer}|{created_text}".encode()).hexdigest()[:32]
        lead = leads.get((source, lead_key))
        if lead is None:
            try:
                created = times.parse(created_text)
            except ValueError:
                skipped["unreadable lead date"] += 1
                continue
            if created > now:
                skipped["lead date in the future"] += 1
                continue
            raw_status = row[ix["status"]].strip()
            closed_text = row[ix["closed"]].strip()
            try:
                closed = times.parse(closed_text) if closed_text else None
            except ValueError:
                closed = None
            email = row[ix["email"]].strip()
            lead = _Lead(source=source[:80], external_id=lead_key[:200], submitted_at=created,
                         customer_name=(_customer(row, ix) or "(no name)")[:200],
                         phone=_phone(row[ix["phone"]], region), email=normalise_email(email) if email else None,
                         vehicle=row[ix["vehicle"]].strip() or None, status=_status(raw_status), raw_status=raw_status,
                         rep=row[i_rep].strip() or None, closed_at=closed)
            leads[(source, lead_key)] = lead
        for date_index, type_index in activity_columns:
            at_text = row[date_index].strip()
            kind_text = row[type_index].strip() or ("call" if per_lead else "")
            if not at_text:
                if not per_lead and (kind_text or row[i_act].strip()):
                    skipped["activity with no date"] += 1
                continue
            kind = kinds.get(kind_text)
            if kind is None:
                kind = kinds[kind_text] = _kind(kind_text or "call")
            if kind.__class__ is not TouchKind:
                skipped[kind] += 1
                continue
            try:
                naive = times.naive(at_text)
            except ValueError:
                skipped["unreadable activity date"] += 1
                continue
            at = times.at(naive, 0)
            if at < lead.submitted_at and times.ambiguous(naive) and times.at(naive, 1) >= lead.submitted_at:
                at = times.at(naive, 1)  # the repeated hour: a reply cannot precede the question
            if at < lead.submitted_at:
                skipped["activity before submission"] += 1
                continue
            if at > now:
                skipped["activity in the future"] += 1
                continue
            rep = row[i_rep].strip() or None
            ext = row[i_act].strip() if not per_lead else ""
            ext = ext[:200] if ext else _touch_hash(kind, at, rep)
            if ext in lead.touches:
                skipped["same activity twice in the file"] += 1
                continue
            lead.touches[ext] = (kind, at, rep)
    return leads


def import_history(core: Core, team_id: int, path: Path, *, tz: str | None = None,
                   mapping: dict[str, str] | None = None,
                   progress: Callable[[str, int, int], None] | None = None) -> ImportReport:
    """Import `path` into the team. `progress(phase, done, total)` is called now and then."""
    now = core.clock.now()
    report = ImportReport()
    with transaction(core.engine) as session:
        team = session.get(Team, team_id)
        members = list(session.scalars(select(Member).where(Member.team_id == team_id)))
    zone = ZoneInfo(tz or team.timezone)
    hours = hours_of(team)
    reps = {}
    for m in members:
        for name in (m.name, m.chat_user_id, m.email):
            if name:
                reps[name.strip().lower()] = m.id

    size = path.stat().st_size
    # Millions of small objects that all live until the end: the cyclic collector would walk
    # them again and again for nothing (they hold no cycles). Reference counting still frees.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _import(core, team, path, size, zone, hours, reps, now, mapping, report, progress)
    finally:
        if collecting:
            gc.enable()


def _import(core, team, path, size, zone, hours, reps, now, mapping, report, progress) -> ImportReport:
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        def lines() -> Iterable[str]:
            done = 0
            for n, line in enumerate(handle, 1):
                done += len(line)
                if progress and n % 20_000 == 0:
                    progress("reading", done, size)
                yield line
            if progress:
                progress("reading", size, size)
        leads = read_rows(lines(), zone, team.phone_region, now, mapping=mapping, report=report)

    _store(core, team, hours, reps, leads, now, report, progress)
    if report.leads_new + report.touches_new > 10_000:
        # The planner's statistics still describe the tables before the import; without fresh
        # ones PostgreSQL walked every lead of the team to find a returning shopper (130 ms an ingest).
        with core.engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE lead")
            connection.exec_driver_sql("ANALYZE touch")
    return report


def _facts(lead: _Lead, touches: list[tuple[str, datetime]]) -> dict:
    attempts = sorted(at for kind, at in touches if kind != TouchKind.NOTE)
    every = [at for _, at in touches]
    closed_at = None
    if lead.status != LeadStatus.OPEN:
        closed_at = lead.closed_at or max(every, default=lead.submitted_at)
        closed_at = max(closed_at, lead.submitted_at)
    last_touch = max(every, default=None)
    return {
        "attempts": len(attempts),
        "first_contact_at": attempts[0] if attempts else None,
        "second_contact_at": attempts[1] if len(attempts) > 1 else None,
        "last_touch_at": last_touch,
        "last_activity_at": max([lead.submitted_at, *every, *([closed_at] if closed_at else [])]),
        "closed_at": closed_at,
    }


class _Writer:
    """Bulk inserts that skip the ORM's per-value processing (the slow part of a million rows).

    The tables are addressed without column types, so values go to the driver as given; this
    class converts them the way the column types would: UTC datetimes as SQLite's text format
    or as aware datetimes for PostgreSQL, the JSON column as JSON text.
    """

    def __init__(self, dialect: str, paramstyle: str) -> None:
        self.sqlite = dialect == "sqlite"
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
        for row in rows:
            for name in _LEAD_TIMES:
                row[name] = self.time(row[name])
            row["details"] = json.dumps(row["details"])
        before = session.execute(select(func.coalesce(func.max(self.lead.c.id), 0))).scalar_one()
        self._insert(session, self.lead, rows)
        c = self.lead.c
        ids = {(s, e): i for s, e, i in session.execute(
            select(c.source, c.external_id, c.id).where(c.team_id == team_id, c.id > before))}
        return [ids[(row["source"], row["external_id"])] for row in rows]

    def touches(self, session, rows: list[dict]) -> None:
        for row in rows:
            row["at"] = self.time(row["at"])
            row["recorded_at"] = self.time(row["recorded_at"])
        for start in range(0, len(rows), BATCH):
            self._insert(session, self.touch, rows[start:start + BATCH])

    def _insert(self, session, target: Table, rows: list[dict]) -> None:
        """executemany on the driver itself: SQLAlchemy's per-row parameter building was a third
        of the import's time. Plain column names, the driver's own placeholder style."""
        if not rows:
            return
        names = list(rows[0])
        mark = "?" if self.paramstyle == "qmark" else "%s"
        sql = f"INSERT INTO {target.name} ({', '.join(names)}) VALUES ({', '.join([mark] * len(names))})"
        session.connection().exec_driver_sql(sql, [tuple(row[n] for n in names) for row in rows])


def _untyped(model_table: Table) -> Table:
    """The same table with no column types (NullType: values pass to the driver unchanged)."""
    return Table(model_table.name, MetaData(), *(
        Column(c.name, Integer, primary_key=True) if c.primary_key else Column(c.name) for c in model_table.columns))


_LEAD_TIMES = ("submitted_at", "received_at", "posted_at", "claimed_at", "first_contact_at", "second_contact_at",
               "last_touch_at", "last_activity_at", "closed_at", "due_at")


def _store(core: Core, team: Team, hours, reps: dict[str, int], leads: dict[tuple[str, str], _Lead], now: datetime,
           report: ImportReport, progress) -> None:
    keys = list(leads)
    existing: dict[tuple[str, str], int] = {}
    with core.engine.connect() as connection:
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            rows = connection.execute(
                select(Lead.source, Lead.external_id, Lead.id)
                .where(Lead.team_id == team.id, tuple_(Lead.source, Lead.external_id).in_(chunk))
            ).all()
            existing.update({(s, e): i for s, e, i in rows})
    total = len(leads) + sum(len(lead.touches) for lead in leads.values())
    done = 0
    writer = _Writer(core.engine.dialect.name, core.engine.dialect.paramstyle)
    new_keys = [k for k in keys if k not in existing]
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
                "status": str(lead.status), "owner_id": reps.get((lead.rep or "").lower()), "claimed_at": None,
                "close_reason": "imported" if lead.status != LeadStatus.OPEN else None,
                "due_at": None, "due_rule": None, "due_level": None, "chat_channel": None, "chat_message_id": None,
                "returning_of_id": None, "after_hours": after_hours(lead.submitted_at), "history": True,
                **facts,
            })
        with transaction(core.engine) as session:
            ids = writer.leads(session, team.id, rows)
            touch_rows = [touch_row(lead_id, ext, kind, at, rep)
                          for key, lead_id in zip(batch, ids, strict=True)
                          for ext, (kind, at, rep) in leads[key].touches.items()]
            writer.touches(session, touch_rows)
            report.touches_new += len(touch_rows)
        done += len(batch) + len(touch_rows)
        if progress:
            progress("storing", done, total)

    # Leads already here (an earlier import, or delivered live): add only activities not yet seen.
    old_keys = [k for k in keys if k in existing]
    for start in range(0, len(old_keys), BATCH):
        batch = old_keys[start:start + BATCH]
        with transaction(core.engine) as session:
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
        done += len(batch) + sum(len(leads[k].touches) for k in batch)
        if progress:
            progress("storing", done, total)


def _recount(session, team: Team, lead_ids: set[int]) -> None:
    """Contact facts of leads that gained activities, from all their touches (few: a re-import)."""
    for lead_id in lead_ids:
        lead = session.get(Lead, lead_id)
        touches = session.execute(select(Touch.kind, Touch.at).where(Touch.lead_id == lead_id)).all()
        attempts = sorted(at for kind, at in touches if kind != TouchKind.NOTE)
        lead.attempts = len(attempts)
        lead.first_contact_at = attempts[0] if attempts else None
        lead.second_contact_at = attempts[1] if len(attempts) > 1 else None
        lead.last_touch_at = max((at for _, at in touches), default=None)
        lead.last_activity_at = max([lead.last_activity_at, *(at for _, at in touches)])
        refresh_due(session, lead, team)  # a live lead's windows move; a history lead stays quiet
