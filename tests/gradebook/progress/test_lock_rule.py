"""The rule for storing an answer without the progress lock, held against every achievement.

``may_skip_progress_lock`` lets a wrong retry on an active day skip ``on_attempt_scored``.
That is only sound while no achievement can turn on what such an answer changes: one more
answer (``Snapshot.answers``), and one more exercise for an exercise item, each already at
least 1 since the answer is not the first try. A new achievement that counts answers makes
``test_no_achievement_turns_on_an_answer_that_skips_the_lock`` fail until the rule changes.
"""

import dataclasses
import datetime
import random

import pytest

from gradebook.progress.achievements import CATALOGUE, Achievement, Snapshot
from gradebook.progress.services import may_skip_progress_lock

TODAY = datetime.date(2026, 3, 10)
YESTERDAY = TODAY - datetime.timedelta(days=1)

#: Values around every threshold an achievement might use.
VALUES = (0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 19, 20, 49, 50, 99, 100, 499, 500, 999, 1000, 1999, 2000)


def _snapshots(count=4000, seed=19):
    rng = random.Random(seed)
    names = [f.name for f in dataclasses.fields(Snapshot)]
    for _ in range(count):
        yield Snapshot(**{name: rng.choice(VALUES) for name in names})


def _turns_on(achievement: Achievement) -> list[tuple[Snapshot, Snapshot]]:
    """Steps an answer that skips the lock can make, before and after, that earn it."""
    found = []
    for before in _snapshots():
        if before.answers < 1:
            continue  # not a first try: the student has answered before
        steps = [dataclasses.replace(before, answers=before.answers + 1)]
        if before.exercises_submitted >= 1:  # an exercise's retry
            steps.append(
                dataclasses.replace(
                    before,
                    answers=before.answers + 1,
                    exercises_submitted=before.exercises_submitted + 1,
                )
            )
        found += [(before, after) for after in steps if achievement.earned(after)]
        found = [(b, a) for b, a in found if not achievement.earned(b)]
    return found


@pytest.mark.parametrize("achievement", CATALOGUE, ids=lambda a: a.code)
def test_no_achievement_turns_on_an_answer_that_skips_the_lock(achievement):
    assert _turns_on(achievement) == []


def test_the_check_catches_an_achievement_that_counts_answers():
    hundred = Achievement("hundred", "100 answers", "", "", lambda s: s.answers >= 100)
    assert _turns_on(hundred)


@pytest.mark.parametrize(
    ("correct", "number", "max_attempts", "last_active_on", "skips"),
    [
        (False, 2, None, TODAY, True),  # a wrong retry on an active day
        (False, 3, 5, TODAY, True),
        (True, 2, None, TODAY, False),  # earns XP
        (False, 1, None, TODAY, False),  # first try: first-try achievements
        (False, 3, 3, TODAY, False),  # the last try: the item is done
        (False, 2, None, YESTERDAY, False),  # first answer of the day: the streak
        (False, 2, None, None, False),  # no progress row yet
    ],
)
def test_only_a_wrong_retry_on_an_active_day_skips_the_lock(
    correct, number, max_attempts, last_active_on, skips
):
    assert (
        may_skip_progress_lock(
            correct=correct,
            number=number,
            max_attempts=max_attempts,
            last_active_on=last_active_on,
            day=TODAY,
        )
        is skips
    )
