"""Progress: XP, levels, lesson completion and achievements, awarded idempotently.

``on_attempt_scored(attempt)`` is the one entry point. ``quizzes.services.submit_answer``
calls it after storing an attempt; the teacher's review and override call it again after
changing a score. Every award is a row unique per (student, thing) and an item's XP is
recomputed from all of the student's attempts at it, so calling it any number of times for
the same state changes nothing and returns no awards.

XP rules (written down for students on the dashboard):

- An item earns ``XP_PER_POINT × points`` when answered correctly at the first try, and less
  after retries: ×0.75 at the second try, ×0.5 at the third, ×0.25 after that.
- A teacher-reviewed item (free text, exercise) or an overridden score earns in proportion to
  the score the teacher gave, with the same factor for retries.
- An item earns once: its best attempt counts. If a teacher lowers a score, the XP goes down.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Max, Min, Q, Sum
from django.utils import timezone

from gradebook import hotpath
from gradebook.bulksql import insert_rows, update_rows
from gradebook.courses.models import REVIEWED_TYPES, Course, Item, ItemType, Lesson
from gradebook.progress import achievements
from gradebook.progress.levels import LevelStatus, level_for
from gradebook.progress.models import (
    AchievementUnlock,
    LessonCompletion,
    StudentProgress,
    XPAward,
)
from gradebook.quizzes.models import Attempt, AttemptStatus, GradeSource

XP_PER_POINT = 20
TRY_FACTORS = (1.0, 0.75, 0.5, 0.25)


@dataclass(frozen=True)
class Award:
    """Something a scored attempt earned, for the "+20 XP" and badge toasts."""

    kind: str  # "xp" | "level" | "lesson" | "course" | "achievement"
    code: str
    title: str
    amount: int = 0
    icon: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "code": self.code,
            "title": self.title,
            "amount": self.amount,
            "icon": self.icon,
        }


@dataclass(frozen=True)
class ItemXP:
    """The XP one student's award row for one item holds (``award_id`` None: no row yet).

    ``submit_answer`` reads it with its other per-answer facts, under the progress lock, and
    passes it on so that awarding XP costs no query of its own.
    """

    award_id: int | None
    xp: int


def try_factor(number: int) -> float:
    return TRY_FACTORS[min(max(number, 1), len(TRY_FACTORS)) - 1]


def xp_for_attempt(
    *,
    points: float,
    number: int,
    status: str,
    correct: bool,
    score: float | None,
    score_source: str = GradeSource.AUTO,
) -> int:
    """The XP one attempt is worth (an item earns the best over its attempts)."""
    if correct and status in (AttemptStatus.GRADED, AttemptStatus.REVIEWED):
        credit = 1.0
    elif score is not None and (
        status == AttemptStatus.REVIEWED
        or score_source in (GradeSource.REVIEW, GradeSource.OVERRIDE)
    ):
        credit = max(0.0, min(float(score), 1.0))
    else:
        credit = 0.0
    return round(XP_PER_POINT * float(points) * credit * try_factor(number))


def total_xp(student: Any) -> int:
    return int(XPAward.objects.filter(student=student).aggregate(t=Sum("xp"))["t"] or 0)


# --- Item and lesson states ---------------------------------------------------------------------


@dataclass
class ItemState:
    """How far a student is with one item (for lesson pages and completion)."""

    attempts: int = 0
    correct: bool = False
    first_correct_try: int | None = None
    pending_review: bool = False
    best_score: float | None = None

    def done(self, item_type: str, max_attempts: int | None) -> bool:
        if self.correct:
            return True
        if item_type in REVIEWED_TYPES and self.attempts > 0:
            return True
        return bool(max_attempts) and self.attempts >= (max_attempts or 0)


def item_states(student: Any, items: Any) -> dict[int, ItemState]:
    """``{item_id: ItemState}`` for ``items`` (a queryset or list of ids), in one query."""
    rows = (
        Attempt.objects.filter(student=student, item__in=items)
        .values("item_id")
        .annotate(
            n=Count("id"),
            n_correct=Count("id", filter=Q(correct=True)),
            first_correct=Min("number", filter=Q(correct=True)),
            n_pending=Count("id", filter=Q(status=AttemptStatus.PENDING_REVIEW)),
            best=Max("score"),
        )
    )
    states: dict[int, ItemState] = {}
    for row in rows:
        states[row["item_id"]] = ItemState(
            attempts=row["n"],
            correct=row["n_correct"] > 0,
            first_correct_try=row["first_correct"],
            pending_review=row["n_pending"] > 0,
            best_score=row["best"],
        )
    return states


@dataclass
class LessonProgress:
    lesson_id: int
    items_total: int
    items_done: int
    complete: bool
    perfect: bool

    @property
    def percent(self) -> int:
        return 100 if self.items_total == 0 else int(100 * self.items_done / self.items_total)


def _lesson_progress(
    lesson_id: int, items: list[dict[str, Any]], states: dict[int, ItemState]
) -> LessonProgress:
    done = 0
    perfect = bool(items)
    for it in items:
        state = states.get(it["id"], ItemState())
        if state.done(it["type"], it["max_attempts"]):
            done += 1
        if it["type"] not in REVIEWED_TYPES and state.first_correct_try != 1:
            perfect = False
        if it["type"] in REVIEWED_TYPES and state.attempts == 0:
            perfect = False
    complete = bool(items) and done == len(items)
    return LessonProgress(lesson_id, len(items), done, complete, complete and perfect)


def lesson_progress(student: Any, lesson: Lesson) -> LessonProgress:
    items = list(lesson.active_items().values("id", "type", "max_attempts"))
    states = item_states(student, [it["id"] for it in items])
    return _lesson_progress(lesson.pk, items, states)


# --- Course progress -------------------------------------------------------------------------


@dataclass
class CourseProgress:
    course_id: int
    xp: int  # earned in this course
    level: LevelStatus  # from the student's XP over all courses
    lessons: dict[int, LessonProgress] = field(default_factory=dict)
    achievements_unlocked: int = 0
    achievements_total: int = len(achievements.CATALOGUE)

    @property
    def items_total(self) -> int:
        return sum(lp.items_total for lp in self.lessons.values())

    @property
    def items_done(self) -> int:
        return sum(lp.items_done for lp in self.lessons.values())

    @property
    def lessons_total(self) -> int:
        return len(self.lessons)

    @property
    def lessons_completed(self) -> int:
        return sum(1 for lp in self.lessons.values() if lp.complete)

    @property
    def percent(self) -> int:
        total = self.items_total
        return 0 if total == 0 else int(100 * self.items_done / total)

    def to_dict(self) -> dict[str, Any]:
        return {
            "course_id": self.course_id,
            "xp": self.xp,
            "level": self.level.to_dict(),
            "percent": self.percent,
            "items_done": self.items_done,
            "items_total": self.items_total,
            "lessons_completed": self.lessons_completed,
            "lessons_total": self.lessons_total,
            "achievements_unlocked": self.achievements_unlocked,
            "achievements_total": self.achievements_total,
            "lessons": [
                {
                    "lesson_id": lp.lesson_id,
                    "items_done": lp.items_done,
                    "items_total": lp.items_total,
                    "percent": lp.percent,
                    "complete": lp.complete,
                }
                for lp in self.lessons.values()
            ],
        }


def progress_for(student: Any, course: Course) -> CourseProgress:
    """A student's progress in ``course``: XP, level, per-lesson and overall percentages."""
    lessons = list(course.active_lessons().values_list("id", flat=True))
    items = list(
        Item.objects.filter(
            course=course, retired_at__isnull=True, lesson__retired_at__isnull=True
        ).values("id", "type", "max_attempts", "lesson_id")
    )
    states = item_states(student, [it["id"] for it in items])
    by_lesson: dict[int, list[dict[str, Any]]] = {lid: [] for lid in lessons}
    for it in items:
        by_lesson.setdefault(it["lesson_id"], []).append(it)
    xp_rows = XPAward.objects.filter(student=student).aggregate(
        total=Sum("xp"), here=Sum("xp", filter=Q(course=course))
    )
    return CourseProgress(
        course_id=course.pk,
        xp=int(xp_rows["here"] or 0),
        level=level_for(int(xp_rows["total"] or 0)),
        lessons={lid: _lesson_progress(lid, by_lesson[lid], states) for lid in lessons},
        achievements_unlocked=AchievementUnlock.objects.filter(student=student).count(),
    )


