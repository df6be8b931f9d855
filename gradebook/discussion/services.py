"""The rules of lesson discussion and problem reports.

Who may do what:
- members of a course (its enrolled students, its teachers, admins) read and write comments on
  its active lessons; a reply answers a top-level comment (one level, as on the course pages);
- the author edits or deletes their own comment (a deleted comment that has replies stays as
  "deleted" so the thread still reads); the course's teachers hide and unhide any comment;
- any member reports a problem on a lesson or an item; the course's teachers mark it fixed or
  dismissed with a note that reaches the reporter. A key fix itself goes through the item
  editor, whose regrade offer then takes over.
Every refusal is a ``DiscussionError`` naming the field; nothing is written when one is raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from gradebook.courses.models import Course, Item, Lesson
from gradebook.discussion.models import (
    MAX_COMMENT,
    MAX_REPORT,
    Comment,
    Notification,
    ProblemReport,
    ReportState,
)
from gradebook.refusals import Refusal
from gradebook.textsafety import bidi_message, first_bidi_control

#: The HTTP status of each refusal that is not "your input is wrong" (400).
_STATUS = {"forbidden": 403, "already_answered": 409, "deleted": 409, "too_many_reports": 429}


class DiscussionError(Refusal):
    """A refused discussion action; nothing was stored."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid") -> None:
        super().__init__(message, field=field, code=code, status=_STATUS.get(code, 400))


# --- Who is a member ----------------------------------------------------------------------------


def is_moderator(user: Any, course: Course) -> bool:
    return bool(user.is_authenticated) and (user.is_superuser or course.is_taught_by(user))


def is_member(user: Any, course: Course) -> bool:
    if not user.is_authenticated:
        return False
    return is_moderator(user, course) or course.enrollments.filter(student=user).exists()


def is_member_student(user: Any, course: Course) -> bool:
    """Enrolled: the lesson pages are theirs (a teacher reads the course's discussion page)."""
    return bool(user.is_authenticated) and course.enrollments.filter(student=user).exists()


def lesson_for_member(user: Any, lesson_id: Any) -> Lesson:
    """An active lesson of a course ``user`` belongs to, else 404 (never says it exists)."""
    try:
        pk = int(lesson_id)
    except (TypeError, ValueError):
        raise Http404("No such lesson.") from None
    lesson = Lesson.objects.select_related("course").filter(pk=pk, retired_at__isnull=True).first()
    if lesson is None or not is_member(user, lesson.course):
        raise Http404("No such lesson.")
    return lesson


def comment_for_member(user: Any, comment_id: Any) -> Comment:
    try:
        pk = int(comment_id)
    except (TypeError, ValueError):
        raise Http404("No such comment.") from None
    comment = Comment.objects.select_related("lesson", "lesson__course", "author").filter(pk=pk)
    found = comment.first()
    if found is None or not is_member(user, found.lesson.course):
        raise Http404("No such comment.")
    return found


# --- Comments -----------------------------------------------------------------------------------


def _text(value: Any, field: str, what: str, limit: int) -> str:
    text = str(value or "").strip()
    if not text:
        raise DiscussionError(_("%(what)s is empty.") % {"what": what}, field=field)
    if len(text) > limit:
        raise DiscussionError(
            _("%(what)s is %(m)s characters long; the limit is %(n)s.")
            % {"what": what, "m": len(text), "n": limit},
            field=field,
        )
    found = first_bidi_control(text)
    if found is not None:
        raise DiscussionError(bidi_message(what, *found), field=field)
    return text


def comment_post(*, lesson: Lesson, author: Any, body: Any, parent: Any = None) -> Comment:
    """A new comment, or a reply to the top-level comment ``parent`` (an id or a Comment)."""
    text = _text(body, "body", _("The comment"), MAX_COMMENT)
    top = None
    if parent not in (None, ""):
        pid = parent.pk if isinstance(parent, Comment) else parent
        try:
            top = Comment.objects.get(pk=int(pid), lesson=lesson)
        except (TypeError, ValueError, Comment.DoesNotExist):
            raise DiscussionError(
                _("The comment you answer is not on this lesson."), field="parent"
            ) from None
        if top.parent_id is not None:  # answering a reply answers its thread
            top = top.parent
        if top.is_deleted or top.is_hidden:
            raise DiscussionError(
                _("That comment is no longer shown; it cannot be answered."), field="parent"
            )
    with transaction.atomic():
        comment = Comment.objects.create(lesson=lesson, author=author, body=text, parent=top)
        if top is not None:
            _notify_thread(top, comment)
    return comment


def _notify_thread(top: Comment, reply: Comment) -> None:
    """Tell the thread's author and everyone who replied before, except the one replying."""
    people = {top.author_id, *top.replies.values_list("author_id", flat=True)}
    people.discard(reply.author_id)
    lesson = top.lesson
    enrolled = set(
        lesson.course.enrollments.filter(student_id__in=people).values_list("student_id", flat=True)
    )
    anchor = f"#comment-{reply.pk}"
    for_students = reverse("lesson", args=[lesson.course.slug, lesson.slug]) + anchor
    for_teachers = reverse("discussion:course", args=[lesson.course.slug]) + anchor
    text = _("%(who)s replied in the discussion of “%(lesson)s”.") % {
        "who": reply.author.get_username(),
        "lesson": lesson.title,
    }
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=p,
                kind="reply",
                text=text[:300],
                url=for_students if p in enrolled else for_teachers,
            )
            for p in sorted(people)
        ]
    )


