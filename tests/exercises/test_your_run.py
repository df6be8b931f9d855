""" "Your run" items and re-runs, on the real tiny models and the real database.

A "your run" item asks about numbers the student's own generation job produced; a re-run runs
a finished job again and compares. Nothing here is mocked: jobs run through ``jobs_run``.
"""

from __future__ import annotations

import math

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from exercises import reproduce, services
from exercises.models import JobStatus, Rerun, RerunStatus
from exercises.reruns import rerun_execute, rerun_request
from exercises.your_run import image_values, text_values
from gradebook.courses.models import Item
from gradebook.quizzes.models import Attempt
from gradebook.quizzes.services import NoRunYet, submit_answer
from gradebook.quizzes.views_common import item_payload
from gradebook.refusals import Refusal

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("generation_settings")]

TOKEN_ITEM = {
    "id": "your-token-loss",
    "type": "numeric",
    "title": "The loss of your own token",
    "text": "In your run the model chose “{token}” first, with probability {p}. "
    "What is the cross-entropy loss $-\\ln p$ of that token, in nats?",
    "from_run": {"exercise": "same-prompt-two-models", "model": "text", "position": 1},
    "params": {"p": {"range": [0.01, 0.99], "step": 0.01}, "token": {"choices": ["the"]}},
    "answer": "-ln(p)",
    "tolerance": {"relative": 0.01},
    "mistakes": [
        {"answer": "ln(p)", "feedback": "Check the sign: the loss is minus the log.", "tag": "sign"}
    ],
}
STEPS_ITEM = {
    "id": "your-run-time",
    "type": "numeric",
    "title": "Your run's time",
    "text": "Your image took {steps} steps at {step_time} s each. How long for 12 images, in s?",
    "from_run": {"exercise": "same-prompt-two-models", "model": "image"},
    "params": {"steps": {"range": [1, 50]}, "step_time": {"range": [0.01, 1], "step": 0.01}},
    "answer": "12*steps*step_time",
    "tolerance": {"relative": 0.01},
}


def _item(exercise_item, spec, order):
    item = Item(
        course=exercise_item.course,
        lesson=exercise_item.lesson,
        key=spec["id"],
        type="numeric",
        order=order,
        title=spec["title"],
        text=spec["text"],
    )
    item.set_spec(dict(spec))
    return item


@pytest.fixture
def token_item(exercise_item):
    return _item(exercise_item, TOKEN_ITEM, 2)


@pytest.fixture
def steps_item(exercise_item):
    return _item(exercise_item, STEPS_ITEM, 3)


def _run(submission, kind):
    job = submission.jobs.get(kind=kind)
    assert services.jobs_run(job.pk, worker="test:1") == [job.pk], job.error_detail
    job.refresh_from_db()
    return job


def test_the_values_are_read_from_the_stored_result_as_shown():
    board = [
        {"token": " the", "probability": 0.287123, "candidates": []},
        {"token": " cat", "probability": 0.5, "candidates": []},
    ]
    assert text_values({"scoreboard": board}, position=2, tokens=3) == {
        "token": " cat", "p": 0.5, "k": 2, "n": 2, "p1": 0.2871, "p2": 0.5,
    }  # fmt: skip
    assert text_values({"scoreboard": board}, position=3) == {}
    assert image_values(
        {"latent_shape": [4, 8, 8], "steps": 10, "seconds_per_step": 0.0812345, "size": 64}
    ) == {"steps": 10, "step_time": 0.08123, "size": 64, "c": 4, "h": 8, "w": 8, "latent": "4×8×8"}
    assert image_values({"steps": 10}) == {}


def test_before_a_run_the_item_says_so_and_an_answer_is_refused(
    alice, enrolled, token_item, exercise_item
):
    data = item_payload(alice, token_item)
    assert data["needs_run"]["url"] == reverse("exercises:form", args=[exercise_item.pk])
    assert "…" in data["text"] and "0.01" not in data["text"], "no made-up numbers"
    with pytest.raises(NoRunYet) as refused:
        submit_answer(student=alice, item=token_item, response="1.2")
    assert refused.value.status == 409 and not Attempt.objects.filter(item=token_item).exists()
    api = APIClient()
    api.force_authenticate(alice)
    r = api.post(reverse("api-submit", args=[token_item.pk]), {"response": "1.2"}, format="json")
    assert r.status_code == 409 and r.json()["error"]["code"] == "no_run"


def test_the_item_asks_about_the_students_own_token_and_grades_it(
    alice, bob, enrolled, token_item, make_submission
):
    job = _run(make_submission(alice, kinds=("text",)), "text")
    first = job.result["scoreboard"][0]
    p = float(f"{first['probability']:.4g}")
    data = item_payload(alice, token_item)
    assert data["needs_run"] is None and f"probability {p:g}" in data["text"]
    assert first["token"] in data["text"]
    assert [line["value"] for line in data["run"]["shown"]][:2] == [f"“{first['token']}”", f"{p:g}"]
    assert item_payload(bob, token_item)["needs_run"], "bob has no run: alice's is not his"

    wrong = submit_answer(student=alice, item=token_item, response=f"{math.log(p):.6f}")
    assert not wrong.correct and wrong.misconception == "sign"
    assert "Check the sign" in wrong.feedback
    right = submit_answer(student=alice, item=token_item, response=f"-ln({p})")
    assert right.correct and right.params["p"] == p

    # A later run changes the question for later answers, never what was asked before.
    second = _run(make_submission(alice, prompt="a blue sky", kinds=("text",)), "text")
    later_p = float(f"{second.result['scoreboard'][0]['probability']:.4g}")
    assert item_payload(alice, token_item)["run"]["shown"][1]["value"] == f"{later_p:g}"
    right.refresh_from_db()
    assert right.params["p"] == p and right.correct


