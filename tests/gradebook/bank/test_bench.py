"""The benchmark's generated bank is a valid bank, so its figures measure real imports."""

from __future__ import annotations

import pytest

from gradebook.courses.bank import import_bank_files
from gradebook.courses.bank.bench import make_bank
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
