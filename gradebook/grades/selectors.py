"""Reads on the teachers' side: the review queue, the gradebook, item analytics, feedback.

Each function takes objects already checked by ``gradebook.grades.access`` and returns plain
data (dataclasses and dicts) that the HTML views and the API render alike, so both show the
same numbers.

Decisions written down here:

- An item's grade in the gradebook is the best score among the student's attempts (a retry
  penalty already lowers later tries); an item answered but still waiting for review shows as
  pending, an item never answered as blank. Retired items and lessons are left out.
- "Wrong" answers in analytics are graded attempts that are not correct (partial credit
  included); they are grouped by what the grader read them as (``Attempt.interpreted_as``).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Max, Q, QuerySet

from gradebook.courses.models import REVIEWED_TYPES, Course, Item, Lesson
from gradebook.grades.models import Review, ReviewState
from gradebook.grades.rubric import review_plan
from gradebook.quizzes.models import Attempt, AttemptStatus, GradeChange, GradeSource
from gradebook.quizzes.presentation import answer_text
from gradebook.ui.status import item_type_label

# --- Review queue -------------------------------------------------------------------------------

QUEUE_STATES = ("pending", "draft", "returned")

_STATE_FILTERS = {
    "pending": Q(status=AttemptStatus.PENDING_REVIEW) & ~Q(review__state=ReviewState.DRAFT),
    "draft": Q(status=AttemptStatus.PENDING_REVIEW, review__state=ReviewState.DRAFT),
    "returned": Q(status=AttemptStatus.REVIEWED),
}


@dataclass
class QueueFilters:
    course: str = ""
    lesson: str = ""
    item: str = ""
    student: str = ""
    state: str = "pending"

    @classmethod
    def from_params(cls, params: Any) -> QueueFilters:
        state = (params.get("state") or "pending").strip()
        if state not in QUEUE_STATES and state != "all":
            state = "pending"
        return cls(
            course=(params.get("course") or "").strip(),
            lesson=(params.get("lesson") or "").strip(),
            item=(params.get("item") or "").strip(),
            student=(params.get("student") or "").strip(),
            state=state,
        )

    def as_query(self) -> dict[str, str]:
        """The filters as URL parameters, leaving out the defaults (short "next" links)."""
        return {
            k: v for k, v in self.__dict__.items() if v and not (k == "state" and v == "pending")
        }


def review_queue(attempts: QuerySet[Attempt], filters: QueueFilters) -> QuerySet[Attempt]:
    """Hand-graded attempts matching ``filters`` (state included), oldest first."""
    qs = _queue_base(attempts, filters)
    if filters.state != "all":
        qs = qs.filter(_STATE_FILTERS[filters.state])
    return qs.select_related("student", "item", "item__course", "item__lesson", "review").order_by(
        "submitted_at", "id"
    )


def queue_counts(attempts: QuerySet[Attempt], filters: QueueFilters) -> dict[str, int]:
    """How many attempts are in each state under the other filters (one query)."""
    base = _queue_base(attempts, filters)
    counts = base.aggregate(**{state: Count("id", filter=q) for state, q in _STATE_FILTERS.items()})
    return {state: counts[state] or 0 for state in QUEUE_STATES}


def _queue_base(attempts: QuerySet[Attempt], filters: QueueFilters) -> QuerySet[Attempt]:
    # Hand-graded items, and any answer the grader left for review (a multipart item's
    # free-text part).
    qs = attempts.filter(
        Q(item__type__in=REVIEWED_TYPES)
        | Q(status__in=[AttemptStatus.PENDING_REVIEW, AttemptStatus.REVIEWED])
    )
    if filters.course:
        qs = qs.filter(item__course__slug=filters.course)
    if filters.lesson:
        qs = qs.filter(item__lesson__slug=filters.lesson)
    if filters.item:
        qs = qs.filter(item__key=filters.item)
    if filters.student:
        qs = qs.filter(student__username=filters.student)
    return qs


@dataclass
class AnswerGroup:
    """Answers to one item that read the same once spacing and case are set aside."""

    key: str
    text: str  # the answer as the first student typed it
    attempts: list[Attempt]

    @property
    def students(self) -> list[str]:
        """Each student once, though one may have sent the same answer twice."""
        return list(dict.fromkeys(a.student.get_username() for a in self.attempts))


def _group_key(text: str) -> str:
    return " ".join(text.casefold().split())


def answer_groups(attempts: QuerySet[Attempt], filters: QueueFilters) -> list[AnswerGroup]:
    """The filtered queue's answers grouped by identical text, biggest group first.

    Gradescope's answer groups: when twenty students wrote the same sentence, the teacher
    scores it once. Only answers waiting for a review (not drafts, not returned) are grouped.
    """
    groups: dict[str, AnswerGroup] = {}
    pending = QueueFilters(**{**filters.__dict__, "state": "pending"})
    for attempt in review_queue(attempts, pending):
        text = answer_text(attempt.item.spec or {}, attempt.response, params=attempt.params)
        key = _group_key(text)
        group = groups.setdefault(key, AnswerGroup(key=key, text=text, attempts=[]))
        group.attempts.append(attempt)
    return sorted(groups.values(), key=lambda g: (-len(g.attempts), g.key))


def group_by_key(attempts: QuerySet[Attempt], filters: QueueFilters, key: str) -> AnswerGroup:
    for group in answer_groups(attempts, filters):
        if group.key == key:
            return group
    return AnswerGroup(key=key, text="", attempts=[])


@dataclass
class QueueChoices:
    """What the queue's filter dropdowns offer: titles shown, slugs and keys sent."""

    courses: list[Course]
    lessons: list[tuple[str, list[tuple[str, str]]]]  # (course title, [(slug, title)])
    items: list[tuple[str, list[tuple[str, str]]]]  # (lesson title, [(key, title)])
    students: list[tuple[str, str]]  # (username, "Full Name (username)")


