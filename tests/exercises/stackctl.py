"""Run one action against a test stack's database, in its own process (``python -m``).

The worker tests drive a separate "stack" (its own SQLite file, broker and media folder)
instead of pytest-django's test database, which a worker process could not see. Each call
prints one JSON object. Submissions are written as ``exercise_submit`` writes them and
published on commit, exactly as the web process does.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gradebook.settings")
    import django

    django.setup()
    action, args = sys.argv[1], json.loads(sys.argv[2] if len(sys.argv) > 2 else "{}")
    print(json.dumps(ACTIONS[action](**args)))


def setup() -> dict:
    from django.contrib.auth import get_user_model

    from gradebook.courses.models import Course, Item, Lesson
    from tests.exercises.conftest import EXERCISE_SPEC

    student = get_user_model().objects.create_user("alice", "alice@example.com", "pw-alice-123")
    course = Course.objects.create(slug="stack", title="Stack")
    course.enroll(student)
    lesson = Lesson.objects.create(course=course, slug="two-models", title="Two models")
    spec = dict(EXERCISE_SPEC)
    spec["settings"] = {
        **spec["settings"],
        "image": {**spec["settings"]["image"], "steps": {"default": 4, "max": 100}},
    }
    item = Item(course=course, lesson=lesson, key=spec["id"], type="exercise", text=spec["text"])
    item.set_spec(spec)
    return {"student": student.pk, "item": item.pk}


def submit(
    student: int,
    item: int,
    prompt: str = "a red apple",
    kinds: list | None = None,
    settings: dict | None = None,
) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from exercises.models import ExerciseSubmission, GenerationJob
    from exercises.services import jobs_publish
    from exercises.validation import clean_exercise
    from gradebook.courses.models import Item
    from gradebook.quizzes.models import Attempt
    from tests.exercises.conftest import REFLECTION

    user = get_user_model().objects.get(pk=student)
    exercise = Item.objects.get(pk=item)
    clean = clean_exercise(
        exercise.spec, prompt=prompt, reflection=REFLECTION, settings=settings or {}
    )
    with transaction.atomic():
        attempt = Attempt.objects.create(
            student=user,
            item=exercise,
            revision=exercise.current_revision(),
            number=Attempt.objects.filter(student=user, item=exercise).count() + 1,
            response=clean.response(),
            status="pending_review",
        )
        submission = ExerciseSubmission.objects.create(
            attempt=attempt, prompt=clean.prompt, settings=clean.settings
        )
        ids = [
            GenerationJob.objects.create(
                submission=submission, student=user, kind=kind, settings=clean.settings[kind]
            ).pk
            for kind in kinds or ["text", "image"]
        ]
        transaction.on_commit(lambda: jobs_publish(ids))
    published = list(
        GenerationJob.objects.filter(pk__in=ids, last_published_at__isnull=False).values_list(
            "pk", flat=True
        )
    )
    return {"submission": submission.pk, "jobs": ids, "published": published}


def sweep() -> dict:
    from exercises.services import jobs_sweep

    report = jobs_sweep()
    return {"requeued": report.requeued, "failed": report.failed, "published": report.published}


def answer_setup(student: int) -> dict:
    """A numeric item in the stack's course and an API token for the student."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    from gradebook.courses.models import Course, Item, Lesson

    course = Course.objects.get(slug="stack")
    lesson = Lesson.objects.get(course=course, slug="two-models")
    spec = {"id": "two-plus-two", "type": "numeric", "text": "2 + 2?", "answer": "4"}
    item = Item(course=course, lesson=lesson, key=spec["id"], type="numeric", text=spec["text"])
    item.set_spec(spec)
    token = Token.objects.create(user=get_user_model().objects.get(pk=student))
    return {"numeric_item": item.pk, "token": token.key}


def attempts(item: int) -> dict:
    from gradebook.quizzes.models import Attempt

    rows = Attempt.objects.filter(item_id=item).values_list("response", "correct")
    return {"attempts": [[response, correct] for response, correct in rows]}


def publish(jobs: list[int]) -> dict:
    """Publish job ids as the web process does (the same id twice: a duplicate delivery)."""
    from exercises.services import jobs_publish

    return {"published": jobs_publish(jobs)}


def retry(job: int) -> dict:
    from exercises.models import GenerationJob
    from exercises.services import job_retry

    return {"status": job_retry(job=GenerationJob.objects.get(pk=job)).status}


ACTIONS = {
    "setup": setup,
    "submit": submit,
    "sweep": sweep,
    "answer_setup": answer_setup,
    "attempts": attempts,
    "publish": publish,
    "retry": retry,
}

if __name__ == "__main__":
    main()
