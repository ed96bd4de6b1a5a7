"""History import speed: rows per second for generated CRM exports of 100k and 1M rows.

    PYTHONPATH=. python bench/import_speed.py                     # 100k and 1M rows, fresh SQLite files
    PYTHONPATH=. python bench/import_speed.py --rows 100000 --database-url postgresql://postgres@127.0.0.1/bench

The export comes from examples/make_crm_export.py (one row per activity, US local times,
assignment rows read as claims, a few percent of data errors the import skips). Timed: import_history in-process, from
opening the file to the last commit (reading+parsing, then storing), on an empty database.
The CSV is written before the clock starts. `chatbot import` adds ~1 s of start-up.
Peak memory is the process's peak RSS (ru_maxrss), so run one size per process to read it
(bench/run_all.py does); --json prints the figures as JSON, one object per size.

With --database-url the benchmark EMPTIES every table of that database first: point it at a
scratch database (createdb chatbot_bench), never at a real one.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

from make_crm_export import write  # noqa: E402

from chatbot.core import bootstrap  # noqa: E402
from chatbot.intake.history import import_history  # noqa: E402
from chatbot.team import roster  # noqa: E402


def run(rows: int, database_url: str | None, workdir: Path, as_json: bool = False) -> None:
    csv_path = workdir / f"export_{rows}.csv"
    written = write(csv_path, rows)
    url = database_url or f"sqlite:///{workdir}/import_{rows}.db"
    core = bootstrap(url)
    if database_url:  # start empty
        with core.engine.begin() as connection:
            connection.execute(text("TRUNCATE touch, outboxmessage, escalation, lead, apikey, member, team "
                                    "RESTART IDENTITY CASCADE"))
    team = roster.ensure_team(core, name="Bench Motors", platform="api", platform_team_id="bench")
    phases: dict[str, float] = {}

    def progress(phase: str, done: int, total: int) -> None:
        phases.setdefault(phase, time.perf_counter())

    cpu = time.process_time()
    started = time.perf_counter()
    report = import_history(core, team.id, csv_path, progress=progress)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu  # this process's CPU seconds: less at the mercy of other jobs than wall time
    reading = phases.get("storing", started) - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if as_json:
        print(json.dumps({"rows": written, "database": core.engine.dialect.name, "seconds": elapsed,
                          "reading_s": reading, "storing_s": elapsed - reading, "cpu_s": cpu, "peak_rss_mb": peak_mb,
                          "leads": report.leads_new, "activities": report.touches_new,
                          "skipped": sum(report.skipped.values()), "csv_mb": csv_path.stat().st_size / 1e6}))
        core.engine.dispose()
        return
    print(f"{written:>9,} rows ({csv_path.stat().st_size / 1e6:.0f} MB) -> {report.leads_new:,} leads, "
          f"{report.touches_new:,} activities, {report.claims_read:,} claims, {sum(report.skipped.values()):,} skipped | "
          f"{elapsed:5.1f} s total ({reading:.1f} s reading, {elapsed - reading:.1f} s storing; {cpu:.1f} s CPU) | "
          f"{written / elapsed:,.0f} rows/s | peak RSS {peak_mb:,.0f} MB | {url.split('@')[-1]}")
    core.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="default: 100000 and 1000000")
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file per run")
    parser.add_argument("--json", action="store_true", help="print each size's figures as one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for rows in args.rows or [100_000, 1_000_000]:
            run(rows, args.database_url, Path(tmp), args.json)


if __name__ == "__main__":
    main()