#: Above this many students the student filter is a type-ahead box rather than a dropdown.
STUDENT_DROPDOWN_MAX = 300


def queue_choices(courses: QuerySet[Course], filters: QueueFilters) -> QueueChoices:
    """The filter dropdowns' options, narrowed by the course (and lesson) already chosen."""
    from django.contrib.auth import get_user_model

    course_list = list(courses)
    chosen = [c for c in course_list if c.slug == filters.course] or course_list
    lessons_by_course: dict[int, list[tuple[str, str]]] = {}
    lesson_ids = {}
    for lesson in Lesson.objects.filter(course__in=chosen).order_by("course", "order", "id"):
        lessons_by_course.setdefault(lesson.course_id, []).append((lesson.slug, lesson.title))
        lesson_ids[lesson.pk] = lesson
    lessons = [(c.title, lessons_by_course.get(c.pk, [])) for c in chosen]
    item_qs = Item.objects.filter(course__in=chosen, type__in=REVIEWED_TYPES)
    if filters.lesson:
        item_qs = item_qs.filter(lesson__slug=filters.lesson)
    items_by_lesson: dict[int, list[tuple[str, str]]] = {}
    for item in item_qs.order_by("lesson__order", "order", "id"):
        items_by_lesson.setdefault(item.lesson_id, []).append((item.key, item.title or item.key))
    items = [
        (lesson_ids[lid].title if lid in lesson_ids else "", entries)
        for lid, entries in items_by_lesson.items()
    ]
    users = (
        get_user_model()
        .objects.filter(enrollments__course__in=chosen)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
    students = [
        (u.get_username(), f"{u.get_full_name()} ({u.get_username()})".strip())
        if u.get_full_name()
        else (u.get_username(), u.get_username())
        for u in users[: STUDENT_DROPDOWN_MAX + 1]
    ]
    return QueueChoices(courses=course_list, lessons=lessons, items=items, students=students)


def queue_neighbours(
    attempts: QuerySet[Attempt], filters: QueueFilters, attempt: Attempt
) -> tuple[Attempt | None, Attempt | None]:
    """The attempts before and after ``attempt`` in the filtered queue (oldest first).

    Works even when ``attempt`` itself has left the filtered state (it was just returned):
    "next" is the first one after its place in the order.
    """
    qs = review_queue(attempts, filters)
    after = Q(submitted_at__gt=attempt.submitted_at) | Q(
        submitted_at=attempt.submitted_at, id__gt=attempt.pk
    )
    before = Q(submitted_at__lt=attempt.submitted_at) | Q(
        submitted_at=attempt.submitted_at, id__lt=attempt.pk
    )
    nxt = qs.filter(after).first()
    prev = qs.filter(before).order_by("-submitted_at", "-id").first()
    return prev, nxt


def queue_state(attempt: Attempt) -> str:
    if attempt.status == AttemptStatus.REVIEWED:
        return "returned"
    review = getattr(attempt, "review", None) if _has_review(attempt) else None
    if review is not None and review.state == ReviewState.DRAFT:
        return "draft"
    return "pending"


def attempt_state(attempt: Attempt) -> str:
    """Where any attempt stands for a teacher, with the right tag after an override.

    Answers a teacher grades are pending, draft or returned (``queue_state``); the rest were
    auto-graded and say how their grade was last set: graded, overridden, regraded or
    undecided. (Tagging every attempt with ``queue_state`` called an overridden
    multiple-choice answer "pending".)
    """
    if attempt.item.is_reviewed or attempt.status in (
        AttemptStatus.PENDING_REVIEW,
        AttemptStatus.REVIEWED,
    ):
        return queue_state(attempt)
    if attempt.score_source == GradeSource.OVERRIDE:
        return "overridden"
    if attempt.status == AttemptStatus.UNDECIDED:
        return "undecided"
    if attempt.score_source == GradeSource.REGRADE:
        return "regraded"
    return "graded"


def _has_review(attempt: Attempt) -> bool:
    try:
        attempt.review  # noqa: B018 - touching the reverse one-to-one raises when absent
    except Review.DoesNotExist:
        return False
    return True


def review_of(attempt: Attempt) -> Review | None:
    return attempt.review if _has_review(attempt) else None


# --- Feedback (what the student sees) -----------------------------------------------------------


@dataclass
class Feedback:
    attempt: Attempt
    status: str
    score: float | None
    points: float | None
    max_points: float
    comment: str = ""
    rubric: list[dict[str, Any]] = field(default_factory=list)
    reviewed_by: str = ""
    override_reason: str = ""
    history: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "attempt": self.attempt.pk,
            "item": self.attempt.item.key,
            "status": self.status,
            "score": self.score,
            "points": self.points,
            "max_points": self.max_points,
            "comment": self.comment,
            "rubric": self.rubric,
            "reviewed_by": self.reviewed_by,
            "override_reason": self.override_reason,
            "history": self.history,
        }


