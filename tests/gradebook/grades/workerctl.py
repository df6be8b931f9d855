"""Actions the real-worker regrade test runs in a subprocess against its own SQLite file.

    python -m tests.gradebook.grades.workerctl seed|apply [run_id]

Prints one JSON line. Runs with the environment ``tests.exercises.stack.stack_env`` builds.
"""

from __future__ import annotations

import json
import sys


def seed() -> dict:
    from django.contrib.auth import get_user_model

    from gradebook.courses.models import Course, Item, Lesson
    from gradebook.grades.services import regrade_start
    from gradebook.quizzes.models import Attempt

    users = get_user_model()
    tara = users.objects.create_user("tara", password="x")
    course = Course.objects.create(slug="ai-gen", title="How AI generates")
    course.teachers.add(tara)
    lesson = Lesson.objects.create(course=course, slug="sampling", title="Sampling")
    spec = {"id": "neg-log", "type": "numeric", "text": "-ln(0.3)?", "answer": "ln(0.3)",
            "tolerance": {"relative": 0.01}}  # fmt: skip
    item = Item(course=course, lesson=lesson, key="neg-log", type="numeric", text=spec["text"])
    item.set_spec(spec)
    for name, answer, score in [("alice", "1.2", 0.0), ("bob", "ln(0.3)", 1.0)]:
        student = users.objects.create_user(name, password="x")
        course.enroll(student)
        Attempt.objects.create(
            student=student, item=item, revision=item.current_revision(), number=1,
            response=answer, status="graded", auto_score=score, score=score,
            correct=bool(score),
        )  # fmt: skip
    item.set_spec({**spec, "answer": "-ln(0.3)"}, by=tara)
    run = regrade_start(item=item, by=tara)  # publishes the task when the transaction commits
    return {"run": run.pk}


def apply(run_id: int) -> dict:
    from django.contrib.auth import get_user_model

    from gradebook.grades.models import RegradeRun
    from gradebook.grades.services import regrade_apply

    tara = get_user_model().objects.get(username="tara")
    run = regrade_apply(run=RegradeRun.objects.get(pk=run_id), by=tara)
    return {"status": run.status, "applied": run.summary["applied"]}


def main() -> None:
    import django

    django.setup()
    action = sys.argv[1]
    if action == "seed":
        out = seed()
    elif action == "apply":
        out = apply(int(sys.argv[2]))
    else:
        raise SystemExit(f"unknown action {action!r}: use seed or apply")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
