"""The benchmark's generated bank is a valid bank, so its figures measure real imports."""

from __future__ import annotations

import pytest

from gradebook.bench.bank_import import make_bank, make_item
from gradebook.courses.bank import import_bank_files
from gradebook.courses.bank.exporting import dump_yaml
from gradebook.courses.models import Item


@pytest.mark.django_db
def test_the_generated_bank_imports_and_a_changed_copy_makes_revisions(tmp_path):
    bank, changed = tmp_path / "bank.yaml", tmp_path / "changed.yaml"
    bank.write_text(dump_yaml(make_bank(200)), encoding="utf-8")
    changed.write_text(dump_yaml(make_bank(200, changed_every=100)), encoding="utf-8")
    import_bank_files([bank])
    assert Item.objects.count() == 200
    assert set(Item.objects.values_list("type", flat=True)) == {
        "numeric", "symbolic", "multiple_choice", "multipart", "free_text",
    }  # fmt: skip
    counts = import_bank_files([changed]).plans[0].counts()["items"]
    assert (counts["new_revisions"], counts["unchanged"]) == (2, 198)


def queries_for(path) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        import_bank_files([path])
    return len(captured)


def one_lesson_bank(path, slug: str, items: int):
    lesson = {"slug": "only", "title": "Only", "items": [make_item(n) for n in range(items)]}
    path.write_text(dump_yaml({"course": slug, "lessons": [lesson]}), encoding="utf-8")
    return path


@pytest.mark.django_db
def test_the_import_makes_no_queries_per_item(tmp_path):
    small = one_lesson_bank(tmp_path / "small.yaml", "small", 20)
    large = one_lesson_bank(tmp_path / "large.yaml", "large", 400)
    first_small, first_large = queries_for(small), queries_for(large)
    again_small, again_large = queries_for(small), queries_for(large)
    # Inserts are batched (SQLite caps the variables per statement, so a batch holds ~60 rows
    # there): at most one more query per 20 more items, never one per item.
    assert first_large - first_small <= (400 - 20) / 20
    # An unchanged re-import reads a fixed number of times and writes only the import record.
    assert again_small == again_large < first_small


@pytest.mark.django_db
def test_the_moodle_benchmark_file_imports_every_question_with_its_images(tmp_path):
    from gradebook.bench.moodle_import import make_bank as make_moodle_bank
    from gradebook.bench.moodle_import import with_images
    from gradebook.courses.bank.loading import read_bank_file
    from gradebook.courses.bank.moodle_export import to_moodle_xml
    from gradebook.courses.models import BankMedia

    path = tmp_path / "moodle-bench.xml"
    path.write_text(with_images(to_moodle_xml(make_moodle_bank(60)).text), encoding="utf-8")
    doc = read_bank_file(path)
    assert doc.notes == [] and len(doc.media) == 1  # 12 images, one PNG
    assert (
        sum("/media/" in i["text"] for lesson in doc.data["lessons"] for i in lesson["items"]) == 12
    )
    import_bank_files([path])
    assert Item.objects.count() == 60 and BankMedia.objects.count() == 1
    assert set(Item.objects.values_list("type", flat=True)) == {
        "numeric", "multiple_choice", "short_text", "free_text",
    }  # fmt: skip
