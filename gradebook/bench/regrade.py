"""Benchmark: regrade N stored answers to one item (preview, then apply) — time and peak memory.

    python -m gradebook.bench.regrade                  # 100,000 answers, embedded SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dev_me python -m gradebook.bench.regrade
    python -m gradebook.bench.regrade --answers 10000 --compare  # the naive ways beside

It creates a throwaway test database (``test_<name>``, dropped at the end; never your data),
bulk-creates the answers, fixes the item's key, and times the real services:
``regrade_compute_preview`` (streams attempts in chunks, grades each distinct answer once, bulk
inserts the preview rows) and ``regrade_apply`` (one transaction, chunked ``select_for_update``,
``bulk_create`` of the history, ``bulk_update`` of the attempts). Peak memory is the process's
resident set size sampled every 10 ms during each phase (so it includes Python, Django and the
database driver; it is not slowed down the way tracemalloc would slow it).

``--compare`` also runs, on the same data, the ways this code avoids: a preview that grades
every answer (no cache of distinct answers) and an apply that calls ``change_score`` per row.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

#: Answers students give to "surprisal of p = 0.3 in nats" (-ln 0.3 = 1.204), with weights.
ANSWER_MIX = [
    ("1.2", 30),
    ("1.204", 20),
    ("1.20", 8),
    ("-ln(0.3)", 8),
    ("ln(0.3)", 10),  # the sign mistake
    ("-log10(0.3)", 6),  # the base mistake
    ("0.523", 4),
    ("1.0", 3),
    ("12/10", 1),
]


def _rss_kib() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@contextmanager
def measured(label: str, results: dict[str, Any]) -> Iterator[None]:
    """Wall time and peak RSS (sampled every 10 ms) of the block, stored under ``label``."""
    baseline = _rss_kib()
    peak = [baseline]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _rss_kib())
            stop.wait(0.01)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    t0 = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - t0
        stop.set()
        thread.join()
        peak[0] = max(peak[0], _rss_kib())
        results[label] = {
            "seconds": elapsed,
            "peak_rss_mib": peak[0] / 1024,
            "rss_growth_mib": (peak[0] - baseline) / 1024,
        }


def _answer(rng: random.Random) -> str:
    if rng.random() < 0.08:  # a long tail of distinct numbers
        return f"{rng.uniform(0, 3):.3f}"
    answers, weights = zip(*ANSWER_MIX, strict=True)
    return rng.choices(answers, weights)[0]


_builds = [0]


def build(n_answers: int, tries: int, seed: int) -> Any:
    """A course with one numeric item whose key has the wrong sign, and ``n_answers`` attempts."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    from gradebook.courses.models import Course, Item, Lesson
    from gradebook.quizzes.models import Attempt, AttemptStatus, GradeSource

    rng = random.Random(seed)
    _builds[0] += 1
    prefix = f"b{_builds[0]}s"
    course = Course.objects.create(slug=f"bench-{_builds[0]}", title="Bench")
    lesson = Lesson.objects.create(course=course, slug="l1", title="Lesson 1")
    spec = {
        "id": "neg-log",
        "type": "numeric",
        "text": "Surprisal of p = 0.3 in nats?",
        "answer": "ln(0.3)",  # the typo the regrade fixes
        "tolerance": {"relative": 0.01},
        "retry_penalty": 0.1,
    }
    item = Item(
        course=course, lesson=lesson, key="neg-log", type="numeric", text=spec["text"],
        retry_penalty=0.1,
    )  # fmt: skip
    item.set_spec(spec)
    revision = item.current_revision()
    users = get_user_model()
    password = make_password(None)
    n_students = -(-n_answers // tries)
    for start in range(0, n_students, 5000):
        users.objects.bulk_create(
            [
                users(username=f"{prefix}{i:06d}", password=password)
                for i in range(start, min(n_students, start + 5000))
            ]
        )
    student_ids = list(
        users.objects.filter(username__startswith=prefix).values_list("pk", flat=True)
    )
    made = 0
    batch: list[Any] = []
    for sid in student_ids:
        for number in range(1, tries + 1):
            if made >= n_answers:
                break
            response = _answer(rng)
            # Graded against the wrong key: only "ln(0.3)" was marked right.
            wrong_key_right = response == "ln(0.3)"
            score = (0.9 ** (number - 1)) if wrong_key_right else 0.0
            overridden = rng.random() < 0.01
            batch.append(
                Attempt(
                    student_id=sid,
                    item=item,
                    revision=revision,
                    number=number,
                    response=response,
                    status=AttemptStatus.GRADED,
                    auto_score=1.0 if wrong_key_right else 0.0,
                    score=0.5 if overridden else score,
                    score_source=GradeSource.OVERRIDE if overridden else GradeSource.AUTO,
                    correct=wrong_key_right,
                    interpreted_as=response,
                )
            )
            made += 1
            if len(batch) >= 5000:
                Attempt.objects.bulk_create(batch)
                batch = []
    if batch:
        Attempt.objects.bulk_create(batch)
    fixed = dict(spec, answer="-ln(0.3)")
    item.set_spec(fixed, note="fix the sign of the key")
    return item


def new_run(item: Any) -> Any:
    """A queued run, created as regrade_start does but without publishing a Celery message."""
    from gradebook.grades.models import RegradeRun

    return RegradeRun.objects.create(item=item, revision=item.current_revision())


def naive_preview(item: Any) -> int:
    """Grade every answer again (no cache), loading them all at once: what chunks avoid."""
    import graders
    from gradebook.quizzes.models import Attempt

    changed = 0
    spec = item.current_revision().spec
    for attempt in list(Attempt.objects.filter(item=item)):
        result = graders.grade(spec, attempt.response, params=attempt.params or {})
        if result.score is not None and abs((attempt.score or 0) - result.score) > 1e-9:
            changed += 1
    return changed


def per_row_apply(run: Any, by: Any) -> int:
    """Apply a preview with one change_score per attempt: what bulk_update avoids."""
    from django.db import transaction

    from gradebook.quizzes.models import Attempt, GradeSource

    n = 0
    with transaction.atomic():
        for change in run.changes.all():
            attempt = Attempt.objects.select_for_update().get(pk=change.attempt_id)
            attempt.change_score(
                change.new_score, by=by, reason="regrade", source=GradeSource.REGRADE,
                correct=change.new_correct,
            )  # fmt: skip
            n += 1
    return n


def run_bench(
    n_answers: int, tries: int, compare: bool, repeats: int, seed: int, sync_progress: bool = False
) -> dict[str, Any]:
    from django.db import connection

    from gradebook.grades import services
    from gradebook.quizzes.models import Attempt

    results: dict[str, Any] = {"answers": n_answers, "database": connection.vendor}
    t0 = time.perf_counter()
    item = build(n_answers, tries, seed)
    results["build_seconds"] = time.perf_counter() - t0
    assert Attempt.objects.filter(item=item).count() == n_answers

    run = new_run(item)
    with measured("preview", results):
        run = services.regrade_compute_preview(run.pk)
    results["summary"] = run.summary
    results["changes"] = run.changes.count()
    with measured("apply", results):
        run = services.regrade_apply(run=run, by=None)
    results["applied"] = run.summary["applied"]
    if sync_progress:
        with measured("sync_progress", results):
            results["students_synced"] = services.regrade_sync_progress(run.pk)

    if compare:
        # Side by side on the same rows: the regrade's preview again (a fresh run: now nothing
        # changes, but every answer is read and graded) vs grading every row with no cache.
        fast, slow = [], []
        for _ in range(repeats):
            with measured("_p", results):
                services.regrade_compute_preview(new_run(item).pk)
            fast.append(results.pop("_p")["seconds"])
            with measured("_n", results):
                naive_preview(item)
            slow.append(results.pop("_n")["seconds"])
        results["compare_preview"] = {
            "chunked_cached_median_s": statistics.median(fast),
            "naive_median_s": statistics.median(slow),
            "ratio": statistics.median(slow) / statistics.median(fast),
            "runs": repeats,
        }
    return results


def compare_apply(n_answers: int, tries: int, repeats: int, seed: int) -> dict[str, Any]:
    """Bulk apply vs per-row change_score on identical fresh data, ``repeats`` times each."""
    from django.db import connection, transaction

    from gradebook.grades import services

    bulk, per_row = [], []
    changes = 0
    for i in range(repeats):
        for mode in ("bulk", "per_row"):
            sid = transaction.savepoint()
            item = build(n_answers, tries, seed + i)
            run = services.regrade_compute_preview(new_run(item).pk)
            changes = run.changes.count()
            t0 = time.perf_counter()
            if mode == "bulk":
                services.regrade_apply(run=run, by=None)
                bulk.append(time.perf_counter() - t0)
            else:
                per_row_apply(run, None)
                per_row.append(time.perf_counter() - t0)
            transaction.savepoint_rollback(sid)
    return {
        "database": connection.vendor,
        "answers": n_answers,
        "changes": changes,
        "bulk_median_s": statistics.median(bulk),
        "per_row_median_s": statistics.median(per_row),
        "ratio": statistics.median(per_row) / statistics.median(bulk),
        "runs": repeats,
    }


def per_student_sync(run: Any) -> int:
    """The XP catch-up as it was: one ``on_attempt_scored`` per student, with their latest
    changed attempt, 500 students per transaction. What ``on_item_rescored`` replaces."""
    from django.db import transaction
    from django.db.models import Max

    from gradebook.grades.models import RegradeChange
    from gradebook.progress.services import on_attempt_scored
    from gradebook.quizzes.models import Attempt

    latest = list(
        RegradeChange.objects.filter(run=run, applied=True)
        .values("attempt__student_id")
        .annotate(last=Max("attempt_id"))
        .order_by("attempt__student_id")
        .values_list("last", flat=True)
    )
    for start in range(0, len(latest), 500):
        attempts = Attempt.objects.filter(pk__in=latest[start : start + 500]).select_related(
            "item", "item__lesson", "item__course", "student"
        )
        with transaction.atomic():
            for attempt in attempts:
                on_attempt_scored(attempt)
    return len(latest)


def compare_sync(n_answers: int, tries: int, seed: int) -> dict[str, Any]:
    """XP catch-up after one applied regrade: per student vs set-wise, on the same data (the
    per-student run is rolled back before the set-wise one runs)."""
    from django.db import connection, transaction

    from gradebook.grades import services

    item = build(n_answers, tries, seed)
    run = services.regrade_compute_preview(new_run(item).pk)
    run = services.regrade_apply(run=run, by=None)
    sid = transaction.savepoint()
    t0 = time.perf_counter()
    students = per_student_sync(run)
    per_student = time.perf_counter() - t0
    transaction.savepoint_rollback(sid)
    t0 = time.perf_counter()
    services.regrade_sync_progress(run.pk)
    set_wise = time.perf_counter() - t0
    return {
        "database": connection.vendor,
        "answers": n_answers,
        "students": students,
        "per_student_s": per_student,
        "set_wise_s": set_wise,
        "ratio": per_student / set_wise,
    }


def with_test_database(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` in a throwaway test database (created, migrated, dropped)."""
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        return fn()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=100_000)
    parser.add_argument("--tries", type=int, default=5, help="answers per student")
    parser.add_argument("--compare", action="store_true", help="also time the naive ways")
    parser.add_argument("--compare-answers", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--sync-progress",
        action="store_true",
        help="also time the XP catch-up task (progress.services.on_item_rescored)",
    )
    parser.add_argument(
        "--compare-sync",
        type=int,
        default=0,
        metavar="ANSWERS",
        help="also time the XP catch-up per student vs set-wise on this many answers",
    )
    args = parser.parse_args(argv)
    if args.answers < 1 or args.tries < 1:
        parser.error("--answers and --tries must be at least 1")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gradebook.settings")
    import django

    django.setup()
    import logging

    logging.getLogger("gradebook").setLevel(logging.WARNING)

    def body() -> dict[str, Any]:
        out = run_bench(
            args.answers, args.tries, False, args.repeats, args.seed, args.sync_progress
        )
        if args.compare:
            from django.db import transaction

            with transaction.atomic():
                out["compare_apply"] = compare_apply(
                    args.compare_answers, args.tries, args.repeats, args.seed
                )
            side = run_bench(args.compare_answers, args.tries, True, args.repeats, args.seed + 99)
            out["compare_preview"] = side["compare_preview"]
        if args.compare_sync:
            from django.db import transaction

            with transaction.atomic():
                out["compare_sync"] = compare_sync(args.compare_sync, args.tries, args.seed + 7)
        return out

    results = with_test_database(body)
    p, a = results["preview"], results["apply"]
    total = p["seconds"] + a["seconds"] + results.get("sync_progress", {}).get("seconds", 0.0)
    print(f"database: {results['database']}  answers: {results['answers']:,}")
    print(f"build (bulk_create): {results['build_seconds']:.1f} s")
    s = results["summary"]
    print(
        f"preview: {p['seconds']:.1f} s, peak RSS {p['peak_rss_mib']:.0f} MiB "
        f"(+{p['rss_growth_mib']:.0f} MiB); {s['distinct_answers_graded']:,} distinct answers "
        f"graded; {s['changed']:,} would change ({s['raised']:,} up, {s['lowered']:,} down), "
        f"{s['kept_override']:,} overrides kept"
    )
    print(
        f"apply:   {a['seconds']:.1f} s, peak RSS {a['peak_rss_mib']:.0f} MiB "
        f"(+{a['rss_growth_mib']:.0f} MiB); {results['applied']:,} grades changed with history"
    )
    if "sync_progress" in results:
        sp = results["sync_progress"]
        print(
            f"XP catch-up (the task after apply): {sp['seconds']:.1f} s for "
            f"{results['students_synced']:,} students, peak RSS {sp['peak_rss_mib']:.0f} MiB"
        )
    if "sync_progress" in results:
        print(f"preview + apply + XP catch-up: {total:.1f} s")
    if "compare_sync" in results:
        c = results["compare_sync"]
        print(
            f"XP catch-up for {c['students']:,} students ({c['answers']:,} answers): per student "
            f"{c['per_student_s']:.1f} s vs set-wise {c['set_wise_s']:.2f} s ({c['ratio']:.0f}x)"
        )
    if "compare_apply" in results:
        c = results["compare_apply"]
        print(
            f"apply of {c['changes']:,} changes ({c['answers']:,} answers), median of "
            f"{c['runs']}: bulk {c['bulk_median_s']:.2f} s vs change_score per row "
            f"{c['per_row_median_s']:.2f} s ({c['ratio']:.1f}x)"
        )
        c = results["compare_preview"]
        print(
            f"preview of {args.compare_answers:,} answers, median of {c['runs']}: chunked+cached "
            f"{c['chunked_cached_median_s']:.2f} s vs grade-every-row {c['naive_median_s']:.2f} s "
            f"({c['ratio']:.1f}x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