@dataclass
class Dashboard:
    level: LevelStatus
    achievements: list[dict[str, Any]]  # the whole catalogue, each with "unlocked_at" or None
    courses: list[tuple[Course, CourseProgress]]
    lessons_completed: int
    lessons_total: int
    streak_days: int = 0

    @property
    def achievements_unlocked(self) -> int:
        return sum(1 for a in self.achievements if a["unlocked_at"] is not None)

    @property
    def percent(self) -> int:
        """Done items over all items of all the student's courses."""
        total = sum(p.items_total for _, p in self.courses)
        done = sum(p.items_done for _, p in self.courses)
        return 0 if total == 0 else int(100 * done / total)


def dashboard_for(student: Any) -> Dashboard:
    unlocked = dict(
        AchievementUnlock.objects.filter(student=student).values_list("code", "unlocked_at")
    )
    catalogue = [
        {**a.to_dict(), "unlocked_at": unlocked.get(a.code)} for a in achievements.CATALOGUE
    ]
    courses = list(Course.objects.filter(enrollments__student=student).order_by("title"))
    progress = [(c, progress_for(student, c)) for c in courses]
    row = StudentProgress.objects.filter(student=student).first()
    return Dashboard(
        streak_days=row.current_streak(timezone.localdate()) if row else 0,
        level=level_for(total_xp(student)),
        achievements=catalogue,
        courses=progress,
        lessons_completed=sum(p.lessons_completed for _, p in progress),
        lessons_total=sum(p.lessons_total for _, p in progress),
    )


