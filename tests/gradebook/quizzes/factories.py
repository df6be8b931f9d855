"""A small real course for the student-flow tests: items written in the bank's item format.

Items are built through the models (``Item.set_spec`` creates revision 1, as an import does)
and graded by the real ``graders`` library: nothing here is mocked.
"""

from __future__ import annotations

from typing import Any

import pytest

from gradebook.courses.models import Course, Item, Lesson

SPECS: dict[str, dict[str, Any]] = {
    "ce-loss": {
        "id": "ce-loss",
        "type": "numeric",
        "title": "Cross-entropy loss",
        "text": "The correct token has probability 0.3. What is the loss $L = -\\ln(p)$?",
        "answer": "-ln(0.3)",
        "tolerance": {"relative": 0.01},
        "mistakes": [
            {
                "answer": "-log10(0.3)",
                "feedback": "That is the base-10 logarithm; cross-entropy uses the natural log.",
                "tag": "log-base",
            }
        ],
        "explanation": "L = -ln(0.3) ≈ 1.204.",
    },
    "ce-exact": {
        "id": "ce-exact",
        "type": "symbolic",
        "title": "Loss in natural-log form",
        "text": "Write the same loss exactly, in natural-log form.",
        "answer": "-ln(0.3)",
        "form": "natural_log",
    },
    "images-time": {
        "id": "images-time",
        "type": "numeric",
        "title": "Time for a batch",
        "text": "Each image takes 50 steps of 0.08 s. How long do {n} images take in a row?",
        "answer": "{n}*50*0.08",
        "unit": "s",
        "tolerance": {"relative": 0.01},
        "params": {"n": {"range": [2, 12], "step": 1}},
    },
    "which-model": {
        "id": "which-model",
        "type": "multiple_choice",
        "title": "Which generates one token at a time?",
        "text": "Which model generates its output one token at a time?",
        "choices": [
            {"id": "llm", "text": "A large language model", "correct": True},
            {
                "id": "diffusion",
                "text": "A diffusion model",
                "correct": False,
                "feedback": "Diffusion refines the whole canvas at once.",
            },
            {"id": "vae", "text": "A VAE decoder", "correct": False},
        ],
    },
    "steps": {
        "id": "steps",
        "type": "multipart",
        "title": "Steps and time",
        "text": "A diffusion system uses 50 denoising steps of 0.08 s each.",
        "parts": [
            {
                "id": "per_image",
                "label": "Time for one image (s)",
                "type": "numeric",
                "answer": "50*0.08",
                "tolerance": {"relative": 0.01},
            },
            {
                "id": "twelve",
                "label": "Time for 12 images (s)",
                "type": "numeric",
                "answer": "12*50*0.08",
                "tolerance": {"relative": 0.01},
            },
        ],
    },
    "explain": {
        "id": "explain",
        "type": "free_text",
        "title": "Explain one difference",
        "text": "Explain one important difference in how diffusion models and LLMs generate.",
        "rubric": [
            {
                "id": "diff",
                "criterion": "Names a real difference",
                "points": 1,
                "description": "iterative denoising vs next-token prediction",
            }
        ],
        "model_answer": "Diffusion refines a whole noisy canvas; an LLM adds one token at a time.",
        "max_chars": 2000,
    },
    "limited": {
        "id": "limited",
        "type": "numeric",
        "title": "Limited tries",
        "text": "What is 50 × 0.08?",
        "answer": "4",
        "max_attempts": 2,
        "retry_penalty": 0.5,
    },
}


def make_item(course: Course, lesson: Lesson, key: str, order: int, **overrides: Any) -> Item:
    spec = {**SPECS[key], **overrides}
    item = Item(
        course=course,
        lesson=lesson,
        key=spec["id"],
        type=spec["type"],
        order=order,
        title=spec.get("title", ""),
        text=spec["text"],
        points=spec.get("points", 1),
        max_attempts=spec.get("max_attempts"),
        retry_penalty=spec.get("retry_penalty", 0.0),
    )
    item.set_spec(spec)
    return item


def make_course(slug: str = "ai-gen", title: str = "How AI generates text and images") -> Course:
    course = Course.objects.create(slug=slug, title=title, language="en")
    lesson = Lesson.objects.create(
        course=course,
        slug="text-vs-images",
        order=1,
        title="Language generation vs. media generation",
        summary="피파 한 줄 정리: 텍스트 모델은 token을 한 개씩 만들어.",
        body="Language models generate **tokens**; the loss is $L = -\\ln(p)$.",
        key_facts=[{"text": "Attention", "formula": "\\mathrm{softmax}(QK^T / \\sqrt{d_k})V"}],
        takeaways=["Image models refine the whole canvas at once."],
        vocabulary=[{"term": "Token", "definition": "A small unit of text."}],
    )
    for order, key in enumerate(SPECS, start=1):
        make_item(course, lesson, key, order)
    Lesson.objects.create(course=course, slug="latent-space", order=2, title="Latent space")
    return course


def item(course: Course, key: str) -> Item:
    return Item.objects.get(course=course, key=key)


@pytest.fixture
def course(db):
    return make_course()


@pytest.fixture
def lesson(course):
    return course.lessons.get(slug="text-vs-images")


@pytest.fixture
def enrolled(course, alice):
    course.enroll(alice)
    return alice
