"""Answer types the peers have (issue 14, point 7): equations (equal up to rearrangement and a
non-zero factor), inequalities and intervals (either notation answers either), sets (order-free)
and tuples / vectors (ordered), each with feedback on the usual slips."""

import pytest

from graders import answer_key, grade, interpret, validate_spec


def sym(key, vars=("x", "y"), **kw):
    return {
        "id": "s",
        "type": "symbolic",
        "text": "?",
        "answer": key,
        "variables": list(vars),
        **kw,
    }


CASES = [
    (sym("y = 2x + 1"), "2x - y + 1 = 0", "correct"),
    (sym("y = 2x + 1"), "2y = 4x + 2", "correct"),
    (sym("y = 2x + 1"), "y - 2x = 1", "correct"),
    (sym("y = 2x + 1"), "y = 2x - 1", "incorrect"),
    (sym("y = 2x + 1"), "(y-2x-1)^2 = 0", "incorrect"),
    (sym("y = 2x + 1"), "2x+1", "invalid"),
    (sym("y = 2x + 1"), "0 = 0", "incorrect"),
    (sym("x > 2", ("x",)), "x > 2", "correct"),
    (sym("x > 2", ("x",)), "2 < x", "correct"),
    (sym("x > 2", ("x",)), "(2, oo)", "correct"),
    (sym("x > 2", ("x",)), "(2, ∞)", "correct"),
    (sym("x > 2", ("x",)), "x >= 2", "incorrect"),
    (sym("x > 2", ("x",)), "[2, oo)", "incorrect"),
    (sym("x > 2", ("x",)), "x > 3", "incorrect"),
    (sym("[1, 3)", ()), "[1, 3)", "correct"),
    (sym("[1, 3)", ()), "[1, 3]", "incorrect"),
    (sym("[1, 3)", ("x",)), "1 <= x < 3", "correct"),
    (sym("[1, 3)", ("x",)), "3 > x >= 1", "correct"),
    (sym("[1, 3)", ()), "[1.0, 6/2)", "correct"),
    (sym("[1, 3)", ()), "[3, 1)", "incorrect"),
    (sym("[1, 3)", ()), "[1, oo]", "invalid"),
    (sym("(-oo, 1) U (2, oo)", ()), "(2, oo) ∪ (-∞, 1)", "correct"),
    (sym("x^2 < 4", ("x",)), "x^2 - 4 < 0", "correct"),
    (sym("x^2 < 4", ("x",)), "4 > x^2", "correct"),
    (sym("x^2 < 4", ("x",)), "-x^2 > -4", "correct"),
    (sym("x^2 < 4", ("x",)), "x^2 > 4", "incorrect"),
    (sym("{1, 2, 3}", ()), "{3, 2, 1}", "correct"),
    (sym("{1, 2, 3}", ()), "{1, 2, 2, 3}", "correct"),
    (sym("{1, 2, 3}", ()), "{1, 2}", "incorrect"),
    (sym("{1, 2, 3}", ()), "{1, 2, 3, 4}", "incorrect"),
    (sym("{1, 2, 3}", ()), "{1, 2, 4}", "incorrect"),
    (sym("{1/2, 2}", ()), "{sqrt(4), 0.5}", "correct"),
    (sym("{1, 2, 3}", ()), "1, 2, 3", "invalid"),
    (sym("{}", (), answer_type="set"), "{}", "correct"),
    (sym("{}", (), answer_type="set"), "∅", "correct"),
    (sym("(1, 2)", ()), "(1, 2)", "correct"),
    (sym("(1, 2)", ()), "(2, 1)", "incorrect"),
    (sym("(1, 2)", ()), "(1, 2, 3)", "incorrect"),
    (sym("(1, 2)", ()), "(1, 3)", "incorrect"),
    (sym("(1, 2)", ()), "<1, 2>", "correct"),
    (sym("(1, 2)", ()), "[1, 2]", "correct"),
    (sym("(x, x^2)", ("x",)), "(x, x*x)", "correct"),
    (sym("(1, 2)", (), answer_type="interval"), "(1, 2)", "correct"),
    (sym("(1, 2)", (), answer_type="interval"), "[1, 2)", "incorrect"),
    (sym("{1, 2, 3}", ()), "{1, 1/0}", "invalid"),
]


@pytest.mark.parametrize(("spec", "answer", "outcome"), CASES)
def test_answer_types(spec, answer, outcome):
    r = grade(spec, answer)
    assert r.outcome == outcome, r.feedback