def test_an_image_run_gives_its_steps_and_measured_time(
    alice, enrolled, steps_item, make_submission
):
    job = _run(make_submission(alice, kinds=("image",)), "image")
    step_time = float(f"{job.result['seconds_per_step']:.4g}")
    answer = 12 * job.result["steps"] * step_time
    attempt = submit_answer(student=alice, item=steps_item, response=f"{answer:.6g}")
    assert attempt.correct and attempt.params == {
        "steps": job.result["steps"],
        "step_time": step_time,
    }


# --- Re-runs -----------------------------------------------------------------------------------


@pytest.fixture
def eager(eager_celery):
    return eager_celery


def test_a_teacher_reruns_both_jobs_and_each_is_reproduced(
    alice, tara, enrolled, make_submission, eager, django_capture_on_commit_callbacks
):
    submission = make_submission(alice)
    text, image = _run(submission, "text"), _run(submission, "image")
    assert text.environment["libraries"]["torch"] and text.environment["device"] == "cpu"
    for job in (text, image):
        with django_capture_on_commit_callbacks(execute=True):  # published on commit, run eagerly
            rerun = rerun_request(job=job, by=tara)
        rerun.refresh_from_db()
        assert (rerun.status, rerun.verdict, rerun.differences) == (
            RerunStatus.DONE,
            "reproduced",
            [],
        ), rerun.error
    client = Client()
    client.force_login(tara)
    page = client.get(reverse("grades:attempt", args=[submission.attempt_id])).content.decode()
    assert page.count('data-verdict="reproduced"') == 2 and "Re-run and compare" in page


def test_a_stored_output_that_does_not_match_is_reported_with_what_differs(
    alice, tara, enrolled, make_submission
):
    job = _run(make_submission(alice, kinds=("text",)), "text")
    board = job.result["scoreboard"]
    board[0]["token"] = board[0]["token"] + "X"
    job.result = {**job.result, "scoreboard": board}
    job.save(update_fields=["result"])
    rerun = Rerun.objects.create(job=job, requested_by=tara)
    rerun = rerun_execute(rerun.pk)
    assert rerun.verdict == "differs" and rerun.differences[0].startswith("token 1:")
    assert rerun_execute(rerun.pk) is None, "a second delivery does nothing"


def test_who_may_rerun(alice, bob, tara, enrolled, make_submission, django_user_model):
    from gradebook.accounts.roles import make_teacher
    from gradebook.courses.models import Course

    job = _run(make_submission(alice, kinds=("text",)), "text")
    url = reverse("exercises:rerun", args=[job.pk])
    otto = django_user_model.objects.create_user("otto", "o@example.org", "otto-pass-123")
    make_teacher(otto)
    Course.objects.create(slug="other", title="Other").teachers.add(otto)
    for user, status in ((bob, 404), (otto, 404)):
        c = Client()
        c.force_login(user)
        assert c.post(url).status_code == status
    c = Client()
    c.force_login(alice)
    c.post(url)
    assert not Rerun.objects.exists(), "a student re-runs only once they appeal"
    with pytest.raises(Refusal) as refused:
        rerun_request(job=job, by=alice)
    assert refused.value.status == 403
    from gradebook.grades.models import Appeal

    Appeal.objects.create(attempt=job.submission.attempt, student=alice, comment="Odd text.")
    rerun_request(job=job, by=alice)
    with pytest.raises(Refusal) as refused:
        rerun_request(job=job, by=tara)
    assert refused.value.code == "rerun_waiting"
    assert Client().post(url).status_code == 302  # anonymous: to the login page
    api = APIClient()
    api.force_authenticate(bob)
    assert api.post(reverse("api-exercise-rerun", args=[job.pk])).status_code == 404
    assert Rerun.objects.count() == 1


def test_a_failed_job_cannot_be_rerun(alice, tara, enrolled, make_submission):
    job = make_submission(alice, kinds=("text",)).jobs.get()
    job.status = JobStatus.FAILED
    job.save(update_fields=["status"])
    with pytest.raises(Refusal) as refused:
        rerun_request(job=job, by=tara)
    assert refused.value.code == "not_finished"


def _png(value: int) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), (value, 100, 100)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("new", "same_runtime", "verdict"),
    [
        (100, True, "reproduced"),
        (103, True, "differs"),  # same device: bytes must match
        (103, False, "within_tolerance"),  # another device: within 8/255, mean ≤ 1
        (120, False, "differs"),
    ],
)
def test_images_compare_by_bytes_then_by_the_stated_tolerance(new, same_runtime, verdict):
    assert reproduce.compare_png(_png(100), _png(new), same_runtime=same_runtime).verdict == verdict


def test_environment_changes_are_named():
    old = {"device": "cpu", "libraries": {"torch": "2.13.0"}, "model_id": "m"}
    new = {"device": "cuda", "libraries": {"torch": "2.14.1"}, "model_id": "m"}
    assert reproduce.environment_changes(old, new) == [
        "device: cpu then, cuda now",
        "torch: 2.13.0 then, 2.14.1 now",
    ]
