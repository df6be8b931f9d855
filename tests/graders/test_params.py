"""Parameterised items: deterministic variants, rendered text, keys as expressions of params."""

from collections import Counter

import pytest

from graders import grade, render_text, variant

SPEC = {
    "id": "steps",
    "type": "numeric",
    "text": "{n} steps of {t} s each, ${n} \\times {t}$",
    "params": {
        "n": {"range": [20, 50], "step": 10},
        "t": {"choices": [0.05, 0.08]},
        "p": {"range": [0.1, 0.9], "step": 0.05},
    },
    "answer": "{n} * {t}",
    "unit": "s",
    "tolerance": {"relative": 0.01},
}


def test_a_variant_is_the_same_for_the_same_seed_and_varies_across_seeds():
    assert variant(SPEC, 7) == variant(SPEC, 7)
    seen = Counter(variant(SPEC, s)["n"] for s in range(400))
    assert set(seen) == {20, 30, 40, 50}
    assert min(seen.values()) > 50  # roughly uniform


def test_stepped_ranges_are_exact_decimals():
    values = {variant(SPEC, s)["p"] for s in range(400)}
    assert values <= {round(0.1 + 0.05 * k, 10) for k in range(17)}
    assert 0.3 in values and 0.30000000000000004 not in values


def test_the_text_is_rendered_and_latex_braces_stay():
    p = {"n": 30, "t": 0.08, "p": 0.5}
    assert render_text(SPEC, p) == "30 steps of 0.08 s each, $30 \\times 0.08$"
    assert render_text({"text": r"\frac{a}{b} {unknown}"}, p) == r"\frac{a}{b} {unknown}"


@pytest.mark.parametrize("seed", range(12))
def test_each_variant_grades_against_its_own_key(seed):
    p = variant(SPEC, seed)
    right = p["n"] * p["t"]
    assert grade(SPEC, f"{right} s", seed=seed).correct
    assert grade(SPEC, f"{right * 1000} ms", params=p).correct
    assert not grade(SPEC, f"{right * 2} s", params=p).correct


def test_params_given_explicitly_must_be_complete():
    with pytest.raises(ValueError, match="missing"):
        grade(SPEC, "4 s", params={"n": 50})


def test_a_number_from_the_rendered_question_gets_the_given_value_hint():
    p = {"n": 50, "t": 0.08, "p": 0.5}
    r = grade(SPEC, "0.08 s", params=p)
    assert r.misconception == "given-value"
