"""Numeric items: tolerances, significant figures, decimal places, units, automatic hints."""

import pytest

from graders import grade, input_help
from graders.units import SYMPY_NAMES, UNITS


def numeric(answer, **kw):
    return {"id": "n", "type": "numeric", "text": "?", "answer": answer, **kw}


TOLERANCE = [
    # (tolerance, key, answer, outcome)
    ({"absolute": 0.001}, 1.2039728, "1.204", "correct"),
    ({"absolute": 0.001}, 1.2039728, "1.2049", "correct"),
    ({"absolute": 0.001}, 1.2039728, "1.2051", "incorrect"),
    ({"absolute": 0}, 3145728, "3145728", "correct"),
    ({"absolute": 0}, 3145728, "3145729", "incorrect"),
    ({"relative": 0.01}, 4, "4.04", "correct"),
    ({"relative": 0.01}, 4, "3.96", "correct"),
    ({"relative": 0.01}, 4, "4.05", "incorrect"),
    ({"relative": 0.05}, 100, "95", "correct"),
    (None, 0.1, "1/10", "correct"),
    (None, 0.3, "0.1+0.2", "correct"),
    (None, 4, "4.0000001", "incorrect"),
    (None, 0, "0", "correct"),
    (None, 0, "-0", "correct"),
    (None, 0, "0.0001", "incorrect"),
    ({"sig_figs": 3}, 1.2039728, "1.20", "correct"),
    ({"sig_figs": 3}, 1.2039728, "1.2", "correct"),
    ({"sig_figs": 3}, 1.2039728, "1.204", "correct"),
    ({"sig_figs": 3}, 1.2039728, "1.21", "incorrect"),
    ({"sig_figs": 2}, 3145728, "3100000", "correct"),
    ({"sig_figs": 2}, 3145728, "3.1e6", "correct"),
    ({"sig_figs": 2}, 0.0012345, "0.0012", "correct"),
    ({"sig_figs": 2}, 0.0012345, "0.0013", "incorrect"),
    ({"sig_figs": 3, "mode": "typed"}, 1.2039728, "1.20", "correct"),
    ({"sig_figs": 3, "mode": "typed"}, 1.2039728, "1.2", "incorrect"),
    ({"sig_figs": 3, "mode": "typed"}, 1.2039728, "1.204", "incorrect"),
    ({"sig_figs": 3, "mode": "typed"}, 1.2039728, "-ln(0.3)", "incorrect"),  # no digits typed
    ({"sig_figs": 2, "mode": "typed"}, 0.0012345, "0.0012", "correct"),
    ({"sig_figs": 2, "mode": "typed"}, 1234, "1200", "correct"),
    ({"decimal_places": 2}, 1.2039728, "1.20", "correct"),
    ({"decimal_places": 2}, 1.2039728, "1.2", "correct"),
    ({"decimal_places": 2}, 1.2039728, "1.21", "incorrect"),
    ({"decimal_places": 2, "mode": "typed"}, 1.2039728, "1.2", "incorrect"),
    ({"decimal_places": 2, "mode": "typed"}, 1.2039728, "1.20", "correct"),
    ({"decimal_places": 0}, 48, "48", "correct"),
    ({"decimal_places": 0}, 48, "48.4", "correct"),
    ({"decimal_places": 0}, 48, "49", "incorrect"),
]


@pytest.mark.parametrize(("tol", "key", "answer", "outcome"), TOLERANCE)
def test_tolerance_rules(tol, key, answer, outcome):
    spec = numeric(key, **({"tolerance": tol} if tol else {}))
    r = grade(spec, answer)
    assert r.outcome == outcome, r.feedback


def test_typed_digits_are_explained():
    spec = numeric(1.2039728, tolerance={"sig_figs": 3, "mode": "typed"})
    r = grade(spec, "1.2")
    assert r.feedback == "Right value, but give it with exactly 3 significant figures."
    assert r.misconception == "precision"


@pytest.mark.parametrize(
    ("tol", "text"),
    [
        ({"absolute": 0.001}, "Give a number within ±0.001 of the exact value."),
        ({"relative": 0.01}, "Give a number within 1% of the exact value."),
        ({"sig_figs": 3}, "Give a number correct to 3 significant figures."),
        ({"sig_figs": 3, "mode": "typed"}, "Give a number with exactly 3 significant figures."),
        ({"decimal_places": 1}, "Give a number correct to 1 decimal place."),
    ],
)
def test_the_help_text_states_the_rule(tol, text):
    assert input_help(numeric(1.2, tolerance=tol)) == text


