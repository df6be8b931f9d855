"""Fixtures for exercises: tiny models built once per session, an exercise item, submissions.

The tiny models are real ``from_pretrained`` folders (random weights, deterministic seed),
built once per test session under pytest's temporary directory and shared by in-process tests
and the worker processes that the slow tests start.
"""

from __future__ import annotations

from pathlib import Path

import pytest

EXERCISE_SPEC = {
    "id": "same-prompt-two-models",
    "type": "exercise",
    "title": "One prompt, two models",
    "text": "Send the same prompt to a text model and an image model; in 200 characters, "
    "write the difference you actually saw.",
    "models": ["text", "image"],
    "prompt": {"max_chars": 500},
    "reflection": {"max_chars": 200, "min_chars": 20},
    "settings": {
        "text": {
            "max_new_tokens": {"default": 12, "max": 64},
            "temperature": {"default": 0.7, "min": 0, "max": 1.5},
            "top_p": {"default": 0.9, "min": 0.1, "max": 1},
            "seed": {"default": None},
        },
        "image": {
            "steps": {"default": 4, "max": 30},
            "guidance_scale": {"default": 5, "min": 0, "max": 12},
            "size": {"default": 64, "choices": [64, 128]},
            "seed": {"default": None},
        },
    },
}


REFLECTION = "I expect the text to describe it and the image to show colours."


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory) -> dict[str, Path]:
    from exercises.runners.build import build_tiny_image_pipeline, build_tiny_text_model

    root = tmp_path_factory.mktemp("models")
    return {
        "text": build_tiny_text_model(root / "tiny-text", seed=0),
        "image": build_tiny_image_pipeline(root / "tiny-sd", seed=0),
    }


@pytest.fixture
def generation_settings(settings, tiny_models, tmp_path):
    """Tiny models, a private media folder, and no heartbeat thread writes during a test."""
    settings.TEXT_MODEL = str(tiny_models["text"])
    settings.IMAGE_MODEL = str(tiny_models["image"])
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.GENERATION_HEARTBEAT_S = 3600
    settings.GENERATION_MAX_WAITING_JOBS = 4
    settings.GENERATION_BATCH_SIZE = 8
    return settings


@pytest.fixture
def course(tara):
    from gradebook.courses.models import Course

    course = Course.objects.create(slug="ai-generation", title="How AI generates")
    course.teachers.add(tara)
    return course


@pytest.fixture
def exercise_item(course):
    from gradebook.courses.models import Item, Lesson

    lesson = Lesson.objects.create(course=course, slug="two-models", title="Two models", order=1)
    item = Item(
        course=course,
        lesson=lesson,
        key=EXERCISE_SPEC["id"],
        type="exercise",
        title=EXERCISE_SPEC["title"],
        text=EXERCISE_SPEC["text"],
    )
    item.set_spec(dict(EXERCISE_SPEC))
    return item


@pytest.fixture
def enrolled(course, alice, bob):
    course.enroll(alice)
    course.enroll(bob)
    return course


@pytest.fixture
def make_submission(exercise_item):
    """A stored exercise submission with its jobs, written directly (no grading, no publish):
    the worker-side tests start from rows as ``exercise_submit`` leaves them."""
    from exercises.models import ExerciseSubmission, GenerationJob
    from exercises.validation import clean_exercise
    from gradebook.quizzes.models import Attempt

    counter = {"n": 0}

    def make(student, prompt="a red apple on a table", settings_in=None, kinds=("text", "image")):
        counter["n"] += 1
        clean = clean_exercise(
            exercise_item.spec, prompt=prompt, reflection=REFLECTION, settings=settings_in or {}
        )
        attempt = Attempt.objects.create(
            student=student,
            item=exercise_item,
            revision=exercise_item.current_revision(),
            number=Attempt.objects.filter(student=student, item=exercise_item).count() + 1,
            response=clean.response(),
            status="pending_review",
        )
        submission = ExerciseSubmission.objects.create(
            attempt=attempt, prompt=clean.prompt, settings=clean.settings
        )
        for kind in kinds:
            GenerationJob.objects.create(
                submission=submission, student=student, kind=kind, settings=clean.settings[kind]
            )
        return submission

    return make


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """One migrated SQLite file per session, copied by each real-process stack."""
    from tests.exercises.stack import migrated_template

    return migrated_template(tmp_path_factory.mktemp("stack-template"))


@pytest.fixture
def redis_server(tmp_path):
    """A private redis-server that a test may stop and restart (never the shared one)."""
    from tests.exercises.stack import RedisServer

    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def memory_broker(monkeypatch):
    """Publishes from in-process tests go to kombu's in-memory transport (a real transport,
    private to this process), never to the shared broker or the embedded queue folder."""
    from kombu import Connection

    from gradebook.celery import app

    # Celery reads the CELERY_BROKER_URL environment variable before app.conf (CI sets it to
    # Redis), so the swap below would be ignored without this.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    saved = app.conf.broker_url, app.conf.broker_transport_options
    app.conf.broker_url, app.conf.broker_transport_options = "memory://", {}
    app._pool = None
    app.amqp._producer_pool = None
    connection = Connection("memory://")
    yield connection
    queue = connection.SimpleQueue("gpu")
    queue.clear()
    queue.close()
    connection.release()
    app.conf.broker_url, app.conf.broker_transport_options = saved
    app._pool = None
    app.amqp._producer_pool = None


def published_job_ids(connection) -> list[int]:
    """Drain the in-memory gpu queue: the job ids the code under test published."""
    queue = connection.SimpleQueue("gpu")
    ids = []
    while True:
        try:
            message = queue.get(block=False)
        except queue.Empty:
            break
        ids.append(int(message.payload[0][0]))
        message.ack()
    queue.close()
    return ids
