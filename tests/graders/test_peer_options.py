"""Significant figures and decimal places as peers grade them, compound and non-SI units,
strict units, and the symbolic options a teacher expects to switch: ``exact`` (see
test_exactness), ``assume_real`` and the variables' ``domain`` (issue 14, points 5, 6, 8)."""

import pytest

from graders import grade, input_help, validate_spec


def numeric(answer, **kw):
    return {"id": "n", "type": "numeric", "text": "?", "answer": answer, **kw}


def symbolic(answer, variables=("x",), **kw):
    return {
        "id": "s",
        "type": "symbolic",
        "text": "?",
        "answer": answer,
        "variables": list(variables),
        **kw,
    }


FIGURES = [
    # (tolerance, key, answer, outcome)
    # a non-number has no digits to count
    ({"sig_figs": 4, "mode": "typed"}, 3.14159, "pi", "incorrect"),
    ({"sig_figs": 4, "mode": "typed"}, 3.14159, "3.142", "correct"),
    ({"decimal_places": 2, "mode": "typed"}, 3.14159, "pi", "incorrect"),
    # a zero key can be answered
    ({"sig_figs": 3, "mode": "typed"}, 0, "0.00", "correct"),
    ({"sig_figs": 3, "mode": "typed"}, 0, "0.0", "incorrect"),
    ({"sig_figs": 3}, 0, "0.00", "correct"),
    # the slack is never more than half a unit in the last place
    ({"sig_figs": 10}, 1.23456789012, "1.234567890", "correct"),
    ({"sig_figs": 10}, 1.23456789012, "1.234567891", "incorrect"),
    ({"sig_figs": 12}, 123456.789012345, "123456.789012", "correct"),
    ({"sig_figs": 12}, 123456.789012345, "123456.789013", "incorrect"),
    ({"decimal_places": 9}, 0.1234567894, "0.123456789", "correct"),
    ({"decimal_places": 9}, 0.1234567894, "0.123456790", "incorrect"),
    # STACK's NumSigFigs [n, m]: n written, the first m right
    ({"sig_figs": 4, "correct": 2}, 1.2039728, "1.200", "correct"),
    ({"sig_figs": 4, "correct": 2}, 1.2039728, "1.204", "correct"),
    ({"sig_figs": 4, "correct": 2}, 1.2039728, "1.2", "incorrect"),
    ({"sig_figs": 4, "correct": 2}, 1.2039728, "1.300", "incorrect"),
    # at least / at most
    ({"sig_figs": 3, "mode": "at_least"}, 1.2039728, "1.2040", "correct"),
    ({"sig_figs": 3, "mode": "at_least"}, 1.2039728, "1.20", "correct"),
    ({"sig_figs": 3, "mode": "at_least"}, 1.2039728, "1.2", "incorrect"),
    ({"decimal_places": 2, "mode": "at_most"}, 1.2039728, "1.2", "correct"),
    ({"decimal_places": 2, "mode": "at_most"}, 1.2039728, "1.20", "correct"),
    ({"decimal_places": 2, "mode": "at_most"}, 1.2039728, "1.204", "incorrect"),
    # an explicit rule for ties
    ({"sig_figs": 3, "rounding": "half_up"}, 1.235, "1.24", "correct"),
    ({"sig_figs": 3, "rounding": "half_up"}, 1.235, "1.23", "incorrect"),
    ({"sig_figs": 3, "rounding": "half_even"}, 1.245, "1.24", "correct"),
    ({"sig_figs": 3, "rounding": "half_even"}, 1.245, "1.25", "incorrect"),
    ({"sig_figs": 3, "rounding": "half_up"}, -1.235, "-1.24", "correct"),
    ({"decimal_places": 0, "rounding": "half_even"}, 2.5, "2", "correct"),
    ({"decimal_places": 0, "rounding": "half_even"}, 2.5, "3", "incorrect"),
    ({"decimal_places": 0, "rounding": "half_up"}, 2.5, "3", "correct"),
    ({"sig_figs": 3, "mode": "typed", "rounding": "half_up"}, 1.235, "1.240", "incorrect"),
    # trailing zeros
    ({"sig_figs": 2, "mode": "typed"}, 1000, "1000", "incorrect"),
    ({"sig_figs": 2, "mode": "typed"}, 1000, "1.0e3", "correct"),
    ({"sig_figs": 2, "mode": "typed"}, 1234, "1200", "correct"),
]


