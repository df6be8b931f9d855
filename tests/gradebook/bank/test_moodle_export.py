"""Export to Moodle XML and GIFT, and the round trip back: the same verdicts on the same answers."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

import graders
from gradebook.courses.bank import import_bank_files
from gradebook.courses.bank.loading import parse_bank_bytes
from gradebook.courses.bank.moodle_export import export_course_as, gift_escape, tex_to_moodle
from gradebook.courses.models import Course

from .conftest import SAMPLE_BANK

pytestmark = pytest.mark.django_db

#: Types each format carries; the others are exported as essays with a note.
CARRIED = {"numeric", "multiple_choice", "short_text", "free_text"}


def answer_table(spec: dict) -> list:
    """Right, wrong and declared-mistake answers for one item (choices by position; the
    parts of a multipart item by position too, as a list)."""
    kind = spec["type"]
    if kind == "multipart":
        keys = graders.answer_key(spec)
        right = [keys[p["id"]].canonical for p in spec["parts"]]
        rows = [right, ["0"] * len(right), ["abc", *right[1:]]]
        for i, part in enumerate(spec["parts"]):
            rows += [
                [*right[:i], str(m["answer"]), *right[i + 1 :]] for m in part.get("mistakes", [])
            ]
        return rows
    if kind == "numeric":
        from graders.spec import compile_item

        value = compile_item(spec).parts[0].key_value
        key = graders.answer_key(spec)[""].canonical
        rows = [key, repr(value), f"{value:.3g}", repr(value * 1.5 + 1), repr(-value), "abc", ""]
        rows += [str(m["answer"]) for m in spec.get("mistakes") or []]
        return rows
    if kind == "multiple_choice":
        n = len(spec["choices"])
        rows: list = list(range(n))
        if spec.get("multiple"):
            rows += [list(range(n)), [i for i, c in enumerate(spec["choices"]) if c["correct"]]]
            rows += [[0, 1], [n - 1]]
        return rows
    if kind == "short_text":
        return [a["text"] for a in spec["answers"]] + ["something else", ""]
    # Moodle essays have no character bounds (the export notes that), so the table keeps to
    # answers inside the original's bounds.
    return ["An answer long enough for any bound the sample bank sets on its essays. " * 2, ""]


def as_response(spec: dict, row):
    if spec["type"] == "multipart":
        return {p["id"]: answer for p, answer in zip(spec["parts"], row, strict=True)}
    if spec["type"] != "multiple_choice":
        return row
    ids = [c["id"] for c in spec["choices"]]
    return [ids[i] for i in row] if isinstance(row, list) else ids[row]


def verdicts(spec: dict, rows: list) -> list[tuple]:
    out = []
    for row in rows:
        result = graders.grade(spec, as_response(spec, row))
        out.append((row, result.outcome, result.score))
    return out


def imported_items(slug: str) -> list[dict]:
    course = Course.objects.get(slug=slug)
    return [item.spec for item in course.items.order_by("lesson__order", "order")]


@pytest.fixture
def sample_course():
    import_bank_files([SAMPLE_BANK])
    return Course.objects.get(slug="ai-generation-basics")


@pytest.mark.parametrize(
    ("fmt", "suffix", "carried", "compared"),
    [
        ("moodle-xml", "xml", CARRIED | {"multipart"}, 21),  # + ce-loss as Cloze
        ("gift", "gift", CARRIED, 20),
    ],
)
def test_the_sample_bank_round_trips_with_identical_verdicts(
    sample_course, tmp_path, fmt, suffix, carried, compared
):
    exported = export_course_as(sample_course, fmt)
    path = tmp_path / f"sample.{suffix}"
    path.write_text(exported.text, encoding="utf-8")
    import_bank_files([path], course="round-trip")
    originals = imported_items("ai-generation-basics")
    back = imported_items("round-trip")
    assert len(back) == len(originals)
    done = 0
    for original, copy in zip(originals, back, strict=True):
        if fmt == "moodle-xml":
            assert copy["id"] == original["id"]  # the idnumber
        essay = copy["type"] == "free_text" and original["type"] != "free_text"
        if original["type"] not in carried or essay:
            assert copy["type"] == "free_text"  # an essay, with a note in the export
            assert any(original["id"] in note for note in exported.notes)
            continue
        assert copy["type"] == original["type"], original["id"]
        table = answer_table(original)
        assert verdicts(copy, table) == verdicts(original, table), original["id"]
        done += 1
    # Every numeric, choice and free-text item of the sample bank, and through Moodle XML the
    # multipart item whose parts Cloze can carry (the two with units or a free-text part
    # are essays, with a note).
    assert done == compared


def test_moodle_xml_keeps_lesson_slugs_and_reimports_unchanged(sample_course, tmp_path):
    path = tmp_path / "sample.xml"
    path.write_text(export_course_as(sample_course, "moodle-xml").text, encoding="utf-8")
    first = import_bank_files([path], course="again")
    assert first.plans[0].lessons_created == list(
        sample_course.active_lessons().values_list("slug", flat=True)
    )
    second = import_bank_files([path], course="again", dry_run=True)
    assert second.plans[0].counts()["items"]["unchanged"] == 27


def test_units_feedback_and_partial_credit_survive_moodle_xml(tmp_path):
    spec = {
        "id": "time", "type": "numeric", "title": "Time", "text": "50 steps of $0.08$ s?",
        "answer": "50*0.08", "unit": "s", "tolerance": {"relative": 0.01},
        "mistakes": [{"answer": 4.5, "feedback": "Close.", "credit": 0.5},
                     {"answer": 0.08, "feedback": "One step."}],
        "hints": ["Multiply."], "explanation": "50 × 0.08 = 4.",
    }  # fmt: skip
    bank = {"course": "u", "lessons": [{"slug": "l", "title": "L", "items": [spec]}]}
    from gradebook.courses.bank.moodle_export import to_moodle_xml

    xml = to_moodle_xml(bank).text
    assert "\\\\(0.08\\\\)" in xml  # math in Moodle's delimiters, inside Markdown
    doc = parse_bank_bytes(xml.encode("utf-8"), filename="u.xml")
    copy = doc.data["lessons"][0]["items"][0]
    assert copy["text"] == spec["text"]
    assert copy["unit"] == "s" and copy["tolerance"] == {"absolute": 0.04}
    for answer in ["4 s", "4000 ms", "4.5 s", "0.08 s", "7 s", "4"]:
        assert graders.grade(copy, answer).outcome == graders.grade(spec, answer).outcome, answer
    assert copy["hints"] == ["Multiply."] and copy["explanation"] == "50 × 0.08 = 4."


def test_the_export_command_writes_each_format_and_lists_what_it_approximated(
    sample_course, tmp_path
):
    for fmt, name in [("moodle-xml", "a.xml"), ("gift", "a.gift"), ("yaml", "a.yaml")]:
        err = StringIO()
        target = tmp_path / name
        call_command(
            "export_bank", "ai-generation-basics", "--format", fmt, "-o", str(target), stderr=err
        )
        assert target.stat().st_size > 1000
        if fmt == "yaml":
            assert "note:" not in err.getvalue()
        else:
            assert "note: item same-prompt-two-models: an exercise that runs models" in (
                err.getvalue()
            )
    assert target.read_text(encoding="utf-8").startswith("format: 1")
    # The format follows the suffix when --format is not given.
    call_command("export_bank", "ai-generation-basics", "-o", str(tmp_path / "b.xml"))
    assert (tmp_path / "b.xml").read_text(encoding="utf-8").startswith("<?xml")


@pytest.mark.parametrize(
    ("text", "escaped"),
    [("a:b", "a\\:b"), ("{x}", "\\{x\\}"), ("1 = 2 ~ 3 # 4", "1 \\= 2 \\~ 3 \\# 4"),
     ("back\\slash", "back\\\\slash"), ("two\nlines", "two\\nlines")],
)  # fmt: skip
def test_gift_escapes_every_control_character(text, escaped):
    assert gift_escape(text) == escaped
    doc = parse_bank_bytes(f"::T::{escaped}{{=x}}".encode(), filename="t.gift")
    assert doc.data["lessons"][0]["items"][0]["text"] == text.replace("\n", "\n").strip()


def test_math_is_written_in_moodles_delimiters():
    written = tex_to_moodle("Loss $L = -\\ln(p)$ costs \\$5")
    assert written == "Loss \\\\(L = -\\ln(p)\\\\) costs \\$5"


def test_the_admin_downloads_each_format(client, ada, sample_course):
    from django.urls import reverse

    client.force_login(ada)
    listing = client.get(reverse("admin:courses_course_changelist")).content.decode()
    url = reverse("admin:courses_course_export", args=[sample_course.pk, "moodle-xml"])
    assert url in listing
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="ai-generation-basics.xml"'
    doc = parse_bank_bytes(response.content, filename="download.xml")
    assert sum(len(lesson["items"]) for lesson in doc.data["lessons"]) == 27
    gift = client.get(reverse("admin:courses_course_export", args=[sample_course.pk, "gift"]))
    assert gift.content.decode().startswith("// ")
    missing = client.get(reverse("admin:courses_course_export", args=[sample_course.pk, "csv"]))
    assert missing.status_code == 404


def test_a_student_cannot_download_an_export(client, alice, sample_course):
    from django.urls import reverse

    client.force_login(alice)
    url = reverse("admin:courses_course_export", args=[sample_course.pk, "yaml"])
    assert client.get(url).status_code == 302  # to the admin login


def test_images_go_back_into_the_moodle_xml_and_come_back_as_the_same_media(tmp_path):
    from pathlib import Path

    from gradebook.courses.models import BankMedia

    source = Path(__file__).parent / "data" / "moodle" / "images.xml"
    import_bank_files([source], course="pictures")
    course = Course.objects.get(slug="pictures")
    exported = export_course_as(course, "moodle-xml").text
    assert "@@PLUGINFILE@@/" in exported and 'encoding="base64"' in exported
    assert "/courses/pictures/media/" not in exported
    path = tmp_path / "again.xml"
    path.write_text(exported, encoding="utf-8")
    import_bank_files([path], course="pictures-copy")
    copy = Course.objects.get(slug="pictures-copy")
    [original] = BankMedia.objects.filter(course=course)
    [again] = BankMedia.objects.filter(course=copy)
    assert again.sha256 == original.sha256 and bytes(again.content) == bytes(original.content)
    text = copy.items.get().spec["text"]
    assert f"/courses/pictures-copy/media/{original.sha256}.png" in text