def feedback_for(attempt: Attempt) -> Feedback:
    """The grade as the student may see it: a draft review stays hidden until returned."""
    max_points = float(attempt.item.points)
    review = review_of(attempt)
    returned = review is not None and review.is_returned
    visible_score = attempt.score
    if attempt.status == AttemptStatus.PENDING_REVIEW:
        visible_score = None
    fb = Feedback(
        attempt=attempt,
        status=attempt.status,
        score=visible_score,
        points=None if visible_score is None else round(visible_score * max_points, 2),
        max_points=max_points,
    )
    if returned and review is not None:
        fb.comment = review.comment
        fb.reviewed_by = _display_name(review.reviewer)
        fb.rubric = [
            {**c, "awarded": review.rubric_scores.get(c["id"])}
            for c in review_plan(attempt.item.spec, attempt.result).criteria
        ]
    changes = list(attempt.grade_changes.select_related("changed_by").order_by("changed_at", "id"))
    overrides = [c for c in changes if c.source == GradeSource.OVERRIDE]
    if overrides and attempt.score_source == GradeSource.OVERRIDE:
        fb.override_reason = overrides[-1].reason
    fb.history = [
        {
            "when": c.changed_at.isoformat(),
            "old": c.old_score,
            "new": c.new_score,
            "source": c.source,
            "reason": c.reason,
        }
        for c in changes
    ]
    return fb


@dataclass(frozen=True)
class FeedbackNotice:
    """A teacher's review or override the student has not looked at yet."""

    attempt: Attempt
    changed_at: Any
    source: str  # "review", "override" or "appeal" (an appeal answered: grade kept)


