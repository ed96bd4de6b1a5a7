"""`chatbot baseline --json`: every figure of docs/METRICS.md under keys that will not change.

Durations are seconds (mean and medians may be .5: the median of an even count is the mean of
the middle two); percentages are 0-100, unrounded, of the denominator METRICS.md names, and
null when that denominator is zero. Counts sit next to each percentage so a reader can redo it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chatbot.reports.figures import Baseline, FirstContactSplit
from chatbot.store.models import Team

SCHEMA_VERSION = 1


def pct(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def _first_contact(leads: int, contacted: int, mean, median, p90, in_5: int, in_target: int) -> dict[str, Any]:
    return {
        "leads": leads,
        "contacted": contacted,
        "never_contacted": leads - contacted,
        "first_contact_mean_s": mean,
        "first_contact_median_s": median,
        "first_contact_p90_s": p90,
        "within_5_min": in_5,
        "within_5_min_pct": pct(in_5, leads),
        "within_target": in_target,
        "within_target_pct": pct(in_target, leads),
    }


def _split(side: FirstContactSplit) -> dict[str, Any]:
    return _first_contact(side.leads, side.contacted, side.first_contact_mean_s, side.first_contact_median_s,
                          side.first_contact_p90_s, side.within_5_min, side.within_target)


def _figures(b: Baseline) -> dict[str, Any]:
    return {
        **_first_contact(b.leads, b.contacted, b.first_contact_mean_s, b.first_contact_median_s,
                         b.first_contact_p90_s, b.within_5_min, b.within_target),
        "claim_median_s": b.claim_median_s,
        "second_contact_eligible": b.second_contact_eligible,
        "second_contact_within_48h": b.second_contact_within_48h,
        "second_contact_within_48h_pct": pct(b.second_contact_within_48h, b.second_contact_eligible),
        "first_to_second_median_s": b.first_to_second_median_s,
        "stalled": b.stalled,
        "lost": b.lost,
        "lost_few_attempts": b.lost_few_attempts,
    }


def baseline_document(team: Team, b: Baseline, split: list[FirstContactSplit], now: datetime,
                      before: Baseline | None = None) -> dict[str, Any]:
    """The document; `before` (the period of the same length before, computed at the same
    report time) adds `previous_period` with its period and the same figures under the same keys."""
    inside, after = split
    document = {
        "schema": SCHEMA_VERSION,
        "team": {"id": team.id, "name": team.name, "timezone": team.timezone},
        "as_of": now.isoformat(),
        "period": {"label": b.period.label, "start": b.period.start.isoformat(), "end": b.period.end.isoformat()},
        "target_s": b.target_s,
        **_figures(b),
        "inside_hours": _split(inside),
        "after_hours": _split(after),
    }
    if before is not None:
        document["previous_period"] = {
            "period": {"label": before.period.label, "start": before.period.start.isoformat(),
                       "end": before.period.end.isoformat()},
            **_figures(before),
        }
    return document
