"""Benchmark: a 5,000-question Moodle XML file with images against the same bank as YAML.

    python -m gradebook.bench.moodle_import [--questions 5000] [--repeat 3]

The XML is written by the project's own Moodle exporter from a generated bank (numerical with
units and mistakes, single and multiple choice, true/false, short answer, essay), and one
question in five carries a PNG as ``<file encoding="base64">`` referenced by
``@@PLUGINFILE@@``. The YAML is the bank the XML reader produces from that file, so both
imports write the same items. Phases (dry run, first import; XML and YAML) run round-robin in
one process, ``--repeat`` times (median reported), then once each under ``tracemalloc`` for
the peak Python heap, and the parse alone once more, to show that reading the XML is
streamed. A throwaway SQLite database (or ``--database-url``) is used, as in ``bench.py``.
"""

from __future__ import annotations

import argparse
import base64
import os
import resource
import shutil
import statistics
import sys
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

from gradebook.bench.bank_import import Phase, measure

# A 16x16 PNG (the Moodle logo of Moodle's own multianswer.xml fixture, 606 bytes).
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAABAAAAAQCAYAAAAf8/9hAAAAAXNSR0IArs4c6QAAAARnQU1BAACxjwv8YQUAAAAJ"
    "cEhZcwAADsQAAA7EAZUrDhsAAAHzSURBVDhPxZFbSJNhGIDXERsVGbKawWJaoyAYGeqNYgdl6zenrhhUlB0I6iJE"
    "bUl0WF1UUK2DYhDkGghu7Z+HraisPLAsu+0ygi66kCioqwg2t6f///YhzAVBXfTc/HzP9/J8L/wG/pG8QDw+TE+X"
    "n/O+dva07MW5vZayys3yNp/ZwPPRBPuOHqGisordDc00Ki42bqhAjQ3Jid8jAvoL9vIt4qs463G73VRtrcFiseDv"
    "uSYG+TwB7y/zfdzHpzeDWachAjeuXyWkPqZ21zZ2Nrioa/JQarOjlK8jes7Eh/s18GwHRMxkgka+3lvEi1ubcgM6"
    "3Zea6W5v5ESLB4fDwRVvNam+eRBey3TAxqObNl76rXwLFvAlsIyhC2W5gZ+JJmYixQS9q8RZZzpghwEr/R2LpYGP"
    "IYWZqJnYSWNugCkPPDDx1JddTyeZqCetasMdS6WB9OQB7Xet5kmbITeQntoP/YWEfSZxFoy5SA2YCXeukAJ+vD5M"
    "Ml7Cw9YF2UAkGhIXmYSbZLgI9WKxOOukx52kVAvq6eXS6HOHyAyuRz0lN5hlwg19hcTOWqXQ0FxaXZPnGC4V7s+B"
    "sToRUM8YpdA2eHswG/DO2eDV7WpGWg30dpZIA5Nddkba5nP3+Epp4F2vwqh3CXeOLZyzwV/wvwPwC58bSNEdAkha"
    "AAAAAElFTkSuQmCC"
)
PER_CATEGORY = 100


def make_question(n: int) -> dict[str, Any]:
    """One item of the bank the XML is exported from (every type the importer maps)."""
    kind = n % 6
    base: dict[str, Any] = {"id": f"q-{n:05d}", "title": f"Question {n}",
                            "text": f"Question {n}: how long do {n % 50 + 1} steps of 0.08 s take?",
                            "explanation": "Multiply the steps by the time per step."}  # fmt: skip
    if kind in (0, 1):
        return {**base, "type": "numeric", "answer": (n % 50 + 1) * 8 / 100, "unit": "s",
                "tolerance": {"absolute": 0.01},
                "mistakes": [{"answer": 0.08, "feedback": "That is one step."},
                             {"answer": (n % 50 + 1) * 8 / 100 + 1, "feedback": "Close.",
                              "credit": 0.5}]}  # fmt: skip
    if kind == 2:
        return {**base, "type": "multiple_choice", "shuffle": True,
                "choices": [{"id": f"c{c}", "text": f"Choice {c}", "correct": c == n % 4,
                             "feedback": f"Feedback {c}"} for c in range(4)]}  # fmt: skip
    if kind == 3:
        return {**base, "type": "multiple_choice", "shuffle": False,
                "choices": [{"id": "true", "text": "True", "correct": n % 2 == 0},
                            {"id": "false", "text": "False", "correct": n % 2 == 1}]}  # fmt: skip
    if kind == 4:
        answers = [{"text": "denoising", "feedback": "Yes."},
                   {"text": "de*noising", "credit": 0.5, "feedback": "Spelling."}]  # fmt: skip
        return {**base, "type": "short_text", "answers": answers}
    return {**base, "type": "free_text",
            "rubric": [{"id": "r1", "criterion": "Names a difference", "points": 2}]}  # fmt: skip