@pytest.mark.parametrize(("tol", "key", "answer", "outcome"), FIGURES)
def test_significant_figures_and_decimal_places(tol, key, answer, outcome):
    assert grade(numeric(key, tolerance=tol), answer).outcome == outcome


def test_a_trailing_zero_integer_is_told_how_to_write_it():
    r = grade(numeric(1000, tolerance={"sig_figs": 2, "mode": "typed"}), "1000")
    assert r.misconception == "precision"
    assert "Written as 1000, it has 1 significant figure: write 1.0e3 for 2." in r.feedback
    r = grade(numeric(25000, tolerance={"sig_figs": 3, "mode": "typed"}), "25000")
    assert "write 2.50e4 for 3" in r.feedback


def test_a_non_number_is_told_to_type_the_number():
    r = grade(numeric(3.14159, tolerance={"sig_figs": 4, "mode": "typed"}), "pi")
    assert r.feedback == "Right value, but type it as a number with exactly 4 significant figures."


def test_a_rounding_slip_does_not_reveal_the_answer():
    r = grade(numeric(1.235, tolerance={"sig_figs": 3, "rounding": "half_up"}), "1.23")
    assert "1.24" not in r.feedback and "rounds up" in r.feedback


HELP = [
    (
        {"sig_figs": 4, "correct": 2},
        "with exactly 4 significant figures, the first 2 of them right",
    ),
    ({"sig_figs": 3, "mode": "at_least"}, "with at least 3 significant figures"),
    ({"decimal_places": 2, "mode": "at_most"}, "with at most 2 decimal places"),
    ({"sig_figs": 3, "rounding": "half_even"}, "rounded to 3 significant figures (a 5 rounds"),
]


@pytest.mark.parametrize(("tol", "says"), HELP)
def test_the_help_line_states_the_rule(tol, says):
    assert says in input_help(numeric(1.2, tolerance=tol))


BAD_TOLERANCES = [
    ({"sig_figs": 3, "mode": "sometimes"}, "tolerance.mode"),
    ({"absolute": 0.1, "mode": "at_least"}, "tolerance.mode"),
    ({"sig_figs": 3, "correct": 4}, "tolerance.correct"),
    ({"decimal_places": 3, "correct": 2}, "tolerance.correct"),
    ({"sig_figs": 3, "rounding": "up"}, "tolerance.rounding"),
    ({"relative": 0.1, "rounding": "half_up"}, "tolerance.rounding"),
]


@pytest.mark.parametrize(("tol", "path"), BAD_TOLERANCES)
def test_bad_tolerance_options_name_their_field(tol, path):
    errors = validate_spec(numeric(1.2, tolerance=tol))
    assert [e.path for e in errors] == [path]


UNITS = [
    # (item unit, answer, outcome)
    ("%", "25%", "correct"),
    ("%", "25 percent", "correct"),
    ("%", "0.25", "invalid"),
    ("m/s", "36 km/h", "correct"),
    ("m/s", "10 m/s", "correct"),
    ("m/s", "10 m s^-1", "correct"),
    ("km/h", "10 m/s", "correct"),
    ("m/s", "10 m", "incorrect"),
    ("m/s^2", "9.8 m/s^2", "correct"),
    ("N", "1 kg*m/s^2", "correct"),
    ("N", "0.001 kN", "correct"),
    ("J", "0.001 kJ", "correct"),
    ("J", "1 N*m", "correct"),
    ("W", "1 J/s", "correct"),
    ("Hz", "1 s^-1", "correct"),
    ("L", "1000 mL", "correct"),
    ("L", "0.001 m^3", "correct"),
    ("m^2", "10000 cm^2", "correct"),
    ("g/cm^3", "1000 kg/m^3", "correct"),
    ("in", "1/12 ft", "correct"),
    ("ft", "12 in", "correct"),
    ("mi", "1609.344 m", "correct"),
    ("lb", "453.59237 g", "correct"),
    ("h", "60 min", "correct"),
    ("min", "60 s", "correct"),
]


