"""Regrade after a key fix, on the real graders: preview in the background, then apply exactly it.

The story: the key of "neg-log" was typed as ``ln(0.3)`` (negative) instead of ``-ln(0.3)``.
Alice answered 1.2 (right, marked wrong), Bob answered ln(0.3) (wrong, marked right), Carol's
answer was overridden by Tara, and Dan's second try lost half its credit to the retry penalty.
"""

from __future__ import annotations

import copy

import pytest
from django.urls import reverse

from gradebook.celery import app as celery_app
from gradebook.grades.models import RegradeChange, RegradeOutcome, RegradeRun, RegradeStatus
from gradebook.grades.services import (
    GradingError,
    grade_override,
    regrade_apply,
    regrade_compute_preview,
    regrade_start,
)
from gradebook.quizzes.models import Attempt, AttemptStatus, GradeChange, GradeSource

from .conftest import NUMERIC_SPEC, make_attempt, make_item

pytestmark = pytest.mark.django_db

WRONG_KEY = {**NUMERIC_SPEC, "id": "key-fix", "answer": "ln(0.3)", "retry_penalty": 0.5}


@pytest.fixture
def eager_celery():
    """Run tasks in-process when published (the broker and worker are tested elsewhere)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def story(django_user_model, tara, alice, bob, course, lesson):
    carol = django_user_model.objects.create_user("carol", password="x")
    dan = django_user_model.objects.create_user("dan", password="x")
    item = make_item(course, lesson, WRONG_KEY)
    item.retry_penalty = 0.5
    item.save()
    attempts = {
        "alice": make_attempt(alice, item, "1.2", score=0.0, interpreted_as="1.2"),
        "bob": make_attempt(bob, item, "ln(0.3)", score=1.0, correct=True),
        "carol": make_attempt(carol, item, "1.2", score=0.0),
        "dan1": make_attempt(dan, item, "0", score=0.0),
        "dan2": make_attempt(dan, item, "1.204", score=0.0),
        "undecided": make_attempt(alice, item, "1.20", status=AttemptStatus.UNDECIDED),
    }
    grade_override(attempt=attempts["carol"], by=tara, points=1, reason="Half credit by hand")
    fixed = copy.deepcopy(item.spec)
    fixed["answer"] = "-ln(0.3)"
    item.set_spec(fixed, by=tara, note="Fix the sign of the key")
    return item, attempts


def _preview(item, by):
    run = regrade_start(item=item, by=by)
    return regrade_compute_preview(run.pk)


def _score(attempt):
    attempt.refresh_from_db()
    return attempt.score


def test_the_preview_says_whose_scores_would_change_and_changes_nothing(tara, story):
    item, a = story
    run = _preview(item, tara)
    assert run.status == RegradeStatus.PREVIEWED
    assert run.progress_done == run.progress_total == 6
    changes = {c.attempt_id: (c.old_score, c.new_score) for c in run.changes.all()}
    assert changes == {
        a["alice"].pk: (0.0, 1.0),
        a["bob"].pk: (1.0, 0.0),
        a["dan2"].pk: (0.0, 0.5),  # right at the second try: the retry penalty still applies
        a["undecided"].pk: (None, 0.5),  # Alice's second try, now decided
    }
    s = run.summary
    assert (s["changed"], s["raised"], s["lowered"], s["decided"]) == (4, 2, 1, 1)
    assert (s["unchanged"], s["kept_override"]) == (1, 1)
    assert _score(a["alice"]) == 0.0 and _score(a["bob"]) == 1.0


@pytest.mark.embedded
def test_applying_changes_exactly_the_preview_and_keeps_overrides(tara, story):
    item, a = story
    run = regrade_apply(run=_preview(item, tara), by=tara)
    assert run.status == RegradeStatus.APPLIED
    assert run.summary["applied"] == 4 and run.summary["skipped_stale"] == 0
    assert _score(a["alice"]) == 1.0 and a["alice"].correct is True
    assert a["alice"].score_source == GradeSource.REGRADE
    assert a["alice"].revision.number == item.revision
    assert a["alice"].interpreted_as == "1.2"
    assert _score(a["bob"]) == 0.0 and a["bob"].correct is False
    assert _score(a["dan2"]) == 0.5 and a["dan2"].auto_score == 1.0
    assert _score(a["undecided"]) == 0.5 and a["undecided"].status == AttemptStatus.GRADED
    assert _score(a["carol"]) == 0.5  # the override stays
    history = GradeChange.objects.filter(attempt=a["bob"]).get()
    assert (history.old_score, history.new_score, history.source, history.changed_by) == (
        1.0,
        0.0,
        GradeSource.REGRADE,
        tara,
    )
    assert "revision 2" in history.reason


def test_an_answer_overridden_after_the_preview_is_skipped(tara, story):
    item, a = story
    run = _preview(item, tara)
    grade_override(attempt=a["bob"], by=tara, points=2, reason="Bob argued well")
    run = regrade_apply(run=run, by=tara)
    assert run.summary == {**run.summary, "applied": 3, "skipped_stale": 1}
    assert _score(a["bob"]) == 1.0
    skipped = RegradeChange.objects.get(run=run, attempt=a["bob"])
    assert skipped.applied is False and skipped.skipped_reason == "changed since the preview"


def test_a_preview_of_an_old_key_is_refused(tara, story):
    item, _ = story
    run = _preview(item, tara)
    spec = copy.deepcopy(item.spec)
    spec["tolerance"] = {"relative": 0.1}
    item.set_spec(spec, by=tara)
    with pytest.raises(GradingError, match="key changed since this preview"):
        regrade_apply(run=run, by=tara)
    assert not GradeChange.objects.filter(source=GradeSource.REGRADE).exists()


def test_a_preview_is_applied_once(tara, story):
    item, _ = story
    run = regrade_apply(run=_preview(item, tara), by=tara)
    with pytest.raises(GradingError, match="applied, not a preview"):
        regrade_apply(run=run, by=tara)
    assert GradeChange.objects.filter(source=GradeSource.REGRADE).count() == 4


def test_a_duplicate_delivery_finds_nothing_to_do(tara, story):
    item, _ = story
    run = regrade_start(item=item, by=tara)
    assert regrade_compute_preview(run.pk) is not None
    assert regrade_compute_preview(run.pk) is None
    assert RegradeChange.objects.filter(run=run).count() == 4


def test_a_stale_claim_is_taken_over_and_recomputed(tara, story):
    from django.utils import timezone

    item, _ = story
    run = regrade_start(item=item, by=tara)
    long_ago = timezone.now() - RegradeRun.STALE_AFTER * 2
    RegradeRun.objects.filter(pk=run.pk).update(
        status=RegradeStatus.RUNNING, heartbeat_at=long_ago, attempts=1
    )
    leftover = RegradeOutcome.objects.create(run=run, outcome="correct")
    RegradeChange.objects.create(
        run=run, attempt=Attempt.objects.first(), outcome=leftover, seen_source="auto"
    )
    run = regrade_compute_preview(run.pk)
    assert run.status == RegradeStatus.PREVIEWED and run.attempts == 2
    assert run.changes.count() == 4
    assert not RegradeOutcome.objects.filter(pk=leftover.pk).exists()


def test_only_one_preview_runs_at_a_time(tara, story):
    item, _ = story
    regrade_start(item=item, by=tara)
    with pytest.raises(GradingError, match="already being computed"):
        regrade_start(item=item, by=tara)


def test_a_reviewed_item_has_nothing_to_regrade(tara, free_text_item):
    with pytest.raises(GradingError, match="nothing to regrade"):
        regrade_start(item=free_text_item, by=tara)


def test_a_failing_grader_marks_the_run_failed(tara, story):
    item, _ = story
    run = regrade_start(item=item, by=tara)
    run.revision.spec = {**run.revision.spec, "answer": "2+"}  # a key the graders refuse
    run.revision.save()
    with pytest.raises(Exception):  # noqa: B017 - whatever the graders raise, the run records it
        regrade_compute_preview(run.pk)
    run.refresh_from_db()
    assert run.status == RegradeStatus.FAILED and run.error


# --- Pages and API, through Celery --------------------------------------------------------------


def test_the_pages_preview_then_apply(
    tara_client, story, eager_celery, django_capture_on_commit_callbacks
):
    item, a = story
    with django_capture_on_commit_callbacks(execute=True):
        response = tara_client.post(reverse("grades:regrade_start", args=["ai-gen", item.key]))
    assert response.status_code == 302
    run = RegradeRun.objects.get()
    assert response.url == reverse("grades:regrade", args=[run.pk])
    html = tara_client.get(response.url).content.decode()
    assert '<dd id="summary-changed">4</dd>' in html
    assert "Apply these 4 changes" in html
    assert "bob" in html
    response = tara_client.post(reverse("grades:regrade_apply", args=[run.pk]))
    assert response.status_code == 302
    assert _score(a["bob"]) == 0.0
    html = tara_client.get(response.url).content.decode()
    assert "Applied 4 grade changes." in html


def test_the_api_previews_reports_progress_and_applies(
    tara_api, story, eager_celery, django_capture_on_commit_callbacks
):
    item, _ = story
    url = reverse("grades-api:regrade_start", args=["ai-gen", item.key])
    with django_capture_on_commit_callbacks(execute=True):
        response = tara_api.post(url)
    assert response.status_code == 202
    run_id = response.json()["id"]
    body = tara_api.get(reverse("grades-api:regrade", args=[run_id])).json()
    assert body["status"] == "previewed" and body["percent_done"] == 100
    rows = sorted(
        (c["student"], c["number"], c["old_points"], c["new_points"]) for c in body["changes"]
    )
    assert rows == [
        ("alice", 1, 0.0, 2.0),
        ("alice", 2, None, 1.0),
        ("bob", 1, 2.0, 0.0),
        ("dan", 2, 0.0, 1.0),
    ]
    response = tara_api.post(reverse("grades-api:regrade_apply", args=[run_id]))
    assert response.status_code == 200 and response.json()["summary"]["applied"] == 4
    again = tara_api.post(reverse("grades-api:regrade_apply", args=[run_id]))
    assert again.status_code == 409 and again.json()["error"]["code"] == "not_previewed"


def test_a_queued_run_page_shows_progress(tara_client, tara, story):
    item, _ = story
    run = regrade_start(item=item, by=tara)
    html = tara_client.get(reverse("grades:regrade", args=[run.pk])).content.decode()
    assert 'id="run-progress"' in html and "0 / 6" in html


def test_xp_follows_an_applied_regrade_once(
    tara, alice, bob, story, eager_celery, django_capture_on_commit_callbacks
):
    from gradebook.grades.services import regrade_sync_progress
    from gradebook.progress.services import total_xp

    item, _ = story
    assert total_xp(alice) == 0
    run = _preview(item, tara)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        regrade_apply(run=run, by=tara)
    # One task for the whole run, after the commit (other apps' receivers of the grade change,
    # such as the LTI passback's, add their own callbacks).
    assert len([c for c in callbacks if "regrade_apply" in c.__qualname__]) == 1
    run.refresh_from_db()
    assert run.progress_synced_at is not None
    assert total_xp(alice) > 0  # her right answer now counts
    assert total_xp(bob) == 0  # his wrong one no longer does
    assert regrade_sync_progress(run.pk) == 0  # already synced: nothing to do


def test_a_new_preview_retires_one_whose_worker_died(tara, story):
    from django.utils import timezone

    item, _ = story
    dead = regrade_start(item=item, by=tara)
    RegradeRun.objects.filter(pk=dead.pk).update(
        status=RegradeStatus.RUNNING, heartbeat_at=timezone.now() - RegradeRun.STALE_AFTER * 2
    )
    fresh = regrade_start(item=item, by=tara)
    dead.refresh_from_db()
    assert dead.status == RegradeStatus.FAILED and "stopped reporting" in dead.error
    assert fresh.status == RegradeStatus.QUEUED
