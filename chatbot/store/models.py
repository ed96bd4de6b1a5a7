"""The tables. Alembic owns the schema (chatbot/migrations); these classes describe it.

Words are the dealership's: a team is a rooftop, a member is a rep or a manager, a touch is
something a rep did to a lead, an escalation is one step of the ladder for one lapsed window.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Optional

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from chatbot.domain.vocabulary import LeadStatus, LoggedVia, Role, TouchKind  # noqa: F401 (re-exported)
from chatbot.store.db import UTCDateTime


def _time(**kwargs: Any) -> Any:
    """A UTC datetime column (nullable unless told otherwise)."""
    nullable = kwargs.pop("nullable", True)
    index = kwargs.pop("index", False)
    return Field(sa_type=UTCDateTime(), nullable=nullable, index=index, **kwargs)


class Team(SQLModel, table=True):
    """One dealership rooftop: its clock, its hours, its channels and its windows."""

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str
    platform: str = Field(default="console", description="console, slack or teams")
    platform_team_id: str = Field(default="console", description="Slack team id or Teams tenant id")
    timezone: str = "America/Chicago"
    business_days: str = Field(default="mon tue wed thu fri sat")
    opens_at: str = "09:00"
    closes_at: str = "19:00"
    leads_channel: Optional[str] = None
    managers_channel: Optional[str] = None
    claim_window_s: int = 5 * 60
    first_contact_window_s: int = 15 * 60
    second_contact_window_s: int = 48 * 3600
    stall_window_s: int = 3 * 24 * 3600
    claim_emoji: Optional[str] = Field(default=None, description="None: any reaction claims")
    playbook: str = "Call now. No answer: text, then e-mail, and log each one."
    phone_region: str = "US"
    created_at: datetime = _time(nullable=False)
    quiet_hours: bool = Field(default=True, description="After hours, notices for managers and the channel "
                              "wait for the morning summary; False: they go out at once")
    weekly_hours: Optional[str] = Field(default=None, description="A range per weekday, 'mon 09:00-20:00, ..., "
                                        "sun closed'; None: business_days, opens_at and closes_at")
    holidays: Optional[str] = Field(default=None, description="ISO dates, space-separated: closed all day")
    oncall_anchor: Optional[date] = Field(default=None, description="The shift date the first rep of the "
                                          "rotation takes; None: the date's ordinal picks")
    oncall_handoff: Optional[str] = Field(default=None, max_length=5, description="HH:MM; None: closing time")
    oncall_shift_s: Optional[int] = Field(default=None, description="Shift length; None: until the next opening")
    ladders: Optional[dict] = Field(default=None, sa_column=Column(JSON, nullable=True),
                                    description="A chain per window as written ('first_contact': '-5m remind owner, "
                                    "...'); a window not named keeps the default chain")
    away_after_lapses: int = Field(default=3, description="A rep who lets this many windows lapse in a row (in "
                                   "business hours) is set away; 0: never")
    chat_lost_at: Optional[datetime] = _time(description="When the chat stopped taking this rooftop's messages "
                                             "for good (the app removed, its channel refusing us); None: it takes them")
    chat_lost_reason: Optional[str] = Field(default=None, max_length=200, description="Why, in a few words")

    __table_args__ = (UniqueConstraint("platform", "platform_team_id", name="uq_team_platform"),)


class Member(SQLModel, table=True):
    """A person on the team: a rep who works leads, or a manager who is escalated to."""

    id: Optional[int] = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    name: str
    chat_user_id: str
    email: Optional[str] = Field(default=None, description="Lower-case; how CRMs and phone systems name the rep")
    role: str = Field(default=Role.REP)
    oncall_order: Optional[int] = Field(default=None, description="Place in the after-hours rotation; None: not in it")
    active: bool = True
    away_since: Optional[datetime] = _time()
    away_until: Optional[datetime] = _time(description="None while away_since is set: until they say /back")
    away_reason: Optional[str] = Field(default=None, max_length=200)
    lapses_in_row: int = Field(default=0, description="Windows of this rep's leads that lapsed in business hours "
                               "since their last logged attempt")

    __table_args__ = (UniqueConstraint("team_id", "chat_user_id", name="uq_member_chat_user"),)


class Lead(SQLModel, table=True):
    """A customer who asked, and everything follow-up needs to know about them at a glance."""

    id: Optional[int] = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id")
    source: str
    external_id: str
    submitted_at: datetime = _time(nullable=False)
    received_at: datetime = _time(nullable=False)
    posted_at: Optional[datetime] = _time()
    customer_name: str
    phone: Optional[str] = Field(default=None, description="E.164")
    email: Optional[str] = None
    vehicle: Optional[str] = None
    comments: Optional[str] = None
    details: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default=LeadStatus.OPEN)
    owner_id: Optional[int] = Field(default=None, foreign_key="member.id")
    claimed_at: Optional[datetime] = _time()
    first_contact_at: Optional[datetime] = _time()
    second_contact_at: Optional[datetime] = _time()
    last_touch_at: Optional[datetime] = _time()
    last_activity_at: datetime = _time(nullable=False)
    attempts: int = 0
    closed_at: Optional[datetime] = _time()
    close_reason: Optional[str] = None
    due_at: Optional[datetime] = _time(index=True)
    due_rule: Optional[str] = None
    due_level: Optional[int] = None
    chat_channel: Optional[str] = None
    chat_message_id: Optional[str] = None
    card_check_at: Optional[datetime] = _time(
        index=True, description="When to look in the channel for copies of the card (a post of it went "
                                "unanswered, so the chat may show it twice); None: nothing to look for")
    returning_of_id: Optional[int] = Field(default=None, foreign_key="lead.id")
    after_hours: bool = Field(default=False, description="Submitted outside the team's business hours")
    history: bool = Field(default=False, description="Imported from a CRM: counts in figures, never escalates")
    ladder: Optional[dict] = Field(default=None, sa_column=Column(JSON, nullable=True),
                                   description="Each open window's plan, fixed when it opened (policy.Plan)")

    __table_args__ = (
        UniqueConstraint("team_id", "source", "external_id", name="uq_lead_source_external_id"),
        Index("ix_lead_team_submitted", "team_id", "submitted_at"),
        Index("ix_lead_chat_message", "chat_channel", "chat_message_id"),
        # Returning shoppers are found by phone or e-mail on every ingest.
        Index("ix_lead_team_phone", "team_id", "phone"),
        Index("ix_lead_team_email", "team_id", "email"),
        # Reports (chatbot/reports/cohort.py): a cohort's figures read only this index (SQLite
        # and PostgreSQL scan it without visiting the table); /stalled reads a team's open leads.
        Index("ix_lead_report", "team_id", "submitted_at", "first_contact_at", "second_contact_at", "claimed_at",
              "status", "last_activity_at", "attempts", "after_hours", "owner_id", "source"),
        Index("ix_lead_team_status_submitted", "team_id", "status", "submitted_at"),
    )


class Touch(SQLModel, table=True):
    """Something a rep did to a lead: a call, text, e-mail, appointment, or a note."""

    id: Optional[int] = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id", index=True)
    member_id: Optional[int] = Field(default=None, foreign_key="member.id")
    kind: str
    outcome: Optional[str] = None
    at: datetime = _time(nullable=False)
    logged_via: str = Field(default=LoggedVia.COMMAND)
    recorded_at: datetime = _time(nullable=False)
    external_id: Optional[str] = Field(default=None, description="The CRM's id, so a webhook retry logs once")

    __table_args__ = (UniqueConstraint("lead_id", "external_id", name="uq_touch_external_id"),)


class Escalation(SQLModel, table=True):
    """One step of the ladder for one lapsed window. The unique key makes it happen once."""

    id: Optional[int] = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="lead.id", index=True)
    rule: str
    deadline: datetime = _time(nullable=False)
    level: int
    due_at: datetime = _time(nullable=False)
    fired_at: datetime = _time(nullable=False)
    target_member_id: Optional[int] = Field(default=None, foreign_key="member.id")
    target_channel: Optional[str] = None
    held_for: Optional[date] = Field(default=None, description="After hours: told in that local day's "
                                     "morning summary instead of at once")
    moved_from_id: Optional[int] = Field(default=None, foreign_key="member.id",
                                         description="A reassign step: whose the lead was before it moved")

    __table_args__ = (
        UniqueConstraint("lead_id", "rule", "deadline", "level", name="uq_escalation_step"),
    )


class Rollup(SQLModel, table=True):
    """A team's morning summary for one local day: what was held overnight for managers and
    every lead past its ladder. The unique key makes it happen once."""

    id: Optional[int] = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id")
    day: date
    created_at: datetime = _time(nullable=False)
    held: int = 0
    past_ladder: int = 0

    __table_args__ = (UniqueConstraint("team_id", "day", name="uq_rollup_day"),)


class OncallShift(SQLModel, table=True):
    """Who holds one on-call shift (named by the local date it starts on), when the rotation
    alone does not say: kind 'kept' (written down when the rotation changed, so the coming two
    weeks do not move) or 'override' (a manager's cover, a swap, a day off)."""

    id: Optional[int] = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id")
    day: date
    kind: str = Field(max_length=20)
    member_id: int = Field(foreign_key="member.id")
    note: Optional[str] = Field(default=None, max_length=200)
    created_at: datetime = _time(nullable=False)

    __table_args__ = (UniqueConstraint("team_id", "day", "kind", name="uq_oncallshift_day"),)


class OncallHandoff(SQLModel, table=True):
    """The notice that tells the incoming rep what is open and overdue at the start of their
    shift. The unique key (team, shift date) makes it happen once: the row is made and its outbox
    message queued in one transaction; `sent_at` and `member_id` say when it went, to whom."""

    id: Optional[int] = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id")
    day: date
    member_id: Optional[int] = Field(default=None, foreign_key="member.id")
    due_at: datetime = _time(nullable=False)
    created_at: datetime = _time(nullable=False)
    sent_at: Optional[datetime] = _time()

    __table_args__ = (UniqueConstraint("team_id", "day", name="uq_oncallhandoff_day"),)


class OutboxMessage(SQLModel, table=True):
    """A chat message the core has decided to send, kept until the chat service took it."""

    id: Optional[int] = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id")
    lead_id: Optional[int] = Field(default=None, foreign_key="lead.id")
    kind: str
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _time(nullable=False)
    next_attempt_at: datetime = _time(nullable=False)
    attempts: int = 0
    sent_at: Optional[datetime] = _time()
    last_error: Optional[str] = None

    __table_args__ = (Index("ix_outbox_pending", "sent_at", "next_attempt_at"),)


class ProcessedEvent(SQLModel, table=True):
    """A chat platform's delivery id (Slack's event_id) already acted on: a retry has no effect."""

    id: Optional[int] = Field(default=None, primary_key=True)
    event_id: str = Field(unique=True, max_length=255)
    received_at: datetime = _time(nullable=False, index=True)


class ApiKey(SQLModel, table=True):
    """A credential a lead provider or CRM posts with. Only a hash of the secret is kept.

    The key a sender holds is ``<prefix>.<secret>``; the prefix is shown in lists and names the
    key in logs, the secret is checked against ``secret_sha256`` and never stored or logged.
    With ``hmac_secret`` set, every request must also carry ``X-Signature: sha256=<hex>`` of
    its raw body (the HMAC key has to be kept: a signature cannot be checked against a hash).
    """

    id: Optional[int] = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    name: str = Field(description="Who holds it: 'cars.com', 'dealer website', 'CRM'")
    prefix: str = Field(description="The public part of the key, shown in lists")
    secret_sha256: str = Field(description="Hex SHA-256 of the secret part of the key")
    hmac_secret: Optional[str] = Field(default=None, description="Signing secret; None: no signature required")
    rate_per_minute: Optional[int] = Field(default=None, description="Requests a minute it may make; None: "
                                                                     "the default (chatbot/intake/rate_limits.py)")
    created_at: datetime = _time(nullable=False)
    revoked_at: Optional[datetime] = _time()

    __table_args__ = (UniqueConstraint("prefix", name="uq_apikey_prefix"),)


class ConversationRef(SQLModel, table=True):
    """Where a chat platform lets the bot speak later without being spoken to (a proactive message).

    Teams: captured when the app is installed in a team or a personal chat (conversationUpdate)
    and on every activity after: the conversation id, the service URL and the tenant. `address`
    names what it reaches: 'service' (the team's service URL and tenant), 'channel:<id>' or
    'user:<chat user id>' (their personal chat with the bot).
    """

    id: Optional[int] = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    address: str = Field(max_length=255)
    reference: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = _time(nullable=False)

    __table_args__ = (UniqueConstraint("team_id", "address", name="uq_conversationref_address"),)


class TeamSchedule(SQLModel, table=True):
    """When a team's recurring work happens (kind 'digest': the weekly digest), in its own zone.

    No row: the default (Monday 08:00). `weekday` None: the team turned it off.
    """

    id: Optional[int] = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id")
    kind: str = Field(max_length=40)
    weekday: Optional[int] = Field(default=0, description="0 = Monday; None: off")
    at: str = Field(default="08:00", max_length=5, description="Local HH:MM")
    updated_at: datetime = _time(nullable=False)

    __table_args__ = (UniqueConstraint("team_id", "kind", name="uq_teamschedule_kind"),)


JOB_DUE, JOB_SENT, JOB_SUPERSEDED = "due", "sent", "superseded"  # TeamJob.status


class TeamJob(SQLModel, table=True):
    """One piece of a team's scheduled work (kind 'digest', period '2026-W46'). The unique key
    makes it happen once: the row is made and its outbox message queued in one transaction."""

    id: Optional[int] = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id")
    kind: str = Field(max_length=40)
    period: str = Field(max_length=40, description="What it covers: an ISO week, '2026-W46'")
    due_at: datetime = _time(nullable=False)
    created_at: datetime = _time(nullable=False)
    status: str = Field(default="due", max_length=20, description="due (queued in the outbox), sent or superseded")
    sent_at: Optional[datetime] = _time()
    late: bool = Field(default=False, description="Sent after its moment had passed (worker down, chat down)")
    channel: Optional[str] = None
    message_id: Optional[str] = None

    __table_args__ = (UniqueConstraint("team_id", "kind", "period", name="uq_teamjob_period"),)


class WorkerHeartbeat(SQLModel, table=True):
    """The latest beat of each worker (by name), written on every tick: `/readyz` and `chatbot
    doctor` read whether the worker is alive from it (chatbot/ops/heartbeat.py)."""

    __tablename__ = "worker_heartbeat"

    worker: str = Field(primary_key=True, max_length=100)
    host: str = Field(max_length=255)
    pid: int
    beat_at: datetime = _time(nullable=False)
