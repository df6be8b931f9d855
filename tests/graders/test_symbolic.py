"""Symbolic items: equivalence by sample points, sympy only where needed, form rules."""

import pytest

from graders import grade


def symbolic(answer, variables=("x",), **kw):
    return {
        "id": "s",
        "type": "symbolic",
        "text": "?",
        "answer": answer,
        "variables": list(variables),
        **kw,
    }


EQUIVALENT = [
    ("(x+1)^2", "x^2+2x+1", "correct"),
    ("(x+1)^2", "(1+x)*(x+1)", "correct"),
    ("(x+1)^2", "x^2+2x", "incorrect"),
    ("(x+1)^2", "(x-1)^2", "incorrect"),
    ("sin(x)^2", "1-cos(x)^2", "correct"),
    ("sin(2x)", "2sin(x)cos(x)", "correct"),
    ("ln(x^2)", "2ln(x)", "correct"),
    ("ln(x*y)", "ln(x)+ln(y)", "correct"),
    ("exp(x+y)", "exp(x)*exp(y)", "correct"),
    ("e^(2x)", "(e^x)^2", "correct"),
    ("sqrt(x^2)", "x", "correct"),
    ("x/y", "x*y^-1", "correct"),
    ("x/y", "y/x", "incorrect"),
    ("1/(x+1)", "1/x+1", "incorrect"),
    ("(x^2-1)/(x-1)", "x+1", "correct"),
    ("x^3", "x*x*x", "correct"),
    ("x^3", "x^3+1e-12", "incorrect"),  # exact: a typed difference is a difference
    ("x^3", "x^3+1e-3", "incorrect"),
    ("log10(x)", "ln(x)/ln(10)", "correct"),
    ("softplus", "ln(1+e^x)", "invalid"),
    ("2pi x", "2*pi*x", "correct"),
    ("x y", "y*x", "correct"),
    ("tan(x)", "sin(x)/cos(x)", "correct"),
    ("abs(x-3)", "|x-3|", "correct"),
    ("abs(x-3)", "3-x", "incorrect"),
    ("abs(x-1)", "x-1", "incorrect"),
    ("x!", "x", "incorrect"),
]


@pytest.mark.parametrize(("key", "answer", "outcome"), EQUIVALENT)
def test_equivalent_rewritings_are_accepted(key, answer, outcome):
    if key == "softplus":
        assert grade(symbolic("x"), answer.replace("e^x", "q")).outcome == outcome
        return
    spec = symbolic(key, ("x", "y"))
    assert grade(spec, answer).outcome == outcome


def test_values_too_large_for_floats_are_decided_exactly(warm_pool):
    spec = symbolic("(x+1)*(x+2)")
    assert grade(spec, "(x+1)(x+2) + (x+1)^999 - (x+1)^999").outcome == "correct"
    assert grade(spec, "(x+1)(x+2) + (x+1)^999").outcome == "incorrect"


# Floats lose digits when large terms cancel; the grader then computes to 50 digits before it
# calls an answer wrong. E = 8^8, so E^2 = 2.8e14 and floats are off by about 2.
CANCELLATION = [
    ("(((8)^2)^2)^2", "exp(ln(((((8)^2)^2)^2)^2+1))-1-((((8)^2)^2)^2)^2+(((8)^2)^2)^2", "correct"),
    ("x", "exp(ln(x^2+10^14))-10^14-x^2+x", "correct"),
    # 0.1 read from its text: as a float it is 1/10 only to 17 digits.
    ("x/10", "exp(ln(10^15+0.1*x))-10^15", "correct"),
    ("x", "exp(ln(x^2+10^14))-10^14-x^2+x+1e-6", "incorrect"),
    ("x", "exp(ln(x^2+10^14))-10^14-x^2+2x", "incorrect"),
    # Still exact for whole numbers: 50 digits do not blur 4^16 + 1 into 4^16.
    ("4^16", "4^16+1", "incorrect"),
    ("4^16", "exp(ln((4^16)^2+1))-1-(4^16)^2+4^16", "correct"),
]


@pytest.mark.parametrize(("key", "answer", "outcome"), CANCELLATION)
def test_cancellation_in_floats_does_not_decide(key, answer, outcome):
    assert grade(symbolic(key), answer).outcome == outcome


def test_precise_checks_leave_mpmath_global_precision_alone():
    import mpmath

    before = mpmath.mp.dps
    assert grade(symbolic("x"), "exp(ln(x^2+10^14))-10^14-x^2+x").outcome == "correct"
    assert mpmath.mp.dps == before


def test_a_sign_error_is_named():
    r = grade(symbolic("x^2-1"), "1-x^2")
    assert r.misconception == "sign-error"


def test_symbolic_mistakes_match_by_value():
    spec = symbolic(
        "2x",
        mistakes=[{"answer": "x^2", "feedback": "Differentiate, don't square.", "tag": "squared"}],
    )
    r = grade(spec, "x*x")
    assert (r.outcome, r.misconception) == ("incorrect", "squared")


CONSTANT_FORMS = [
    # (form, answer, outcome, tag) with key -ln(0.3)
    ("exact", "ln(10/3)", "correct", None),
    ("exact", "-ln(0.3)", "incorrect", "wrong-form"),
    ("exact", "1.2039728043259361", "incorrect", "wrong-form"),
    ("natural_log", "-ln(0.3)", "correct", None),
    ("natural_log", "ln(10)-ln(3)", "correct", None),
    ("natural_log", "1.2039728043259361", "incorrect", "wrong-form"),
    ("natural_log", "-log10(0.3)/log10(e)", "incorrect", "wrong-form"),
    ("any", "1.2039728043259361", "correct", None),
    ("any", "1.204", "incorrect", None),
]


@pytest.mark.parametrize(("form", "answer", "outcome", "tag"), CONSTANT_FORMS)
def test_forms_of_a_constant_answer(form, answer, outcome, tag):
    r = grade(
        {"id": "c", "type": "symbolic", "text": "?", "answer": "-ln(0.3)", "form": form}, answer
    )
    assert (r.outcome, r.misconception) == (outcome, tag), r.feedback


POOL_FORMS = [
    ("expanded", "x^2+2x+1", "(x+1)^2", "correct"),
    ("expanded", "(x+1)^2", "(x+1)^2", "incorrect"),
    ("factored", "(x+1)(x+2)", "(x+1)*(x+2)", "correct"),
    ("factored", "x^2+3x+2", "(x+1)*(x+2)", "incorrect"),
    ("simplified", "x", "x", "correct"),
    ("simplified", "x^2/x", "x", "incorrect"),
]


@pytest.mark.parametrize(("form", "answer", "key", "outcome"), POOL_FORMS)
def test_form_rules_checked_with_sympy(form, answer, key, outcome, warm_pool):
    r = grade(symbolic(key, form=form), answer)
    assert r.outcome == outcome, r.feedback
    if outcome == "incorrect":
        assert r.feedback.startswith("Right value, but")


def test_log_base_10_items_read_log_as_log10():
    spec = {"id": "l", "type": "symbolic", "text": "?", "answer": "2", "log_base": 10}
    assert grade(spec, "log(100)").correct
    assert not grade({**spec, "log_base": "e"}, "log(100)").correct
