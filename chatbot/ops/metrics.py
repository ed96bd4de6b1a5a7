"""Prometheus metrics: what the database says at scrape time, and what this process counted.

The web app and the worker are separate processes, and the core's use cases count nothing: the
lead, escalation and outbox figures are read from the rows when Prometheus scrapes
(`DatabaseCollector`), so every process that serves `/metrics` reports the same numbers. Two
figures only a process can see are counted in it: chat API errors (the adapters' ChatPorts
call `chat_api_error`) and request latency (the web app's middleware).

The histograms are cumulative over every live lead (imported CRM history is left out), so
`rate()` and `histogram_quantile()` work on them as on any histogram.

Every label value is one this module knows in advance, never text a sender wrote: a lead's
source is one of `KNOWN_SOURCES` (the providers and channels dealerships get leads from) or
"other", an escalation's rule one of the core's rules, its level 0-8 or "9+". So a sender cannot
add a series (each new label value would be one, without bound) or put words in a label, and
no label names a dealership: every figure is the whole deployment's, summed over its teams.
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

from chatbot.domain.policy import Rule
from chatbot.ops.heartbeat import last_beat
from chatbot.reports.cohort import seconds_between
from chatbot.store.db import transaction
from chatbot.store.models import Escalation, Lead, OutboxMessage, Team

log = logging.getLogger(__name__)

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


KNOWN_SOURCES = {
    "Cars.com": ("cars", "carscom"), "Autotrader": ("autotrader",), "CarGurus": ("cargurus",),
    "TrueCar": ("truecar",), "Edmunds": ("edmunds",), "Kelley Blue Book": ("kbb", "kelleybluebook"),
    "Carfax": ("carfax",), "CarsDirect": ("carsdirect",), "Autoweb": ("autoweb", "autobytel"),
    "Facebook": ("facebook", "facebookmarketplace", "fb"), "Google": ("google", "googleads", "googlebusiness"),
    "Craigslist": ("craigslist",), "OEM": ("oem", "manufacturer"),
    "Website": ("website", "dealerwebsite", "web", "webform", "websiteform", "dealersite"),
    "Phone": ("phone", "phoneup", "call", "inboundcall"), "Text": ("text", "sms"), "Chat": ("chat", "livechat"),
    "E-mail": ("email",), "Walk-in": ("walkin", "showroom"), "Referral": ("referral",),
}
"""The lead sources `chatbot_leads_received_total` names, each with the spellings it is known by
(lower-case, letters and digits only, a trailing ".com" dropped); any other source is "other"."""
_SOURCE_LABELS = {spelling: label for label, spellings in KNOWN_SOURCES.items() for spelling in spellings}
RULES = frozenset(str(rule) for rule in Rule)
"""The escalation rules: the only `rule` labels."""


def source_label(source: str | None) -> str:
    """A known source's label, else "other": 'cars.com', 'Cars.com' and 'CARS.COM' are "Cars.com"."""
    key = re.sub(r"[^a-z0-9]", "", (source or "").lower())
    if key.endswith("com") and len(key) > 3:
        key = key[:-3]
    return _SOURCE_LABELS.get(key, OTHER)


def rule_label(rule: str | None) -> str:
    return rule if rule in RULES else OTHER


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
                                       "source: a known provider or channel, else other", labels=["source"])
        for source, count in _by_label(by_source):
            received.add_metric([source], count)
        yield received
        yield from (post, claim, contact)
        escalations = CounterMetricFamily("chatbot_escalations", "Escalation steps fired, by rule and ladder level",
                                          labels=["rule", "level"])
        counted: dict[tuple[str, str], int] = {}
        for rule, level, count in steps:
            key = (rule_label(rule), level_label(level))
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


def _by_label(by_source: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """Counts per known source that has any, by name, then "other" (always present)."""
    counts: dict[str, int] = {}
    for source, count in by_source:
        label = source_label(source)
        counts[label] = counts.get(label, 0) + count
    other = counts.pop(OTHER, 0)
    return sorted(counts.items()) + [(OTHER, other)]


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