def new_feedback_for(
    student: Any, *, course: Course | None = None, lesson: Lesson | None = None
) -> list[FeedbackNotice]:
    """Teachers' grades and comments newer than the student's last look at them, newest first.

    Two queries: the latest review or override per attempt, and appeals answered without a
    change, each compared with ``FeedbackSeen``.
    """
    from django.db.models import OuterRef, Subquery

    from gradebook.grades.models import FeedbackSeen

    seen = FeedbackSeen.objects.filter(student=student, attempt=OuterRef("attempt")).values(
        "seen_at"
    )[:1]
    changes = (
        GradeChange.objects.filter(
            attempt__student=student, source__in=[GradeSource.REVIEW, GradeSource.OVERRIDE]
        )
        .annotate(seen_at=Subquery(seen))
        .filter(Q(seen_at__isnull=True) | Q(changed_at__gt=F("seen_at")))
        .select_related(
            "attempt", "attempt__item", "attempt__item__course", "attempt__item__lesson"
        )
        .order_by("-changed_at", "-id")
    )
    if course is not None:
        changes = changes.filter(attempt__item__course=course)
    if lesson is not None:
        changes = changes.filter(attempt__item__lesson=lesson)
    notices: dict[int, FeedbackNotice] = {}
    for change in changes[:200]:
        notices.setdefault(
            change.attempt_id, FeedbackNotice(change.attempt, change.changed_at, change.source)
        )
    # An appeal answered with "kept" changes no grade, so it has no GradeChange of its own.
    from gradebook.grades.models import Appeal, AppealState

    kept = (
        Appeal.objects.filter(student=student, state=AppealState.KEPT)
        .annotate(seen_at=Subquery(seen))
        .filter(Q(seen_at__isnull=True) | Q(answered_at__gt=F("seen_at")))
        .select_related(
            "attempt", "attempt__item", "attempt__item__course", "attempt__item__lesson"
        )
        .order_by("-answered_at")
    )
    if course is not None:
        kept = kept.filter(attempt__item__course=course)
    if lesson is not None:
        kept = kept.filter(attempt__item__lesson=lesson)
    for appeal in kept[:200]:
        notice = notices.get(appeal.attempt_id)
        if notice is None or notice.changed_at < appeal.answered_at:
            notices[appeal.attempt_id] = FeedbackNotice(
                appeal.attempt, appeal.answered_at, "appeal"
            )
    return sorted(notices.values(), key=lambda n: n.changed_at, reverse=True)


@dataclass
class GradeLine:
    """One item on the student's My grades page."""

    item: Item
    latest: Attempt
    tries: int
    best_points: float | None
    done: bool
    pending: bool
    new_feedback: bool = False


def grades_of_student(student: Any) -> list[tuple[Course, list[GradeLine]]]:
    """Every item the student answered, by course: best score, tries, done, awaiting review."""
    from gradebook.progress.services import ItemState

    rows = list(
        Attempt.objects.filter(student=student)
        .values("item_id")
        .annotate(
            best=Max("score", filter=~Q(status=AttemptStatus.PENDING_REVIEW)),
            tries=Count("id"),
            latest=Max("id"),
            correct=Count("id", filter=Q(correct=True)),
            pending=Count("id", filter=Q(status=AttemptStatus.PENDING_REVIEW)),
        )
    )
    latest = Attempt.objects.in_bulk([r["latest"] for r in rows])
    items = Item.objects.select_related("course", "lesson").in_bulk([r["item_id"] for r in rows])
    news = {n.attempt.item_id for n in new_feedback_for(student)}
    by_course: dict[int, tuple[Course, list[GradeLine]]] = {}
    for r in rows:
        item = items[r["item_id"]]
        state = ItemState(attempts=r["tries"], correct=r["correct"] > 0)
        best = r["best"]
        line = GradeLine(
            item=item,
            latest=latest[r["latest"]],
            tries=r["tries"],
            best_points=None if best is None else round(best * float(item.points), 2),
            done=state.done(item.type, item.max_attempts),
            pending=r["pending"] > 0,
            new_feedback=item.pk in news,
        )
        by_course.setdefault(item.course_id, (item.course, []))[1].append(line)
    out = sorted(by_course.values(), key=lambda pair: pair[0].title)
    for _, lines in out:
        lines.sort(key=lambda g: (g.item.lesson.order, g.item.order, g.item.pk))
    return out