TIME = numeric(4, unit="s", tolerance={"relative": 0.01})
UNIT_ANSWERS = [
    ("4 s", "correct"),
    ("4s", "correct"),
    ("4 second", "correct"),
    ("4 SECONDS", "correct"),
    ("4000 ms", "correct"),
    ("4000ms", "correct"),
    ("4000 msec", "correct"),
    ("4e3 ms", "correct"),
    ("4000000 us", "correct"),
    ("4000000 µs", "correct"),
    ("4e9 ns", "correct"),
    ("0.0667 min", "correct"),
    ("1/15 minutes", "correct"),
    ("0.001111 h", "correct"),
    ("0.001 hr", "incorrect"),
    ("4 min", "incorrect"),
    ("4 h", "incorrect"),
    ("4 m", "incorrect"),
    ("4 km", "incorrect"),
    ("4 Hz", "incorrect"),
    ("4 B", "incorrect"),
    ("4", "invalid"),
    ("4 xyz", "invalid"),
    ("4 mb", "invalid"),
    ("4 s^2", "incorrect"),
    ("4 s/s", "invalid"),
    ("(2+2) s", "correct"),
    ("2*2 s", "correct"),
]


@pytest.mark.parametrize(("answer", "outcome"), UNIT_ANSWERS)
def test_units_convert_and_dimensions_are_checked(answer, outcome):
    assert grade(TIME, answer).outcome == outcome


def test_the_tolerance_converts_with_the_unit():
    spec = numeric(4, unit="s", tolerance={"absolute": 0.01})
    assert grade(spec, "4009 ms").correct
    assert not grade(spec, "4011 ms").correct


def test_a_unit_is_optional_when_the_item_says_so():
    spec = numeric(4, unit="s", unit_required=False)
    assert grade(spec, "4").correct
    assert grade(spec, "4000 ms").correct


def test_a_unit_on_a_unitless_item_is_refused():
    r = grade(numeric(48), "48 s")
    assert r.outcome == "invalid" and "leave out the unit" in r.feedback


def test_data_sizes_convert_between_bytes_and_bits():
    spec = numeric(1, unit="MB")
    assert grade(spec, "1000 kB").correct
    assert grade(spec, "8e6 bits").correct
    assert not grade(spec, "1 MiB").correct


def test_compound_units():
    spec = numeric(10, unit="MB", unit_required=True)
    assert grade(spec, "10 MB").correct
    speed = {"id": "sp", "type": "numeric", "text": "?", "answer": "2", "unit": "s"}
    assert grade(speed, "2 s").correct


def test_every_unit_factor_agrees_with_sympy():
    from sympy.physics import units as u

    base = {
        (1, 0, 0, 0): u.second,
        (0, 1, 0, 0): u.meter,
        (0, 0, 1, 0): u.kilogram,
        (0, 0, 0, 1): u.bit,
        (-1, 0, 0, 0): u.hertz,
    }
    for symbol, name in SYMPY_NAMES.items():
        ours = UNITS[symbol]
        theirs = getattr(u, name)
        ref = base.get(ours.dim)
        if ref is None and ours.dim != (0, 0, 0, 0):  # N, J, W, L: in s, m, kg
            factor = u.convert_to(theirs, [u.second, u.meter, u.kilogram]).as_coeff_Mul()[0]
        else:
            factor = theirs.scale_factor / (ref.scale_factor if ref is not None else 1)
        assert float(factor) == pytest.approx(ours.factor, rel=1e-12), symbol


HINTS = [
    # (answer, tag, message part) for key 4 s within 1 %
    ("-4 s", "sign-error", "opposite sign"),
    ("40 s", "power-of-ten", "10^1"),
    ("0.4 s", "power-of-ten", "10^-1"),
    ("4 ms", "unit-slip", "number is right but the unit is not"),
    ("4000 s", "power-of-ten", "10^3"),
    ("3.9 s", "precision", "Close"),
    ("0.08 s", "given-value", "given in the question"),
    ("50 s", "given-value", "given in the question"),
    ("4 m", "unit-dimension", "Expected a time"),
    ("7 s", None, "Incorrect."),
]


@pytest.mark.parametrize(("answer", "tag", "message"), HINTS)
def test_automatic_hints(answer, tag, message):
    spec = {**TIME, "text": "50 steps of 0.08 s each: one image?"}
    r = grade(spec, answer)
    assert r.outcome == "incorrect"
    assert r.misconception == tag
    assert message in r.feedback


def test_an_item_without_unit_gets_a_unit_slip_hint_for_a_bare_number():
    spec = numeric(4, unit="s", unit_required=False, tolerance={"relative": 0.01})
    r = grade(spec, "4000")
    assert r.misconception == "unit-slip" and "in s" in r.feedback


def test_declared_mistakes_win_over_automatic_hints():
    spec = numeric(
        4,
        tolerance={"relative": 0.01},
        mistakes=[{"answer": "-4", "feedback": "Time is not negative.", "tag": "neg"}],
    )
    r = grade(spec, "-4")
    assert (r.feedback, r.misconception) == ("Time is not negative.", "neg")


def test_expressions_can_be_turned_off():
    spec = numeric(4, expressions=False)
    assert grade(spec, "4").correct
    assert grade(spec, "-4").outcome == "incorrect"
    r = grade(spec, "2+2")
    assert r.outcome == "invalid" and "not an expression" in r.feedback


def test_a_ratio_can_be_typed_with_x_or_times():
    spec = numeric(48)
    for a in ("48x", "48 x", "48×", "48 times", "4800%"):
        assert grade(spec, a).correct, a
