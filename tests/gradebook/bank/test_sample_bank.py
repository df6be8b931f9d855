"""The sample bank imports, every item validates, and a teacher would agree with its keys."""

from __future__ import annotations

import pytest

from gradebook.courses.bank import import_bank_files, read_bank_file
from gradebook.courses.bank.validation import grader_errors, iter_items
from gradebook.courses.models import Course, Item, ItemType

from .conftest import SAMPLE_BANK

# The seed pages' Korean one-line summaries, character for character.
LESSON_01_SUMMARY = (
    "피파 한 줄 정리: 픽셀 1024×1024×3은 3M values야. 모델이 그걸 직접 만들면 너무 비싸고 "
    "의미도 안 잡혀. 그래서 VAE로 65K짜리 latent로 압축한 다음 거기서 작업해 — 48배 효율."
)
LESSON_02_SUMMARY = (
    "피파 한 줄 정리: ChatGPT 같은 텍스트 모델은 token을 한 개씩 왼쪽→오른쪽으로 만들어. "
    "이미지 모델은 그렇게 안 해 — 전체 latent canvas를 동시에 refine하지. 둘이 근본적으로 "
    "다른 문제라는 게 핵심이야."
)


@pytest.fixture(scope="module")
def items() -> dict[str, dict]:
    doc = read_bank_file(SAMPLE_BANK)
    return {item["id"]: item for _, item in iter_items(doc.data)}


def test_every_item_in_the_sample_bank_validates(items):
    assert len(items) == 27  # 24 from the seed pages, 3 "your run" items
    problems = {key: grader_errors(spec) for key, spec in items.items()}
    assert {key: errs for key, errs in problems.items() if errs} == {}


@pytest.mark.django_db
@pytest.mark.embedded
def test_the_sample_bank_imports_its_lessons_in_order():
    import_bank_files([SAMPLE_BANK])
    course = Course.objects.get(slug="ai-generation-basics")
    lessons = list(course.active_lessons())
    assert [(lesson.order, lesson.slug) for lesson in lessons] == [
        (1, "why-not-pixels"),
        (2, "language-vs-media"),
        (3, "diffusion-vs-llm"),
        (4, "text-vs-images-video"),
        (5, "decoders-vs-diffusers"),
    ]
    assert lessons[0].summary == LESSON_01_SUMMARY
    assert lessons[1].summary == LESSON_02_SUMMARY
    assert (lessons[0].estimated_minutes, lessons[1].estimated_minutes) == (12, 15)
    assert lessons[1].tags == ["foundations", "mental-model", "l2"]
    assert len(lessons[0].takeaways) == 4 and len(lessons[1].takeaways) == 4
    sheet = lessons[2]
    assert len(sheet.key_facts) == 6 and len(sheet.vocabulary) == 5
    assert len(sheet.common_mistakes) == 4
    assert sum(1 for fact in sheet.key_facts if fact.get("formula")) == 4
    assert Item.objects.filter(course=course).count() == 27


@pytest.mark.django_db
def test_the_exercises_are_there_with_their_limits():
    import_bank_files([SAMPLE_BANK])
    same_prompt = Item.objects.get(key="same-prompt-two-models")
    assert same_prompt.type == ItemType.EXERCISE
    assert same_prompt.spec["models"] == ["text", "image"]
    assert same_prompt.spec["reflection"]["max_chars"] == 200
    vae = Item.objects.get(key="vae-compression-exercise")
    assert {p["id"] for p in vae.spec["parts"]} >= {"raw", "sd15", "sdxl", "flux", "note"}
    assert next(p for p in vae.spec["parts"] if p["id"] == "note")["max_chars"] == 100


# (item, response, expected outcome): the keys a careful teacher would accept, and the
# mistakes the bank declares.
JUDGEMENTS = [
    ("ce-loss", {"ln_form": "-ln(0.3)", "decimal": "1.204"}, "correct"),
    ("ce-loss", {"ln_form": "ln(10/3)", "decimal": "1.20"}, "correct"),
    ("ce-loss", {"ln_form": "1.204", "decimal": "1.204"}, "partially_correct"),
    ("ce-loss", {"ln_form": "-log10(0.3)", "decimal": "0.523"}, "incorrect"),
    ("diffusion-time", {"one_image": "4 s", "twelve_images": "48 s"}, "correct"),
    ("diffusion-time", {"one_image": "4000 ms", "twelve_images": "0.8 min"}, "correct"),
    # Wrong first part, right working from it: carry-forward credit for the second.
    ("diffusion-time", {"one_image": "5 s", "twelve_images": "60 s"}, "partially_correct"),
    ("raw-pixel-values", "3,145,728", "correct"),
    ("raw-pixel-values", "1048576", "incorrect"),
    ("latent-compression-ratio", "48", "correct"),
    ("passes-for-500-words", "700", "correct"),
    ("passes-for-500-words", "500", "incorrect"),
    ("tokens-in-prompt", "500", "correct"),
    ("forward-noising", "1.1", "correct"),
    ("sd-latent-size", "16384", "correct"),
    ("top-p-cut", "nucleus", "correct"),
    ("top-p-cut", "top-90", "incorrect"),
    ("explain-difference", "An LLM writes one token at a time; diffusion refines all at once.",
     "needs_review"),
]  # fmt: skip


@pytest.mark.parametrize("key, response, outcome", JUDGEMENTS)
def test_the_keys_are_judged_as_a_teacher_would(items, key, response, outcome):
    from graders import grade

    assert grade(items[key], response).outcome == outcome


def test_declared_mistakes_get_their_feedback(items):
    from graders import grade

    result = grade(items["ce-loss"], {"ln_form": "-log10(0.3)", "decimal": "0.523"})
    assert "log base 10" in result.parts[0].feedback


def test_every_formula_and_text_in_the_sample_bank_renders_without_math_errors():
    from gradebook.courses.bank.validation import _strings
    from gradebook.courses.rendering import render_markdown, render_math

    doc = read_bank_file(SAMPLE_BANK)
    formulas = [
        fact["formula"]
        for lesson in doc.data["lessons"]
        for fact in lesson.get("key_facts", [])
        if fact.get("formula")
    ]
    assert len(formulas) == 6
    assert all("<math" in render_math(f) and "math-error" not in render_math(f) for f in formulas)
    strings = _strings(doc.data, ())
    broken = [path for path, text in strings if "math-error" in render_markdown(text)]
    assert broken == []