def _display_name(user: Any) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def grade_history(attempt: Attempt) -> list[dict[str, Any]]:
    """Every change to the attempt's grade: who, when, old, new, why (oldest first)."""
    max_points = float(attempt.item.points)
    return [
        {
            "id": c.pk,
            "changed_at": c.changed_at.isoformat(),
            "changed_by": c.changed_by.get_username() if c.changed_by else None,
            "old_score": c.old_score,
            "new_score": c.new_score,
            "old_points": None if c.old_score is None else round(c.old_score * max_points, 2),
            "new_points": None if c.new_score is None else round(c.new_score * max_points, 2),
            "source": c.source,
            "reason": c.reason,
        }
        for c in GradeChange.objects.filter(attempt=attempt)
        .select_related("changed_by")
        .order_by("changed_at", "id")
    ]


def course_history(course: Course, *, source: str = "", student: str = "") -> QuerySet[GradeChange]:
    """Every grade change in a course, newest first (who, when, old, new, how, why)."""
    qs = GradeChange.objects.filter(attempt__item__course=course)
    if source:
        qs = qs.filter(source=source)
    if student:
        qs = qs.filter(attempt__student__username=student)
    return qs.select_related("changed_by", "attempt", "attempt__student", "attempt__item").order_by(
        "-changed_at", "-id"
    )


def history_row(change: GradeChange) -> dict[str, Any]:
    item = change.attempt.item
    points = float(item.points)
    return {
        "id": change.pk,
        "attempt": change.attempt_id,
        "student": change.attempt.student.get_username(),
        "item": item.key,
        "changed_at": change.changed_at.isoformat(),
        "changed_by": change.changed_by.get_username() if change.changed_by else None,
        "old_points": None if change.old_score is None else round(change.old_score * points, 2),
        "new_points": None if change.new_score is None else round(change.new_score * points, 2),
        "source": change.source,
        "reason": change.reason,
    }


# --- Gradebook ----------------------------------------------------------------------------------


@dataclass
class Cell:
    points: float | None
    status: str  # "graded", "pending", "undecided", "none"
    tries: int = 0
    awaiting: bool = False  # some answer still waits for review (a graded one may be best)


@dataclass
class GradebookRow:
    student: Any
    cells: list[Cell]
    lesson_totals: list[float]
    total: float
    percent: float | None


@dataclass
class Gradebook:
    course: Course
    lessons: list[tuple[Lesson, list[Item]]]
    items: list[Item]
    lesson_max: list[float]
    max_points: float
    rows: list[GradebookRow]

    def as_dict(self) -> dict[str, Any]:
        return {
            "course": self.course.slug,
            "title": self.course.title,
            "max_points": self.max_points,
            "lessons": [
                {
                    "slug": lesson.slug,
                    "title": lesson.title,
                    "max_points": self.lesson_max[i],
                    "items": [
                        {"key": it.key, "title": it.title or it.key, "max_points": float(it.points)}
                        for it in items
                    ],
                }
                for i, (lesson, items) in enumerate(self.lessons)
            ],
            "students": [
                {
                    "username": row.student.get_username(),
                    "email": row.student.email,
                    "first_name": row.student.first_name,
                    "last_name": row.student.last_name,
                    "items": {
                        item.key: {
                            "points": cell.points,
                            "status": cell.status,
                            "tries": cell.tries,
                        }
                        for item, cell in zip(self.items, row.cells, strict=True)
                    },
                    "lessons": {
                        lesson.slug: row.lesson_totals[i]
                        for i, (lesson, _) in enumerate(self.lessons)
                    },
                    "total": row.total,
                    "percent": row.percent,
                }
                for row in self.rows
            ],
        }