SLIPS = [
    (sym("x > 2", ("x",)), "x >= 2", "endpoint-type", "check which are included"),
    (sym("[1, 3)", ()), "[1, 3]", "endpoint-type", "check which are included"),
    (sym("{1, 2, 3}", ()), "{1, 2}", "missing", "but 1 element is missing"),
    (sym("{1, 2, 3, 4}", ()), "{1, 2}", "missing", "but 2 elements are missing"),
    (sym("{1, 2, 3}", ()), "{1, 2, 3, 4}", "extra", "1 element is not in the set"),
    (sym("{1, 2, 3}", ()), "{1, 2, 4}", None, "2 of your elements are right; the set has 3."),
    (sym("(1, 2)", ()), "(2, 1)", "component-order", "in the wrong order"),
    (
        sym("(1, 2)", ()),
        "(1, 2, 3)",
        "component-count",
        "The answer has 2 components; yours has 3.",
    ),
    (sym("(1, 2, 3)", ()), "(1, 2, 4)", "component", "2 of 3 components are right."),
]


@pytest.mark.parametrize(("spec", "answer", "tag", "says"), SLIPS)
def test_slips_get_their_own_feedback(spec, answer, tag, says):
    r = grade(spec, answer)
    assert (r.outcome, r.misconception) == ("incorrect", tag)
    assert says in r.feedback
    assert "{1, 2, 3}" not in r.feedback  # the feedback never gives the answer away


UNREADABLE = [
    (sym("y = 2x + 1"), "2x+1", "write an equation with one '='"),
    (sym("y = 2x + 1"), "y = 2x = 1", "exactly one '='"),
    (sym("x > 2", ("x",)), "x = 2", "this answer is an inequality"),
    (sym("[1, 3)", ()), "[1, oo]", "infinity is never included"),
    (sym("[1, 3)", ()), "[1, 2, 3)", "two endpoints"),
    (sym("[1, 3)", ()), "1, 3", "write an interval as"),
    (sym("{1, 2, 3}", ()), "1, 2, 3", "write a set in braces"),
    (sym("(1, 2)", ()), "1, 2", "write the components in brackets"),
    (sym("(1, 2)", ()), "(1, )", "something is missing here"),
    (sym("{1, 2, 3}", ()), "{1, 1/0}", "1/0 cannot be evaluated"),
]


@pytest.mark.parametrize(("spec", "answer", "says"), UNREADABLE)
def test_unreadable_structures_are_invalid_with_the_reason(spec, answer, says):
    r = grade(spec, answer)
    assert (r.outcome, r.score) == ("invalid", None)
    assert says in r.feedback


def test_the_structure_is_shown_as_read():
    i = interpret(sym("{1, 2, 3}", ()), "\\{1,2,3\\}")
    assert (i.canonical, i.latex) == ("{1, 2, 3}", "\\left\\{1, 2, 3\\right\\}")
    i = interpret(sym("[1, 3)", ("x",)), "1 \\le x < 3")
    assert i.canonical == "1 <= x < 3"
    assert answer_key(sym("y = 2x+1"))[""].canonical == "y = 2*x + 1"


def test_answer_type_overrides_the_keys_shape_and_is_checked():
    assert grade(sym("(1, 2)", (), answer_type="interval"), "(1, 2]").outcome == "incorrect"
    assert grade(sym("(1, 2)", ()), "(1, 2]").outcome == "invalid"  # a tuple: ] does not close (
    assert [e.path for e in validate_spec(sym("1", (), answer_type="matrix"))] == ["answer_type"]
    errors = validate_spec(sym("[1, 3", ()))
    assert [e.path for e in errors] == ["answer"]


def test_sets_and_tuples_are_capped_and_stay_fast():
    import time

    key = "{" + ", ".join(str(i) for i in range(30)) + "}"
    too_many = "{" + ", ".join(str(i) for i in range(31)) + "}"
    r = grade(sym(key, ()), too_many)
    assert (r.outcome, r.feedback) == ("invalid", "too many elements (at most 30)")
    backwards = "{" + ", ".join(str(i) for i in reversed(range(30))) + "}"
    grade(sym(key, ()), backwards)  # warm the caches
    t0 = time.thread_time()
    assert grade(sym(key, ()), backwards).outcome == "correct"
    assert time.thread_time() - t0 < 0.25  # ~7 ms: 900 pairs, most told apart by floats


HELP = [
    (sym("y = 2x + 1"), "Type an equation, with one '='"),
    (sym("x > 2", ("x",)), "Type an inequality such as x > a"),
    (sym("[1, 3)", ()), "Type an interval such as [a, b)"),
    (sym("{1, 2, 3}", ()), "Type a set in braces"),
    (sym("(1, 2)", ()), "Type the components in brackets"),
]


@pytest.mark.parametrize(("spec", "says"), HELP)
def test_the_help_line_names_the_shape_not_the_key(spec, says):
    from graders import input_help

    text = input_help(spec)
    assert text.startswith(says)
    assert spec["answer"] not in text
