"""The charts on the teacher's analytics pages and the student's dashboard.

Each function runs one or two aggregate queries and hands the numbers to
``gradebook.ui.charts``, which lays them out; the data table behind each chart is the same
numbers, so what the picture says can always be read exactly.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db.models import Count, Max, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from gradebook.courses.models import Course, Item
from gradebook.quizzes.models import Attempt
from gradebook.ui.charts import Chart, bar_chart, histogram, line_chart

SCORE_EDGES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
SCORE_LABELS = ("0–19%", "20–39%", "40–59%", "60–79%", "80–100%")
TRIES_SHOWN = 5  # 1, 2, 3, 4, then "5+"
MISCONCEPTIONS_SHOWN = 10
MAX_DAYS = 60  # a line over more days than this shows the latest ones


def item_charts(item: Item) -> list[Chart]:
    """Score distribution, tries to the first right answer, misconception bars for one item."""
    per_student = list(
        Attempt.objects.filter(item=item)
        .values("student")
        .annotate(
            best=Max("score", filter=Q(score__isnull=False)),
            first_right=Min("number", filter=Q(correct=True)),
        )
        .values_list("best", "first_right")
    )
    scored = [best for best, _first in per_student if best is not None]
    scores = bar_chart(
        f"chart-scores-{item.pk}",
        _("Best score per student"),
        histogram(scored, SCORE_EDGES, SCORE_LABELS),
        description=_("How many students reached each band of score on this item (best try)."),
        x_label=_("Best score"),
        y_label=_("Students"),
    )
    if not scored:
        scores.rows = []
    tries = bar_chart(
        f"chart-tries-{item.pk}",
        _("Tries to the first right answer"),
        _tries_bins(first for _best, first in per_student) if per_student else [],
        description=_("How many tries each student needed to be right; some are not right yet."),
        x_label=_("Tries"),
        y_label=_("Students"),
    )
    misconceptions = misconception_chart(
        f"chart-mis-{item.pk}", _top_tags(Attempt.objects.filter(item=item))
    )
    return [scores, tries, misconceptions]


def _tries_bins(first_right: Iterable[int | None]) -> list[tuple[str, int]]:
    counts = {str(n): 0 for n in range(1, TRIES_SHOWN)}
    more, never = f"{TRIES_SHOWN}+", _("not yet")
    counts[more] = 0
    counts[never] = 0
    for n in first_right:
        if n is None:
            counts[never] += 1
        elif n >= TRIES_SHOWN:
            counts[more] += 1
        else:
            counts[str(n)] += 1
    return list(counts.items())


def _top_tags(attempts: Any) -> list[tuple[str, int]]:
    """The most frequent misconception tags among ``attempts``, with their counts."""
    return list(
        attempts.exclude(misconception="")
        .values("misconception")
        .annotate(n=Count("id"))
        .order_by("-n", "misconception")
        .values_list("misconception", "n")[:MISCONCEPTIONS_SHOWN]
    )


def misconception_chart(chart_id: str, tags: list[tuple[str, int]]) -> Chart:
    return bar_chart(
        chart_id,
        _("Misconceptions"),
        tags,
        description=_("Wrong answers tagged with each misconception, most frequent first."),
        x_label=_("Misconception"),
        y_label=_("Answers"),
    )


def course_charts(course: Course) -> list[Chart]:
    """The class's progress over time and the course's misconception bars."""
    firsts = (
        Attempt.objects.filter(item__course=course, correct=True)
        .values("student", "item")
        .annotate(first=Min("submitted_at"))
    )
    per_day: dict[date, int] = {}
    for row in firsts:
        day = row["first"].date()
        per_day[day] = per_day.get(day, 0) + 1
    progress = line_chart(
        f"chart-progress-{course.pk}",
        _("Items solved by the class, over time"),
        _cumulative(per_day),
        description=_("Running total of (student, item) pairs answered right, by day."),
        x_label=_("Day"),
        y_label=_("Items solved"),
    )
    tags = _top_tags(Attempt.objects.filter(item__course=course))
    return [progress, misconception_chart(f"chart-mis-course-{course.pk}", tags)]


def xp_chart(student: Any) -> Chart:
    """The student's XP over time (the sum of their award rows, by day)."""
    from gradebook.progress.models import XPAward

    per_day = dict(
        XPAward.objects.filter(student=student, xp__gt=0)
        .annotate(day=TruncDate("awarded_at"))
        .values("day")
        .annotate(xp=Sum("xp"))
        .values_list("day", "xp")
    )
    return line_chart(
        "chart-xp",
        _("Your XP over time"),
        _cumulative(per_day),
        description=_("Your total XP at the end of each day you earned some."),
        x_label=_("Day"),
        y_label=_("XP"),
    )


def _cumulative(per_day: dict[date, int]) -> list[tuple[str, float]]:
    total = 0
    out: list[tuple[str, float]] = []
    for day in sorted(per_day):
        total += per_day[day]
        out.append((day.isoformat(), float(total)))
    return out[-MAX_DAYS:]
