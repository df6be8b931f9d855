"""The public interface other areas build on: names, dataclasses, round trips, errors."""

import pytest

import graders
from graders import GRADER_VERSION, Interpretation, Result, grade, interpret, validate_spec
from graders.examples import CROSS_ENTROPY, DENOISING_TIME, PRACTICE_ITEMS

NUMERIC = {"id": "n", "type": "numeric", "text": "2 + 2?", "answer": 4}


def test_the_public_names_are_importable():
    for name in (
        "validate_spec",
        "interpret",
        "grade",
        "GRADER_VERSION",
        "variant",
        "render_text",
        "Result",
        "Interpretation",
        "PartResult",
        "SpecError",
    ):
        assert hasattr(graders, name), name


@pytest.mark.parametrize("item", PRACTICE_ITEMS, ids=lambda i: i["id"])
def test_every_practice_item_is_a_valid_spec(item):
    assert validate_spec(item) == []


def test_a_result_carries_version_time_and_interpretation():
    r = grade(NUMERIC, "4")
    assert isinstance(r, Result)
    assert (r.outcome, r.score, r.correct) == ("correct", 1.0, True)
    assert r.grader_version == GRADER_VERSION
    assert 0 <= r.elapsed_ms < 1000
    assert r.interpretation is not None and r.interpretation.canonical == "4"


def test_a_result_survives_a_round_trip_through_to_dict():
    r = grade(DENOISING_TIME, {"per_image": "5 s", "twelve": "60 s"})
    d = r.to_dict()
    back = Result.from_dict(d)
    assert back.to_dict() == d
    assert back.parts[1].carried_forward is True
    assert d["parts"][0]["interpretation"]["canonical"] == "5 s"


def test_to_dict_is_json_safe_and_includes_mathml():
    import json

    d = grade(CROSS_ENTROPY, {"exact": "ln(10/3)", "decimal": "1.204"}).to_dict()
    json.dumps(d)
    assert "<math" in d["parts"][0]["interpretation"]["mathml"]


def test_interpret_points_at_the_bad_character():
    assert interpret(NUMERIC, "$2 + 2$").ok  # $ is a LaTeX delimiter and is dropped
    i = interpret(NUMERIC, "2 +")
    assert not i.ok and i.position == 2
    i = interpret(NUMERIC, "2 + # 3")
    assert not i.ok and i.position == 4
    assert "#" in i.message


def test_interpret_shows_log_read_as_ln():
    i = interpret(CROSS_ENTROPY, "−log(0.3)", part="exact")
    assert isinstance(i, Interpretation)
    assert (i.ok, i.canonical) == (True, "-ln(0.3)")
    assert i.latex == r"-\ln\left(0.3\right)"
    assert i.to_dict()["mathml"].startswith("<math")


def test_interpret_of_a_unit_answer_names_the_unit():
    i = interpret(DENOISING_TIME, "4000 ms", part="per_image")
    assert (i.canonical, i.unit) == ("4000 ms", "ms")


def test_interpret_of_an_unknown_part_is_a_programming_error():
    with pytest.raises(ValueError, match="no part 'nope'"):
        interpret(DENOISING_TIME, "4", part="nope")


def test_grading_against_an_invalid_spec_raises_with_the_field():
    with pytest.raises(graders.InvalidSpec) as exc:
        grade({"id": "bad", "type": "numeric", "text": "?", "answer": "2+"}, "4")
    assert exc.value.errors[0].path == "answer"


def test_a_mutated_spec_is_recompiled():
    spec = {"id": "m", "type": "numeric", "text": "?", "answer": 4}
    assert grade(spec, "4").correct
    spec["answer"] = 5
    assert not grade(spec, "4").correct
    assert grade(spec, "5").correct


def test_an_item_with_params_needs_params_or_a_seed():
    spec = {
        "id": "p",
        "type": "numeric",
        "text": "{n} x 2?",
        "answer": "{n}*2",
        "params": {"n": {"range": [1, 9]}},
    }
    with pytest.raises(ValueError, match="params"):
        grade(spec, "4")


def test_the_input_help_states_the_tolerance_rule_and_unit():
    spec = {
        "id": "h",
        "type": "numeric",
        "text": "?",
        "answer": 1.2039,
        "tolerance": {"sig_figs": 3, "mode": "typed"},
    }
    assert graders.input_help(spec) == "Give a number with exactly 3 significant figures."
    h = graders.input_help(DENOISING_TIME, part="per_image")
    assert "within 1%" in h and "unit" in h


def test_plain_numbers_and_units_get_the_same_mathml_as_latex2mathml_gives():
    from latex2mathml.converter import convert

    from graders.results import latex_to_mathml
    from graders.units import UNITS

    units = [rf"4\,\mathrm{{{u}}}" for u in UNITS if u.isascii() and u.isalpha()]
    for latex in ("4", "-4", "0.523", "-1.204", "3145728", r"-4.5\,\mathrm{ms}", *units):
        latex_to_mathml.cache_clear()
        assert latex_to_mathml(latex) == convert(latex)


def test_the_answer_key_shows_each_parts_key():
    from graders import answer_key, variant

    key = answer_key(DENOISING_TIME)
    assert {k: v.canonical for k, v in key.items()} == {
        "per_image": "50*0.08 s",
        "twelve": "12*per_image s",
    }
    spec = {
        "id": "p",
        "type": "numeric",
        "text": "{n} steps of 0.08 s?",
        "answer": "{n}*0.08",
        "unit": "s",
        "params": {"n": {"range": [10, 50], "step": 10}},
    }
    p = variant(spec, 3)
    assert answer_key(spec, params=p)[""].canonical == f"{p['n'] * 0.08:.12g} s"
