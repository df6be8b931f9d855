"""Grades to the LMS: what is computed, when it is sent, and that nothing is lost or sent twice
with a different value when the LMS is down, slow to accept, or refuses."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from gradebook.grades import services as grading
from gradebook.lti import scores
from gradebook.lti.models import Placement, ScoreSync
from gradebook.quizzes.models import Attempt, GradeSource
from gradebook.quizzes.services import submit_answer
from tests.gradebook.lti.platform import INSTRUCTOR
from tests.gradebook.quizzes.factories import item

pytestmark = pytest.mark.django_db

LESSON = "lesson:ai-gen/text-vs-images"


@pytest.fixture
def placed(browser, platform, registered):
    """Alice launched a lesson placed with a line item; returns what the tests need."""
    person = platform.person("alice", name="Alice Liddell")
    link = platform.link("Lesson 1", custom={"gradebook_target": LESSON}, graded=7)
    browser.launch("alice", platform.resource_message("alice", link))
    placement = Placement.objects.get(resource_link__id_on_platform=link.id)
    user = get_user_model().objects.get(lti_users__sub=person.sub)
    return placement, user, person, link


def answer(student, course, key, response):
    return submit_answer(student=student, item=item(course, key), response=response)


def refresh_and_send(user, course, key):
    ids = scores.scores_refresh([(user.pk, item(course, key).pk)])
    return [scores.score_send(i) for i in ids]


def posts(platform, status=200):
    return [payload for _li, payload, code in platform.score_posts if code == status]


# --- What is computed -----------------------------------------------------------------------------


def test_a_lesson_grade_is_the_sum_of_best_scores_with_the_points_available(placed, course):
    placement, user, *_ = placed
    answer(user, course, "ce-loss", "2")  # wrong
    answer(user, course, "ce-loss", "1.204")  # right at the second try
    answer(user, course, "which-model", "diffusion")  # wrong

    grade = scores.grades_for(placement, [user.pk])[user.pk]

    assert grade == scores.Grade(1.0, 7.0, "InProgress", "FullyGraded")


def test_before_any_answer_the_grade_is_not_ready(placed):
    placement, user, *_ = placed
    assert scores.grades_for(placement, [user.pk])[user.pk] == scores.Grade(
        None, 7.0, "Initialized", "NotReady"
    )


def test_an_answer_waiting_for_review_makes_the_grade_pending_manual(placed, course, tara):
    placement, user, *_ = placed
    attempt = answer(user, course, "explain", "Diffusion refines a whole canvas at once.")
    grade = scores.grades_for(placement, [user.pk])[user.pk]
    assert (grade.score_given, grade.grading_progress) == (None, "PendingManual")

    course.teachers.add(tara)
    grading.review_save(
        attempt=attempt, by=tara, rubric_scores={"diff": 1}, comment="Yes.", action="return"
    )

    grade = scores.grades_for(placement, [user.pk])[user.pk]
    assert (grade.score_given, grade.grading_progress) == (1.0, "FullyGraded")


def test_a_completed_lesson_is_completed(placed, course, tara):
    placement, user, *_ = placed
    for key, response in [
        ("ce-loss", "1.204"),
        ("ce-exact", "ln(10/3)"),
        ("which-model", "llm"),
        ("steps", {"per_image": "4", "twelve": "48"}),
        ("limited", "4"),
    ]:
        answer(user, course, key, response)
    images = item(course, "images-time")
    from gradebook.quizzes.services import variant_params

    n = variant_params(user, images)["n"]
    answer(user, course, "images-time", f"{n * 4} s")
    attempt = answer(user, course, "explain", "Diffusion refines a whole canvas at once.")
    assert scores.grades_for(placement, [user.pk])[user.pk].activity_progress == "Submitted"
    course.teachers.add(tara)
    grading.review_save(attempt=attempt, by=tara, rubric_scores={"diff": 1}, action="return")

    assert scores.grades_for(placement, [user.pk])[user.pk] == scores.Grade(
        7.0, 7.0, "Completed", "FullyGraded"
    )


# --- When it is sent ------------------------------------------------------------------------------


def test_an_unchanged_grade_records_no_new_version(placed, course, platform):
    _placement, user, _person, _link = placed
    answer(user, course, "ce-loss", "1.204")
    assert refresh_and_send(user, course, "ce-loss") == ["sent"]
    answer(user, course, "ce-loss", "1.2")  # right again: the best score does not move

    assert scores.scores_refresh([(user.pk, item(course, "ce-loss").pk)]) == []
    assert len(posts(platform)) == 1


def test_only_students_of_the_lms_course_get_scores_sent(placed, course, bob, platform):
    """Bob answers the same lesson on the site itself: the LMS has never heard of him."""
    course.enroll(bob)
    answer(bob, course, "ce-loss", "1.204")

    assert scores.scores_refresh([(bob.pk, item(course, "ce-loss").pk)]) == []
    assert not ScoreSync.objects.filter(student=bob).exists()


def test_answers_to_items_outside_every_placement_cost_no_task(
    placed, course, eager_celery, django_capture_on_commit_callbacks, platform
):
    from gradebook.courses.models import Item, Lesson

    other = Lesson.objects.get(course=course, slug="latent-space")
    loose = Item.objects.get(course=course, key="ce-loss")
    loose.pk, loose.key, loose.lesson = None, "loose", other
    loose.save()
    loose.set_spec({**loose.spec, "id": "loose"})
    _placement, user, *_ = placed

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submit_answer(student=user, item=loose, response="1.204")

    assert len(callbacks) == 1  # the receiver's check, which found nothing to do
    assert not ScoreSync.objects.exists() and platform.score_posts == []


def test_a_launch_sends_the_grade_earned_before_the_link_existed(
    browser, platform, registered, course, alice, eager_celery, django_capture_on_commit_callbacks
):
    person = platform.person("alice")
    link = platform.link("Lesson 1", custom={"gradebook_target": LESSON}, graded=7)
    browser.launch("alice", platform.resource_message("alice", link))
    user = get_user_model().objects.get(lti_users__sub=person.sub)
    answer(user, course, "ce-loss", "1.204")  # in another tab, before the placement existed...
    from gradebook.lti import placements

    placements.forget()

    with django_capture_on_commit_callbacks(execute=True):
        browser.launch("alice", platform.resource_message("alice", link))

    assert platform.results(link.line_item)[person.sub]["scoreGiven"] == 1.0


def test_a_regrade_sends_the_new_grades(placed, course, platform, tara):
    _placement, user, person, link = placed
    answer(user, course, "ce-loss", "-1.204")  # wrong under the right key
    refresh_and_send(user, course, "ce-loss")
    assert platform.results(link.line_item)[person.sub]["scoreGiven"] == 0.0
    ce_loss = item(course, "ce-loss")
    ce_loss.set_spec({**ce_loss.spec, "answer": "ln(0.3)"}, by=tara, note="the sign was wrong")
    ce_loss.refresh_from_db()

    run = grading.regrade_start(item=ce_loss, by=tara)
    grading.regrade_compute_preview(run.pk)
    grading.regrade_apply(run=run, by=tara)
    assert Attempt.objects.get(student=user).score_source == GradeSource.REGRADE

    assert refresh_and_send(user, course, "ce-loss") == ["sent"]
    assert platform.results(link.line_item)[person.sub]["scoreGiven"] == 1.0


# --- Nothing lost, nothing sent twice with a different value ------------------------------------


def test_while_the_lms_is_down_the_score_waits_and_then_goes_through_unchanged(
    placed, course, platform, settings
):
    _placement, user, person, link = placed
    answer(user, course, "ce-loss", "1.204")
    [sync_id] = scores.scores_refresh([(user.pk, item(course, "ce-loss").pk)])
    platform.refuse_scores_with = 503

    for _ in range(2):
        with pytest.raises(scores.RetryableSendError, match="503"):
            scores.score_send(sync_id)
    row = ScoreSync.objects.get(pk=sync_id)
    assert (row.status, row.tries, row.sent_version) == ("pending", 2, 0)
    assert "503" in row.last_error and row.next_try_at > timezone.now()
    assert person.sub not in platform.results(link.line_item)

    platform.refuse_scores_with = None
    assert scores.score_send(sync_id) == "sent"

    tried = [p for _li, p, _code in platform.score_posts]
    assert len(tried) == 3 and all(p == tried[0] for p in tried)  # one value, one timestamp
    assert platform.results(link.line_item)[person.sub]["scoreGiven"] == 1.0
    assert ScoreSync.objects.get(pk=sync_id).status == "sent"


def test_with_the_token_endpoint_down_nothing_is_lost(placed, course, platform):
    _placement, user, person, link = placed
    answer(user, course, "ce-loss", "1.204")
    [sync_id] = scores.scores_refresh([(user.pk, item(course, "ce-loss").pk)])
    platform.down = True
    with pytest.raises(scores.RetryableSendError):
        scores.score_send(sync_id)
    platform.down = False
    assert scores.score_send(sync_id) == "sent"
    assert platform.results(link.line_item)[person.sub]["scoreGiven"] == 1.0


def test_a_change_while_a_send_fails_sends_only_the_newest_value(placed, course, platform):
    _placement, user, _person, _link = placed
    first = answer(user, course, "ce-loss", "1.204")
    [sync_id] = scores.scores_refresh([(user.pk, first.item_id)])
    platform.refuse_scores_with = 503
    with pytest.raises(scores.RetryableSendError):
        scores.score_send(sync_id)
    platform.refuse_scores_with = None
    answer(user, course, "which-model", "llm")
    assert scores.scores_refresh([(user.pk, item(course, "which-model").pk)]) == [sync_id]

    assert scores.score_send(sync_id) == "sent"

    accepted = posts(platform)
    assert [p["scoreGiven"] for p in accepted] == [2.0]
    refused = [p for _li, p, code in platform.score_posts if code != 200]
    assert refused[0]["timestamp"] < accepted[0]["timestamp"]


def test_a_second_delivery_of_a_send_does_nothing(placed, course, platform):
    _placement, user, *_ = placed
    answer(user, course, "ce-loss", "1.204")
    [sync_id] = scores.scores_refresh([(user.pk, item(course, "ce-loss").pk)])

    assert scores.score_send(sync_id) == "sent"
    assert scores.score_send(sync_id) == "skipped"
    assert len(platform.score_posts) == 1


def test_a_row_another_worker_is_sending_is_left_to_it(placed, course, platform):
    _placement, user, *_ = placed
    answer(user, course, "ce-loss", "1.204")
    [sync_id] = scores.scores_refresh([(user.pk, item(course, "ce-loss").pk)])
    ScoreSync.objects.filter(pk=sync_id).update(claimed_until=timezone.now() + scores.CLAIM_FOR)

    assert scores.score_send(sync_id) == "skipped"
    assert platform.score_posts == []
    # ...until its claim runs out (the worker died): then it is taken over.
    later = timezone.now() + scores.CLAIM_FOR * 2
    assert scores.score_send(sync_id, now=later) == "sent"


def test_a_final_refusal_is_shown_to_the_teacher_who_can_send_it_again(
    placed, course, platform, client, eager_celery, django_capture_on_commit_callbacks
):
    placement, user, person, link = placed
    answer(user, course, "ce-loss", "1.204")
    [sync_id] = scores.scores_refresh([(user.pk, item(course, "ce-loss").pk)])
    platform.refuse_scores_with = 400

    assert scores.score_send(sync_id) == "failed"
    row = ScoreSync.objects.get(pk=sync_id)
    assert row.status == "failed" and "400" in row.last_error

    platform.person("tara", role=INSTRUCTOR)
    from tests.gradebook.lti.platform import Browser

    teacher = Browser(client, platform)
    teacher.launch("tara", platform.resource_message("tara", link))
    page = client.get(f"/lti/placements/{placement.pk}/").content.decode()
    assert "Refused by the LMS" in page and "400" in page
    platform.refuse_scores_with = None
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/lti/placements/{placement.pk}/resend/")

    assert ScoreSync.objects.get(pk=sync_id).status == "sent"
    assert platform.results(link.line_item)[person.sub]["scoreGiven"] == 1.0


def test_the_sweeper_sends_a_change_the_fast_path_never_heard_of(
    placed, course, platform, eager_celery, django_capture_on_commit_callbacks, settings
):
    """The publish after an answer was lost (broker down): the sweeper finds the answer."""
    settings.LTI_RESEND_AFTER_S = 0
    _placement, user, person, link = placed
    answer(user, course, "ce-loss", "1.204")  # no on-commit here: the fast path never runs
    assert not ScoreSync.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        report = scores.scores_sweep()

    assert report.checked_pairs == 1 and report.recorded == 1
    assert platform.results(link.line_item)[person.sub]["scoreGiven"] == 1.0
    # A second sweep finds nothing new to record or send.
    with django_capture_on_commit_callbacks(execute=True):
        again = scores.scores_sweep()
    assert (again.recorded, again.republished) == (0, 0)
    assert len(posts(platform)) == 1


def test_the_sweeper_resends_a_score_whose_retries_ran_out(
    placed, course, platform, eager_celery, django_capture_on_commit_callbacks, settings
):
    settings.LTI_RESEND_AFTER_S = 0
    _placement, user, person, link = placed
    answer(user, course, "ce-loss", "1.204")
    [sync_id] = scores.scores_refresh([(user.pk, item(course, "ce-loss").pk)])
    platform.refuse_scores_with = 502
    with pytest.raises(scores.RetryableSendError):
        scores.score_send(sync_id)
    platform.refuse_scores_with = None

    soon = scores.scores_sweep()  # its backoff has not run out yet
    assert soon.republished == 0
    ScoreSync.objects.filter(pk=sync_id).update(next_try_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        report = scores.scores_sweep()

    assert report.republished == 1
    assert platform.results(link.line_item)[person.sub]["scoreGiven"] == 1.0


def test_a_link_without_a_line_item_gets_one_made_through_ags(
    browser, platform, registered, course
):
    person = platform.person("alice")
    link = platform.link("Made by hand", custom={"gradebook_target": "item:ai-gen/ce-loss"})
    browser.launch("alice", platform.resource_message("alice", link))
    user = get_user_model().objects.get(lti_users__sub=person.sub)
    answer(user, course, "ce-loss", "1.204")

    assert refresh_and_send(user, course, "ce-loss") == ["sent"]

    [made] = platform.line_items.values()
    assert (made.resource_link_id, made.score_maximum, made.tag) == (link.id, 1.0, "gradebook")
    assert made.results[person.sub]["scoreGiven"] == 1.0
    placement = Placement.objects.get(resource_link__id_on_platform=link.id)
    assert placement.line_item.url == made.id
    # The next grade goes to the same column: none is made twice.
    answer(user, course, "ce-loss", "1.2")
    assert len(platform.line_items) == 1


def test_a_big_regrade_is_refreshed_in_messages_of_bounded_size(eager_celery, db):
    from celery.signals import task_prerun

    sizes = []

    def count(sender=None, args=None, **kwargs):
        if sender.name == "lti.scores_changed":
            sizes.append(len(args[0]))

    task_prerun.connect(count)
    try:
        scores.request_refresh([(student, 1) for student in range(1, 1201)])
    finally:
        task_prerun.disconnect(count)

    assert sizes == [scores.CHUNK, scores.CHUNK, 1200 - 2 * scores.CHUNK]