def gradebook_for(course: Course) -> Gradebook:
    """Students × lessons with item scores and totals, in three queries whatever the size."""
    lessons: list[tuple[Lesson, list[Item]]] = []
    by_lesson: dict[int, list[Item]] = {}
    for lesson in course.active_lessons():
        items: list[Item] = []
        by_lesson[lesson.pk] = items
        lessons.append((lesson, items))
    for item in Item.objects.filter(
        course=course, retired_at__isnull=True, lesson_id__in=list(by_lesson)
    ).order_by("order", "id"):
        by_lesson[item.lesson_id].append(item)
    all_items = [item for _, items in lessons for item in items]
    lesson_max = [round(sum(float(i.points) for i in items), 2) for _, items in lessons]
    max_points = round(sum(lesson_max), 2)

    stats: dict[tuple[int, int], dict[str, Any]] = {}
    for row in (
        Attempt.objects.filter(item__in=all_items)
        .values("student_id", "item_id")
        .annotate(
            best=Max("score"),
            tries=Count("id"),
            pending=Count("id", filter=Q(status=AttemptStatus.PENDING_REVIEW)),
            undecided=Count("id", filter=Q(status=AttemptStatus.UNDECIDED)),
        )
    ):
        stats[(row["student_id"], row["item_id"])] = row

    students = _students_of(course)

    rows = []
    for student in students:
        cells = []
        lesson_totals = []
        for _, items in lessons:
            lesson_total = 0.0
            for item in items:
                s = stats.get((student.pk, item.pk))
                if s is None:
                    cells.append(Cell(points=None, status="none"))
                    continue
                points = None if s["best"] is None else round(s["best"] * float(item.points), 2)
                if points is not None:
                    status = "graded"
                elif s["pending"]:
                    status = "pending"
                elif s["undecided"]:
                    status = "undecided"
                else:
                    status = "none"
                cells.append(
                    Cell(
                        points=points,
                        status=status,
                        tries=s["tries"],
                        awaiting=bool(s["pending"]),
                    )
                )
                lesson_total += points or 0.0
            lesson_totals.append(round(lesson_total, 2))
        total = round(sum(lesson_totals), 2)
        rows.append(
            GradebookRow(
                student=student,
                cells=cells,
                lesson_totals=lesson_totals,
                total=total,
                percent=round(100 * total / max_points, 1) if max_points else None,
            )
        )
    return Gradebook(
        course=course,
        lessons=lessons,
        items=all_items,
        lesson_max=lesson_max,
        max_points=max_points,
        rows=rows,
    )


def _students_of(course: Course) -> QuerySet[Any]:
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(enrollments__course=course)
        .order_by("last_name", "first_name", "username")
    )


def gradebook_table(book: Gradebook) -> dict[str, Any]:
    """The gradebook as the page lays it out: one column per item, then its lesson's total.

    Each column and cell carries its lesson group (``g1``, ``g2``...) for the lesson filter
    and a sort key for the column sort, so the page's script needs no knowledge of the data.
    """
    columns: list[dict[str, Any]] = []
    for index, (lesson, items) in enumerate(book.lessons, start=1):
        group = f"g{index}"
        for position, item in enumerate(items):
            columns.append(
                {
                    "item": item,
                    "lesson": lesson,
                    "group": group,
                    "key": f"i{item.pk}",
                    "first": position == 0,
                }
            )
        columns.append(
            {
                "item": None,
                "lesson": lesson,
                "group": group,
                "key": f"l{index}",
                "max": book.lesson_max[index - 1],
                "first": not items,
            }
        )
    rows = []
    for row in book.rows:
        cells = iter(row.cells)
        shown = []
        for column in columns:
            if column["item"] is not None:
                cell = next(cells)
                shown.append(
                    {
                        **column,
                        "points": cell.points,
                        "status": cell.status,
                        "tries": cell.tries,
                        "awaiting": cell.awaiting,
                    }
                )
            else:
                index = int(column["key"][1:]) - 1
                shown.append({**column, "total": row.lesson_totals[index]})
        student = row.student
        name = student.get_full_name() or student.get_username()
        rows.append(
            {
                "student": student,
                "name": name,
                "sort_name": " ".join(
                    (student.last_name, student.first_name, student.get_username())
                ).lower(),
                "total": row.total,
                "percent": row.percent,
                "cells": shown,
                "pending": any(c.awaiting or c.status == "pending" for c in row.cells),
            }
        )
    return {"columns": columns, "rows": rows}


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_text(value: str) -> str:
    # A cell starting with = + - @ runs as a formula in spreadsheet apps (CSV injection).
    return "'" + value if value.startswith(_FORMULA_START) else value


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def gradebook_csv(book: Gradebook) -> str:
    """One row per student, one column per item, lesson totals, total, maximum and percent.

    The shape school systems import: a header row, identifiers first (username, email, names),
    plain numbers (points, '.' decimal point), blank for not answered or not graded yet.
    Starts with a UTF-8 byte-order mark so spreadsheet apps read non-ASCII names correctly.
    """
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    header = ["username", "email", "last_name", "first_name"]
    for lesson, items in book.lessons:
        for item in items:
            header.append(
                _safe_text(f"{lesson.title}: {item.title or item.key} [{float(item.points):g}]")
            )
    for i, (lesson, _) in enumerate(book.lessons):
        header.append(_safe_text(f"{lesson.title} total [{book.lesson_max[i]:g}]"))
    header += ["total_points", "max_points", "percent"]
    writer.writerow(header)
    for row in book.rows:
        s = row.student
        writer.writerow(
            [
                _safe_text(s.get_username()),
                _safe_text(s.email),
                _safe_text(s.last_name),
                _safe_text(s.first_name),
                *(_num(c.points) for c in row.cells),
                *(_num(t) for t in row.lesson_totals),
                _num(row.total),
                _num(book.max_points),
                _num(row.percent),
            ]
        )
    return out.getvalue()


