"""Lesson discussion, problem reports and notifications: the rules, the pages, the API, and
who may do what (the author, another student, a teacher of the course, another course's
teacher, someone not in the course, anonymous)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from gradebook.courses.models import Course
from gradebook.discussion import services
from gradebook.discussion.models import Comment, Notification, ProblemReport, ReportState
from gradebook.discussion.services import DiscussionError
from tests.gradebook.quizzes.factories import item

pytestmark = pytest.mark.django_db


@pytest.fixture
def members(course, alice, bob, tara):
    course.enroll(alice)
    course.enroll(bob)
    course.teachers.add(tara)
    return alice, bob, tara


@pytest.fixture
def outsider_teacher(django_user_model):
    from gradebook.accounts.roles import make_teacher

    otto = django_user_model.objects.create_user("otto", "otto@example.org", "otto-pass-123")
    make_teacher(otto)
    Course.objects.create(slug="other", title="Other").teachers.add(otto)
    return otto


@pytest.fixture
def carol(django_user_model):
    return django_user_model.objects.create_user("carol", "carol@example.org", "carol-pass-123")


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def _lesson_page(client, course) -> str:
    return client.get(reverse("lesson", args=[course.slug, "text-vs-images"])).content.decode()


def test_a_thread_on_the_lesson_page_with_a_reply_and_its_notification(
    course,
    lesson,
    members,
):
    alice, bob, tara = members
    r = _client(alice).post(
        reverse("discussion:post", args=[lesson.pk]),
        {"body": "Why is the loss **-ln(p)** and not $\\log_{10}$?"},
    )
    top = Comment.objects.get()
    assert r.status_code == 302 and r.url.endswith(f"#comment-{top.pk}")
    r = _client(bob).post(
        reverse("discussion:post", args=[lesson.pk]),
        {"body": "Natural log: nats.", "parent": top.pk},
    )
    reply = Comment.objects.exclude(pk=top.pk).get()
    assert reply.parent == top
    page = _lesson_page(_client(bob), course)
    assert "<strong>-ln(p)</strong>" in page and "<math" in page and "Natural log: nats." in page
    assert f'id="comment-{reply.pk}"' in page
    [note] = Notification.objects.filter(recipient=alice)
    assert note.kind == "reply" and note.url.endswith(f"#comment-{reply.pk}")
    assert not Notification.objects.filter(recipient=bob).exists(), "no note to yourself"
    # a reply to a reply joins the thread (one level), and tells everyone in it
    r = _client(tara).post(
        reverse("discussion:post", args=[lesson.pk]), {"body": "Both work.", "parent": reply.pk}
    )
    assert "/discussion/courses/ai-gen/#comment-" in r.url, "a teacher goes back to their page"
    assert Comment.objects.filter(parent=top).count() == 2
    page = _client(tara).get(reverse("discussion:course", args=[course.slug])).content.decode()
    assert "Both work." in page and "Natural log: nats." in page
    assert {n.recipient.username for n in Notification.objects.filter(kind="reply")} == {
        "alice",
        "bob",
    }
    nav = _client(alice).get(reverse("dashboard")).content.decode()
    assert 'id="nav-notifications"' in nav and 'class="count-badge"' in nav
    listing = _client(alice).get(reverse("discussion:notifications")).content.decode()
    assert "tara replied" in listing
    assert services.unread_count(alice) == 0, "opening the list reads them"


def test_comments_are_rendered_safely(course, lesson, members):
    alice, bob, _ = members
    services.comment_post(
        lesson=lesson,
        author=alice,
        body="<script>alert(1)</script><img src=x onerror=alert(2)>[x](javascript:alert(3)) ok",
    )
    page = _lesson_page(_client(bob), course)
    section = page[page.index('id="discussion"') :]
    assert "<script>alert" not in section and "onerror" not in section
    assert "javascript:" not in section and "<img" not in section and "ok" in section


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ("  ", "body", "empty"),
        ("x" * 4001, "body", "4001 characters long; the limit is 4000"),
        ("a\u2066b", "body", r"U\+2066"),
    ],
)
def test_a_bad_comment_is_refused_and_nothing_is_stored(lesson, members, body, field, message):
    with pytest.raises(DiscussionError, match=message) as err:
        services.comment_post(lesson=lesson, author=members[0], body=body)
    assert err.value.field == field and not Comment.objects.exists()


def test_authors_edit_and_delete_their_own_and_teachers_hide_any(course, lesson, members):
    alice, bob, tara = members
    top = services.comment_post(lesson=lesson, author=alice, body="First.")
    reply = services.comment_post(lesson=lesson, author=bob, body="Spam spam.", parent=top)
    r = _client(alice).post(reverse("discussion:edit", args=[top.pk]), {"body": "First, edited."})
    assert r.status_code == 302
    top.refresh_from_db()
    assert top.body == "First, edited." and top.edited_at is not None
    assert (
        _client(bob).post(reverse("discussion:edit", args=[top.pk]), {"body": "x"}).status_code
        == 403
    )
    assert _client(bob).post(reverse("discussion:delete", args=[top.pk])).status_code == 403
    assert _client(bob).post(reverse("discussion:hide", args=[top.pk])).status_code == 403
    # the teacher hides bob's reply: alice no longer sees it, bob and the teacher do
    assert _client(tara).post(reverse("discussion:hide", args=[reply.pk])).status_code == 302
    assert "Spam spam." not in _lesson_page(_client(alice), course)
    assert "Spam spam." in _lesson_page(_client(bob), course)
    teachers_page = _client(tara).get(reverse("discussion:course", args=[course.slug]))
    assert "hidden by a teacher" in teachers_page.content.decode()
    _client(tara).post(reverse("discussion:hide", args=[reply.pk]), {"hidden": "0"})
    assert "Spam spam." in _lesson_page(_client(alice), course)
    # deleting a comment with replies keeps the thread readable
    assert _client(alice).post(reverse("discussion:delete", args=[top.pk])).status_code == 302
    top.refresh_from_db()
    assert top.is_deleted and top.body == ""
    page = _lesson_page(_client(bob), course)
    assert "This comment was deleted by its author." in page and "Spam spam." in page
    services.comment_delete(comment=reply, by=bob)
    assert not Comment.objects.filter(pk=reply.pk).exists()
    assert services.threads(lesson, bob) == [], "a deleted comment with no replies left is gone"


def test_a_problem_report_reaches_the_teacher_with_the_revision_and_the_answer_comes_back(
    course,
    lesson,
    members,
):
    alice, _, tara = members
    ce = item(course, "ce-loss")
    page = _lesson_page(_client(alice), course)
    assert "Report a problem with this question" in page
    r = _client(alice).post(
        reverse("discussion:report", args=[lesson.pk]),
        {"item": ce.pk, "text": "The key says -ln(0.3) but the text says log base 10."},
    )
    assert r.status_code == 302 and r.url.endswith(f"#item-{ce.pk}")
    report = ProblemReport.objects.get()
    assert (report.item, report.item_revision, report.state) == (ce, ce.revision, "open")
    spec = {**ce.spec, "text": "Fixed text."}
    ce.set_spec(spec, by=tara)  # the teacher fixes the item: a new revision
    listing = _client(tara).get(reverse("discussion:reports")).content.decode()
    assert f'id="report-{report.pk}"' in listing and "log base 10" in listing
    assert f"now revision {ce.revision}" in listing
    assert reverse("grades:item_edit", args=[course.slug, "ce-loss"]) in listing
    r = _client(tara).post(
        reverse("discussion:report_resolve", args=[report.pk]),
        {"state": "fixed", "note": "Thanks, the text is fixed."},
    )
    assert r.status_code == 302
    report.refresh_from_db()
    assert report.state == ReportState.FIXED and report.resolved_by == tara
    [note] = Notification.objects.filter(recipient=alice, kind="report_answered")
    assert "Thanks, the text is fixed." in note.text
    with pytest.raises(DiscussionError) as err:
        services.report_resolve(report=report, by=tara, state="dismissed", note="Again.")
    assert err.value.code == "already_answered"


def test_a_student_may_have_three_open_reports_on_a_page(lesson, members):
    for n in range(3):
        services.report_problem(user=members[0], lesson=lesson, item=None, text=f"Typo {n}.")
    with pytest.raises(DiscussionError) as err:
        services.report_problem(user=members[0], lesson=lesson, item=None, text="More.")
    assert err.value.code == "too_many_reports" and ProblemReport.objects.count() == 3


def test_the_api_carries_comments_reports_and_notifications(course, lesson, members):
    alice, bob, tara = members
    url = reverse("discussion-api:comments", args=[lesson.pk])
    r = _api(alice).post(url, {"body": "Question about *tokens*."}, format="json")
    assert r.status_code == 201 and r.json()["html"] == "<p>Question about <em>tokens</em>.</p>"
    top = r.json()["id"]
    assert _api(bob).post(url, {"body": "Answer.", "parent": top}, format="json").status_code == 201
    bad = _api(bob).post(url, {"body": ""}, format="json")
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "body"
    threads = _api(tara).get(url).json()["threads"]
    assert [(t["author"], [r["author"] for r in t["replies"]]) for t in threads] == [
        ("alice", ["bob"])
    ]
    comment = reverse("discussion-api:comment", args=[top])
    assert _api(bob).patch(comment, {"body": "x"}, format="json").status_code == 403
    r = _api(alice).patch(comment, {"body": "Edited."}, format="json")
    assert r.status_code == 200 and r.json()["edited_at"]
    hide = reverse("discussion-api:hide", args=[top])
    assert _api(bob).post(hide, {"hidden": True}, format="json").status_code == 403
    assert _api(tara).post(hide, {"hidden": True}, format="json").json()["hidden"] is True
    notes = _api(alice).get(reverse("discussion-api:notifications")).json()["notifications"]
    assert [n["kind"] for n in notes] == ["reply"] and notes[0]["read"] is False
    r = _api(alice).post(
        reverse("discussion-api:report", args=[lesson.pk]), {"text": "Typo."}, format="json"
    )
    assert r.status_code == 201 and r.json()["item"] is None
    reports = _api(tara).get(reverse("discussion-api:teach_reports")).json()["reports"]
    assert [x["text"] for x in reports] == ["Typo."]
    answer = reverse("discussion-api:teach_report_answer", args=[reports[0]["id"]])
    r = _api(tara).post(answer, {"state": "dismissed", "note": "Not a typo."}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "dismissed"
    assert (
        _api(tara).post(answer, {"state": "fixed", "note": "x"}, format="json").status_code == 409
    )
    assert _api(alice).delete(comment).status_code == 204


def test_the_course_discussion_page_is_for_the_course_teachers(
    course,
    members,
    outsider_teacher,
):
    alice, _, tara = members
    url = reverse("discussion:course", args=[course.slug])
    assert _client(tara).get(url).status_code == 200
    assert _client(outsider_teacher).get(url).status_code == 404
    assert _client(alice).get(url).status_code == 403
    assert Client().get(url).status_code == 302


def test_no_one_outside_the_course_reads_writes_or_moderates(
    course,
    lesson,
    members,
    carol,
    outsider_teacher,
):
    alice, _, tara = members
    top = services.comment_post(lesson=lesson, author=alice, body="Members only.")
    report = services.report_problem(user=alice, lesson=lesson, item=None, text="Typo.")
    for outsider in (carol, outsider_teacher):  # not enrolled, another course's teacher
        c, api = _client(outsider), _api(outsider)
        assert (
            c.post(reverse("discussion:post", args=[lesson.pk]), {"body": "x"}).status_code == 404
        )
        assert (
            c.post(reverse("discussion:report", args=[lesson.pk]), {"text": "x"}).status_code == 404
        )
        assert c.post(reverse("discussion:hide", args=[top.pk])).status_code == 404
        assert c.get(reverse("discussion:edit", args=[top.pk])).status_code == 404
        assert api.get(reverse("discussion-api:comments", args=[lesson.pk])).status_code == 404
        assert (
            api.patch(
                reverse("discussion-api:comment", args=[top.pk]), {"body": "x"}, format="json"
            ).status_code
            == 404
        )
    # another course's teacher sees no report of this course and cannot answer one
    otto = _client(outsider_teacher)
    assert (
        f'id="report-{report.pk}"' not in otto.get(reverse("discussion:reports")).content.decode()
    )
    assert (
        otto.post(
            reverse("discussion:report_resolve", args=[report.pk]), {"state": "fixed", "note": "x"}
        ).status_code
        == 404
    )
    assert (
        _api(outsider_teacher).get(reverse("discussion-api:teach_reports")).json()["reports"] == []
    )
    # a student is not a teacher
    assert _client(alice).get(reverse("discussion:reports")).status_code == 403
    assert _api(alice).get(reverse("discussion-api:teach_reports")).status_code == 403
    # anonymous
    anon = Client()
    assert anon.post(reverse("discussion:post", args=[lesson.pk]), {"body": "x"}).status_code == 302
    assert anon.get(reverse("discussion:notifications")).status_code == 302
    assert APIClient().get(reverse("discussion-api:comments", args=[lesson.pk])).status_code in (
        401,
        403,
        404,
    )
    assert APIClient().get(reverse("discussion-api:notifications")).status_code in (401, 403)
    assert Comment.objects.count() == 1 and ProblemReport.objects.get().state == "open"
    top.refresh_from_db()
    assert top.hidden_at is None and top.body == "Members only."
    assert tara  # the course's own teacher is covered in the tests above
