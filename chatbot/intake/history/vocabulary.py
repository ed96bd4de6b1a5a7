"""The words of CRM exports: column aliases, activity types and lead outcomes, and what they mean here.

An activity type is a contact attempt or note (a TouchKind), an assignment (ASSIGNMENT: the
lead's claim, never an attempt), or a reason the row is skipped (see `activity_kind`).

Headers and values are compared by `header_key` (case, spaces and punctuation ignored), so
"Lead ID", "lead_id" and "LeadId" are one column. `--map column=field` names a column the
aliases do not know (fields: see FIELDS).
"""

from __future__ import annotations

import re

from chatbot.intake.history.report import CannotImport
from chatbot.store.models import LeadStatus, TouchKind

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
# Words inside an activity type that is not in KINDS, tried in this order.
KIND_WORDS = (("call", TouchKind.CALL), ("text", TouchKind.TEXT), ("sms", TouchKind.TEXT),
              ("email", TouchKind.EMAIL), ("appoint", TouchKind.APPOINTMENT), ("note", TouchKind.NOTE))
AUTOMATED = re.compile(r"auto|automat|system|drip|campaign|template", re.IGNORECASE)
# Assignment activities, matched on the header_key of the type: "Lead Assigned", "Assigned to",
# "Reassigned", "Round Robin Assignment", "Auto-Assigned", "Owner Changed", "Change Owner",
# "Sales Rep Changed", "Lead Claimed". Not "Unassigned" (the lead loses its owner: no claim).
ASSIGNED = re.compile(r"(?<!un)assign|roundrobin|(?<!un)claim|owner(ship)?(chang|updat|transfer|set)"
                      r"|(chang|updat|new)\w{0,8}owner|(rep|salesperson|user|bdcagent)(chang|updat|transfer)")


class Assignment:
    """The kind of an assignment activity: the first one at or after submission is the lead's
    claim; it is never a contact attempt, so it is not stored as a touch."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ASSIGNMENT"


ASSIGNMENT = Assignment()
WON = {"won", "sold", "delivered", "closedwon", "purchased"}
LOST = {"lost", "dead", "closedlost", "bad", "badlead", "duplicate", "inactive", "junk", "notinterested"}

_NOT_KEY = re.compile(r"[^a-z0-9]")


def header_key(text: str) -> str:
    """`text` lower-cased, with everything but letters and digits removed: how words are compared."""
    return _NOT_KEY.sub("", text.lower())


def detect_columns(header: list[str], mapping: dict[str, str] | None = None) -> dict[str, int]:
    """field -> column index, from the aliases, then `mapping` (column name -> field) on top."""
    found: dict[str, int] = {}
    keys = [header_key(h) for h in header]
    for name, aliases in ALIASES.items():
        for alias in aliases:  # aliases are in order of preference
            if alias in keys and keys.index(alias) not in found.values():
                found[name] = keys.index(alias)
                break
    for column, name in (mapping or {}).items():
        if name not in FIELDS:
            raise CannotImport(f"--map {column}={name}: {name} is not a field; fields are {', '.join(FIELDS)}")
        if header_key(column) not in keys:
            raise CannotImport(f"--map {column}={name}: the file has no column {column!r}")
        found = {f: i for f, i in found.items() if i != keys.index(header_key(column))}
        found[name] = keys.index(header_key(column))
    if "lead_id" not in found and "customer" not in found and "first_name" not in found:
        raise CannotImport("no lead id or customer column; name one with --map, e.g. --map 'Opp #=lead_id'")
    if "created" not in found:
        raise CannotImport("no column for when the lead was created; name it with --map, e.g. --map 'Date In=created'")
    return found


def activity_kind(raw: str) -> TouchKind | Assignment | str:
    """A TouchKind, ASSIGNMENT, or the reason the activity is skipped.

    Assignments are recognised before automated activities: a round-robin auto-assignment
    ("Auto-Assigned") is still when the lead got its owner."""
    key = header_key(raw)
    if key in KINDS:
        return KINDS[key]
    if ASSIGNED.search(key):
        return ASSIGNMENT
    if AUTOMATED.search(raw):
        return "automated, not a contact attempt"
    for word, kind in KIND_WORDS:
        if word in key:
            return kind
    return "activity type not a call, text, e-mail, appointment or note"


def lead_status(raw: str) -> str:
    """The CRM's status word as a LeadStatus: won, lost, or (anything else) open."""
    key = header_key(raw)
    if key in WON:
        return LeadStatus.WON
    if key in LOST or key.startswith("lost"):
        return LeadStatus.LOST
    return LeadStatus.OPEN