# --- Item analytics -----------------------------------------------------------------------------


def item_analytics(item: Item, *, top: int = 10) -> dict[str, Any]:
    """Attempts, first-try success, tries per student, common wrong readings, misconceptions."""
    attempts = Attempt.objects.filter(item=item)
    totals = attempts.aggregate(
        attempts=Count("id"),
        students=Count("student", distinct=True),
        first=Count("id", filter=Q(number=1)),
        first_correct=Count("id", filter=Q(number=1, correct=True)),
        correct_students=Count("student", filter=Q(correct=True), distinct=True),
    )
    declared = {
        str(m.get("answer", "")).strip()
        for m in item.spec.get("mistakes") or []
        if isinstance(m, dict)
    }
    wrong = attempts.filter(status=AttemptStatus.GRADED, correct=False)
    groups = []
    for row in (
        wrong.values("interpreted_as")
        .annotate(count=Count("id"), students=Count("student", distinct=True))
        .order_by("-count", "interpreted_as")[:top]
    ):
        reading = row["interpreted_as"]
        examples = []
        for response in (
            wrong.filter(interpreted_as=reading)
            .order_by()
            .values_list("response", flat=True)
            .distinct()[:20]
        ):
            text = _short(answer_text(item.spec, response))
            if text not in examples:
                examples.append(text)
            if len(examples) == 3:
                break
        tags = (
            wrong.filter(interpreted_as=reading)
            .exclude(misconception="")
            .order_by()
            .values_list("misconception", flat=True)
            .distinct()
        )
        groups.append(
            {
                "reading": reading,
                "count": row["count"],
                "students": row["students"],
                "examples": examples,
                "misconceptions": sorted(tags),
                "declared": bool(reading) and reading.strip() in declared,
            }
        )
    misconceptions = [
        {"tag": r["misconception"], "count": r["count"], "students": r["students"]}
        for r in attempts.exclude(misconception="")
        .values("misconception")
        .annotate(count=Count("id"), students=Count("student", distinct=True))
        .order_by("-count", "misconception")
    ]
    first = totals["first"] or 0
    students = totals["students"] or 0
    return {
        "item": item.key,
        "title": item.title or item.key,
        "type": item.type,
        "attempts": totals["attempts"],
        "students": students,
        "first_try_correct": (totals["first_correct"] / first) if first else None,
        "students_correct": totals["correct_students"],
        "average_tries": (totals["attempts"] / students) if students else None,
        "wrong_answers": groups,
        "misconceptions": misconceptions,
        "declared_mistakes": [m for m in item.spec.get("mistakes") or [] if isinstance(m, dict)],
    }


