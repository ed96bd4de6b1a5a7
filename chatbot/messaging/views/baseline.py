"""/baseline's answer: the verdict, each figure against the period before and the target, and
the breakdown by rep or source."""

from __future__ import annotations

from datetime import timedelta

from chatbot.domain.wording import format_duration
from chatbot.messaging.views import Table
from chatbot.messaging.views.formatting import window_label
from chatbot.reports.figures import Baseline, FirstContactSplit, GroupFigures


def _pct(part: int, whole: int) -> str:
    return "n/a" if not whole else f"{part / whole:.0%}"


def _dur(seconds: float | None) -> str:
    return "n/a" if seconds is None else format_duration(timedelta(seconds=round(seconds)))


def _trend(now: tuple[int, int], before: tuple[int, int] | None) -> str:
    """', up from 31%' / ', down from 42%' / ', as before' (compared as shown: whole percent)."""
    if before is None:
        return ""
    if not before[1]:
        return " (no leads the period before)"
    was, is_ = round(100 * before[0] / before[1]), round(100 * now[0] / now[1]) if now[1] else None
    if is_ is None or is_ == was:
        return f", as before ({was}%)" if is_ is not None else ""
    return f", {'up' if is_ > was else 'down'} from {was}%"


def verdict_text(b: Baseline, before: Baseline | None = None) -> str:
    """The one line a manager reads first: first contact against the target, and the share
    reached within it against the period before."""
    target = window_label(b.target_s)
    if not b.leads:
        had = f" The period before ({before.period.label}) had {before.leads}." if before and before.leads else ""
        return f"No leads in {b.period.label}.{had}"
    if b.first_contact_median_s is None:
        first = f"No lead has had a first contact yet, target {target}"
    else:
        first = f"First contact took {_dur(b.first_contact_median_s)} on median, target {target}"
    reached = (f"{_pct(b.within_target, b.leads)} of leads were reached within {target}"
               + _trend((b.within_target, b.leads), (before.within_target, before.leads) if before else None))
    return f"{first}; {reached}."


def _was(value: str, before: str | None) -> str:
    return value if before is None else f"{value} (before {before})"


def baseline_text(b: Baseline, scope: str = "", *, before: Baseline | None = None,
                  split: list[FirstContactSplit] | None = None) -> str:
    """The baseline answer: a verdict line, then each figure against the period of the same
    length before (`before`) and against the team's target, and the after-hours split."""
    target = window_label(b.target_s)
    second = window_label(b.second_window_s)
    stall = window_label(b.stall_window_s)
    old = before

    def then(value) -> str | None:
        return None if old is None else value(old)

    header = (f"Baseline, {b.period.label}{' · ' + scope if scope else ''}: {b.leads} lead(s), "
              f"{b.contacted} contacted, {b.never_contacted} never contacted")
    if old is not None:
        header += f" · before ({old.period.label}): {old.leads} lead(s), {old.never_contacted} never contacted"
    lines = [
        verdict_text(b, before),
        header,
        f"  First contact: median {_was(_dur(b.first_contact_median_s), then(lambda x: _dur(x.first_contact_median_s)))}"
        f", target {target} · mean {_dur(b.first_contact_mean_s)} · "
        f"p90 {_was(_dur(b.first_contact_p90_s), then(lambda x: _dur(x.first_contact_p90_s)))}",
        f"  Within 5 min: {_pct(b.within_5_min, b.leads)} ({b.within_5_min}/{b.leads})"
        + (f", before {_pct(old.within_5_min, old.leads)}" if old else "")
        + f" · within target {target}: {_pct(b.within_target, b.leads)} ({b.within_target}/{b.leads})"
        + (f", before {_pct(old.within_target, old.leads)}" if old else "") + "; target 100%",
        f"  Second contact within {second}: {_pct(b.second_contact_within_48h, b.second_contact_eligible)} "
        f"({b.second_contact_within_48h}/{b.second_contact_eligible})"
        + (f", before {_pct(old.second_contact_within_48h, old.second_contact_eligible)}" if old else "")
        + f"; target 100% · median gap {_was(_dur(b.first_to_second_median_s), then(lambda x: _dur(x.first_to_second_median_s)))}",
        f"  Time to claim: median {_was(_dur(b.claim_median_s), then(lambda x: _dur(x.claim_median_s)))} · "
        f"stalled now (no activity for over {stall}): {_was(str(b.stalled), then(lambda x: str(x.stalled)))}, target 0 · "
        f"lost with < 3 attempts: {b.lost_few_attempts} of {b.lost} lost"
        + (f" (before {old.lost_few_attempts} of {old.lost})" if old else "") + ", target 0",
    ]
    if split is not None:
        inside, after = split
        lines.append(
            f"  After hours: {after.leads} lead(s), median {_dur(after.first_contact_median_s)}, within {target} "
            f"{_pct(after.within_target, after.leads)} ({after.within_target}/{after.leads}) · inside hours: "
            f"{inside.leads} lead(s), median {_dur(inside.first_contact_median_s)}, within {target} "
            f"{_pct(inside.within_target, inside.leads)} ({inside.within_target}/{inside.leads})")
    return "\n".join(lines)


def breakdown_table(groups: list[GroupFigures], by: str, b: Baseline) -> Table:
    """`/baseline by rep` / `by source`: one row per rep (or source), each cell saying what it is."""
    target, second = window_label(b.target_s), window_label(b.second_window_s)
    rows = tuple((
        g.name, f"{g.leads} lead(s)", f"{g.never_contacted} never contacted",
        f"median {_dur(g.first_contact_median_s)}",
        f"{_pct(g.within_target, g.leads)} in {target} ({g.within_target}/{g.leads})",
        f"{_pct(g.second_contact_within, g.second_contact_eligible)} 2nd in {second} "
        f"({g.second_contact_within}/{g.second_contact_eligible})",
        f"{g.stalled} stalled", f"{g.lost_few_attempts} lost < 3 tries",
    ) for g in groups)
    first = "Rep" if by == "rep" else "Source"
    return Table((first, "Leads", "Never contacted", "First contact", f"Within {target}", f"2nd within {second}",
                  "Stalled", "Lost few"), rows, title=f"By {by}:" if rows else f"By {by}: no leads.")
