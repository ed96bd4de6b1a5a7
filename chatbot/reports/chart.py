"""The digest's chart: last week beside the week before, as one PNG.

Left: first contacts by how long they took (and the leads never contacted), one bar per week.
Right: each day's median first contact, one line per week, against the target line.
Drawn with matplotlib's Agg canvas on a Figure of its own (no pyplot, no display, thread-safe).
"""

from __future__ import annotations

import io
import math

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from chatbot.reports.digest import BIN_LABELS, DAYS, Digest

WIDTH_PX, HEIGHT_PX, DPI = 1000, 420, 100
LAST_WEEK = "#1f6fb4"  # blue: last week
WEEK_BEFORE = "#f28e2b"  # orange: the week before
TARGET = "#c8102e"  # red: the target line
MINUTE_LABELS = {1: "1 min", 5: "5 min", 15: "15 min", 60: "1 h", 240: "4 h", 1440: "1 d", 10080: "1 wk"}


def digest_figure(digest: Digest) -> Figure:
    now, before = digest.this_week, digest.week_before
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    spread, daily = figure.subplots(1, 2, gridspec_kw={"width_ratios": [1.25, 1]})

    width = 0.4
    xs = range(len(BIN_LABELS))
    spread.bar([x - width / 2 for x in xs], before.bins, width, color=WEEK_BEFORE, label=before.label)
    spread.bar([x + width / 2 for x in xs], now.bins, width, color=LAST_WEEK, label=now.label)
    spread.set_xticks(list(xs), BIN_LABELS, rotation=30, ha="right", fontsize=8)
    spread.set_ylabel("leads")
    spread.set_title("Time to first contact", fontsize=10)
    spread.yaxis.get_major_locator().set_params(integer=True)
    spread.legend(fontsize=8)

    def minutes(values):  # on a log scale: a contact within the first half minute is drawn at 0.5
        return [math.nan if v is None else max(v / 60, 0.5) for v in values]

    days = range(7)
    daily.plot(days, minutes(before.daily_median_s), marker="o", color=WEEK_BEFORE, label=before.label)
    daily.plot(days, minutes(now.daily_median_s), marker="o", color=LAST_WEEK, label=now.label)
    daily.axhline(digest.target_s / 60, color=TARGET, linestyle="--", linewidth=1.5,
                  label=f"target {digest.target_s // 60} min")
    daily.set_xticks(list(days), DAYS, fontsize=8)
    daily.set_yscale("log")
    highest = max([digest.target_s / 60, *(v for v in minutes(now.daily_median_s + before.daily_median_s)
                                          if not math.isnan(v))])
    daily.set_ylim(0.5, max(highest * 1.5, 60))
    ticks = [t for t in (1, 5, 15, 60, 240, 1440, 10080) if t <= max(highest * 1.5, 60)]
    daily.set_yticks(ticks, [MINUTE_LABELS[t] for t in ticks], fontsize=8)
    daily.minorticks_off()
    daily.set_ylabel("time to first contact")
    daily.set_title("Median first contact by day", fontsize=10)
    daily.legend(fontsize=8)

    # the team's name is typed by people: drawn as typed, never as mathtext ('$x$' stays '$x$')
    figure.suptitle(f"{digest.message.team_name}: {now.label} against {before.label}", fontsize=11,
                    parse_math=False)
    figure.subplots_adjust(left=0.06, right=0.98, bottom=0.2, top=0.85, wspace=0.22)
    return figure


def digest_png(digest: Digest) -> bytes:
    """The chart as PNG bytes, WIDTH_PX x HEIGHT_PX."""
    buffer = io.BytesIO()
    digest_figure(digest).savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()