# --- Awarding ------------------------------------------------------------------------------


def _courses_completed(student_ids: list[int]) -> dict[int, int]:
    """How many courses each student has finished every active lesson of."""
    done = list(
        LessonCompletion.objects.filter(student_id__in=student_ids, lesson__retired_at__isnull=True)
        .values("student_id", "course_id")
        .annotate(n=Count("id"))
        .values_list("student_id", "course_id", "n")
    )
    if not done:
        return {}
    totals = dict(
        Lesson.objects.filter(course_id__in={c for _, c, _ in done}, retired_at__isnull=True)
        .values("course_id")
        .annotate(n=Count("id"))
        .values_list("course_id", "n")
    )
    finished: dict[int, int] = {}
    for student_id, course_id, n in done:
        if n >= totals.get(course_id, 0) > 0:
            finished[student_id] = finished.get(student_id, 0) + 1
    return finished


def _snapshots(standing: dict[int, tuple[int, int]]) -> dict[int, achievements.Snapshot]:
    """Each student's ``Snapshot``, from ``standing`` (student id -> XP, streak days): the
    same handful of grouped queries for one student (an answer) or thousands (a regrade)."""
    ids = list(standing)
    counts = {
        row["student_id"]: row
        for row in Attempt.objects.filter(student_id__in=ids)
        .values("student_id")
        .annotate(
            answers=Count("id"),
            reviewed=Count("id", filter=Q(status=AttemptStatus.REVIEWED)),
            exercises=Count("id", filter=Q(item__type=ItemType.EXERCISE)),
        )
        .order_by()
    }
    firsts: dict[int, list[tuple[int, str]]] = {sid: [] for sid in ids}
    for student_id, first, kind in (
        Attempt.objects.filter(student_id__in=ids, correct=True)
        .values("student_id", "item_id")
        .annotate(first=Min("number"), kind=F("item__type"))
        .values_list("student_id", "first", "kind")
        .order_by()
    ):
        firsts[student_id].append((first, kind))
    lessons = {
        row["student_id"]: row
        for row in LessonCompletion.objects.filter(student_id__in=ids)
        .values("student_id")
        .annotate(n=Count("id"), perfect=Count("id", filter=Q(perfect=True)))
        .order_by()
    }
    courses = _courses_completed(ids) if lessons else {}
    snapshots = {}
    for sid, (xp, streak_days) in standing.items():
        count = counts.get(sid, {})
        lesson = lessons.get(sid, {})
        mine = firsts[sid]
        snapshots[sid] = achievements.Snapshot(
            answers=count.get("answers", 0),
            correct_items=len(mine),
            first_try_items=sum(1 for first, _ in mine if first == 1),
            comeback_items=sum(1 for first, _ in mine if first >= 2),
            persistent_items=sum(1 for first, _ in mine if first >= 3),
            symbolic_items=sum(1 for _, kind in mine if kind == ItemType.SYMBOLIC),
            multipart_items=sum(1 for _, kind in mine if kind == ItemType.MULTIPART),
            reviewed_answers=count.get("reviewed", 0),
            exercises_submitted=count.get("exercises", 0),
            lessons_completed=lesson.get("n", 0),
            perfect_lessons=lesson.get("perfect", 0),
            courses_completed=courses.get(sid, 0),
            streak_days=streak_days,
            xp=xp,
        )
    return snapshots


