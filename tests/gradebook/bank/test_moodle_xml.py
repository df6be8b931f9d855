"""Moodle XML banks: mapped onto the project's items and imported through the same path."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

import graders
from gradebook.courses.bank import BankInvalid
from gradebook.courses.bank.loading import parse_bank_bytes, read_bank_file
from gradebook.courses.models import Course, Item

from .conftest import snapshot

DATA = Path(__file__).parent / "data" / "moodle"
EVERY_TYPE = DATA / "every-type.xml"


def run_import(*args: str) -> str:
    out = StringIO()
    call_command("import_bank", *args, stdout=out)
    return out.getvalue()


def items_by_title(doc) -> dict[str, dict]:
    return {i["title"]: i for lesson in doc.data["lessons"] for i in lesson["items"]}


def test_categories_become_lessons_and_descriptions_their_text():
    doc = read_bank_file(EVERY_TYPE, course="moodle-demo")
    assert doc.data["course"] == "moodle-demo"
    lessons = doc.data["lessons"]
    assert [(lesson["slug"], lesson["title"]) for lesson in lessons] == [
        ("diffusion-noise-schedule", "Diffusion / Noise schedule"),
        ("diffusion-words", "Diffusion / Words"),
    ]
    assert lessons[0]["summary"] == "Questions on how noise is added."
    # \(T\) is TeX in Moodle's delimiters: stored in the project's.
    assert lessons[0]["body"] == "<p>A diffusion model adds noise in $T$ steps.</p>"


def test_a_numerical_question_keeps_key_tolerance_units_mistakes_and_credit():
    item = items_by_title(read_bank_file(EVERY_TYPE))["Total sampling time"]
    assert item["id"] == "total-time"  # from the idnumber
    assert item["type"] == "numeric" and item["answer"] == 4
    assert item["tolerance"] == {"absolute": 0.05}
    assert item["unit"] == "s" and item["unit_required"] is True
    assert item["points"] == 2 and item["retry_penalty"] == 0.3333333
    assert item["mistakes"] == [
        {"answer": 0.08, "feedback": "That is one step, not all fifty."},
        {"answer": 4.5, "feedback": "Close: check the multiplication.", "credit": 0.5},
    ]
    assert item["hints"] == ["Multiply the steps by the time per step."]
    # Graded as Moodle would: the key in another unit, the partial answer, the declared slip.
    assert graders.grade(item, "4000 ms").outcome == "correct"
    assert graders.grade(item, "4.5 s").score == 0.5
    assert graders.grade(item, "0.08 s").feedback == "That is one step, not all fifty."
    assert graders.grade(item, "5 s").score == 0.0


def test_choice_questions_and_their_feedback():
    items = items_by_title(read_bank_file(EVERY_TYPE))
    single = items["What is added"]
    assert single["type"] == "multiple_choice" and "multiple" not in single
    assert [(c["id"], c["text"], c["correct"]) for c in single["choices"]] == [
        ("a", "Gaussian noise", True),
        ("b", "Text tokens", False),
        ("c", "Colour", False),
    ]
    assert "<script>" not in single["text"]  # sanitised with nh3 to the allow-list
    multi = items["Which are schedules"]
    assert multi["multiple"] is True and multi["shuffle"] is False
    assert graders.grade(multi, ["a", "b"]).score == 1.0
    assert graders.grade(multi, ["a"]).score == 0.5
    truefalse = items["Noise is random"]
    assert [c["id"] for c in truefalse["choices"]] == ["true", "false"]
    assert graders.grade(truefalse, "false").feedback == "It samples noise."


def test_short_answer_and_essay():
    items = items_by_title(read_bank_file(EVERY_TYPE))
    short = items["Name the process"]
    assert short["type"] == "short_text"
    assert graders.grade(short, "Denoising").outcome == "correct"
    assert graders.grade(short, "de-noising").score == 0.5
    assert graders.grade(short, "diffusion").feedback == "That is the whole model."
    essay = items["Explain guidance"]
    assert essay["type"] == "free_text" and essay["points"] == 5
    assert essay["rubric"][0]["description"] == (
        "Mentions conditional and unconditional predictions."
    )
    assert graders.grade(essay, "Two sentences.").outcome == "needs_review"


def test_what_cannot_be_mapped_is_reported_with_line_and_name_never_dropped_silently():
    doc = read_bank_file(EVERY_TYPE)
    notes = [str(n) for n in doc.notes]
    assert any(
        n.startswith(f"{EVERY_TYPE}:95") and "'Drag the words': not imported" in n and "ddwtos" in n
        for n in notes
    ), notes
    no_key = "'No key': not imported: no answer has full credit"
    assert any(":99" in n and no_key in n for n in notes)
    assert any(":13" in n and "unit penalty" in n for n in notes)
    titles = items_by_title(doc)
    assert "Drag the words" not in titles and "No key" not in titles


@pytest.mark.django_db
def test_import_dry_run_apply_and_reimport_in_place():
    before = snapshot()
    out = run_import(str(EVERY_TYPE), "--dry-run", "--course", "moodle-demo")
    assert "warning: " in out and "not imported" in out and "Dry run" in out
    assert "items: 6 created" in out
    assert snapshot() == before

    run_import(str(EVERY_TYPE), "--course", "moodle-demo")
    course = Course.objects.get(slug="moodle-demo")
    assert course.items.count() == 6
    item = Item.objects.get(course=course, key="total-time")
    assert item.type == "numeric" and item.points == 2
    assert Item.objects.get(course=course, key="diffusion-words-name-the-process").type == (
        "short_text"
    )

    again = run_import(str(EVERY_TYPE), "--course", "moodle-demo")
    assert "items: 0 created, 0 updated (0 with a new revision), 0 retired, 6 unchanged" in again


@pytest.mark.django_db
def test_a_question_gone_from_the_file_is_retired_and_a_changed_key_gets_a_revision(tmp_path):
    run_import(str(EVERY_TYPE), "--course", "moodle-demo")
    text = EVERY_TYPE.read_text(encoding="utf-8")
    start = text.index('  <question type="truefalse">')
    end = text.index("</question>", start) + len("</question>")
    changed = (text[:start] + text[end:]).replace("<text>4</text>", "<text>4.2</text>", 1)
    path = tmp_path / "every-type.xml"
    path.write_text(changed, encoding="utf-8")
    out = run_import(str(path), "--course", "moodle-demo")
    assert "1 retired" in out and "1 with a new revision" in out
    gone = Item.objects.get(key="diffusion-noise-schedule-noise-is-random")
    assert gone.retired_at is not None
    assert Item.objects.get(key="total-time").spec["answer"] == 4.2


@pytest.mark.django_db
def test_a_bad_file_among_good_ones_writes_nothing(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<quiz>\n<question type='numerical'>\n<name>\n</quiz>\n", encoding="utf-8")
    before = snapshot()
    with pytest.raises(CommandError) as info:
        run_import(str(EVERY_TYPE), str(bad))
    assert f"{bad}:4" in str(info.value) and "malformed XML" in str(info.value)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b'<?xml version="1.0"?>\n<quiz><question type="x">', "malformed XML"),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE quiz [<!ENTITY a "aaaaaaaa">]>\n<quiz>&a;</quiz>',
            "refused",
        ),
        (
            b'<?xml version="1.0"?>\n<!DOCTYPE quiz SYSTEM "http://example.com/x.dtd">\n<quiz/>',
            "refused",
        ),
        (b"<html><body/></html>", "not a Moodle XML question file"),
    ],
)
def test_hostile_or_foreign_xml_is_refused_with_a_reason(raw, words):
    with pytest.raises(BankInvalid) as info:
        parse_bank_bytes(raw, filename="bank.xml")
    assert words in str(info.value)


def test_questions_without_idnumber_get_stable_ids_from_category_and_name():
    raw = (
        b"<quiz>"
        b'<question type="category"><category><text>$course$/top/Tokens</text></category>'
        b"</question>"
        b'<question type="truefalse"><name><text>Is it?</text></name>'
        b"<questiontext><text>Q</text></questiontext>"
        b'<answer fraction="100"><text>true</text></answer>'
        b'<answer fraction="0"><text>false</text></answer></question>'
        b'<question type="truefalse"><name><text>Is it?</text></name>'
        b"<questiontext><text>Q2</text></questiontext>"
        b'<answer fraction="0"><text>true</text></answer>'
        b'<answer fraction="100"><text>false</text></answer></question>'
        b"</quiz>"
    )
    first = parse_bank_bytes(raw, filename="a.xml")
    second = parse_bank_bytes(raw, filename="a.xml")
    ids = [i["id"] for i in first.data["lessons"][0]["items"]]
    assert ids == ["tokens-is-it", "tokens-is-it-2"]
    assert ids == [i["id"] for i in second.data["lessons"][0]["items"]]
    assert any("same name" in str(n) for n in first.notes)


@pytest.fixture
def run_jobs(django_capture_on_commit_callbacks, eager_celery):
    def run(action):
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


@pytest.mark.django_db
def test_the_admin_upload_shows_the_plan_with_warnings_then_applies(client, ada, run_jobs):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from gradebook.courses.models import BankImport

    client.force_login(ada)
    upload = SimpleUploadedFile("every-type.xml", EVERY_TYPE.read_bytes())
    response = run_jobs(
        lambda: client.post(
            reverse("admin:courses_bankimport_upload"), {"files": upload, "course": "moodle-demo"}
        )
    )
    record = BankImport.objects.get()
    assert record.status == "ready" and record.course_slug == "moodle-demo"
    page = client.get(response["Location"]).content.decode()
    assert "What this import will do" in page and "moodle-demo" in page
    assert "3 warnings" in page and "every-type.xml:95" in page and "ddwtos" in page
    run_jobs(lambda: client.post(reverse("admin:courses_bankimport_apply", args=[record.pk])))
    record.refresh_from_db()
    assert record.status == "succeeded"
    assert record.summary["warning_count"] == 3
    assert Item.objects.filter(course__slug="moodle-demo").count() == 6
    page = client.get(reverse("admin:courses_bankimport_change", args=[record.pk])).content
    assert "not imported" in page.decode()


def test_cloze_becomes_a_multipart_item_with_a_part_per_embedded_answer():
    doc = read_bank_file(DATA / "cloze.xml")
    item = doc.data["lessons"][0]["items"][0]
    assert item["type"] == "multipart"
    assert "(1) _____ seconds" in item["text"] and "{" not in item["text"]
    assert [(p["id"], p["type"], p.get("weight", 1)) for p in item["parts"]] == [
        ("p1", "numeric", 2), ("p2", "short_text", 1), ("p3", "multiple_choice", 1),
        ("p4", "multiple_choice", 1),
    ]  # fmt: skip
    assert item["parts"][0]["tolerance"] == {"absolute": 0.01}
    assert item["parts"][1]["case_sensitive"] is True
    assert item["parts"][2]["multiple"] is True
    assert item["parts"][3]["choices"][1]["text"] == "cross~entropy"  # \~ is literal
    right = {"p1": "4", "p2": "Denoiser", "p3": ["a", "b"], "p4": "a"}
    assert graders.grade(item, right).outcome == "correct"
    half = graders.grade(item, {**right, "p1": "4.5", "p2": "denoiser"})
    assert half.score == pytest.approx((2 * 0.5 + 0.5 + 1 + 1) / 5)
    assert any("'Unknown embedded type': not imported" in str(n) for n in doc.notes)


def test_moodles_own_cloze_fixture_imports():
    """question/format/xml/tests/fixtures/multianswer.xml (data/moodle/upstream/PROVENANCE.md)."""
    doc = read_bank_file(DATA / "upstream" / "multianswer.xml")
    item = doc.data["lessons"][0]["items"][0]
    assert [p["type"] for p in item["parts"]] == ["multiple_choice"] * 4 + ["short_text"]
    answers = {"p1": "a", "p2": "b", "p3": "a", "p4": "b", "p5": "paris"}
    assert graders.grade(item, answers).outcome == "correct"
    wrong = graders.grade(item, {**answers, "p5": "Lyon"})
    assert wrong.parts[-1].feedback == "Wrong answer. The capital of France is Paris, of course."


def test_moodles_own_category_fixtures_import():
    """nested_categories_with_questions.xml and category_with_description.xml from Moodle."""
    nested = read_bank_file(DATA / "upstream" / "nested_categories_with_questions.xml")
    assert [(lesson["slug"], len(lesson["items"])) for lesson in nested.data["lessons"]] == [
        ("iota", 1), ("iota-kappa", 2), ("iota-kappa-lambda", 1), ("iota-mu", 1),
    ]  # fmt: skip
    assert nested.data["lessons"][0]["summary"] == "This is Iota category for test"
    assert nested.notes == []
    described = read_bank_file(DATA / "upstream" / "category_with_description.xml")
    lesson = described.data["lessons"][0]
    assert lesson["slug"] == "alpha-idnumber" and lesson["title"] == "Alpha"


def test_embedded_images_become_course_media_and_the_rest_is_reported():
    doc = read_bank_file(DATA / "images.xml", course="pictures")
    lesson = doc.data["lessons"][0]
    [(sha, (name, content_type, data))] = doc.media.items()
    url = f"/courses/pictures/media/{sha}.png"
    assert (name, content_type, data[:4]) == ("logo small.png", "image/png", b"\x89PNG")
    assert f'<img src="{url}" alt="logo">' in lesson["body"]  # %20 in the reference
    assert f'<img src="{url}" alt="logo">' in lesson["items"][0]["text"]
    notes = [str(n) for n in doc.notes]
    assert any(":12" in n and "'hello.mp3' is not kept: only images" in n for n in notes)
    assert any("'x.svg' is not kept" in n for n in notes)  # SVG can carry script
    assert any("not imported" in n and "gone.png" in n for n in notes)


@pytest.mark.django_db
def test_images_are_stored_once_and_served_to_the_course_only(client, alice, django_user_model):
    from gradebook.courses.models import BankMedia

    run_import(str(DATA / "images.xml"), "--course", "pictures")
    run_import(str(DATA / "images.xml"), "--course", "pictures")  # nothing new the second time
    media = BankMedia.objects.get()
    url = f"/courses/pictures/media/{media.sha256}.png"
    assert client.get(url).status_code == 404  # anonymous
    client.force_login(alice)
    assert client.get(url).status_code == 404  # not enrolled
    Course.objects.get(slug="pictures").enroll(alice)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content == bytes(media.content)
    assert client.get(url.replace(".png", ".gif")).status_code == 404
    page = client.get(f"/learn/pictures/{Item.objects.get().lesson.slug}/").content.decode()
    assert f'src="{url}"' in page  # the renderer keeps the image


def test_matching_keeps_pairs_distractors_and_gives_credit_per_pair():
    raw = b"""<quiz><question type="matching"><name><text>Models</text></name>
      <questiontext format="html"><text>Match each model.</text></questiontext>
      <shuffleanswers>false</shuffleanswers>
      <subquestion format="html"><text><![CDATA[<p>SmolLM2</p>]]></text>
        <answer><text>text</text></answer></subquestion>
      <subquestion format="html"><text>VAE decoder</text><answer><text>image</text></answer>
      </subquestion>
      <subquestion format="html"><text></text><answer><text>audio</text></answer></subquestion>
    </question></quiz>"""
    item = parse_bank_bytes(raw, filename="m.xml").data["lessons"][0]["items"][0]
    assert item["pairs"] == [
        {"id": "p1", "prompt": "SmolLM2", "answer": "text"},
        {"id": "p2", "prompt": "VAE decoder", "answer": "image"},
    ]
    assert item["distractors"] == ["audio"] and item["shuffle"] is False
    assert graders.grade(item, {"p1": "text", "p2": "audio"}).score == 0.5


def test_calculated_questions_become_numeric_items_with_params():
    doc = read_bank_file(DATA / "calculated.xml")
    items = {i["title"]: i for i in doc.data["lessons"][0]["items"]}
    total = items["Total time"]
    assert total["answer"] == "{n}*{t}" and total["tolerance"] == {"relative": 0.01}
    assert total["params"] == {
        "n": {"choices": [20, 35, 50]},  # the values Moodle generated, kept
        "t": {"range": [0.05, 0.1], "step": 0.01},
    }
    assert total["unit"] == "s" and total["unit_required"] is False
    params = {"n": 35, "t": 0.08}
    assert graders.grade(total, "2.8", params=params).outcome == "correct"
    assert graders.grade(total, "2800 ms", params=params).outcome == "correct"
    added = graders.grade(total, "35.08", params=params)
    assert added.feedback == "You added instead of multiplying."
    circle = items["Circle"]
    assert circle["answer"] == "pi*{r}*{r}" and circle["tolerance"] == {"absolute": 0.05}
    assert graders.grade(circle, "12.57", params={"r": 2}).outcome == "correct"
    assert "Unknown function" not in items
    assert any("'Unknown function': not imported: the formula cannot be read" in str(n)
               for n in doc.notes)  # fmt: skip


@pytest.mark.django_db
def test_a_file_with_nothing_importable_is_refused_rather_than_retiring_the_course(tmp_path):
    run_import(str(EVERY_TYPE), "--course", "moodle-demo")
    path = tmp_path / "only-plugins.xml"
    path.write_text(
        '<quiz><question type="ddwtos"><name><text>Drag</text></name></question></quiz>',
        encoding="utf-8",
    )
    before = snapshot()
    with pytest.raises(CommandError) as info:
        run_import(str(path), "--course", "moodle-demo")
    assert "no question that can be imported" in str(info.value)
    assert "'Drag': not imported" in str(info.value)
    assert snapshot() == before


@pytest.mark.django_db
def test_an_item_the_grader_refuses_is_an_error_with_line_and_question_name(tmp_path):
    # Mapped by the reader, refused by the grader: a short answer over 500 characters.
    long = "x" * 600
    path = tmp_path / "bad.xml"
    path.write_text(
        '<quiz>\n<question type="shortanswer">\n<name><text>Too long</text></name>'
        "<questiontext><text>Q</text></questiontext>"
        f'<answer fraction="100"><text>{long}</text></answer></question>\n</quiz>',
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as info:
        run_import(str(path))
    message = str(info.value)
    assert f"{path}:2" in message and "(question 'Too long', item too-long)" in message
    assert "at most 500 characters" in message


@pytest.mark.django_db
def test_course_option_names_the_course_for_every_format_and_is_checked(tmp_path):
    from .conftest import SMALL_BANK

    yaml_bank = tmp_path / "demo.yaml"
    yaml_bank.write_text(SMALL_BANK, encoding="utf-8")
    run_import(str(yaml_bank), "--course", "renamed")
    assert Course.objects.filter(slug="renamed").exists()
    assert not Course.objects.filter(slug="demo").exists()
    with pytest.raises(CommandError, match="not a valid slug"):
        run_import(str(EVERY_TYPE), "--course", "Not A Slug")
    run_import(str(EVERY_TYPE))  # without --course: the file name
    assert Course.objects.filter(slug="every-type").exists()
