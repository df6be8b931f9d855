"""The achievement catalogue, in code: each entry says what it takes, checked on a snapshot.

A ``Snapshot`` is computed once per scored attempt from a handful of aggregate queries, and
each achievement is a pure predicate over it, so the catalogue is cheap to extend and to test.
Unlocks are stored by code (``AchievementUnlock``) and never revoked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Snapshot:
    answers: int = 0  # attempts stored, all items
    correct_items: int = 0  # items with a correct attempt
    first_try_items: int = 0  # items correct on the first try
    comeback_items: int = 0  # items correct after at least one earlier try
    persistent_items: int = 0  # items correct on the third try or later
    symbolic_items: int = 0  # symbolic items correct
    multipart_items: int = 0  # multipart items fully correct
    reviewed_answers: int = 0  # answers a teacher has returned
    exercises_submitted: int = 0
    lessons_completed: int = 0
    perfect_lessons: int = 0
    courses_completed: int = 0
    streak_days: int = 0  # consecutive days, ending today, with at least one answer
    xp: int = 0


@dataclass(frozen=True)
class Achievement:
    code: str
    title: object  # lazy translation
    description: object
    icon: str
    earned: Callable[[Snapshot], bool]

    def to_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "title": str(self.title),
            "description": str(self.description),
            "icon": self.icon,
        }


CATALOGUE: tuple[Achievement, ...] = (
    Achievement(
        "first-answer",
        _("First step"),
        _("Submit your first answer."),
        "👣",
        lambda s: s.answers >= 1,
    ),
    Achievement(
        "first-correct",
        _("First correct answer"),
        _("Get an item right."),
        "✅",
        lambda s: s.correct_items >= 1,
    ),
    Achievement(
        "bullseye",
        _("Bullseye"),
        _("Get an item right on the first try."),
        "🎯",
        lambda s: s.first_try_items >= 1,
    ),
    Achievement(
        "ten-correct",
        _("Ten right"),
        _("Get ten items right."),
        "🔟",
        lambda s: s.correct_items >= 10,
    ),
    Achievement(
        "fifty-correct",
        _("Half a hundred"),
        _("Get fifty items right."),
        "🏅",
        lambda s: s.correct_items >= 50,
    ),
    Achievement(
        "comeback",
        _("Comeback"),
        _("Get an item right after a wrong try."),
        "🔁",
        lambda s: s.comeback_items >= 1,
    ),
    Achievement(
        "persistent",
        _("Persistent"),
        _("Get an item right on the third try or later."),
        "🧗",
        lambda s: s.persistent_items >= 1,
    ),
    Achievement(
        "exact-thinker",
        _("Exact thinker"),
        _("Get a symbolic item right."),
        "∑",
        lambda s: s.symbolic_items >= 1,
    ),
    Achievement(
        "all-parts",
        _("All parts"),
        _("Get every part of a multipart item right."),
        "🧩",
        lambda s: s.multipart_items >= 1,
    ),
    Achievement(
        "lesson-done",
        _("Lesson done"),
        _("Finish every item of a lesson."),
        "📘",
        lambda s: s.lessons_completed >= 1,
    ),
    Achievement(
        "clean-sweep",
        _("Clean sweep"),
        _("Finish a lesson with every item right on the first try."),
        "✨",
        lambda s: s.perfect_lessons >= 1,
    ),
    Achievement(
        "five-lessons",
        _("Five lessons"),
        _("Finish five lessons."),
        "📚",
        lambda s: s.lessons_completed >= 5,
    ),
    Achievement(
        "course-complete",
        _("Course complete"),
        _("Finish every lesson of a course."),
        "🎓",
        lambda s: s.courses_completed >= 1,
    ),
    Achievement(
        "streak-3",
        _("Three-day streak"),
        _("Answer something three days in a row."),
        "🔥",
        lambda s: s.streak_days >= 3,
    ),
    Achievement(
        "streak-7",
        _("Week streak"),
        _("Answer something seven days in a row."),
        "📅",
        lambda s: s.streak_days >= 7,
    ),
    Achievement("xp-500", _("500 XP"), _("Earn 500 XP."), "⭐", lambda s: s.xp >= 500),
    Achievement("xp-2000", _("2,000 XP"), _("Earn 2,000 XP."), "🌟", lambda s: s.xp >= 2000),
    Achievement(
        "reviewed",
        _("Feedback received"),
        _("Have a teacher review one of your answers."),
        "📝",
        lambda s: s.reviewed_answers >= 1,
    ),
    Achievement(
        "maker",
        _("Maker"),
        _("Submit your first exercise."),
        "🛠️",
        lambda s: s.exercises_submitted >= 1,
    ),
)

BY_CODE: dict[str, Achievement] = {a.code: a for a in CATALOGUE}


def newly_earned(snapshot: Snapshot, already: set[str]) -> list[Achievement]:
    """The achievements ``snapshot`` earns that are not in ``already``, in catalogue order."""
    return [a for a in CATALOGUE if a.code not in already and a.earned(snapshot)]