def _snapshot(student: Any, xp: int, streak_days: int) -> achievements.Snapshot:
    return _snapshots({student.pk: (xp, streak_days)})[student.pk]


def lock_progress(student: Any) -> StudentProgress:
    """The student's progress row, locked until the transaction ends (one writer per student).

    Created on first use with the XP the student already has (``gradebook.hotpath``).
    """
    return hotpath.lock_progress(student.pk)


def may_skip_progress_lock(
    *,
    correct: bool,
    number: int,
    max_attempts: int | None,
    last_active_on: datetime.date | None,
    day: datetime.date,
) -> bool:
    """Whether an answer can be stored without the student's progress lock, because
    ``on_attempt_scored`` would change nothing for it.

    An answer that is not correct earns no XP, and ``on_attempt_scored`` then changes
    progress only for the first try at an item (first-try achievements), the last try the
    item allows (the item is then done, which may complete its lesson) or the student's first
    answer of the day (the streak). Any other such answer, a wrong retry on an active day,
    changes only what an achievement could read as "one more answer" (``Snapshot.answers``,
    and ``exercises_submitted`` for an exercise, both already at least 1): no achievement in
    the catalogue turns on such a step, which tests/gradebook/progress/test_lock_rule.py
    checks for every one of them. An achievement that counts answers must change this rule.
    """
    if correct:
        return False
    active_today = last_active_on is not None and last_active_on >= day
    last_try = bool(max_attempts and number >= max_attempts)
    return number > 1 and not last_try and active_today


def _recompute_item_xp(attempt: Attempt, item: Item) -> tuple[int, int]:
    """Store the item's XP (best over all the student's attempts); return (old, new).

    The full recomputation, for when a teacher changed a score (it may have gone down).
    """
    rows = Attempt.objects.filter(student_id=attempt.student_id, item=item).values_list(
        "student_id", *_XP_COLUMNS
    )
    best, best_attempt_id = _best_item_xp(item, rows).get(attempt.student_id, (0, None))
    return _store_item_xp(attempt, item, best, best_attempt_id, only_up=False)


_XP_COLUMNS = ("id", "number", "status", "correct", "score", "score_source")


def _best_item_xp(item: Item, rows: Any) -> dict[int, tuple[int, int | None]]:
    """student id -> (best XP, its attempt id) over ``rows`` of (student id, *_XP_COLUMNS),
    the student's attempts at ``item`` in the order they are listed (ties: the first)."""
    points = float(item.points)
    best: dict[int, tuple[int, int | None]] = {}
    for student_id, attempt_id, number, status, correct, score, score_source in rows:
        xp = xp_for_attempt(
            points=points,
            number=number,
            status=status,
            correct=correct,
            score=score,
            score_source=score_source,
        )
        if xp > best.get(student_id, (0, None))[0]:
            best[student_id] = (xp, attempt_id)
    return best


