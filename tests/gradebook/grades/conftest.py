"""Fixtures for the teachers' side: a course Tara teaches, one Otto teaches, items of each kind.

Attempts are created directly (not through ``submit_answer``) so these tests pin down the
teachers' behaviour on exactly the stored state they describe.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from gradebook.courses.models import Course, Item, Lesson
from gradebook.quizzes.models import Attempt, AttemptStatus

NUMERIC_SPEC = {
    "id": "neg-log",
    "type": "numeric",
    "title": "Surprisal of p = 0.3",
    "text": "A token has probability 0.3. What is its surprisal in nats?",
    "points": 2,
    "answer": "-ln(0.3)",
    "tolerance": {"relative": 0.01},
}

FREE_TEXT_SPEC = {
    "id": "why-temperature",
    "type": "free_text",
    "title": "Why temperature",
    "text": "Explain what temperature does to the next-token distribution.",
    "points": 4,
    "rubric": [
        {
            "id": "idea",
            "criterion": "Main idea",
            "points": 2,
            "description": "Flattens or sharpens",
        },
        {"id": "example", "criterion": "Example", "points": 2, "description": "A concrete case"},
    ],
    "model_answer": "Dividing logits by T > 1 flattens the distribution.",
}

EXERCISE_SPEC = {
    "id": "prompt-a-cat",
    "type": "exercise",
    "title": "Prompt a cat",
    "text": "Write a prompt for a cat picture and reflect on the filmstrip.",
    "points": 3,
    "models": ["text", "image"],
    "reflection": {"max_chars": 200},
    "prompt": {"max_chars": 500},
    "rubric": [
        {"id": "prompt", "criterion": "Prompt", "points": 1, "description": "Specific subject"},
        {"id": "reflection", "criterion": "Reflection", "points": 2, "description": "Names a step"},
    ],
}


def make_item(course: Course, lesson: Lesson, spec: dict[str, Any], order: int = 0) -> Item:
    item = Item(
        course=course,
        lesson=lesson,
        key=spec["id"],
        type=spec["type"],
        order=order,
        title=spec.get("title", ""),
        text=spec["text"],
        points=spec.get("points", 1),
        retry_penalty=spec.get("retry_penalty", 0),
    )
    item.set_spec(spec)
    return item


@pytest.fixture
def otto(django_user_model):
    """A teacher of another course."""
    from gradebook.accounts.roles import make_teacher

    user = django_user_model.objects.create_user("otto", "otto@example.com", "otto-pass-123")
    make_teacher(user)
    return user


@pytest.fixture
def course(tara, alice, bob):
    course = Course.objects.create(slug="ai-gen", title="How AI generates")
    course.teachers.add(tara)
    course.enroll(alice)
    course.enroll(bob)
    return course


@pytest.fixture
def other_course(otto):
    course = Course.objects.create(slug="other", title="Another course")
    course.teachers.add(otto)
    return course


@pytest.fixture
def lesson(course):
    return Lesson.objects.create(course=course, slug="sampling", title="Sampling", order=1)


@pytest.fixture
def lesson2(course):
    return Lesson.objects.create(course=course, slug="diffusion", title="Diffusion", order=2)


@pytest.fixture
def numeric_item(course, lesson):
    return make_item(course, lesson, NUMERIC_SPEC, order=1)


@pytest.fixture
def free_text_item(course, lesson):
    return make_item(course, lesson, FREE_TEXT_SPEC, order=2)


@pytest.fixture
def exercise_item(course, lesson2):
    return make_item(course, lesson2, EXERCISE_SPEC, order=1)


_clock = {"t": 0}


def make_attempt(
    student: Any,
    item: Item,
    response: Any = "",
    *,
    number: int | None = None,
    status: str | None = None,
    score: float | None = None,
    correct: bool = False,
    interpreted_as: str = "",
    misconception: str = "",
    submitted_at: Any = None,
) -> Attempt:
    """Store an attempt as submit_answer would have; submitted one second after the last one."""
    if number is None:
        number = Attempt.objects.filter(student=student, item=item).count() + 1
    if status is None:
        status = AttemptStatus.PENDING_REVIEW if item.is_reviewed else AttemptStatus.GRADED
    _clock["t"] += 1
    return Attempt.objects.create(
        student=student,
        item=item,
        revision=item.current_revision(),
        number=number,
        response=response,
        status=status,
        auto_score=score,
        score=score,
        correct=correct,
        interpreted_as=interpreted_as,
        misconception=misconception,
        submitted_at=submitted_at
        or timezone.now() - timezone.timedelta(days=1) + timezone.timedelta(seconds=_clock["t"]),
    )


@pytest.fixture
def attempt_factory():
    return make_attempt


@pytest.fixture
def tara_client(client, tara):
    client.force_login(tara)
    return client


@pytest.fixture
def tara_api(tara):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(tara)
    return api


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Personas are created in every test: the production hasher would cost ~0.3 s each."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