def comment_edit(*, comment: Comment, by: Any, body: Any) -> Comment:
    if comment.author_id != by.pk:
        raise DiscussionError(_("Only the author edits a comment."), code="forbidden")
    if comment.is_deleted:
        raise DiscussionError(_("A deleted comment cannot be edited."), code="deleted")
    comment.body = _text(body, "body", _("The comment"), MAX_COMMENT)
    comment.edited_at = timezone.now()
    comment.save(update_fields=["body", "edited_at"])
    return comment


def comment_delete(*, comment: Comment, by: Any) -> None:
    """The author's delete: gone, or kept as "deleted" while replies hang from it."""
    if comment.author_id != by.pk:
        raise DiscussionError(_("Only the author deletes a comment."), code="forbidden")
    if comment.replies.exists():
        comment.deleted_at = timezone.now()
        comment.body = ""
        comment.save(update_fields=["deleted_at", "body"])
    else:
        comment.delete()


def comment_hide(*, comment: Comment, by: Any, hidden: bool = True) -> Comment:
    if not is_moderator(by, comment.lesson.course):
        raise DiscussionError(_("Only the course's teachers hide comments."), code="forbidden")
    comment.hidden_at = timezone.now() if hidden else None
    comment.hidden_by = by if hidden else None
    comment.save(update_fields=["hidden_at", "hidden_by"])
    return comment


@dataclass
class Thread:
    comment: Comment
    replies: list[Comment]


def threads(lesson: Lesson, viewer: Any) -> list[Thread]:
    """The lesson's discussion as ``viewer`` sees it: hidden comments only for moderators and
    their authors; deleted ones only while replies hang from them. Two queries."""
    moderator = is_moderator(viewer, lesson.course)
    rows = list(Comment.objects.filter(lesson=lesson).select_related("author", "hidden_by"))

    def shown(c: Comment) -> bool:
        return not c.is_hidden or moderator or c.author_id == viewer.pk

    out: dict[int, Thread] = {}
    for c in rows:
        if c.parent_id is None:
            out[c.pk] = Thread(c, [])
    for c in rows:
        if c.parent_id is not None and c.parent_id in out and shown(c):
            out[c.parent_id].replies.append(c)
    return [t for t in out.values() if shown(t.comment) and (not t.comment.is_deleted or t.replies)]


# --- Problem reports ----------------------------------------------------------------------------


def report_problem(*, user: Any, lesson: Lesson, item: Item | None, text: Any) -> ProblemReport:
    """A member's report on ``lesson`` or one of its items (with the revision they saw)."""
    body = _text(text, "text", _("The report"), MAX_REPORT)
    if item is not None and item.lesson_id != lesson.pk:
        raise DiscussionError(_("That item is not on this lesson."), field="item")
    open_already = ProblemReport.objects.filter(
        reporter=user, lesson=lesson, item=item, state=ReportState.OPEN
    ).count()
    if open_already >= 3:
        raise DiscussionError(
            _("You have three open reports here; a teacher will look at them first."),
            code="too_many_reports",
        )
    return ProblemReport.objects.create(
        course=lesson.course,
        lesson=lesson,
        item=item,
        item_revision=item.revision if item is not None else None,
        reporter=user,
        text=body,
    )


def reports_for_teacher(user: Any, *, state: str = "open") -> QuerySet[ProblemReport]:
    courses = Course.objects.all() if user.is_superuser else Course.objects.filter(teachers=user)
    reports = ProblemReport.objects.filter(course__in=courses).select_related(
        "course", "lesson", "item", "reporter", "resolved_by"
    )
    if state != "all":
        reports = reports.filter(state=state)
    return reports.order_by("created_at", "id")


def report_resolve(*, report: ProblemReport, by: Any, state: str, note: Any) -> ProblemReport:
    if state not in (ReportState.FIXED, ReportState.DISMISSED):
        raise DiscussionError(
            _("Choose fixed or dismissed (got '%(s)s').") % {"s": state}, field="state"
        )
    if not is_moderator(by, report.course):
        raise DiscussionError(_("Only the course's teachers answer reports."), code="forbidden")
    text = _text(note, "note", _("The note to the reporter"), MAX_REPORT)
    with transaction.atomic():
        locked = ProblemReport.objects.select_for_update().get(pk=report.pk)
        if locked.state != ReportState.OPEN:
            raise DiscussionError(_("This report was already answered."), code="already_answered")
        locked.state = state
        locked.resolution = text
        locked.resolved_by = by
        locked.resolved_at = timezone.now()
        locked.save(update_fields=["state", "resolution", "resolved_by", "resolved_at"])
        what = locked.item.title if locked.item else locked.lesson.title
        Notification.objects.create(
            recipient=locked.reporter,
            kind="report_answered",
            text=(
                _("Your report on “%(what)s” was answered: %(note)s") % {"what": what, "note": text}
            )[:300],
            url=reverse("discussion:notifications"),
        )
    return locked


# --- Notifications ------------------------------------------------------------------------------


def unread_count(user: Any) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notifications_of(user: Any, *, limit: int = 100) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user)[:limit])


def mark_read(user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
