"""Run every benchmark and write their figures, each beside its goal, at the top of docs/PERFORMANCE.md.

    .venv/bin/python bench/run_all.py                 # small sizes (~12-17 min on 2 cores), SQLite and PostgreSQL
    .venv/bin/python bench/run_all.py --full          # the sizes the detailed sections of PERFORMANCE.md use
    .venv/bin/python bench/run_all.py --no-postgres   # SQLite only
    .venv/bin/python bench/run_all.py --only intake,import --dry-run   # some benchmarks, print only
    .venv/bin/python bench/run_all.py --render results.json            # redo the table from a saved run

Each benchmark runs in a subprocess of its own (`bench/<name>.py ... --json`, or its Markdown read
for bench/sweep.py and bench/escalation_delay.py, which print no JSON) and its figures are read
from what it prints. The "Summary" section of docs/PERFORMANCE.md, between the two marker comments,
is replaced by a table (benchmark, figure, goal, met?) under one line naming the machine (cores,
RAM, CPU, Python, SQLite and PostgreSQL versions) and the date; everything below the markers (the
detailed sections, which say how each benchmark measures) is left as it is. Only a complete run
(no --only) rewrites the file; --dry-run never does.

PostgreSQL: each benchmark gets a scratch database `bench_run_all_<name>` on --postgres-url,
dropped and created anew before it runs (never point this at a server holding data you keep
in databases of those names).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sqlite3
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "PERFORMANCE.md"
START = "<!-- run_all:summary:start (bench/run_all.py rewrites this part) -->"
END = "<!-- run_all:summary:end -->"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432"


@dataclass
class Row:
    benchmark: str
    figure: str
    goal: str = "—"
    met: bool | None = None  # None: no goal, or the benchmark did not say


@dataclass
class Outcome:
    name: str
    command: list[str]
    seconds: float
    returncode: int | None
    data: object = None  # the parsed JSON (or text, for benchmarks read as Markdown)
    error: str | None = None
    rows: list[dict] = field(default_factory=list)


# ----------------------------------------------------------------------------- running


def run_bench(name: str, args: list[str], timeout: float, *, as_json: bool = True) -> Outcome:
    command = [sys.executable, str(ROOT / "bench" / f"{name}.py"), *args] + (["--json"] if as_json else [])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    shown = " ".join(["bench/" + name + ".py", *args] + (["--json"] if as_json else []))
    print(f"[run_all] {datetime.now(timezone.utc):%H:%M:%S} {shown}", file=sys.stderr, flush=True)
    try:
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Outcome(name, command, time.perf_counter() - started, None, error=f"no answer within {timeout:.0f} s")
    elapsed = time.perf_counter() - started
    print(f"[run_all]   exit {done.returncode} after {elapsed:.0f} s", file=sys.stderr, flush=True)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return Outcome(name, command, elapsed, done.returncode, error=" / ".join(tail)[:300] or "failed")
    if not as_json:
        return Outcome(name, command, elapsed, 0, data=done.stdout)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return Outcome(name, command, elapsed, 0, error="printed no JSON")
    return Outcome(name, command, elapsed, 0, data=json.loads(lines[-1]))


def fresh_postgres(base: str, name: str) -> str:
    """Drop and create the scratch database `name` on the server at `base`; its URL."""
    import psycopg

    plain = base.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(plain + "/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{base}/{name}"


def machine(postgres: str | None) -> dict[str, str]:
    info = {"cores": str(os.cpu_count()), "python": platform.python_version(), "sqlite": sqlite3.sqlite_version,
            "load": " / ".join(f"{x:.1f}" for x in os.getloadavg())}
    try:
        kb = int(next(line for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")).split()[1])
        info["ram"] = f"{kb / 1024 / 1024:.0f} GB"
        cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                    if line.startswith("model name")), "")
        if cpu:
            info["cpu"] = cpu
    except (OSError, StopIteration, ValueError):
        info["ram"] = "?"
    if postgres:
        try:
            import psycopg

            plain = postgres.replace("postgresql+psycopg://", "postgresql://", 1)
            with psycopg.connect(plain + "/postgres") as connection:
                info["postgresql"] = connection.execute("SHOW server_version").fetchone()[0].split()[0]
        except Exception as exc:  # noqa: BLE001 - the summary says so instead
            info["postgresql"] = f"unreachable ({type(exc).__name__})"
    return info


# ----------------------------------------------------------------------------- the benchmarks


def db_name(database: str) -> str:
    return "PostgreSQL" if database.startswith("postgres") else "SQLite"


def plan(args) -> list[tuple[str, str, list[str], float, bool]]:
    """(key, bench, arguments, timeout s, JSON?) for each run, in order; database given as {db}."""
    full = args.full
    runs = []
    for db in args.databases:
        url = ["--database-url", "{db}"] if db == "postgresql" else []
        runs.append((f"core_loop:{db}", "core_loop", ["--leads", "1000" if full else "300", *url], 900, True))
    for db in args.databases:
        url = ["--database-url", "{db}"] if db == "postgresql" else []
        for i in range(args.intake_runs or (3 if full else 1)):
            runs.append((f"intake:{db}:{i}", "intake", ["--rate", "50", "--seconds", "20", "--grace", "10",
                                                        "--port", str(8765 + i), *url], 600, True))
    for db in args.databases:
        url = ["--database-url", "{db}"] if db == "postgresql" else []
        runs.append((f"slack_ack:{db}", "slack_ack", ["-n", "300" if full else "150", *url], 900, True))
    for db in args.databases:
        url = ["--database-url", "{db}"] if db == "postgresql" else []
        runs.append((f"import_speed:{db}", "import_speed", ["--rows", str(args.import_rows), *url], 1200, True))
    for db in args.databases:
        url = ["--database-url", "{db}"] if db == "postgresql" else []
        runs.append((f"group_year:{db}", "group_year", ["--scale", "1.0" if full else "0.1", *url], 3600, True))
    runs.append(("outage:sqlite", "outage", ["--leads", "20", "--seconds", "60" if full else "30"], 600, True))
    if (ROOT / "bench" / "sweep.py").exists():
        for db in args.databases:
            url = ["--database-url", "{db}"] if db == "postgresql" else []
            size = [] if full else ["--leads", "10000", "--teams", "5", "--runs", "100"]  # p99 of 20 would be the max
            runs.append((f"sweep:{db}", "sweep", [*size, *url], 1800, False))
    if (ROOT / "bench" / "escalation_delay.py").exists():
        for db in args.databases:
            url = ["--database-url", "{db}"] if db == "postgresql" else []
            size = [] if full else ["--steps", "100", "--seconds", "30"]
            runs.append((f"escalation_delay:{db}", "escalation_delay", [*size, *url], 900, False))
    # Many rooftops and a noisy neighbour, at a chat latency of 250 ms: PostgreSQL, the shared state they are about
    db = "postgresql" if "postgresql" in args.databases else "sqlite"
    url = ["--database-url", "{db}" if db == "postgresql" else "sqlite"]
    for rooftops, workers in ((300, 1), (3000, 3)) if full else ((30, 1),):
        runs.append((f"fanout:{db}:{rooftops}x{workers}", "fanout",
                     ["--rooftops", str(rooftops), "--workers", str(workers), *url], 1800, True))
    runs.append((f"flood:{db}", "flood", ["--rate", "300", "--seconds", "20" if full else "5", *url], 600, True))
    return runs


def ms(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:.1f} s"
    return f"{value:.0f} ms" if value >= 100 else f"{value:.1f} ms"


def rows_for(key: str, outcome: Outcome, full: bool) -> list[Row]:
    bench, db = key.split(":")[0], key.split(":")[1]
    database = "PostgreSQL" if db == "postgresql" else "SQLite"
    if outcome.error:
        return [Row(f"bench/{bench}.py, {database}", f"did not finish: {outcome.error}", "—", False)]
    data = outcome.data
    if bench == "core_loop":
        out = []
        for use_case, label in (("ingest (store + queue card)", "ingest one lead (store it, queue its card)"),
                                ("deliver one card", "deliver one card")):
            f = data["use_cases"][use_case]
            out.append(Row(f"core loop, {database}: {label}, {data['leads']} leads, one call per transaction",
                           f"p50 {ms(f['p50_ms'])}, p99 {ms(f['p99_ms'])}, mean {ms(f['mean_ms'])}; "
                           f"{f['statements']:.0f} SQL statements"
                           + (" (with BEGIN IMMEDIATE)" if db == "sqlite" else ""),
                           "— (goal 1's means: fewer statements, less Python per lead)"))
        return out
    if bench == "slack_ack":
        out = []
        for kind in ("reaction_added", "/baseline"):
            ratio = data["ratios"][kind]["p99"]
            ours = next(r for r in data["rows"] if r["request"] == kind and r["app"] == "create_web_app")
            bare = next(r for r in data["rows"] if r["request"] == kind and r["app"] == "bare Bolt")
            out.append(Row(f"Slack ack, {kind}, {database}: p99 of the real app / a bare Bolt app "
                           f"({data['n']} requests at {data['rate']:g}/s)",
                           f"{ratio:.2f}x (p99 {ms(ours['p99_ms'])} vs {ms(bare['p99_ms'])}; "
                           f"p50 ratio {data['ratios'][kind]['p50']:.2f}x)", "≤ 1.5x", ratio <= 1.5))
        return out
    if bench == "import_speed":
        goal = 30 if db == "sqlite" else 60
        scale = "" if data["rows"] >= 1_000_000 else " (the goal is for 1M rows)"
        return [Row(f"history import, {data['rows']:,} rows ({data['csv_mb']:.0f} MB CSV), {database}: time",
                    f"{data['seconds']:.1f} s (reading {data['reading_s']:.1f} s, storing {data['storing_s']:.1f} s; "
                    f"importer CPU {data.get('cpu_s', 0):.1f} s)"
                    + scale, f"≤ {goal} s for 1M rows",
                    data["seconds"] <= goal * data["rows"] / 1_000_000 if data["rows"] < 1_000_000
                    else data["seconds"] <= goal),
                Row(f"history import, {data['rows']:,} rows, {database}: peak memory (RSS)",
                    f"{data['peak_rss_mb']:.0f} MB", "≤ 500 MB", data["peak_rss_mb"] <= 500)]
    if bench == "group_year":
        size = f"{data['leads']:,} leads, {data['touches']:,} touches, {data['rooftops']} rooftops"
        p95 = data["p95_ms"]
        return [Row(f"reports, {database}, {size}: /baseline 30d per rooftop", f"p95 {ms(p95['baseline'])}",
                    "p95 ≤ 100 ms", p95["baseline"] <= 100),
                Row(f"reports, {database}, {size}: /stalled per rooftop", f"p95 {ms(p95['stalled'])}",
                    "p95 ≤ 100 ms", p95["stalled"] <= 100),
                Row(f"reports, {database}, {size}: group-wide baseline 30d + period before",
                    f"p95 {ms(p95['group_wide'])}", "p95 ≤ 300 ms", p95["group_wide"] <= 300)]
    if bench == "outage":
        ok = (data["posted"] == data["leads"] and data["duplicates"] == 0 and data["order_violations"] == 0
              and data["recovery_to_last_s"] <= 30)
        return [Row(f"delivery through a {data['seconds']:g} s Slack outage (HTTP {data['fault']}), "
                    f"{data['leads']} leads, SQLite",
                    f"{data['posted']} of {data['leads']} posted, {data['duplicates']} duplicates, "
                    f"{data['order_violations']} out of order, last card {data['recovery_to_last_s']:.1f} s "
                    f"after recovery", "all posted, once, in order, within 30 s of recovery", ok)]
    if bench == "fanout":
        return fanout_rows(data, database)
    if bench == "flood":
        return flood_rows(data, database)
    if bench == "sweep":
        return sweep_rows(outcome.data, database)
    if bench == "escalation_delay":
        return escalation_rows(outcome.data, database)
    return []


def intake_rows(outcomes: list[Outcome], database: str) -> list[Row]:
    done = [o.data for o in outcomes if not o.error and o.data.get("to_post")]
    failed = [o for o in outcomes if o.error]
    for o in outcomes:
        if not o.error and not o.data.get("to_post"):
            failed.append(Outcome(o.name, o.command, o.seconds, 0, error=f"no card of {o.data['leads']} posted within "
                                  f"the run and its grace time (the worker fell behind)"))
    rows = [Row(f"intake, {database}: one run", f"did not finish: {o.error}", "p99 ≤ 50 ms", False) for o in failed]
    if not done:
        return rows
    p99 = [d["to_post"]["p99_ms"] for d in done]
    p50 = [d["to_post"]["p50_ms"] for d in done]
    answer = [d["to_answer"]["p99_ms"] for d in done]
    posted = sum(d["posted"] for d in done)
    leads = sum(d["leads"] for d in done)
    lost = sum(d.get("failed_requests", 0) for d in done)
    met = sum(1 for value in p99 if value <= 50)

    def span(values: list[float]) -> str:
        low, high = min(values), max(values)
        return ms(low) if len(values) == 1 or round(low) == round(high) else f"{ms(low)} to {ms(high)}"

    runs = f"{len(done)} run{'s' if len(done) > 1 else ''}"
    rows.insert(0, Row(
        f"intake at 50 leads/s for 20 s, {database}, web and worker processes (Procfile): request to chat post",
        f"p99 {span(p99)} ({runs}; p50 {span(p50)}; HTTP answer p99 {span(answer)}; {posted} of {leads} cards posted"
        + (f"; {lost} requests failed" if lost else "") + ")",
        "p99 ≤ 50 ms", met == len(done) and posted == leads))
    return rows


def fanout_rows(data: dict, database: str) -> list[Row]:
    goal = 2.0 if data["rooftops"] <= 300 else 5.0
    size = (f"{data['rooftops']:,} rooftops (each its own workspace), one lead each at once, web + "
            f"{data['workers']} worker{'s' if data['workers'] > 1 else ''}, {database}, Slack answering in "
            f"{data['latency_s'] * 1000:.0f} ms")
    f = data["to_card_s"]
    if not f:
        return [Row(f"fan-out, {size}: intake 201 -> card", "no card posted", f"p99 ≤ {goal:g} s", False)]
    whole = (data["posted"] == data["stored"] == data["rooftops"] and data["duplicates"] == 0
             and data["order_problems"] == 0)
    return [Row(f"fan-out, {size}: intake 201 -> card",
                f"p99 {f['p99']:.2f} s (p50 {f['p50']:.2f} s, max {f['max']:.2f} s; first to last card "
                f"{data['first_to_last_card_s']:.1f} s)", f"p99 ≤ {goal:g} s", f["p99"] <= goal),
            Row(f"fan-out, {size}: every card once, first in its channel",
                f"{data['posted']} of {data['rooftops']} posted, {data['duplicates']} duplicates, "
                f"{data['order_problems']} order problems, {data['failed_requests']} requests failed",
                "all, once, first", whole)]


def flood_rows(data: dict, database: str) -> list[Row]:
    size = (f"one key flooding intake at {data['rate']:g} requests/s for {data['seconds']:g} s, {database}, "
            f"Slack answering in {data['latency_s'] * 1000:.0f} ms")
    acks, others = data["acks_ms"], data["other_leads_ms"]
    statuses = ", ".join(f"{count} {status}" for status, count in sorted(data["flood_statuses"].items(),
                                                                          key=lambda item: -item[1]))
    return [Row(f"isolation, {size}: Slack acks ({data['ack_rate']:g}/s)",
                f"p99 {ms(acks['p99'])} (p50 {ms(acks['p50'])}; {data['acks_failed']} not 200)", "p99 < 500 ms",
                acks["p99"] < 500 and data["acks_failed"] == 0),
            Row(f"isolation, {size}: another key's leads ({data['other_rate']:g}/s)",
                f"p99 {ms(others['p99'])} (p50 {ms(others['p50'])}; {data['other_leads_failed']} not 201)",
                "p99 < 100 ms", others["p99"] < 100 and data["other_leads_failed"] == 0),
            Row(f"isolation, {size}: the flooding key's answers",
                f"{statuses}" + (f" (answered in p99 {ms(data['flood_answers_ms']['p99'])})"
                                 if data.get("flood_answers_ms") else "")
                + f"; {data['web_error_lines']} ERROR lines, {data['web_tracebacks']} tracebacks",
                "429s, no ERROR line", data["web_error_lines"] == 0 and data["web_tracebacks"] == 0)]


def sweep_rows(text: str, database: str) -> list[Row]:
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 6 and (m := re.match(r"([\d.]+) ms: (met|\*\*missed\*\*)", cells[-1])):
            rows.append(Row(f"worker tick with nothing due, {database}: {cells[0]}", f"p99 {cells[3]} ms",
                            f"p99 ≤ {m.group(1)} ms", m.group(2) == "met"))
        elif m := re.search(r"Burst: (\d+) escalations for (\d+) leads due at once.*?\(([\d,]+) escalations/s\)", line):
            rows.append(Row(f"sweep, {database}: {m.group(2)} leads due at once", f"{m.group(3)} escalations/s"))
        elif m := re.search(r"Worker memory.*?peak (\d+) MB; goal (\d+) MB: (met|\*\*missed\*\*)", line):
            rows.append(Row(f"worker memory (fresh `chatbot worker`), {database}", f"peak RSS {m.group(1)} MB",
                            f"≤ {m.group(2)} MB", m.group(3) == "met"))
    if head := re.search(r"Database: \w+; (\d+) open leads on (\d+) teams", text):
        for row in rows:
            row.benchmark += f" ({head.group(1)} open leads, {head.group(2)} teams)"
    return rows or [Row(f"bench/sweep.py, {database}", "ran, but printed no figures run_all.py knows how to read")]


def escalation_rows(text: str, database: str) -> list[Row]:
    rows = []
    head = re.search(r"(\d+) steps due over (\d+) s, (\d+) notices; steps never told: (\d+); "
                     r"notices that came twice: (\d+)", text)
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 6 and (m := re.match(r"p99 < ([\d.]+) s: (met|NOT met)", cells[-1])):
            what = f" ({head.group(1)} steps due over {head.group(2)} s)" if head else ""
            rows.append(Row(f"escalation delay, {database}: due time to the chat port, {cells[0]}{what}",
                            f"p99 {cells[3]} s (p50 {cells[2]} s, max {cells[4]} s)", f"p99 < {m.group(1)} s",
                            m.group(2) == "met"))
    if head:
        rows.append(Row(f"escalation delay, {database}: every step told once",
                        f"{head.group(4)} steps never told, {head.group(5)} notices twice", "0 and 0",
                        head.group(4) == "0" and head.group(5) == "0"))
    return rows or [Row(f"bench/escalation_delay.py, {database}",
                        "ran, but printed no figures run_all.py knows how to read")]


# ----------------------------------------------------------------------------- the document


def render(results: dict) -> str:
    m = results["machine"]
    where = (f"{m['cores']} cores, {m.get('ram', '?')} RAM" + (f" ({m['cpu']})" if m.get("cpu") else "")
             + f", Python {m['python']}, SQLite {m['sqlite']}"
             + (f", PostgreSQL {m['postgresql']} on the same machine" if m.get("postgresql") else ", no PostgreSQL"))
    load = (f" Load average (1/5/15 min) {results['load_before']} at the start, {m['load']} at the end"
            " (2 cores: above 2, other jobs were competing for them)." if results.get("load_before") else "")
    rows = [Row(**r) for r in results["rows"]]
    missed = [r for r in rows if r.met is False]
    lines = [
        START,
        "## Summary",
        "",
        f"Written by `{results['command']}` on {results['date']} ({results['minutes']:.0f} min); "
        f"machine: {where}.{load} The sections below have ranges over several runs and say how each "
        "benchmark measures.",
        "",
        "| benchmark | figure | goal | met? |",
        "|---|---|---|---|",
    ]
    for r in rows:
        verdict = "—" if r.met is None else ("met" if r.met else "**not met**")
        lines.append(f"| {r.benchmark} | {r.figure} | {r.goal} | {verdict} |")
    lines.append("")
    judged = [r for r in rows if r.met is not None]
    if missed:
        lines.append(f"Not met in this run: {len(missed)} of the {len(judged)} figures that have a goal "
                     "(marked **not met** above).")
    elif judged:
        lines.append(f"All {len(judged)} goals were met in this run.")
    lines.append(END)
    return "\n".join(lines)


def write_summary(block: str) -> None:
    """Replace the part between the markers (re-read just before writing: others edit the file too)."""
    text = DOC.read_text()
    if START in text and END in text:
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        text = head + block + tail
    else:  # first time: after the title's paragraph
        title_end = text.index("\n\n", text.index("\n\n") + 2) + 2 if text.count("\n\n") >= 2 else len(text)
        text = text[:title_end] + block + "\n\n" + text[title_end:]
    DOC.write_text(text)


def all_rows(outcomes: dict[str, Outcome], databases: list[str], full: bool) -> list[Row]:
    rows: list[Row] = []
    for db in databases:
        intake = [o for k, o in outcomes.items() if k.startswith(f"intake:{db}:")]
        if intake:
            rows += intake_rows(intake, "PostgreSQL" if db == "postgresql" else "SQLite")
    for key, outcome in outcomes.items():
        if not key.startswith("intake:"):
            rows += rows_for(key, outcome, full)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="full sizes (an hour or more), not the small defaults")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES, help="server for the scratch databases")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument("--only", default="", help="comma-separated benchmark names (implies --dry-run)")
    parser.add_argument("--import-rows", type=int, default=1_000_000, help="history import size (goal: 1M)")
    parser.add_argument("--intake-runs", type=int, default=0, help="intake runs per database (default 1; --full 3)")
    parser.add_argument("--dry-run", action="store_true", help="print the summary, do not write PERFORMANCE.md")
    parser.add_argument("--save", type=Path, help="also write the raw results here (JSON)")
    parser.add_argument("--render", type=Path, help="make the summary from saved results, run nothing")
    args = parser.parse_args()
    args.databases = ["sqlite"] if args.no_postgres else ["sqlite", "postgresql"]

    if args.render:  # the figures read again from the saved outputs (so a change here shows)
        results = json.loads(args.render.read_text())
        outcomes = {key: Outcome(key.split(":")[0], [], raw["seconds"], 0, data=raw["data"], error=raw["error"])
                    for key, raw in results["raw"].items()}
        databases = sorted({key.split(":")[1] for key in outcomes}, key=["sqlite", "postgresql"].index)
        results["rows"] = [asdict(r) for r in all_rows(outcomes, databases, "--full" in results["command"])]
    else:
        started = time.perf_counter()
        load_before = " / ".join(f"{x:.1f}" for x in os.getloadavg())
        only = {name.strip() for name in args.only.split(",") if name.strip()}
        postgres = None if args.no_postgres else args.postgres_url
        outcomes: dict[str, Outcome] = {}
        for key, bench, bench_args, timeout, as_json in plan(args):
            if only and bench not in only and bench.split("_")[0] not in only:
                continue
            db = key.split(":")[1]
            if db == "postgresql":
                try:
                    url = fresh_postgres(postgres, f"bench_run_all_{bench}")
                except Exception as exc:  # noqa: BLE001 - reported as the row's figure
                    outcomes[key] = Outcome(bench, [], 0, None, error=f"no scratch database: {exc}"[:200])
                    continue
                bench_args = [url if a == "{db}" else a for a in bench_args]
            outcomes[key] = run_bench(bench, bench_args, timeout, as_json=as_json)
        rows = all_rows(outcomes, args.databases, args.full)
        results = {
            "command": "python bench/run_all.py" + (" --full" if args.full else "")
                       + (" --no-postgres" if args.no_postgres else ""),
            "date": f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
            "minutes": (time.perf_counter() - started) / 60,
            "load_before": load_before,
            "machine": machine(postgres),
            "rows": [asdict(r) for r in rows],
            "raw": {k: {"seconds": o.seconds, "error": o.error,
                        "data": o.data if isinstance(o.data, dict) else (o.data or "")[-4000:]}
                    for k, o in outcomes.items()},
        }
        if args.save:
            args.save.write_text(json.dumps(results, indent=1, default=str))
        if only:
            args.dry_run = True
    block = render(results)
    print(block)
    if not args.dry_run:
        write_summary(block)
        print(f"[run_all] wrote the summary into {DOC.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
