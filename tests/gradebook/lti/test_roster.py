"""The roster synced on demand through Names and Role Provisioning Services."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from gradebook.lti import roster
from gradebook.lti.models import Placement, RosterSync
from tests.gradebook.lti.platform import INSTRUCTOR, LEARNER

pytestmark = pytest.mark.django_db

LESSON = "lesson:ai-gen/text-vs-images"


@pytest.fixture
def teacher_on_placement(browser, platform, registered):
    platform.person("tara", role=INSTRUCTOR, name="Tara Teach")
    link = platform.link("Lesson 1", custom={"gradebook_target": LESSON}, graded=7)
    browser.launch("tara", platform.resource_message("tara", link))
    return Placement.objects.get(resource_link__id_on_platform=link.id)


def test_a_teacher_syncs_the_roster_and_every_learner_is_enrolled(
    browser,
    platform,
    teacher_on_placement,
    course,
    eager_celery,
    django_capture_on_commit_callbacks,
):
    platform.members_page_size = 20  # 63 members: four pages, followed through Link headers
    learners = [platform.person(f"s{i:02d}", role=LEARNER) for i in range(60)]
    platform.person("ivan", role=INSTRUCTOR)
    gone = platform.person("gone", role=LEARNER)
    gone.status = "Inactive"

    with django_capture_on_commit_callbacks(execute=True):
        response = browser.client.post(f"/lti/placements/{teacher_on_placement.pk}/roster/")

    assert response.status_code == 302
    sync = RosterSync.objects.get(context=teacher_on_placement.resource_link.context)
    assert sync.status == "done", sync.error
    assert sync.summary == {
        "members": 63,
        "learners": 61,
        "instructors": 2,
        "new_accounts": 62,  # Tara launched already
        "enrolled": 60,
        "unenrolled": 0,
    }
    users = get_user_model().objects
    enrolled = set(course.enrollments.values_list("student__lti_users__sub", flat=True))
    assert enrolled == {p.sub for p in learners}
    assert course.is_taught_by(users.get(lti_users__sub=platform.people["ivan"].sub))
    page = browser.client.get(f"/lti/placements/{teacher_on_placement.pk}/").content.decode()
    assert "63 members" in page


def test_a_member_who_left_the_lms_course_is_unenrolled_and_keeps_their_answers(
    platform, teacher_on_placement, course
):
    leaver = platform.person("leaver", role=LEARNER)
    context = teacher_on_placement.resource_link.context
    RosterSync.objects.create(context=context, status="queued")
    assert roster.roster_sync(context.pk) == "done"
    user = get_user_model().objects.get(lti_users__sub=leaver.sub)
    assert course.enrollments.filter(student=user).exists()

    leaver.status = "Deleted"
    RosterSync.objects.filter(context=context).update(status="queued")
    assert roster.roster_sync(context.pk) == "done"

    assert not course.enrollments.filter(student=user).exists()
    assert RosterSync.objects.get(context=context).summary["unenrolled"] == 1
    assert get_user_model().objects.filter(pk=user.pk).exists()


def test_when_the_lms_refuses_the_roster_the_teacher_reads_why(platform, teacher_on_placement):
    context = teacher_on_placement.resource_link.context
    RosterSync.objects.create(context=context, status="queued")
    platform.down = True

    assert roster.roster_sync(context.pk) == "failed"

    sync = RosterSync.objects.get(context=context)
    assert "503" in sync.error
    assert roster.roster_sync(context.pk) == "skipped"  # a second delivery does nothing


def test_a_second_sync_while_one_runs_is_refused(teacher_on_placement, tara):
    context = teacher_on_placement.resource_link.context
    roster.roster_request(context=context, by=tara)

    with pytest.raises(roster.RosterError, match="already running"):
        roster.roster_request(context=context, by=tara)


def test_only_the_course_teachers_see_the_placement_page(teacher_on_placement, client, bob):
    client.force_login(bob)
    assert client.get(f"/lti/placements/{teacher_on_placement.pk}/").status_code == 404
    assert client.post(f"/lti/placements/{teacher_on_placement.pk}/roster/").status_code == 404
