"""Make a plausible CRM export of leads and their activities (one row per activity).

    python examples/make_crm_export.py                        # examples/crm_export_sample.csv, ~400 rows
    python examples/make_crm_export.py --rows 1000000 -o /tmp/big.csv

Everything is fake: names from short lists, phones in the 555-01xx range reserved for fiction,
e-mails at example.com. Times are local to the dealership (no offset), as CRMs export them.
Response times follow what dealer studies report: a few reps answer in minutes, the median is
tens of minutes, the tail runs to days, and about one lead in seven is never contacted.
Assignments, as dealer CRMs log them: a round robin gives about a third of the leads a rep
within the minute ("Round Robin Assignment"), a desk manager assigns most of the rest by hand
("Lead Assigned": minutes in the day, hours overnight), one in twelve is never assigned, and
some are handed to another rep later ("Reassigned"). Assignments draw from their own random
stream, so the leads and contact activities are the same with or without them.
"""

from __future__ import annotations

import argparse
import csv
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

FIRST = ["Maria", "James", "Ann", "Luis", "Priya", "Tom", "Keisha", "Wei", "Olga", "Sam", "Dana", "Omar",
         "Grace", "Ivan", "Nora", "Raj", "Lena", "Carlos", "Mia", "Ahmed", "Zoe", "Ben", "Fatima", "Jake"]
LAST = ["Gonzalez", "Smith", "Lee", "Patel", "Nguyen", "Johnson", "Kowalski", "Brown", "Okafor", "Garcia",
        "Miller", "Chen", "Davis", "Lopez", "Wilson", "Khan", "Martin", "Rossi", "Novak", "Young"]
SOURCES = [("Cars.com", 30), ("AutoTrader", 25), ("Dealer Website", 25), ("CarGurus", 15), ("Facebook", 5)]
VEHICLES = ["2022 Toyota RAV4", "2024 Honda CR-V", "2021 Ford F-150", "2023 Chevrolet Equinox",
            "2020 Jeep Wrangler", "2024 Hyundai Tucson", "2019 Nissan Rogue", "2023 Subaru Outback"]
HOURS = [1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 11, 11, 11, 11, 11, 10, 9, 9, 8, 7, 6, 4, 3, 2]  # leads by hour of day
REPS = ["Sam Ortiz", "Alex Kim", "Jordan Reyes", "Taylor Brooks"]
HEADER = ["Lead ID", "Created", "Customer", "Phone", "Email", "Source", "Vehicle", "Activity ID", "Activity Type",
          "Activity Date", "Rep", "Status"]


def _fmt(moment: datetime) -> str:
    return moment.strftime("%m/%d/%Y %I:%M %p")


def _first_response(rng: random.Random, after_hours: bool) -> timedelta | None:
    if rng.random() < (0.25 if after_hours else 0.12):
        return None  # never contacted
    if rng.random() < 0.18:
        return timedelta(seconds=rng.randint(40, 300))  # the fast reps
    minutes = rng.lognormvariate(3.3 if not after_hours else 5.8, 1.1)  # median ~27 min; after hours ~5.5 h
    return timedelta(minutes=min(minutes, 6 * 24 * 60))


def _assignment(rng: random.Random, after_hours: bool, response: timedelta | None) -> tuple[str, timedelta] | None:
    """How and when the lead got its rep, or None: left in the unassigned queue."""
    roll = rng.random()
    if roll < 0.08:
        return None
    if roll < 0.40:
        return "Round Robin Assignment", timedelta(seconds=rng.randint(3, 90))
    minutes = rng.lognormvariate(2.0 if not after_hours else 5.0, 1.0)  # median ~7 min; after hours ~2.5 h
    delay = timedelta(seconds=round(min(minutes, 3 * 24 * 60) * 60))
    if response is not None and delay > response:  # the rep who answered had usually been given the lead first
        delay = timedelta(seconds=round(response.total_seconds() * rng.uniform(0.3, 0.9)))
    return "Lead Assigned", delay


