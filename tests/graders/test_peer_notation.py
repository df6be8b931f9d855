"""What peers accept (PrairieLearn, Open edX, STACK, Numbas): function names, Greek letters,
nested absolute values, implicit multiplication; undefined answers are unreadable, not a try;
and refusals that say what was read and what to type (issue 14, points 2, 3, 4 and 9)."""

import pytest

from graders import grade, interpret


def symbolic(answer, variables=("x", "y"), **kw):
    return {
        "id": "s",
        "type": "symbolic",
        "text": "?",
        "answer": answer,
        "variables": list(variables),
        **kw,
    }


NUMERIC = {"id": "n", "type": "numeric", "text": "?", "answer": 4}

NAMES = [
    # (key, answer, canonical, outcome)
    ("1/cos(x)", "sec(x)", "sec(x)", "correct"),
    ("1/sin(x)", "csc(x)", "csc(x)", "correct"),
    ("1/sin(x)", "cosec(x)", "csc(x)", "correct"),
    ("cos(x)/sin(x)", "cot(x)", "cot(x)", "correct"),
    ("(exp(x)-exp(-x))/2", "sinh(x)", "sinh(x)", "correct"),
    ("(exp(x)+exp(-x))/2", "cosh(x)", "cosh(x)", "correct"),
    ("sinh(x)/cosh(x)", "tanh(x)", "tanh(x)", "correct"),
    ("1/cosh(x)", "sech(x)", "sech(x)", "correct"),
    ("1/sinh(x)", "csch(x)", "csch(x)", "correct"),
    ("cosh(x)/sinh(x)", "coth(x)", "coth(x)", "correct"),
    ("ln(x+sqrt(x^2+1))", "asinh(x)", "asinh(x)", "correct"),
    ("ln(x+sqrt(x^2+1))", "arcsinh(x)", "asinh(x)", "correct"),
    ("ln(x+1+sqrt((x+1)^2-1))", "arccosh(x+1)", "acosh(x + 1)", "correct"),
    ("atanh(1/(x+1))", "arccoth(x+1)", "acoth(x + 1)", "correct"),
    ("acos(1/(x+1))", "arcsec(x+1)", "asec(x + 1)", "correct"),
    ("asin(1/(x+1))", "arccsc(x+1)", "acsc(x + 1)", "correct"),
    ("atan(1/x)", "arccot(x)", "acot(x)", "correct"),
    ("acosh(1/(1+x))", "arsech(1/(1+x)^(-1))", "asech(1/(1 + x)^(-1))", "correct"),
    ("acosh(x+1)", "arcosh(x+2)", "acosh(x + 2)", "incorrect"),
    ("x*(x-1)", "factorial(x)/factorial(x-2)", "x!/(x - 2)!", "correct"),
    ("120", "5!", "5!", "correct"),
    ("120", "factorial(5)", "5!", "correct"),
    ("abs(x-3)", "abs(x-3)", "abs(x - 3)", "correct"),
    ("1", "sign(x)", "sign(x)", "correct"),
    ("1", "sgn(x+y)", "sign(x + y)", "correct"),
    ("floor(x)", "x", "x", "incorrect"),
    ("ceil(x)", "ceiling(x)", "ceil(x)", "correct"),
    ("ln(x)/ln(2)", "log(x, 2)", "log2(x)", "correct"),
    ("ln(x)/ln(y)", "log(x, y)", "ln(x)/ln(y)", "correct"),
    ("ln(x)/ln(3)", "log_3(x)", "ln(x)/ln(3)", "correct"),
    ("ln(x)/ln(10)", "log_10(x)", "log10(x)", "correct"),
]


@pytest.mark.parametrize(("key", "answer", "canonical", "outcome"), NAMES)
def test_function_names_peers_accept(key, answer, canonical, outcome):
    r = grade(symbolic(key), answer)
    assert r.outcome == outcome, r.feedback
    assert r.interpretation.canonical == canonical


GREEK = [
    # (variables, answer, canonical)
    (("mu0", "alpha"), "μ0*α", "mu0*alpha"),
    (("mu0", "alpha"), "µ0 α", "mu0*alpha"),  # the micro sign, as phones type it
    (("mu0", "alpha"), "μ0α", "mu0*alpha"),
    (("mu0", "alpha"), r"\mu_0 \alpha", "mu0*alpha"),
    (("mu0", "alpha"), r"\mu_{0}\cdot\alpha", "mu0*alpha"),
    (("alpha", "beta"), "αβ", "alpha*beta"),
    (("theta",), "2θ", "2*theta"),
    (("lambda",), "λ^2", "lambda^2"),
]


