"""Reading a CRM export: the CSV dialect, then rows -> leads with their activities, counting what is skipped.

Two layouts are recognised from the header (see vocabulary):
- one row per activity: "Lead ID", "Created", "Customer", "Phone", "Email", "Source",
  "Activity Type", "Activity Date", "Rep", "Status" (and "Activity ID" when the CRM has one);
- one row per lead, with "First Contact" / "Second Contact" (and "... Type") date columns.

Keys make the import idempotent: a lead is its source + lead id (or, without one, a hash of
customer and creation date), an activity its "Activity ID" or, without one, a hash of its kind,
time and rep. Rows are parsed in one pass; nothing here touches the database.

Assignment activities ("Lead Assigned", "Reassigned", "Owner Changed" ...) are not touches: the
earliest one at or after the lead's submission is its claim (`HistoryLead.claimed_at`), later
ones do not move it, and one before the submission is skipped like any other early activity.
"""

from __future__ import annotations

import csv
import hashlib
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from chatbot.domain.contact import normalise_email, normalise_phone
from chatbot.intake.history.local_time import LocalTimes
from chatbot.intake.history.report import CannotImport, ImportReport
from chatbot.intake.history.vocabulary import ASSIGNMENT, FIELDS, activity_kind, detect_columns, lead_status
from chatbot.store.models import TouchKind

Progress = Callable[[str, int, int], None]
PROGRESS_EVERY = 20_000  # lines


@dataclass(slots=True)
class HistoryLead:
    """A lead as read from the file, with its activities, before it is stored.

    A million-row file holds hundreds of thousands of these until they are stored, so they have
    no per-instance __dict__ (slots), and the texts that repeat (source, status, rep, vehicle)
    are one shared string each (`read_rows` interns them)."""

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
    touches: dict[str, tuple[TouchKind, datetime, str | None]] = field(default_factory=dict)  # ext id -> (kind, at, rep)
    claimed_at: datetime | None = None  # the earliest assignment at or after submission
    assignments: str | set[str] | None = None  # their ext ids: the first alone, a set once there are more
    # (a row twice in the file is one assignment)


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


def _hash(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def _touch_hash(kind: str, at: datetime, rep: str | None) -> str:
    return _hash(f"{kind}|{at.isoformat()}|{(rep or '').strip().lower()}")


def _customer(row: list[str], ix: dict[str, int]) -> str:
    return row[ix["customer"]].strip() or " ".join(
        p for p in (row[ix["first_name"]].strip(), row[ix["last_name"]].strip()) if p)


def check_header(path: Path, mapping: dict[str, str] | None = None) -> None:
    """Raise CannotImport if the file's header line cannot be imported (what read_rows would say
    first), reading nothing else: lets a caller refuse before it changes anything."""
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        first = handle.readline()
    if not first:
        raise CannotImport("the file is empty")
    delimiter = max(",;\t|", key=first.count)
    detect_columns(next(csv.reader([first], delimiter=delimiter)), mapping)


def read_file(path: Path, zone: ZoneInfo, region: str, now: datetime, *, mapping: dict[str, str] | None,
              report: ImportReport, progress: Progress | None = None) -> dict[tuple[str, str], HistoryLead]:
    """read_rows on the file at `path` (UTF-8, a BOM allowed), calling `progress("reading", bytes, size)`."""
    size = path.stat().st_size
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        def lines() -> Iterator[str]:
            done = 0
            for n, line in enumerate(handle, 1):
                done += len(line)
                if progress and n % PROGRESS_EVERY == 0:
                    progress("reading", done, size)
                yield line
            if progress:
                progress("reading", size, size)
        return read_rows(lines(), zone, region, now, mapping=mapping, report=report)


def read_rows(lines: Iterable[str], zone: ZoneInfo, region: str, now: datetime, *, mapping: dict[str, str] | None,
              report: ImportReport) -> dict[tuple[str, str], HistoryLead]:
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
    times = LocalTimes(zone)
    blank = len(header)  # every row gets one empty cell at the end: a missing field reads from there
    ix = {name: cols.get(name, blank) for name in FIELDS}
    width = blank + 1
    leads: dict[tuple[str, str], HistoryLead] = {}
    shared: dict[str, str] = {}  # one string object per distinct repeated text (memory: see HistoryLead)
    share = shared.setdefault
    skipped = report.skipped
    kinds: dict[str, object] = {}  # activity type as written -> TouchKind, ASSIGNMENT or skip reason
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
        source = share(source, source)
        lead_key = row[i_lead].strip()
        if not lead_key:
            customer = _customer(row, ix)
            if not customer:
                skipped["no lead id and no customer"] += 1
                continue
            lead_key = _hash(f"{customer}|{created_text}")
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
            raw_status = share(raw_status, raw_status)
            closed_text = row[ix["closed"]].strip()
            try:
                closed = times.parse(closed_text) if closed_text else None
            except ValueError:
                closed = None
            email = row[ix["email"]].strip()
            vehicle, lead_rep = row[ix["vehicle"]].strip(), row[i_rep].strip()
            lead = HistoryLead(source=source[:80], external_id=lead_key[:200], submitted_at=created,
                               customer_name=(_customer(row, ix) or "(no name)")[:200],
                               phone=_phone(row[ix["phone"]], region), email=normalise_email(email) if email else None,
                               vehicle=share(vehicle, vehicle) or None, status=lead_status(raw_status),
                               raw_status=raw_status, rep=share(lead_rep, lead_rep) or None, closed_at=closed)
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
                kind = kinds[kind_text] = activity_kind(kind_text or "call")
            if kind.__class__ is not TouchKind and kind is not ASSIGNMENT:
                skipped[kind] += 1
                continue
            try:
                naive = times.naive(at_text)
            except ValueError:
                skipped["unreadable activity date"] += 1
                continue
            at = times.not_before(naive, lead.submitted_at)
            if at < lead.submitted_at:
                skipped["activity before submission"] += 1
                continue
            if at > now:
                skipped["activity in the future"] += 1
                continue
            rep = row[i_rep].strip()
            rep = share(rep, rep) or None
            ext = row[i_act].strip() if not per_lead else ""
            if kind is ASSIGNMENT:
                _assigned(lead, ext[:200] if ext else _touch_hash("assigned", at, rep), at, report)
                continue
            ext = ext[:200] if ext else _touch_hash(kind, at, rep)
            if ext in lead.touches:
                skipped["same activity twice in the file"] += 1
                continue
            lead.touches[ext] = (kind, at, rep)
    return leads


def _assigned(lead: HistoryLead, ext: str, at: datetime, report: ImportReport) -> None:
    """An assignment of `lead` at `at` (at or after its submission): the earliest is the claim."""
    seen = lead.assignments
    if seen is None:
        lead.assignments = ext
        lead.claimed_at = at
        report.claims_read += 1
        return
    if ext == seen or (seen.__class__ is set and ext in seen):
        report.skipped["same activity twice in the file"] += 1
        return
    if seen.__class__ is set:
        seen.add(ext)
    else:
        lead.assignments = {seen, ext}
    report.reassignments += 1
    if at < lead.claimed_at:
        lead.claimed_at = at
