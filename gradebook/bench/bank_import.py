"""Benchmark: generate a 10,000-item bank and time its import.

    python -m gradebook.bench.bank_import [--items 10000] [--repeat 3] [--database-url URL]

Phases, each run ``--repeat`` times (median reported) and once more under ``tracemalloc`` for
the peak Python heap: dry run on an empty database and first import (the same bank as YAML and
as JSON), re-import unchanged, dry run of the imported bank, and re-import with 1% of the specs
changed (each a new revision). Phases run one after another in one process, so their ratios
are comparable even on a busy machine; absolute times are not.
The database is a throwaway test database (``test_<name>``, SQLite file by default), so the
benchmark never touches real data.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ITEMS_PER_LESSON = 100


def make_item(n: int) -> dict[str, Any]:
    """A realistic mix: numeric 40%, symbolic 20%, choice 20%, multipart 10%, free text 10%."""
    kind = n % 10
    base: dict[str, Any] = {"id": f"item-{n:05d}", "text": f"Question {n}: compute the value."}
    if kind < 4:
        return {
            **base,
            "type": "numeric",
            "answer": f"{n % 50 + 1}*0.08",
            "unit": "s",
            "tolerance": {"relative": 0.01},
            "mistakes": [{"answer": "0.08", "feedback": "That is one step.", "tag": "one-step"}],
        }
    if kind < 6:
        return {
            **base,
            "type": "symbolic",
            "answer": f"-ln(0.{n % 9 + 1})",
            "form": "natural_log",
        }
    if kind < 8:
        return {
            **base,
            "type": "multiple_choice",
            "choices": [
                {"id": f"c{c}", "text": f"Choice {c}", "correct": c == n % 4} for c in range(4)
            ],
        }
    if kind < 9:
        return {
            **base,
            "type": "multipart",
            "parts": [
                {"id": "one", "label": "One image", "type": "numeric", "answer": "50*0.08",
                 "unit": "s"},
                {"id": "many", "label": "Twelve", "type": "numeric", "answer": "12*50*0.08",
                 "unit": "s", "carry_forward": {"from": ["one"], "answer": "12*one"}},
            ],
        }  # fmt: skip
    return {
        **base,
        "type": "free_text",
        "max_chars": 600,
        "rubric": [{"id": "r1", "criterion": "Names a difference", "points": 2}],
    }


def make_bank(items: int, *, changed_every: int = 0) -> dict[str, Any]:
    lessons = []
    for li in range(0, items, ITEMS_PER_LESSON):
        specs = [make_item(n) for n in range(li, min(li + ITEMS_PER_LESSON, items))]
        if changed_every:
            for spec in specs:
                if int(spec["id"].split("-")[1]) % changed_every == 0:
                    spec["text"] += " (revised)"
        lessons.append(
            {
                "slug": f"lesson-{li // ITEMS_PER_LESSON:03d}",
                "order": li // ITEMS_PER_LESSON + 1,
                "title": f"Lesson {li // ITEMS_PER_LESSON + 1}",
                "body": "Some *Markdown* with $x_t$ math.\n" * 5,
                "items": specs,
            }
        )
    return {"format": 1, "course": "bench", "title": "Benchmark course", "lessons": lessons}


@dataclass
class Phase:
    label: str
    run: Callable[[], Any]
    before: Callable[[], Any]
    times: list[float] = field(default_factory=list)
    peak_heap_mb: float = 0.0


def measure(phases: list[Phase], *, repeat: int) -> None:
    """Round-robin: every phase once per round, so a change in the machine's load (it is
    shared) spreads over all phases instead of skewing one; then one traced run each."""
    for _ in range(repeat):
        for phase in phases:
            phase.before()
            t0 = time.perf_counter()
            phase.run()
            phase.times.append(time.perf_counter() - t0)
    for phase in phases:
        phase.before()
        tracemalloc.start()
        phase.run()
        phase.peak_heap_mb = tracemalloc.get_traced_memory()[1] / 1024 / 1024
        tracemalloc.stop()
    for phase in phases:
        print(
            f"{phase.label:<34} median {statistics.median(phase.times):7.2f} s   "
            f"min {min(phase.times):7.2f} s   peak heap {phase.peak_heap_mb:7.1f} MB",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="bank-bench-"))
    os.environ.setdefault("VAR_DIR", str(workdir))
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gradebook.settings")
    # As in production: with DEBUG on, Django formats and keeps every query's SQL, which
    # for bulk inserts of 10,000 rows costs more than the inserts themselves.
    os.environ.setdefault("DEBUG", "0")
    import django

    django.setup()
    from django.db import connection

    from gradebook.courses.bank import import_bank_files
    from gradebook.courses.bank.exporting import dump_json, dump_yaml
    from gradebook.courses.models import Course

    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = str(workdir / "test_bench.sqlite3")
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        bank = workdir / "bench.yaml"
        changed = workdir / "bench-changed.yaml"
        bank.write_text(dump_yaml(make_bank(args.items)), encoding="utf-8")
        bank_json = workdir / "bench.json"
        bank_json.write_text(dump_json(make_bank(args.items)), encoding="utf-8")
        changed.write_text(dump_yaml(make_bank(args.items, changed_every=100)), encoding="utf-8")
        size_mb = bank.stat().st_size / 1024 / 1024
        json_mb = bank_json.stat().st_size / 1024 / 1024
        print(
            f"{args.items} items in {args.items // ITEMS_PER_LESSON} lessons, {size_mb:.1f} MB "
            f"YAML / {json_mb:.1f} MB JSON; database {connection.vendor} ({test_db}); "
            f"Python {sys.version.split()[0]}; {os.cpu_count()} CPUs",
            flush=True,
        )

        def empty() -> None:
            Course.objects.filter(slug="bench").delete()

        def imported() -> None:
            if not Course.objects.filter(slug="bench").exists():
                import_bank_files([bank])

        def pristine() -> None:
            # Back to the unchanged bank so each changed re-import makes the same revisions.
            empty()
            import_bank_files([bank])

        phases = [
            Phase("dry run, empty database", lambda: import_bank_files([bank], dry_run=True),
                  empty),
            Phase("dry run, empty database, JSON",
                  lambda: import_bank_files([bank_json], dry_run=True), empty),
            Phase("first import", lambda: import_bank_files([bank]), empty),
            Phase("first import, JSON", lambda: import_bank_files([bank_json]), empty),
            Phase("re-import, unchanged", lambda: import_bank_files([bank]), imported),
            Phase("dry run, imported bank", lambda: import_bank_files([bank], dry_run=True),
                  imported),
            Phase("re-import, 1% of specs changed", lambda: import_bank_files([changed]),
                  pristine),
        ]  # fmt: skip
        measure(phases, repeat=args.repeat)
        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS of the whole run: {maxrss:.0f} MB", flush=True)
        base = statistics.median(phases[2].times)
        for phase in phases:
            ratio = statistics.median(phase.times) / base
            print(f"{phase.label:<34} {ratio:5.2f} x first import", flush=True)
        print(f"first import: {args.items / base:.0f} items/s", flush=True)
    finally:
        connection.creation.destroy_test_db(test_db, verbosity=0)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
