"""import_bank: validate everything, then write once; re-imports update in place."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from gradebook.courses.bank import BankInvalid, import_bank_files
from gradebook.courses.models import BankImport, Course, Item, ItemRevision, Lesson
from gradebook.courses.rendering import render_markdown

from .conftest import ROOT, SMALL_BANK, snapshot

pytestmark = pytest.mark.django_db


def run_import(*paths, **options) -> str:
    from io import StringIO

    out = StringIO()
    call_command("import_bank", *map(str, paths), stdout=out, **options)
    return out.getvalue()


def item_bank(item_yaml: str, *, extra_item: str = "") -> str:
    """A one-lesson bank whose first item is ``item_yaml`` (indented as a list entry)."""
    return (
        "course: demo\n"
        "lessons:\n"
        "  - slug: basics\n"
        "    title: Basics\n"
        "    items:\n" + item_yaml + extra_item
    )


GOOD_ITEM = "      - id: good\n        type: numeric\n        text: Two?\n        answer: 2\n"

# (name, file content, file name, expected line, expected field, words in the message)
BAD_INPUTS = [
    (
        "malformed YAML",
        "course: demo\nlessons:\n  - slug: a\n    title: [unclosed\n",
        "bank.yaml",
        5,
        "",
        "malformed YAML",
    ),
    (
        "malformed JSON",
        '{"course": "demo",\n "lessons": [\n  {"slug": "a", "title": "A",}\n ]\n}',
        "bank.json",
        3,
        "lessons[0]",
        "expected a quoted key",
    ),
    (
        "unknown item type",
        item_bank("      - id: q\n        type: essay\n        text: Why?\n"),
        "bank.yaml",
        7,
        "lessons[0].items[0].type",
        "unknown item type 'essay'",
    ),
    (
        "missing answer key",
        item_bank("      - id: q\n        type: numeric\n        text: Two?\n"),
        "bank.yaml",
        6,
        "lessons[0].items[0].answer",
        "missing required field 'answer'",
    ),
    (
        "duplicate item ids",
        item_bank(GOOD_ITEM, extra_item=GOOD_ITEM),
        "bank.yaml",
        10,
        "lessons[0].items[1].id",
        "duplicate item id 'good' (first used on line 6)",
    ),
    (
        "unparseable answer key",
        item_bank(
            "      - id: q\n        type: numeric\n        text: Two?\n        answer: 2 +* 3\n"
        ),
        "bank.yaml",
        9,
        "lessons[0].items[0].answer",
        "(item q)",
    ),
    (
        "script in text",
        item_bank(
            "      - id: q\n        type: numeric\n"
            '        text: "Two? <script>alert(1)</script>"\n        answer: 2\n'
        ),
        "bank.yaml",
        8,
        "lessons[0].items[0].text",
        "active HTML",
    ),
    (
        "event handler in a lesson body",
        "course: demo\nlessons:\n  - slug: a\n    title: A\n"
        "    body: '<img src=x onerror=alert(1)>'\n",
        "bank.yaml",
        5,
        "lessons[0].body",
        "active HTML",
    ),
    (
        "duplicate YAML key",
        "course: demo\nlessons: []\nlessons: []\n",
        "bank.yaml",
        3,
        "lessons",
        "duplicate key",
    ),
    (
        "NaN in JSON",
        '{"course": "demo", "lessons": [{"slug": "a", "title": "A", "items": [\n'
        '{"id": "q", "type": "numeric", "text": "x", "answer": 1, "points": NaN}]}]}',
        "bank.json",
        2,
        "lessons[0].items[0].points",
        "NaN is not allowed",
    ),
    (
        "unknown lesson field",
        "course: demo\nlessons:\n  - slug: a\n    title: A\n    bdoy: typo\n",
        "bank.yaml",
        5,
        "lessons[0].bdoy",
        "unknown field 'bdoy'",
    ),
    (
        "bad slug",
        "course: Demo Course\nlessons: []\n",
        "bank.yaml",
        1,
        "course",
        "not a valid id",
    ),
]


@pytest.mark.parametrize(
    "content, name, line, field, words",
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
def test_bad_input_names_file_line_and_field_and_writes_nothing(
    write_bank, small_bank, content, name, line, field, words
):
    run_import(small_bank)  # existing data must survive a failed import untouched
    before = snapshot()
    path = write_bank(content, name)
    with pytest.raises(CommandError) as info:
        run_import(path)
    message = str(info.value)
    location = f"{path}:{line}"
    assert location in message, message
    if field:
        assert f": {field}: " in message, message
    assert words in message, message
    assert "nothing was imported" in message
    assert snapshot() == before


def test_a_non_utf8_file_is_refused_with_its_byte_offset(write_bank, small_bank):
    run_import(small_bank)
    before = snapshot()
    path = write_bank("course: demo\nlessons: []\n# caf\xe9\n".encode("latin-1"))
    where = re.escape(str(path))
    with pytest.raises(CommandError, match=rf"{where}:3:6: .*not UTF-8.*byte offset 30"):
        run_import(path)
    assert snapshot() == before


def test_a_20_mb_file_is_refused_and_writes_nothing(tmp_path, small_bank):
    run_import(small_bank)
    before = snapshot()
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(20 * 1024 * 1024)
    with pytest.raises(CommandError, match=rf"{re.escape(str(path))}: the file is 20\.0 MB"):
        run_import(path)
    assert snapshot() == before


def test_a_broken_second_file_means_the_first_is_not_imported_either(small_bank, write_bank):
    broken = write_bank("course: other\nlessons: [\n", "broken.yaml")
    with pytest.raises(CommandError, match=r"broken\.yaml:3"):
        run_import(small_bank, broken)
    assert not Course.objects.exists()


def test_every_problem_in_a_file_is_reported_at_once(write_bank):
    bad = item_bank(
        "      - id: a\n        type: numeric\n        text: x\n        answer: 1 +\n"
        "      - id: b\n        type: numeric\n        text: y\n        answer: 2 **\n"
    )
    with pytest.raises(CommandError) as info:
        run_import(write_bank(bad))
    assert "2 problems" in str(info.value)
    assert "(item a)" in str(info.value) and "(item b)" in str(info.value)


@pytest.mark.embedded
def test_importing_twice_leaves_the_same_rows(small_bank):
    run_import(small_bank)
    first = snapshot()
    out = run_import(small_bank)
    second = snapshot()
    assert "items: 0 created, 0 updated (0 with a new revision), 0 retired, 3 unchanged" in out
    first.pop("bank_import"), second.pop("bank_import")
    assert second == first
    assert Item.objects.count() == 3 and ItemRevision.objects.count() == 3
    assert BankImport.objects.filter(succeeded=True).count() == 2


@pytest.mark.embedded
def test_a_dry_run_prints_the_plan_and_writes_nothing(small_bank):
    before = snapshot()
    out = run_import(small_bank, dry_run=True)
    assert "course demo (create)" in out
    assert "+ item two-plus-two in basics" in out
    assert "Dry run: nothing was written." in out
    assert snapshot() == before


def test_a_dry_run_of_a_changed_bank_lists_updates_and_retirements(small_bank, write_bank):
    run_import(small_bank)
    before = snapshot()
    changed = SMALL_BANK.replace("answer: 4", "answer: 5").replace(
        "      - id: steps", "      - id: renamed-steps"
    )
    out = run_import(write_bank(changed, "changed.yaml"), dry_run=True)
    assert "~ item two-plus-two (spec changed: new revision 2)" in out
    assert "+ item renamed-steps in more" in out
    assert "- item steps (retired; answers kept)" in out
    assert snapshot() == before


def test_a_changed_key_keeps_the_old_one_as_a_revision(small_bank, write_bank):
    run_import(small_bank)
    item = Item.objects.get(key="two-plus-two")
    run_import(write_bank(SMALL_BANK.replace("answer: 4", "answer: 5"), "v2.yaml"))
    item.refresh_from_db()
    assert item.revision == 2
    assert item.spec["answer"] == 5
    assert [r.spec["answer"] for r in item.revisions.order_by("number")] == [4, 5]
    assert item.revisions.get(number=2).note.startswith("bank import: ")


def test_an_item_gone_from_the_file_is_retired_not_deleted_and_can_come_back(
    small_bank, write_bank
):
    run_import(small_bank)
    steps = Item.objects.get(key="steps")
    without = SMALL_BANK.split("  - slug: more")[0]
    run_import(write_bank(without, "without.yaml"))
    steps.refresh_from_db()
    assert steps.is_retired
    assert Lesson.objects.get(slug="more").is_retired
    assert list(Lesson.objects.get(slug="basics").active_items().values_list("key", flat=True)) == [
        "two-plus-two",
        "pick-one",
    ]
    run_import(small_bank)
    steps.refresh_from_db()
    assert not steps.is_retired and steps.revision == 1
    assert not Lesson.objects.get(slug="more").is_retired


def test_an_item_moved_to_another_lesson_keeps_its_row_and_revision(small_bank, write_bank):
    run_import(small_bank)
    pk = Item.objects.get(key="pick-one").pk
    moved = SMALL_BANK.replace(
        "      - id: pick-one\n        type: multiple_choice\n        text: Pick the right one.\n"
        "        choices:\n          - {id: right, text: Right, correct: true}\n"
        "          - {id: wrong, text: Wrong, correct: false}\n",
        "",
    ).replace(
        "    items:\n      - id: steps",
        "    items:\n      - id: pick-one\n        type: multiple_choice\n"
        "        text: Pick the right one.\n        choices:\n"
        "          - {id: right, text: Right, correct: true}\n"
        "          - {id: wrong, text: Wrong, correct: false}\n      - id: steps",
    )
    out = run_import(write_bank(moved, "moved.yaml"))
    assert "~ item pick-one (moved from lesson basics" in out
    item = Item.objects.get(key="pick-one")
    assert item.pk == pk and item.lesson.slug == "more" and item.order == 0
    assert item.revision == 1 and item.revisions.count() == 1


def test_lesson_fields_are_updated_in_place(small_bank, write_bank):
    run_import(small_bank)
    lesson_pk = Lesson.objects.get(slug="basics").pk
    run_import(write_bank(SMALL_BANK.replace("title: Basics", "title: The basics"), "t.yaml"))
    lesson = Lesson.objects.get(slug="basics")
    assert lesson.pk == lesson_pk and lesson.title == "The basics"
    assert Lesson.objects.count() == 2


def test_the_same_course_in_two_files_is_refused(small_bank, write_bank):
    copy = write_bank(SMALL_BANK, "copy.yaml")
    with pytest.raises(CommandError, match="also imported from"):
        run_import(small_bank, copy)


def test_json_banks_import_like_yaml(write_bank):
    path = write_bank(
        '{"course": "json-demo", "lessons": [{"slug": "a", "title": "A", "items": ['
        '{"id": "q", "type": "numeric", "text": "Two?", "answer": 2}]}]}',
        "bank.json",
    )
    run_import(path)
    assert Item.objects.get(key="q").course.slug == "json-demo"


def test_html_is_stored_as_written_and_rendered_sanitised_with_allow_html(write_bank):
    text = 'Two? <b>bold</b> <script>alert("x")</script>'
    path = write_bank(
        item_bank(
            f"      - id: q\n        type: numeric\n        text: '{text}'\n        answer: 2\n"
        )
    )
    run_import(path, allow_html=True)
    item = Item.objects.get(key="q")
    assert item.text == text
    html = render_markdown(item.text)
    assert "<b>bold</b>" in html and "<script" not in html and "alert" not in html


def test_harmless_html_needs_no_flag(write_bank):
    path = write_bank(
        item_bank(
            "      - id: q\n        type: numeric\n        text: H<sub>2</sub>O?\n"
            "        answer: 2\n"
        )
    )
    run_import(path)
    assert "<sub>2</sub>" in render_markdown(Item.objects.get(key="q").text)


def test_import_bank_files_raises_bank_invalid_with_structured_errors(write_bank):
    path = write_bank(item_bank("      - id: q\n        type: essay\n        text: x\n"))
    with pytest.raises(BankInvalid) as info:
        import_bank_files([path])
    error = info.value.errors[0]
    assert error.to_dict() == {
        "file": str(path),
        "line": 7,
        "column": None,
        "field": "lessons[0].items[0].type",
        "message": error.message,
    }


def test_the_progress_bar_can_be_forced_and_is_off_when_not_a_tty(small_bank, capsys):
    run_import(small_bank, progress="on")
    assert "import" in capsys.readouterr().err
    run_import(small_bank)
    assert capsys.readouterr().err == ""


def test_the_command_exits_non_zero_with_the_place_of_the_problem(write_bank, tmp_path):
    path = write_bank(item_bank("      - id: q\n        type: essay\n        text: x\n"))
    env = {**os.environ, "VAR_DIR": str(tmp_path / "var")}
    env.pop("DATABASE_URL", None)
    proc = subprocess.run(
        [sys.executable, "manage.py", "import_bank", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert f"{path}:7: lessons[0].items[0].type: unknown item type 'essay'" in proc.stderr


def test_the_dry_run_shows_a_before_and_after_of_each_changed_key(write_bank):
    from gradebook.courses.bank import import_bank_files

    import_bank_files([write_bank(SMALL_BANK)])
    changed = write_bank(SMALL_BANK.replace("answer: 4", "answer: 5"))
    lines = import_bank_files([changed], dry_run=True).describe()
    assert "  ~ item two-plus-two (spec changed: new revision 2)" in lines
    assert "      answer: 4 -> 5" in lines


YOUR_RUN_ITEM = (
    "      - id: your-loss\n"
    "        type: numeric\n"
    "        text: Your token had probability {p}. Its loss?\n"
    "        answer: -ln(p)\n"
    "        from_run: {exercise: EXERCISE, model: MODEL}\n"
    "        params: {p: {range: [0.01, 0.99], step: 0.01}}\n"
)
TEXT_EXERCISE = (
    "      - id: run-it\n"
    "        type: exercise\n"
    "        text: Run the text model.\n"
    "        models: [text]\n"
)


@pytest.mark.parametrize(
    ("exercise", "model", "words"),
    [
        ("no-such", "text", "'no-such', which is not an exercise of this bank (exercises: run-it)"),
        ("run-it", "image", "the exercise 'run-it' runs ['text'], not the image model"),
    ],
)
def test_a_your_run_item_must_name_an_exercise_of_the_bank_that_runs_its_model(
    write_bank, exercise, model, words
):
    item = YOUR_RUN_ITEM.replace("EXERCISE", exercise).replace("MODEL", model)
    path = write_bank(item_bank(TEXT_EXERCISE, extra_item=item))
    with pytest.raises(BankInvalid) as info:
        import_bank_files([path])
    assert [e.message for e in info.value.errors if words in e.message], info.value.errors
    ok = YOUR_RUN_ITEM.replace("EXERCISE", "run-it").replace("MODEL", "text")
    import_bank_files([write_bank(item_bank(TEXT_EXERCISE, extra_item=ok), "ok.yaml")])
    assert Item.objects.get(key="your-loss").spec["from_run"]["exercise"] == "run-it"
