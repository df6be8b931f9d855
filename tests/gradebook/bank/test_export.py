"""export_bank writes the format back: import -> export -> import changes nothing."""

from __future__ import annotations

from io import StringIO

import pytest
import yaml
from django.core.management import CommandError, call_command

from gradebook.courses.bank import export_course, import_bank_files
from gradebook.courses.bank.loading import parse_bank_bytes
from gradebook.courses.models import Course

from .conftest import SAMPLE_BANK, snapshot

pytestmark = pytest.mark.django_db

TRICKY = """\
course: tricky
title: "Tricky: strings that look like other things"
language: en
levels: [{name: Spark, xp: 0}, {name: Ember, xp: 200}]
x-note: kept as written
lessons:
  - slug: a
    order: 7
    title: A
    summary: "피파 한 줄 정리: 한 줄"
    body: |
      Multi-line body with trailing newline

      and $x_t$ math.
    tags: ["yes", "no", "on", "2023-11-21", "1e3", "null", "0x1F", "012", "true", " padded "]
    estimated_minutes: 12
    language: ko
    key_facts:
      - {text: "Loss:", formula: "L = -\\\\sum y \\\\log(p)"}
    vocabulary:
      - {term: Token, definition: "A chunk of text."}
    items:
      - id: q
        type: numeric
        text: "Line one\\nline two with trailing spaces   "
        answer: "-ln(0.3)"
        tolerance: {absolute: 0.001}
        points: 2.5
        x-meta: {source: p. 3}
      - id: mc
        type: multiple_choice
        text: Pick
        choices:
          - {id: "no", text: "No", correct: false}
          - {id: "yes", text: "Yes", correct: true}
"""


def export(slug: str, fmt: str = "yaml") -> str:
    return export_course(Course.objects.get(slug=slug), fmt=fmt)


def rows_without_import_log() -> dict:
    rows = snapshot()
    rows.pop("bank_import")
    return rows


@pytest.mark.embedded
@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_the_sample_bank_round_trips_losslessly(tmp_path, fmt):
    import_bank_files([SAMPLE_BANK])
    before = rows_without_import_log()
    exported = tmp_path / f"export.{fmt}"
    exported.write_text(export("ai-generation-basics", fmt), encoding="utf-8")
    result = import_bank_files([exported])
    counts = result.plans[0].counts()
    assert counts["items"]["unchanged"] == 27 and counts["lessons"]["unchanged"] == 5
    assert rows_without_import_log() == before
    # ... and exporting again gives the very same text.
    assert exported.read_text(encoding="utf-8") == export("ai-generation-basics", fmt)


def test_strings_that_look_like_numbers_dates_or_booleans_survive(write_bank, tmp_path):
    import_bank_files([write_bank(TRICKY)])
    original = Course.objects.get(slug="tricky")
    text = export("tricky")
    reread = parse_bank_bytes(text.encode(), filename="x.yaml").data
    assert reread["lessons"][0]["tags"] == [
        "yes", "no", "on", "2023-11-21", "1e3", "null", "0x1F", "012", "true", " padded ",
    ]  # fmt: skip
    # Any YAML 1.1 reader (PyYAML's own safe_load) gets the same values too.
    assert yaml.safe_load(text) == reread
    assert reread["levels"] == [{"name": "Spark", "xp": 0}, {"name": "Ember", "xp": 200}]
    assert reread["x-note"] == "kept as written"
    assert reread["lessons"][0]["order"] == 7 and reread["lessons"][0]["language"] == "ko"
    assert reread["lessons"][0]["items"][0]["x-meta"] == {"source": "p. 3"}
    path = tmp_path / "again.yaml"
    path.write_text(text, encoding="utf-8")
    before = rows_without_import_log()
    import_bank_files([path])
    assert rows_without_import_log() == before
    assert Course.objects.get(slug="tricky").meta == original.meta


def test_retired_items_are_not_exported(write_bank):
    import_bank_files([write_bank(TRICKY)])
    import_bank_files([write_bank(TRICKY.split("      - id: mc")[0], "less.yaml")])
    data = parse_bank_bytes(export("tricky").encode(), filename="x.yaml").data
    assert [item["id"] for item in data["lessons"][0]["items"]] == ["q"]


def test_export_bank_writes_a_file_or_stdout(tmp_path):
    import_bank_files([SAMPLE_BANK])
    out = StringIO()
    call_command("export_bank", "ai-generation-basics", stdout=out)
    assert out.getvalue().startswith("format: 1\ncourse: ai-generation-basics\n")
    target = tmp_path / "out.json"
    call_command("export_bank", "ai-generation-basics", "-o", str(target), stderr=StringIO())
    assert target.read_text(encoding="utf-8").startswith('{\n  "format": 1,')


def test_export_bank_names_the_known_courses_when_the_slug_is_wrong():
    import_bank_files([SAMPLE_BANK])
    with pytest.raises(CommandError, match=r"no course 'nope' .*ai-generation-basics"):
        call_command("export_bank", "nope")
