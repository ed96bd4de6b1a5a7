"""Prometheus metrics: what the database says at scrape time, and what this process counted.

The web app and the worker are separate processes, and the core's use cases count nothing: the
lead, escalation and outbox figures are read from the rows when Prometheus scrapes
(`DatabaseCollector`), so every process that serves `/metrics` reports the same numbers. Two
figures only a process can see are counted in it: chat API errors (the adapters' ChatPorts
call `chat_api_error`) and request latency (the web app's middleware).

The histograms are cumulative over every live lead (imported CRM history is left out), so
`rate()` and `histogram_quantile()` work on them as on any histogram. No label carries a name,
phone or e-mail: a lead's source is a provider name, and only the most frequent `TOP_SOURCES`
are named (the rest are "other"), so the number of series stays bounded.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Sequence

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import and_, case, func
from sqlmodel import col, select

from chatbot.ops.heartbeat import last_beat
from chatbot.reports.figures import seconds_between
from chatbot.store.db import transaction
from chatbot.store.models import Escalation, Lead, OutboxMessage, Team

log = logging.getLogger(__name__)

TOP_SOURCES = 10
OTHER = "other"
MAX_LABEL = 40
MAX_LEVEL = 9  # ladder levels above this are counted as "9+"
# Bucket bounds in seconds; the database keeps whole seconds.
POST_BUCKETS = (1, 2, 5, 10, 30, 60, 300, 900, 3600)
CLAIM_BUCKETS = (60, 120, 300, 600, 900, 1800, 3600, 4 * 3600, 24 * 3600)
FIRST_CONTACT_BUCKETS = (60, 300, 900, 1800, 3600, 4 * 3600, 24 * 3600)  # docs/METRICS.md's distribution

# -- counted in this process ---------------------------------------------------------------------

CHAT_API_ERRORS = Counter("chatbot_chat_api_errors", "Chat API calls that failed (after the client's own "
                          "retries), by platform and error code", ["platform", "code"], registry=None)
MAX_CODES = 50  # distinct codes per process; later ones are counted as "other"
_codes: set[tuple[str, str]] = set()
_codes_lock = threading.Lock()


def chat_api_error(platform: str, code: str | None) -> None:
    """Count one failed chat API call. `code` is the platform's short error code ('channel_not_found',
    'http_429', 'timeout'); anything else is cut to a bounded label."""
    platform = _label(platform) or "unknown"
    code = _label(code) or "unknown"
    with _codes_lock:
        if (platform, code) not in _codes:
            if len(_codes) >= MAX_CODES:
                code = OTHER
            else:
                _codes.add((platform, code))
    CHAT_API_ERRORS.labels(platform, code).inc()


def _label(text: str | None) -> str:
    """A short label of letters, digits and _ . -: nothing else of what it came from survives."""
    return re.sub(r"[^A-Za-z0-9_.\-]+", "_", (text or "").strip())[:MAX_LABEL].strip("_")


# -- read from the database at scrape time ------------------------------------------------------


def source_label(source: str | None) -> str:
    """A provider name as a label; anything that could be an address or a number is "other"."""
    text = (source or "").strip()
    if not text or "@" in text or sum(ch.isdigit() for ch in text) >= 5:
        return OTHER
    return re.sub(r"\s+", " ", text)[:MAX_LABEL]


def level_label(level: int | None) -> str:
    if level is None:
        return "unknown"
    return str(level) if level < MAX_LEVEL else f"{MAX_LEVEL}+"


class DatabaseCollector(Collector):
    """Lead, escalation, outbox and heartbeat figures, read from the rows on each scrape."""

    def __init__(self, core) -> None:
        self.core = core

    def describe(self) -> Iterable:
        # Named without touching the database (registering must not need it).
        return [
            GaugeMetricFamily("chatbot_database_up", ""),
            CounterMetricFamily("chatbot_leads_received", "", labels=["source"]),
            HistogramMetricFamily("chatbot_lead_post_seconds", ""),
            HistogramMetricFamily("chatbot_time_to_claim_seconds", ""),
            HistogramMetricFamily("chatbot_time_to_first_contact_seconds", ""),
            CounterMetricFamily("chatbot_escalations", "", labels=["rule", "level"]),
            GaugeMetricFamily("chatbot_outbox_depth", ""),
            GaugeMetricFamily("chatbot_outbox_oldest_age_seconds", ""),
            GaugeMetricFamily("chatbot_rooftops_parked", ""),
            GaugeMetricFamily("chatbot_worker_heartbeat_age_seconds", ""),
        ]

    def collect(self) -> Iterable:
        try:
            families = list(self._families())
        except Exception as exc:  # noqa: BLE001 - a scrape must answer even when the database does not
            log.warning("metrics: the database could not be read (%s)", type(exc).__name__)
            yield GaugeMetricFamily("chatbot_database_up", "1 when the database answered this scrape", value=0)
            return
        yield GaugeMetricFamily("chatbot_database_up", "1 when the database answered this scrape", value=1)
        yield from families

    def _families(self) -> Iterable:
        now = self.core.clock.now()
        live = col(Lead.history).is_(False)
        with transaction(self.core.engine) as session:
            by_source = session.exec(select(Lead.source, func.count()).where(live).group_by(Lead.source)).all()
            post = _histogram(session, "chatbot_lead_post_seconds", "From a lead's arrival to its card in the chat",
                              seconds_between(Lead.posted_at, Lead.received_at),
                              and_(live, col(Lead.posted_at).is_not(None)), POST_BUCKETS)
            claim = _histogram(session, "chatbot_time_to_claim_seconds", "From the customer's submission to the claim",
                               seconds_between(Lead.claimed_at, Lead.submitted_at),
                               and_(live, col(Lead.claimed_at).is_not(None)), CLAIM_BUCKETS)
            contact = _histogram(session, "chatbot_time_to_first_contact_seconds",
                                 "From the customer's submission to the first contact attempt",
                                 seconds_between(Lead.first_contact_at, Lead.submitted_at),
                                 and_(live, col(Lead.first_contact_at).is_not(None)), FIRST_CONTACT_BUCKETS)
            steps = session.exec(select(Escalation.rule, Escalation.level, func.count())
                                 .group_by(Escalation.rule, Escalation.level)).all()
            depth, oldest = session.exec(select(func.count(), func.min(OutboxMessage.created_at))
                                         .where(col(OutboxMessage.sent_at).is_(None))).one()
            parked = session.exec(select(func.count()).select_from(Team).where(col(Team.chat_lost_at).is_not(None))).one()
        beat = last_beat(self.core)

        received = CounterMetricFamily("chatbot_leads_received", "Leads received (stored once each), by "
                                       f"source: the {TOP_SOURCES} most frequent by name, the rest as other",
                                       labels=["source"])
        for source, count in _top(by_source):
            received.add_metric([source], count)
        yield received
        yield from (post, claim, contact)
        escalations = CounterMetricFamily("chatbot_escalations", "Escalation steps fired, by rule and ladder level",
                                          labels=["rule", "level"])
        counted: dict[tuple[str, str], int] = {}
        for rule, level, count in steps:
            key = (_label(rule) or "unknown", level_label(level))
            counted[key] = counted.get(key, 0) + count
        for (rule, level), count in sorted(counted.items()):
            escalations.add_metric([rule, level], count)
        yield escalations
        yield GaugeMetricFamily("chatbot_outbox_depth", "Chat messages waiting in the outbox", value=depth)
        yield GaugeMetricFamily("chatbot_outbox_oldest_age_seconds",
                                "How long the oldest waiting message has waited (0: none waits)",
                                value=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
        yield GaugeMetricFamily("chatbot_rooftops_parked", "Rooftops whose chat refuses us for good (the app removed): "
                                "nothing is sent to them, their messages wait", value=parked)
        heartbeat = GaugeMetricFamily("chatbot_worker_heartbeat_age_seconds",
                                      "Seconds since a worker last beat (absent: none ever has)")
        if beat is not None:
            heartbeat.add_metric([], max(0.0, (now - beat).total_seconds()))
        yield heartbeat


def _top(by_source: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """The TOP_SOURCES most frequent sources by label, then "other" for the rest (always present)."""
    counts: dict[str, int] = {}
    for source, count in by_source:
        label = source_label(source)
        counts[label] = counts.get(label, 0) + count
    other = counts.pop(OTHER, 0)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    other += sum(count for _, count in ranked[TOP_SOURCES:])
    return sorted(ranked[:TOP_SOURCES]) + [(OTHER, other)]


def _histogram(session, name: str, documentation: str, seconds, where, bounds: Sequence[int]) -> HistogramMetricFamily:
    """A histogram of `seconds` over the rows `where` selects, in one aggregate: a cumulative count
    per bound (le), the count and the sum."""
    row = session.exec(select(func.count(), func.coalesce(func.sum(seconds), 0),
                              *(func.coalesce(func.sum(case((seconds <= bound, 1), else_=0)), 0) for bound in bounds))
                       .where(where)).one()
    count, total, *cumulative = row
    buckets = [(str(float(bound)), int(c)) for bound, c in zip(bounds, cumulative)] + [("+Inf", int(count))]
    return HistogramMetricFamily(name, documentation, buckets=buckets, sum_value=float(total))


def registry_for(core) -> CollectorRegistry:
    """A registry with the database's figures and this process's chat API errors (the web app adds
    its request latency). One per app, so several apps in one process (tests) never collide."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector(core))
    registry.register(CHAT_API_ERRORS)
    return registry
