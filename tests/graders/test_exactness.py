"""Equivalence is exact: sample points may only say "different", and "equal" is confirmed by an
exact rational identity, arbitrary precision, or sympy; ``undecided`` where none can tell.

The unequal answers here agree with the key to 1e-8 or better at every float sample point: they
passed when equality was a float tolerance (cases from the public test suites of PrairieLearn,
Open edX, STACK and Numbas, and from issue 14)."""

import pytest

from graders import grade
from graders.api import handle_pool_request
from graders.exact import calculator_digits, precise_compare, rational_identity
from graders.parse import Context, parse


def symbolic(answer, variables=("x",), **kw):
    return {
        "id": "s",
        "type": "symbolic",
        "text": "?",
        "answer": answer,
        "variables": list(variables),
        **kw,
    }


POLY = "+".join(f"{k + 1}*x^{k}" for k in range(14))  # degree 13
POLY_OFF = "2" + POLY[1:]  # the constant term off by one

EXACT = [
    # (key, answer, variables, outcome)
    (POLY, POLY_OFF, ("x",), "incorrect"),
    (POLY, POLY, ("x",), "correct"),
    (POLY, "+".join(f"{k + 1}x^{k}" for k in reversed(range(14))), ("x",), "correct"),
    ("(x+1)^2", "x^2+2*x+1+10^(-20)", ("x",), "incorrect"),
    ("(x+1)^2", "x^2+2*x+1", ("x",), "correct"),
    ("1", "0.99999999", (), "incorrect"),
    ("1", "1.00000001", (), "incorrect"),
    ("1/3", "33333333/100000000", (), "incorrect"),
    ("1/7", "14285714/99999999", (), "incorrect"),
    ("22/7", "3.14285714", (), "incorrect"),
    ("x^2+2*x+1", "(x+1)^2*cos(2*pi*10^100)", ("x",), "correct"),
    ("x", "x+sin(2*pi*10^100+10^(-30))", ("x",), "incorrect"),
    ("cos(x)", "cos(x)+10^(-20)", ("x",), "incorrect"),
    ("exp(x)", "exp(x)+exp(-100)", ("x",), "incorrect"),
    ("ln(x)", "ln(x*1.0000000001)", ("x",), "incorrect"),
    ("sqrt(2)", "1.41421356", (), "incorrect"),
    ("sqrt(2)", "665857/470832", (), "incorrect"),  # a convergent: 1.6e-12 off
    ("pi", "355/113", (), "incorrect"),
    ("pi", "3.14159265358979", (), "correct"),  # a calculator's full display: see below
    ("-ln(0.3)", "ln(10/3)", (), "correct"),
    ("(x+1)^2 + 2*ln(x)", "x^2+2x+1+2ln(x)", ("x",), "correct"),
    ("(x+1)^2 + 2*ln(x)", "(1+x)^2+ln(x^2)", ("x",), "correct"),
    ("x*y", "y*x + 10^(-15)*x", ("x", "y"), "incorrect"),
    ("(x+y)^3", "x^3+3x^2y+3x y^2+y^3", ("x", "y"), "correct"),
    ("x/(x+1)", "1-1/(x+1)", ("x",), "correct"),
    ("x/(x+1)", "1-1/(x+1.000000001)", ("x",), "incorrect"),
    ("5!", "120", (), "correct"),
    ("x + sin(pi)", "x", ("x",), "correct"),  # sin(pi) is 0: sympy confirms in the pool
]


@pytest.mark.parametrize(("key", "answer", "variables", "outcome"), EXACT)
def test_equal_is_confirmed_exactly(key, answer, variables, outcome, warm_pool):
    assert grade(symbolic(key, variables), answer).outcome == outcome


CALCULATOR = [
    # A decimal of 15+ significant digits is what a calculator shows: it stands for the value it
    # rounds, unless the item sets exact: true (STACK's "exact" option).
    ("1/3", "0.333333333333333", False, "correct"),
    ("1/3", "0.333333333333333", True, "incorrect"),
    ("-ln(0.3)", "ln(3.333333333333333333)", False, "correct"),
    ("-ln(0.3)", "ln(3.333333333333333333)", True, "incorrect"),
    ("1/3", "0.33333333333333", False, "incorrect"),  # 14 digits: taken as typed
    ("1/3", "0.333333333333334", False, "correct"),  # 1/3 rounds to ...333, but within 10^-13
    ("1/3", "0.333333333333999", False, "incorrect"),
    ("1/3", "1/3", True, "correct"),
]