@pytest.mark.parametrize(("variables", "answer", "canonical"), GREEK)
def test_greek_letters_mean_the_declared_variables(variables, answer, canonical):
    spec = symbolic(canonical, variables)
    r = grade(spec, answer)
    assert r.outcome == "correct", r.feedback
    assert r.interpretation.canonical == canonical


NOTATION = [
    # (key, answer, canonical)
    ("abs(abs(x)+y)", "||x|+y|", "abs(abs(x) + y)"),
    ("abs(x)", "|||x|||", "abs(abs(abs(x)))"),
    ("abs(x)*abs(y)", "|x||y|", "abs(x)*abs(y)"),
    ("abs(x-abs(y))", "|x-|y||", "abs(x - abs(y))"),
    ("x*y^2", "xy^2", "x*y^2"),
    ("(x*y)^2", "(xy)^2", "(x*y)^2"),
    ("x*y^2+1", "xy^2+1", "x*y^2 + 1"),
    ("2*x*y^2", "2xy^2", "2*x*y^2"),
    ("x*y!", "xy!", "x*y!"),
]


@pytest.mark.parametrize(("key", "answer", "canonical"), NOTATION)
def test_nested_absolute_values_and_implicit_multiplication(key, answer, canonical):
    r = grade(symbolic(key), answer)
    assert r.outcome == "correct", r.feedback
    assert r.interpretation.canonical == canonical


def test_implicit_multiplication_binds_looser_than_a_power():
    r = grade(symbolic("n/m", ("n", "m")), "nm^(-1)")
    assert (r.outcome, r.interpretation.canonical) == ("correct", "n*m^(-1)")
    assert grade(symbolic("(x*y)^2"), "xy^2").outcome == "incorrect"


UNDEFINED = [
    # (variables, answer, words in the reason)
    (("x",), "1/0", "division by zero"),
    (("x",), "x + 1/0", "1/0 cannot be evaluated: division by zero"),
    (("x",), "x*sqrt(-2)", "sqrt(-2) cannot be evaluated: the square root of a negative"),
    (("x",), "x+(-2)^(1/2)", "(-2)^(1/2) cannot be evaluated: a negative number to a fractional"),
    (("x",), "x + ln(0)", "ln(0) cannot be evaluated"),
    ((), "1/0", "1/0 cannot be evaluated: division by zero"),
    ((), "sqrt(-2)", "sqrt(-2) cannot be evaluated"),
    ((), "(-2)^(1/2)", "cannot be evaluated: a negative number to a fractional power"),
    (("x",), "sqrt(-x)", "sqrt(-x) has no real value for any allowed x"),
    (("x",), "ln(-x^2)", "ln(-x^2) has no real value for any allowed x"),
]


@pytest.mark.parametrize(("variables", "answer", "reason"), UNDEFINED)
def test_undefined_and_non_real_answers_are_invalid_not_a_try(variables, answer, reason):
    r = grade(symbolic("x + 1" if variables else "2", variables), answer)
    assert (r.outcome, r.score) == ("invalid", None)
    assert reason in r.feedback


def test_the_preview_says_so_too():
    i = interpret(symbolic("x + 1"), "x + 1/0")
    assert (i.ok, i.message) == (False, "1/0 cannot be evaluated: division by zero")


def test_a_large_constant_is_not_called_undefined(warm_pool):
    r = grade(symbolic("x", ("x",)), "x + 10^400 - 10^400")
    assert r.outcome == "correct"


MESSAGES = [
    # (spec, answer, the message says)
    (NUMERIC, "{1, 2, 3}", "with commas is a list of values, but this answer is one value"),
    (NUMERIC, "(1, 2)", "'(...)' with commas is a list of values"),
    (NUMERIC, "x", "'x' is not a number: type a number (for example 4.5)"),
    (NUMERIC, "times", "'times' is not a number"),
    (symbolic("x"), "z", "'z' is not a name I know: use the variables x, y"),
    (symbolic("2x+1"), "y = 2x+1", "not an equation or inequality (type the expression alone"),
    (symbolic("x"), "x < 3", "'<' cannot be used here"),
    (symbolic("x"), "()", "empty '()': put a number or an expression inside"),
    (symbolic("x"), "2x %", "'2*x' was read, then '%' was not expected: is an operator missing?"),
    (symbolic("x"), "x+1)", "')' has no matching opening bracket: remove it, or add"),
]


@pytest.mark.parametrize(("spec", "answer", "says"), MESSAGES)
def test_refusals_say_what_was_read_and_what_to_type(spec, answer, says):
    i = interpret(spec, answer)
    assert not i.ok
    assert says in i.message
    assert "never closed" not in i.message and "is a unit" not in i.message