def _raise_item_xp(attempt: Attempt, item: Item, known: ItemXP | None = None) -> tuple[int, int]:
    """The submit path: a new auto-graded attempt can only raise the item's XP, never lower
    it, so only this attempt's worth is compared with what the item already earned."""
    xp = xp_for_attempt(
        points=float(item.points),
        number=attempt.number,
        status=attempt.status,
        correct=attempt.correct,
        score=attempt.score,
        score_source=attempt.score_source,
    )
    if xp == 0:
        return 0, 0
    if known is not None:
        if xp <= known.xp:
            return known.xp, known.xp
        hotpath.raise_xp_award(
            award_id=known.award_id,
            student_id=attempt.student_id,
            item=item,
            xp=xp,
            attempt_id=attempt.pk,
        )
        return known.xp, xp
    return _store_item_xp(attempt, item, xp, attempt.pk, only_up=True)


def _store_item_xp(
    attempt: Attempt, item: Item, best: int, best_attempt_id: int | None, *, only_up: bool
) -> tuple[int, int]:
    award = hotpath.xp_award(attempt.student_id, item.pk)
    if award is None:
        if best == 0:
            return 0, 0
        XPAward.objects.create(
            student_id=attempt.student_id,
            item=item,
            course_id=item.course_id,
            xp=best,
            attempt_id=best_attempt_id,
        )
        return 0, best
    old = award.xp
    if old == best or (only_up and best < old):
        return old, old
    award.xp, award.attempt_id = best, best_attempt_id
    award.save(update_fields=["xp", "attempt", "updated_at"])
    return old, best


def on_attempt_scored(
    attempt: Attempt,
    *,
    progress: StudentProgress | None = None,
    item_xp: ItemXP | None = None,
) -> list[Award]:
    """Bring the student's XP, lessons and achievements up to date after ``attempt`` changed.

    Idempotent: returns only what is new since the last call (an empty list when nothing
    changed). Call it inside the transaction that changed the attempt; ``progress`` is the
    row the caller already locked with ``lock_progress`` (submit_answer does), else it is
    locked here; ``item_xp`` is what the item had earned, read under that lock, if the caller
    knows it (submit_answer does), and spares a query.

    The common case, another try at an item, costs one or two queries: work that cannot
    change anything is skipped (a worthless try cannot finish a lesson or unlock anything
    unless it is the first try at the item or the first answer of the day). A score set by a
    teacher (review, override, regrade) always gets the full recomputation.
    """
    item = attempt.item
    student = attempt.student
    by_teacher = attempt.score_source != GradeSource.AUTO
    awards: list[Award] = []
    with transaction.atomic(savepoint=False):
        row = progress if progress is not None else lock_progress(student)
        new_day = row.record_activity(timezone.localdate(attempt.submitted_at))

        if by_teacher:
            old, new = _recompute_item_xp(attempt, item)
        else:
            old, new = _raise_item_xp(attempt, item, item_xp)
        xp_before, xp_after = row.xp, max(row.xp + new - old, 0)
        if new != old:
            row.xp = xp_after
            awards.append(Award("xp", f"item-{item.pk}", item.title or item.key, amount=new - old))
            level_before, level_after = level_for(xp_before), level_for(xp_after)
            if level_after.number > level_before.number:
                awards.append(
                    Award(
                        "level",
                        f"level-{level_after.number}",
                        level_after.name,
                        amount=level_after.number,
                    )
                )
        if new_day or new != old:
            row.save(update_fields=["xp", "last_active_on", "streak_days", "updated_at"])

        item_may_be_done = (
            by_teacher
            or (old == 0 and new > 0)
            or (item.is_reviewed and attempt.number == 1)
            or bool(item.max_attempts and attempt.number >= item.max_attempts)
        )
        lesson_done = item_may_be_done and _complete_lesson(student, item)
        if lesson_done:
            awards.append(Award("lesson", f"lesson-{item.lesson_id}", item.lesson.title))

        if by_teacher or new_day or new != old or lesson_done or attempt.number == 1:
            awards += _unlock_achievements(student, item, row)
    return awards