@pytest.mark.parametrize(("key", "answer", "exact", "outcome"), CALCULATOR)
def test_calculator_length_decimals_and_the_exact_option(key, answer, exact, outcome):
    assert grade(symbolic(key, (), exact=exact), answer).outcome == outcome


def _node(text, variables=("x", "y")):
    return parse(text, Context(variables=frozenset(variables))).node


RATIONAL = [
    ("(x+1)^2", "x^2+2x+1", True),
    ("(x+1)^2", "x^2+2x+1+10^(-20)", False),
    ("x/x", "1", True),
    ("(x^2-y^2)/(x-y)", "x+y", True),
    ("ln(x)*(x+1)", "x*ln(x)+ln(x)", True),  # ln(x) is an opaque atom
    ("ln(x^2)", "2ln(x)", True),  # ln of a positive monomial: ln rules for positive values
    ("ln(10/3)", "ln(10)-ln(3)", True),  # ln of a rational: over ln(2), ln(3), ln(5)
    ("-ln(0.3)", "ln(2)+ln(5)-ln(3)", True),
    ("log10(x)", "ln(x)/ln(10)", True),
    ("ln(x+1)+ln(x+2)", "ln(x^2+3x+2)", None),  # related atoms: not for this tier
    ("exp(ln(x))", "x", None),
    ("e^x", "exp(x)", True),
    ("sqrt(x)^2", "x", None),
    ("(x+1)^200", "(1+x)^200", None),  # over the fast path's work cap
]


@pytest.mark.parametrize(("a", "b", "verdict"), RATIONAL)
def test_rational_identity_is_a_proof_or_abstains(a, b, verdict):
    assert rational_identity(_node(a), _node(b)) is verdict


def test_precise_comparison_abstains_rather_than_guess(monkeypatch):
    import graders.exact as exact

    pts = [{"x": complex(1.5)}]
    a, b = _node("cos(2*pi*10^100)*x"), _node("x")
    assert precise_compare(a, b, pts) is True
    monkeypatch.setattr(exact, "MAX_DIGITS", 60)  # 130+ digits are needed
    assert precise_compare(a, b, pts) is None
    assert precise_compare(_node("ln(-x-1)*0+1/(x-x)"), _node("1/(x-x)"), pts) is None


def test_the_request_path_leaves_long_precision_to_the_pool():
    pts = [{"x": complex(1.5)}]
    a = _node("x*exp(-700+10^(-300))*exp(700)")
    assert precise_compare(a, _node("x"), pts, max_digits=400) is None  # ~640 digits needed
    assert precise_compare(a, _node("x"), pts) is False  # the pool's cap: the 10^-300 is seen


def test_calculator_digits_counts_significant_digits():
    assert calculator_digits(_node("0.000333333333333333")) == 15
    assert calculator_digits(_node("0.33333333")) is None
    assert calculator_digits(_node("333333333333333")) is None  # whole numbers are exact


def test_what_sympy_cannot_prove_is_undecided_not_a_guess(monkeypatch):
    import sympy

    import graders.grading
    import graders.symbolic

    # Make the precise tier abstain, and sympy fail to simplify: the verdict must be
    # "undecided" (not a try), never "correct" or "incorrect".
    for module in (graders.grading, graders.symbolic):
        monkeypatch.setattr(module, "precise_compare", lambda *a, **k: None)
    monkeypatch.setattr(sympy, "simplify", lambda e: e)
    spec = symbolic("x + 1", ("x",))
    reply = handle_pool_request(
        {"op": "grade", "spec": spec, "response": "x + 1 + sin(pi/7)^2 + cos(pi/7)^2 - 1"}
    )
    assert reply["result"]["outcome"] == "undecided"
    assert reply["result"]["score"] is None
    assert reply["result"]["interpretation"]["ok"] is True