@pytest.mark.parametrize(("unit", "answer", "outcome"), UNITS)
def test_compound_and_non_si_units(unit, answer, outcome):
    key = {"%": 25, "m/s": 10, "km/h": 36, "m/s^2": 9.8, "in": 1}.get(unit, 1)
    assert grade(numeric(key, unit=unit), answer).outcome == outcome


def test_a_percent_item_asks_for_the_sign():
    r = grade(numeric(25, unit="%"), "25")
    assert r.feedback == "add %: the answer is a percentage (for example 25%)"


def test_an_unknown_compound_unit_is_a_spec_error():
    assert [e.path for e in validate_spec(numeric(1, unit="m/parsec"))] == ["unit"]
    assert validate_spec(numeric(1, unit="g/cm^3")) == []


STRICT = [
    ("10 m/s", "correct"),
    ("36 km/h", "incorrect"),
    ("10 m", "incorrect"),
    ("10", "invalid"),
]


@pytest.mark.parametrize(("answer", "outcome"), STRICT)
def test_strict_units_require_the_items_unit(answer, outcome):
    r = grade(numeric(10, unit="m/s", strict_units=True), answer)
    assert r.outcome == outcome
    if answer == "36 km/h":
        assert (r.misconception, r.feedback) == (
            "unit-strict",
            "Right quantity, but give it in m/s, as the question asks.",
        )


def test_strict_units_accept_the_units_spelled_out():
    assert grade(numeric(4, unit="s", strict_units=True), "4 seconds").outcome == "correct"


DOMAINS = [
    # (spec keywords, answer, outcome)
    ({}, "sqrt(x^2)", "correct"),  # for the key x: positive by default
    ({"domain": "real"}, "sqrt(x^2)", "incorrect"),
    ({"domain": {"x": "real"}}, "sqrt(x^2)", "incorrect"),
    ({"domain": {"x": [-5, -1]}}, "-sqrt(x^2)", "correct"),
    ({"domain": "real"}, "x", "correct"),
]


@pytest.mark.parametrize(("kw", "answer", "outcome"), DOMAINS)
def test_the_variable_domain_used_for_sampling(kw, answer, outcome, warm_pool):
    assert grade(symbolic("x", **kw), answer).outcome == outcome


def test_abs_for_sqrt_of_a_square_over_the_reals(warm_pool):
    assert grade(symbolic("abs(x)", domain="real"), "sqrt(x^2)").outcome == "correct"
    # ln(x^2) is 2 ln(x) only for positive x
    assert grade(symbolic("2*ln(x)", domain="real"), "ln(x^2)").outcome == "incorrect"
    assert grade(symbolic("2*ln(x)"), "ln(x^2)").outcome == "correct"


REAL = [
    ({"assume_real": True}, "ln(-x^2)", "invalid"),
    ({}, "ln(-x^2)", "invalid"),  # no real value anywhere: invalid even without the option
    ({"assume_real": True, "domain": {"x": [0, 10]}}, "sqrt(x-5)", "invalid"),
    ({"domain": {"x": [0, 10]}}, "sqrt(x-5)", "incorrect"),
    ({"assume_real": True}, "x", "correct"),
]


@pytest.mark.parametrize(("kw", "answer", "outcome"), REAL)
def test_assume_real(kw, answer, outcome):
    r = grade(symbolic("x", **kw), answer)
    assert r.outcome == outcome
    if outcome == "invalid":
        assert "real" in r.feedback


BAD_OPTIONS = [
    ({"domain": "complex"}, "domain"),
    ({"domain": {"t": "real"}}, "domain.t"),
    ({"domain": {"x": [3, 1]}}, "domain.x"),
    ({"assume_real": "yes"}, "assume_real"),
    ({"exact": 1}, "exact"),
]


@pytest.mark.parametrize(("kw", "path"), BAD_OPTIONS)
def test_bad_symbolic_options_name_their_field(kw, path):
    assert [e.path for e in validate_spec(symbolic("x", **kw))] == [path]