def _complete_lesson(student: Any, item: Item) -> bool:
    lesson = item.lesson
    if LessonCompletion.objects.filter(student=student, lesson=lesson).exists():
        return False
    lp = lesson_progress(student, lesson)
    if not lp.complete:
        return False
    _, created = LessonCompletion.objects.get_or_create(
        student=student,
        lesson=lesson,
        defaults={"course_id": item.course_id, "perfect": lp.perfect},
    )
    return created


def _unlock_achievements(student: Any, item: Item, row: StudentProgress) -> list[Award]:
    already = set(AchievementUnlock.objects.filter(student=student).values_list("code", flat=True))
    if len(already) >= len(achievements.CATALOGUE):
        return []
    awards = []
    snapshot = _snapshot(student, row.xp, row.current_streak(timezone.localdate()))
    for achievement in achievements.newly_earned(snapshot, already):
        _, created = AchievementUnlock.objects.get_or_create(
            student=student, code=achievement.code, defaults={"course_id": item.course_id}
        )
        if created:
            awards.append(
                Award(
                    "achievement", achievement.code, str(achievement.title), icon=achievement.icon
                )
            )
    return awards


# --- After a regrade: many students at once -----------------------------------------------------


def on_item_rescored(*, item: Item, students: dict[int, datetime.date], chunk: int = 1000) -> int:
    """Bring XP, lessons and achievements up to date for many students whose scores at
    ``item`` a teacher changed at once (an applied regrade); return how many.

    ``students`` maps each student id to the day of their latest changed attempt. The result
    is what ``on_attempt_scored`` gives, called once per student with that attempt (a
    teacher's score: the item's XP recomputed from all their attempts, the lesson completed
    if it now is, achievements unlocked), computed set-wise: per chunk of students, one
    transaction with a fixed number of statements (the progress rows locked in student order,
    each student's attempts at the item read once, the awards, completions and unlocks
    written in bulk), so time grows with the rows read, not with round trips per student, and
    memory with the chunk. Idempotent: a second call finds nothing to change.
    """
    ids = sorted(students)
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        with transaction.atomic():
            _rescored_chunk(item, {sid: students[sid] for sid in part})
    return len(ids)


def _locked_rows(student_ids: list[int]) -> dict[int, StudentProgress]:
    """The students' progress rows, locked in student order; created (with the XP their
    awards add up to) where missing, as ``lock_progress`` does."""
    locked = StudentProgress.objects.select_for_update().filter(student_id__in=student_ids)
    rows = {row.student_id: row for row in locked.order_by("student_id")}
    missing = [sid for sid in student_ids if sid not in rows]
    if missing:
        totals = dict(
            XPAward.objects.filter(student_id__in=missing)
            .values("student_id")
            .annotate(t=Sum("xp"))
            .values_list("student_id", "t")
        )
        StudentProgress.objects.bulk_create(
            [StudentProgress(student_id=sid, xp=int(totals.get(sid) or 0)) for sid in missing],
            ignore_conflicts=True,
        )
        rows.update(
            {
                row.student_id: row
                for row in locked.filter(student_id__in=missing).order_by("student_id")
            }
        )
    return rows