def answering_students(item: Item) -> list[tuple[str, str]]:
    """(username, "Full Name (username)") of everyone who answered ``item``, for a dropdown."""
    from django.contrib.auth import get_user_model

    users = (
        get_user_model()
        .objects.filter(attempts__item=item)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
    return [
        (
            u.get_username(),
            f"{u.get_full_name()} ({u.get_username()})" if u.get_full_name() else u.get_username(),
        )
        for u in users
    ]


def key_lines(item: Item) -> list[tuple[str, str]]:
    """The answer key as a teacher reads it: (part label, key) pairs; choices by their text."""
    import graders

    spec = item.spec or {}
    single = item.type not in ("multipart", "exercise")
    parts = [spec] if single else [p for p in spec.get("parts", []) or [] if isinstance(p, dict)]
    try:
        keys = graders.answer_key(spec)
    except (graders.InvalidSpec, ValueError):
        keys = {}
    lines: list[tuple[str, str]] = []
    for part in parts:
        pid = "" if single else str(part.get("id", ""))
        label = "" if single else str(part.get("label") or pid)
        if part.get("type") == "multiple_choice":
            right = [str(c.get("text", "")) for c in part.get("choices", []) if c.get("correct")]
            lines.append((label, "; ".join(right)))
        elif part.get("type") in ("numeric", "symbolic"):
            key = keys.get(pid) or (next(iter(keys.values()), None) if single else None)
            lines.append((label, key.canonical if key else str(part.get("answer", ""))))
    return lines


def _short(text: str) -> str:
    return text if len(text) <= 120 else text[:117] + "..."


def course_item_stats(course: Course) -> list[dict[str, Any]]:
    """One summary line per item of the course (attempts, first-try share, tries), one query."""
    rows = {
        r["item_id"]: r
        for r in Attempt.objects.filter(item__course=course)
        .values("item_id")
        .annotate(
            attempts=Count("id"),
            students=Count("student", distinct=True),
            first=Count("id", filter=Q(number=1)),
            first_correct=Count("id", filter=Q(number=1, correct=True)),
        )
    }
    stats = []
    for item in (
        Item.objects.filter(course=course)
        .select_related("lesson")
        .order_by("lesson__order", "order", "id")
    ):
        r = rows.get(item.pk, {})
        first = r.get("first") or 0
        students = r.get("students") or 0
        stats.append(
            {
                "item": item,
                "key": item.key,
                "title": item.title or item.key,
                "lesson": item.lesson.title,
                "lesson_order": item.lesson.order,
                "type": item.type,
                "type_label": item_type_label(item.type),
                "retired": item.is_retired or item.lesson.is_retired,
                "attempts": r.get("attempts", 0),
                "students": students,
                "first_try_correct": (r["first_correct"] / first) if first else None,
                "average_tries": (r["attempts"] / students) if students else None,
            }
        )
    return stats


def course_misconceptions(course: Course) -> list[dict[str, Any]]:
    """Counts per misconception tag across the course, with the items where each shows up."""
    rows = (
        Attempt.objects.filter(item__course=course)
        .exclude(misconception="")
        .values("misconception", "item__key")
        .annotate(count=Count("id"), students=Count("student", distinct=True))
    )
    tags: dict[str, dict[str, Any]] = {}
    for r in rows:
        tag = tags.setdefault(
            r["misconception"], {"tag": r["misconception"], "count": 0, "items": {}}
        )
        tag["count"] += r["count"]
        tag["items"][r["item__key"]] = r["count"]
    students = dict(
        Attempt.objects.filter(item__course=course)
        .exclude(misconception="")
        .values("misconception")
        .annotate(n=Count("student", distinct=True))
        .values_list("misconception", "n")
    )
    result = []
    for tag in sorted(tags.values(), key=lambda t: (-t["count"], t["tag"])):
        tag["students"] = students.get(tag["tag"], 0)
        tag["items"] = [
            {"key": k, "count": n} for k, n in sorted(tag["items"].items(), key=lambda kv: -kv[1])
        ]
        result.append(tag)
    return result
