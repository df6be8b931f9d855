"""The catalogue: at least 14 achievements, each a predicate over a snapshot."""

from gradebook.progress.achievements import BY_CODE, CATALOGUE, Snapshot, newly_earned


def test_there_are_at_least_14_with_unique_codes():
    assert len(CATALOGUE) >= 14
    assert len(BY_CODE) == len(CATALOGUE)


def test_a_blank_snapshot_earns_nothing():
    assert newly_earned(Snapshot(), set()) == []


def test_a_first_correct_answer_earns_first_step_and_first_correct():
    codes = [a.code for a in newly_earned(Snapshot(answers=1, correct_items=1), set())]
    assert codes == ["first-answer", "first-correct"]


def test_it_does_not_repeat_what_is_already_unlocked():
    snap = Snapshot(answers=1, correct_items=1)
    assert [a.code for a in newly_earned(snap, {"first-answer"})] == ["first-correct"]


def test_a_three_day_streak_earns_the_streak_but_not_the_week():
    codes = {a.code for a in newly_earned(Snapshot(streak_days=3), set())}
    assert "streak-3" in codes and "streak-7" not in codes


def test_every_achievement_can_be_earned():
    everything = Snapshot(
        answers=100,
        correct_items=100,
        first_try_items=1,
        comeback_items=1,
        persistent_items=1,
        symbolic_items=1,
        multipart_items=1,
        reviewed_answers=1,
        exercises_submitted=1,
        lessons_completed=5,
        perfect_lessons=1,
        courses_completed=1,
        streak_days=7,
        xp=5000,
    )
    assert len(newly_earned(everything, set())) == len(CATALOGUE)
