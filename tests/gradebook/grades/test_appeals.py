"""Appeals: the student asks for a re-review of a graded answer; a teacher keeps or changes the
grade with a reply, which reaches the student. Every page and endpoint, for every role."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from gradebook.grades.appeals import MAX_PER_ATTEMPT, appeal_answer, appeal_open
from gradebook.grades.models import Appeal, AppealState
from gradebook.grades.selectors import new_feedback_for
from gradebook.quizzes.models import GradeChange, GradeSource
from gradebook.refusals import Refusal

from .conftest import make_attempt

pytestmark = pytest.mark.django_db


@pytest.fixture
def wrong(alice, numeric_item):
    return make_attempt(alice, numeric_item, "1.20", score=0.0, interpreted_as="1.2")


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_a_kept_grade_reaches_the_student_with_the_reply(tara_client, alice, tara, wrong):
    from django.test import Client

    client = Client()  # tara_client is pytest-django's ``client``: the student needs their own
    client.force_login(alice)
    page = client.get(reverse("mygrades:feedback", args=[wrong.pk])).content.decode()
    assert "Ask for a re-review" in page
    r = client.post(
        reverse("mygrades:appeal", args=[wrong.pk]), {"comment": "I wrote 1.20, that is -ln(0.3)."}
    )
    assert r.status_code == 302 and r.url.endswith("#appeals")
    appeal = Appeal.objects.get(attempt=wrong)
    assert appeal.state == AppealState.OPEN and appeal.score_at_appeal == 0.0

    queue = tara_client.get(reverse("grades:queue")).content.decode()
    assert "1 open appeal" in queue
    listing = tara_client.get(reverse("grades:appeals")).content.decode()
    assert f'data-appeal="{appeal.pk}"' in listing and "that is -ln(0.3)" in listing
    review = tara_client.get(reverse("grades:attempt", args=[wrong.pk])).content.decode()
    assert "Send the answer" in review

    r = tara_client.post(
        reverse("grades:appeal_answer", args=[appeal.pk]),
        {"decision": "keep", "reply": "-ln(0.3) is 1.204; 1.20 is off by more than 1%."},
    )
    assert r.status_code == 302
    appeal.refresh_from_db()
    wrong.refresh_from_db()
    assert appeal.state == AppealState.KEPT and appeal.answered_by == tara
    assert wrong.score == 0.0 and not GradeChange.objects.filter(attempt=wrong).exists()
    notices = new_feedback_for(alice)
    assert [(n.attempt.pk, n.source) for n in notices] == [(wrong.pk, "appeal")]
    page = client.get(reverse("mygrades:feedback", args=[wrong.pk])).content.decode()
    assert "Grade kept" in page and "off by more than 1%" in page
    assert new_feedback_for(alice) == [], "opening the page marks the answer seen"


def test_a_changed_grade_goes_through_the_grade_history_and_xp(alice, tara, wrong):
    from gradebook.progress.services import total_xp

    before = total_xp(alice)
    appeal = appeal_open(attempt=wrong, student=alice, comment="Rounded to 3 s.f.")
    appeal = appeal_answer(appeal=appeal, by=tara, decision="change", reply="Fair.", points="2")
    wrong.refresh_from_db()
    assert appeal.state == AppealState.CHANGED
    assert (wrong.score, wrong.correct, wrong.score_source) == (1.0, True, GradeSource.OVERRIDE)
    change = GradeChange.objects.get(attempt=wrong)
    assert appeal.change == change and change.reason == "Appeal: Fair."
    assert total_xp(alice) > before
    assert [n.source for n in new_feedback_for(alice)] == ["override"]


def test_a_reviewed_answer_changed_on_appeal_stays_reviewed(alice, tara, free_text_item):
    from gradebook.quizzes.models import AttemptStatus

    attempt = make_attempt(alice, free_text_item, "It flattens.", status=AttemptStatus.REVIEWED)
    attempt.score = 0.25
    attempt.save(update_fields=["score"])
    appeal = appeal_open(attempt=attempt, student=alice, comment="I gave an example too.")
    appeal_answer(appeal=appeal, by=tara, decision="change", reply="Yes, +1.", points=2)
    attempt.refresh_from_db()
    assert (attempt.score, attempt.status, attempt.score_source) == (
        0.5,
        AttemptStatus.REVIEWED,
        GradeSource.REVIEW,
    )


@pytest.mark.parametrize(
    ("comment", "field", "message"),
    [
        ("   ", "comment", "write a few words"),
        ("x" * 2001, "comment", "at most 2000 characters"),
        ("ok\u202e!gnorw", "comment", r"U\+202E"),
    ],
)
def test_an_appeal_needs_a_readable_reason(alice, wrong, comment, field, message):
    with pytest.raises(Refusal, match=message) as err:
        appeal_open(attempt=wrong, student=alice, comment=comment)
    assert err.value.field == field and not Appeal.objects.exists()


def test_appeals_are_refused_when_there_is_nothing_to_appeal(alice, tara, wrong, free_text_item):
    pending = make_attempt(alice, free_text_item, "Some text.")
    with pytest.raises(Refusal) as err:
        appeal_open(attempt=pending, student=alice, comment="Please grade.")
    assert err.value.code == "not_graded"
    first = appeal_open(attempt=wrong, student=alice, comment="Once.")
    with pytest.raises(Refusal) as err:
        appeal_open(attempt=wrong, student=alice, comment="Twice.")
    assert err.value.code == "appeal_open"
    appeal_answer(appeal=first, by=tara, decision="keep", reply="No.")
    for n in range(MAX_PER_ATTEMPT - 1):
        later = appeal_open(attempt=wrong, student=alice, comment=f"Again {n}.")
        appeal_answer(appeal=later, by=tara, decision="keep", reply="Still no.")
    with pytest.raises(Refusal) as err:
        appeal_open(attempt=wrong, student=alice, comment="And again.")
    assert err.value.code == "too_many_appeals"
    with pytest.raises(Refusal) as err:
        appeal_answer(appeal=first, by=tara, decision="keep", reply="Twice.")
    assert err.value.code == "already_answered"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"decision": "maybe", "reply": "Hm."}, "decision"),
        ({"decision": "keep", "reply": ""}, "reply"),
        ({"decision": "change", "reply": "Ok.", "points": "lots"}, "points"),
        ({"decision": "change", "reply": "Ok.", "points": "3"}, "points"),  # out of 2
        ({"decision": "change", "reply": "Ok.", "points": "0"}, "points"),  # what it has
    ],
)
def test_an_answer_names_its_bad_field_and_changes_nothing(alice, tara, wrong, body, field):
    appeal = appeal_open(attempt=wrong, student=alice, comment="Please.")
    with pytest.raises(Refusal) as err:
        appeal_answer(appeal=appeal, by=tara, **body)
    appeal.refresh_from_db()
    wrong.refresh_from_db()
    assert err.value.field == field and appeal.state == AppealState.OPEN and wrong.score == 0.0


def test_the_api_carries_the_whole_flow(alice, tara, wrong):
    student, teacher = _api(alice), _api(tara)
    url = reverse("grades-api:my_appeals", args=[wrong.pk])
    assert student.get(url).json() == {"attempt": wrong.pk, "can_appeal": True, "appeals": []}
    r = student.post(url, {"comment": "1.20 rounds -ln(0.3)."}, format="json")
    assert r.status_code == 201 and r.json()["state"] == "open"
    again = student.post(url, {"comment": "Hello?"}, format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "appeal_open"
    listed = teacher.get(reverse("grades-api:appeals")).json()["appeals"]
    assert [a["attempt"] for a in listed] == [wrong.pk]
    answer = reverse("grades-api:appeal_answer", args=[listed[0]["id"]])
    bad = teacher.post(answer, {"decision": "change", "reply": "x", "points": 9}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "points"
    r = teacher.post(answer, {"decision": "change", "reply": "Fine.", "points": 2}, format="json")
    assert r.status_code == 200 and r.json()["points_now"] == 2.0
    assert teacher.get(reverse("grades-api:appeals")).json()["appeals"] == []
    mine = student.get(url).json()["appeals"]
    assert [(a["state"], a["reply"]) for a in mine] == [("changed", "Fine.")]
    assert teacher.get(reverse("grades-api:appeals") + "?state=bogus").status_code == 400


def test_no_one_else_sees_or_answers_an_appeal(client, alice, bob, otto, wrong, other_course):
    appeal = appeal_open(attempt=wrong, student=alice, comment="Please look.")
    # another student
    client.force_login(bob)
    assert client.get(reverse("mygrades:feedback", args=[wrong.pk])).status_code == 404
    assert (
        client.post(reverse("mygrades:appeal", args=[wrong.pk]), {"comment": "x"}).status_code
        == 404
    )
    assert _api(bob).get(reverse("grades-api:my_appeals", args=[wrong.pk])).status_code == 404
    assert (
        _api(bob)
        .post(reverse("grades-api:my_appeals", args=[wrong.pk]), {"comment": "x"})
        .status_code
        == 404
    )
    # a student is not a teacher
    assert client.get(reverse("grades:appeals")).status_code == 403
    assert _api(bob).get(reverse("grades-api:appeals")).status_code == 403
    assert (
        client.post(
            reverse("grades:appeal_answer", args=[appeal.pk]), {"decision": "keep"}
        ).status_code
        == 403
    )
    # another course's teacher
    client.force_login(otto)
    assert (
        f'data-appeal="{appeal.pk}"' not in client.get(reverse("grades:appeals")).content.decode()
    )
    r = client.post(
        reverse("grades:appeal_answer", args=[appeal.pk]), {"decision": "keep", "reply": "No."}
    )
    assert r.status_code == 404
    assert _api(otto).get(reverse("grades-api:appeals")).json()["appeals"] == []
    r = _api(otto).post(
        reverse("grades-api:appeal_answer", args=[appeal.pk]),
        {"decision": "keep", "reply": "No."},
        format="json",
    )
    assert r.status_code == 404
    # anonymous
    client.logout()
    assert client.get(reverse("grades:appeals")).status_code == 302
    assert (
        client.post(reverse("mygrades:appeal", args=[wrong.pk]), {"comment": "x"}).status_code
        == 302
    )
    assert APIClient().get(reverse("grades-api:appeals")).status_code in (401, 403)
    assert APIClient().get(reverse("grades-api:my_appeals", args=[wrong.pk])).status_code in (
        401,
        403,
        404,
    )
    appeal.refresh_from_db()
    assert appeal.state == AppealState.OPEN and Appeal.objects.count() == 1