def make_bank(questions: int) -> dict[str, Any]:
    lessons = []
    for start in range(0, questions, PER_CATEGORY):
        index = start // PER_CATEGORY
        lessons.append(
            {"slug": f"category-{index:03d}", "title": f"Category {index + 1}",
             "items": [make_question(n) for n in range(start, min(start + PER_CATEGORY,
                                                                   questions))]}
        )  # fmt: skip
    return {"course": "moodle-bench", "title": "Moodle benchmark", "lessons": lessons}


def with_images(xml: str) -> str:
    """Every fifth question's text gets an image, embedded as Moodle embeds it."""
    encoded = base64.b64encode(PNG).decode("ascii")
    out, count = [], 0
    for chunk in xml.split('  <question type="')[1:]:
        if not chunk.startswith("category") and count % 5 == 0:
            name = f"figure-{count}.png"
            chunk = chunk.replace(
                "</text></questiontext>",
                f'&lt;img src="@@PLUGINFILE@@/{name}" alt="figure"&gt;</text>'
                f'<file name="{name}" path="/" encoding="base64">{encoded}</file></questiontext>',
                1,
            )
        if not chunk.startswith("category"):
            count += 1
        out.append(chunk)
    head = xml.split('  <question type="')[0]
    return head + "".join('  <question type="' + chunk for chunk in out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="moodle-bench-"))
    os.environ.setdefault("VAR_DIR", str(workdir))
    os.environ["DATABASE_URL"] = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gradebook.settings")
    os.environ.setdefault("DEBUG", "0")
    import django

    django.setup()
    from django.db import connection

    from gradebook.courses.bank import import_bank_files
    from gradebook.courses.bank.exporting import dump_yaml
    from gradebook.courses.bank.loading import parse_bank_bytes, read_bank_file
    from gradebook.courses.bank.moodle_export import to_moodle_xml
    from gradebook.courses.models import Course

    if connection.vendor == "sqlite":
        connection.settings_dict["TEST"]["NAME"] = str(workdir / "test_bench.sqlite3")
    test_db = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        xml_path = workdir / "moodle-bench.xml"
        xml_path.write_text(with_images(to_moodle_xml(make_bank(args.questions)).text), "utf-8")
        converted = read_bank_file(xml_path)
        yaml_path = workdir / "moodle-bench.yaml"
        yaml_path.write_text(dump_yaml(converted.data), encoding="utf-8")
        items = sum(len(lesson["items"]) for lesson in converted.data["lessons"])
        print(
            f"{args.questions} questions ({items} items, {len(converted.notes)} warnings) in "
            f"{len(converted.data['lessons'])} categories; Moodle XML "
            f"{xml_path.stat().st_size / 1024 / 1024:.1f} MB, the same bank as YAML "
            f"{yaml_path.stat().st_size / 1024 / 1024:.1f} MB; database {connection.vendor}; "
            f"Python {sys.version.split()[0]}; {os.cpu_count()} CPUs",
            flush=True,
        )

        def empty() -> None:
            Course.objects.filter(slug="moodle-bench").delete()

        # Parsing from bytes already read: read_bank_file's read() reserves the 10 MB limit
        # up front, which would hide the parsers' own peak.
        yaml_raw, xml_raw = yaml_path.read_bytes(), xml_path.read_bytes()
        phases = [
            Phase("parse only, YAML",
                  lambda: parse_bank_bytes(yaml_raw, filename=yaml_path.name), lambda: None),
            Phase("parse only, Moodle XML",
                  lambda: parse_bank_bytes(xml_raw, filename=xml_path.name), lambda: None),
            Phase("dry run, YAML", lambda: import_bank_files([yaml_path], dry_run=True), empty),
            Phase("dry run, Moodle XML", lambda: import_bank_files([xml_path], dry_run=True),
                  empty),
            Phase("first import, YAML", lambda: import_bank_files([yaml_path]), empty),
            Phase("first import, Moodle XML", lambda: import_bank_files([xml_path]), empty),
        ]  # fmt: skip
        measure(phases, repeat=args.repeat)
        print(
            f"peak RSS of the whole run: "
            f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB",
            flush=True,
        )
        for yaml_phase, xml_phase in zip(phases[::2], phases[1::2], strict=True):
            ratio = statistics.median(xml_phase.times) / statistics.median(yaml_phase.times)
            heap = xml_phase.peak_heap_mb / max(yaml_phase.peak_heap_mb, 0.001)
            print(
                f"{xml_phase.label:<34} {ratio:5.2f} x the time of YAML, "
                f"{heap:5.2f} x its peak heap",
                flush=True,
            )
        tracemalloc.start()
        parse_bank_bytes(xml_raw, filename=xml_path.name)
        peak = tracemalloc.get_traced_memory()[1] / 1024 / 1024
        tracemalloc.stop()
        size = xml_path.stat().st_size / 1024 / 1024
        print(f"XML parse peak heap {peak:.1f} MB for a {size:.1f} MB file already in memory "
              "(streamed: one <question> tree at a time)", flush=True)  # fmt: skip
    finally:
        connection.creation.destroy_test_db(test_db, verbosity=0)
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