def _rescored_chunk(item: Item, days: dict[int, datetime.date]) -> None:
    ids = list(days)
    rows = _locked_rows(ids)
    touched = {sid for sid, row in rows.items() if row.record_activity(days[sid])}

    # The item's XP: the best over each student's attempts at it.
    attempts = (
        Attempt.objects.filter(item=item, student_id__in=ids)
        .order_by("student_id", "-submitted_at", "-id")
        .values_list("student_id", *_XP_COLUMNS)
    )
    best = _best_item_xp(item, attempts.iterator(chunk_size=2000))
    awards = {a.student_id: a for a in XPAward.objects.filter(item=item, student_id__in=ids)}
    now = timezone.now()
    created, updated = [], []
    for sid in ids:
        xp, attempt_id = best.get(sid, (0, None))
        award = awards.get(sid)
        old = award.xp if award is not None else 0
        if award is None and xp:
            created.append((sid, item.course_id, item.pk, attempt_id, xp, now, now))
        elif award is not None and old != xp:
            award.xp, award.attempt_id, award.updated_at = xp, attempt_id, now
            updated.append(award)
        if xp != old:
            rows[sid].xp = max(rows[sid].xp + xp - old, 0)
            touched.add(sid)
    insert_rows(
        XPAward, ["student", "course", "item", "attempt", "xp", "awarded_at", "updated_at"], created
    )
    update_rows(XPAward, ["xp", "attempt", "updated_at"], updated)
    for row in (rows[sid] for sid in touched):
        row.updated_at = now
    update_rows(
        StudentProgress,
        ["xp", "last_active_on", "streak_days", "updated_at"],
        [rows[sid] for sid in sorted(touched)],
    )

    _complete_lesson_for(item, ids)
    _unlock_achievements_for(item, rows)


def _complete_lesson_for(item: Item, student_ids: list[int]) -> None:
    """``_complete_lesson`` for many students: the lesson's completion where it now is."""
    lesson = item.lesson
    done = set(
        LessonCompletion.objects.filter(lesson=lesson, student_id__in=student_ids).values_list(
            "student_id", flat=True
        )
    )
    open_ids = [sid for sid in student_ids if sid not in done]
    if not open_ids:
        return
    items = list(lesson.active_items().values("id", "type", "max_attempts"))
    states: dict[int, dict[int, ItemState]] = {sid: {} for sid in open_ids}
    for row in (
        Attempt.objects.filter(student_id__in=open_ids, item__in=[it["id"] for it in items])
        .values("student_id", "item_id")
        .annotate(
            n=Count("id"),
            n_correct=Count("id", filter=Q(correct=True)),
            first_correct=Min("number", filter=Q(correct=True)),
            n_pending=Count("id", filter=Q(status=AttemptStatus.PENDING_REVIEW)),
            best=Max("score"),
        )
        .order_by()
    ):
        states[row["student_id"]][row["item_id"]] = ItemState(
            attempts=row["n"],
            correct=row["n_correct"] > 0,
            first_correct_try=row["first_correct"],
            pending_review=row["n_pending"] > 0,
            best_score=row["best"],
        )
    now = timezone.now()
    completions = []
    for sid in open_ids:
        progress = _lesson_progress(lesson.pk, items, states[sid])
        if progress.complete:
            completions.append((sid, lesson.pk, item.course_id, progress.perfect, now))
    insert_rows(
        LessonCompletion,
        ["student", "lesson", "course", "perfect", "completed_at"],
        completions,
        ignore_conflicts=True,
    )


def _unlock_achievements_for(item: Item, rows: dict[int, StudentProgress]) -> None:
    """``_unlock_achievements`` for many students."""
    already: dict[int, set[str]] = {sid: set() for sid in rows}
    for sid, code in AchievementUnlock.objects.filter(student_id__in=list(rows)).values_list(
        "student_id", "code"
    ):
        already[sid].add(code)
    today = timezone.localdate()
    standing = {
        sid: (row.xp, row.current_streak(today))
        for sid, row in rows.items()
        if len(already[sid]) < len(achievements.CATALOGUE)
    }
    if not standing:
        return
    now = timezone.now()
    unlocks = [
        (sid, earned.code, item.course_id, now)
        for sid, snapshot in _snapshots(standing).items()
        for earned in achievements.newly_earned(snapshot, already[sid])
    ]
    insert_rows(
        AchievementUnlock,
        ["student", "code", "course", "unlocked_at"],
        unlocks,
        ignore_conflicts=True,
    )