def rows(count: int, *, seed: int = 7, start: datetime = datetime(2026, 10, 5, 8, 0),
         days: int = 45) -> Iterator[list[str]]:
    """About `count` activity rows (a lead never contacted is one row with no activity)."""
    rng = random.Random(seed)
    assigner = random.Random(seed * 7919 + 1)  # assignments' own stream: the other rows do not change
    sources = [s for s, _ in SOURCES]
    weights = [w for _, w in SOURCES]
    made = 0
    lead_no = 0
    activity_no = 0
    while made < count:
        lead_no += 1
        created = (start.replace(hour=0) + timedelta(days=rng.randrange(days), hours=rng.choices(range(24), HOURS)[0],
                                                     seconds=rng.randrange(3600)))
        hour = created.hour
        after_hours = hour < 9 or hour >= 19 or created.weekday() == 6
        first, last = rng.choice(FIRST), rng.choice(LAST)
        customer = f"{first} {last}"
        phone = f"(312) 555-01{rng.randint(0, 99):02d}" if rng.random() < 0.9 else ""
        email = f"{first.lower()}.{last.lower()}{lead_no}@example.com" if rng.random() < 0.85 else ""
        source = rng.choices(sources, weights)[0]
        vehicle = rng.choice(VEHICLES)
        rep = rng.choice(REPS)
        lead_id = f"CRM-{100000 + lead_no}"
        activities: list[tuple[str, datetime]] = []
        response = _first_response(rng, after_hours)
        if response is not None:
            at = created + response
            activities.append((rng.choices(["Phone Call", "Email", "Text Message"], [60, 25, 15])[0], at))
            for _ in range(rng.choices([0, 1, 2, 3, 4], [25, 30, 25, 12, 8])[0]):
                at += timedelta(hours=min(rng.lognormvariate(3.0, 0.9), 240))
                activities.append((rng.choices(["Phone Call", "Email", "Text Message", "Appointment", "Note"],
                                               [45, 20, 15, 8, 12])[0], at))
        if activities and rng.random() < 0.05:
            activities.append(("Auto Response", created + timedelta(seconds=30)))
        roll = rng.random()
        status = "Sold" if roll < 0.12 else "Lost" if roll < 0.45 else "Active"
        assignments: list[tuple[str, datetime]] = []
        if (assigned := _assignment(assigner, after_hours, response)) is not None:
            assignments.append((assigned[0], created + assigned[1]))
            if assigner.random() < 0.12:
                assignments.append(("Reassigned", assignments[0][1] + timedelta(
                    minutes=min(assigner.lognormvariate(6.0, 1.2), 10 * 24 * 60))))  # median ~7 h
        if not activities and not assignments:
            yield [lead_id, _fmt(created), customer, phone, email, source, vehicle, "", "", "", rep, status]
            made += 1
            continue
        # Real exports carry a few data errors (the import must report them): each row's roll is
        # drawn in the order the rows were made, then the rows are written in time order.
        ordered = sorted([(at, 0, kind, assigner.random()) for kind, at in assignments]
                         + [(at, 1, kind, rng.random()) for kind, at in activities])
        for at, _, kind, roll in ordered:
            activity_no += 1
            when = "" if roll < 0.01 else _fmt(created - timedelta(hours=2)) if roll < 0.03 else _fmt(at)
            yield [lead_id, _fmt(created), customer, phone, email, source, vehicle, f"ACT-{activity_no}", kind,
                   when, rep, status]
            made += 1


def write(path: Path, count: int, *, seed: int = 7) -> int:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        n = 0
        for row in rows(count, seed=seed):
            writer.writerow(row)
            n += 1
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=410)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("-o", "--output", type=Path, default=Path(__file__).parent / "crm_export_sample.csv")
    args = parser.parse_args()
    n = write(args.output, args.rows, seed=args.seed)
    print(f"{n} rows -> {args.output}")


if __name__ == "__main__":
    main()
