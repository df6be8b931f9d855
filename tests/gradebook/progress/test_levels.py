"""Levels: names and thresholds as the seed pages show them."""

import pytest

from gradebook.progress.levels import LEVELS, level_for


def test_a_newcomer_is_level_0_spark_with_200_xp_to_go():
    level = level_for(0)
    assert (level.number, level.name) == (0, "Spark")
    assert (level.xp_into_level, level.xp_for_level, level.xp_to_go) == (0, 200, 200)


@pytest.mark.parametrize(
    ("xp", "number", "name"),
    [
        (199, 0, "Spark"),
        (200, 1, "Ember"),
        (499, 1, "Ember"),
        (500, 2, "Kindle"),
        (10**9, 10, "Supernova"),
    ],
)
def test_it_places_xp_on_the_right_level(xp, number, name):
    assert (level_for(xp).number, level_for(xp).name) == (number, name)


def test_thresholds_grow_and_names_are_unique():
    thresholds = [t for t, _ in LEVELS]
    assert thresholds == sorted(set(thresholds))
    assert len({str(n) for _, n in LEVELS}) == len(LEVELS)


def test_the_top_level_has_nothing_to_go():
    top = level_for(10**9)
    assert top.next_threshold is None and top.xp_to_go == 0 and top.percent == 100


def test_negative_xp_is_level_0():
    assert level_for(-5).number == 0
