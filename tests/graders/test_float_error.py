"""float_error bounds how far a float evaluation is from the exact value.

The grader trusts a disagreement in floats without a 50-digit check only where the two values
are further apart than these bounds, so each bound must hold: checked here against mpmath.
"""

import math

import pytest

from graders.expr import evaluate_complex, evaluate_precise, float_error
from graders.parse import Context, parse

CTX = Context(variables=frozenset({"x"}))

# Well-conditioned and badly conditioned forms, at points across the sample range.
EXPRESSIONS = [
    "x^2+2x+1",
    "(x+1)^2-x^2-2x",
    "exp(ln(x^2+10^14))-10^14-x^2+x",
    "exp(ln(10^15+0.1*x))-10^15",
    "sqrt(x^2+10^12)-10^6",
    "ln(1+x*10^-12)",
    "sin(10^6*x)",
    "cos(x)^2+sin(x)^2-1",
    "tan(x)/x",
    "(x-1)^7",
    "x^(1/3)*x^(2/3)-x",
    "atan(10^8*x)-pi/2",
    "tanh(x)-1",
    "1/(x-1.5)",
    "log10(x)*log2(x)",
]
POINTS = [0.5, 0.9999, 1.5000001, 2.0, 3.7, 11.9]


@pytest.mark.parametrize("text", EXPRESSIONS)
@pytest.mark.parametrize("x", POINTS)
def test_the_bound_covers_the_real_error(text, x):
    node = parse(text, CTX).node
    env = {"x": complex(x)}
    value, exact = evaluate_complex(node, env), evaluate_precise(node, env)
    bound = float_error(node, env)
    assert abs(complex(exact) - value) <= bound, (text, x, value, complex(exact), bound)


def test_it_is_tight_where_nothing_cancels():
    node = parse("x^2+2x+1", CTX).node
    assert float_error(node, {"x": 3.7 + 0j}) < 1e-13


def test_it_is_large_where_terms_cancel_and_infinite_at_a_factorial():
    cancel = parse("exp(ln(x^2+10^14))-10^14-x^2+x", CTX).node
    assert float_error(cancel, {"x": 3.7 + 0j}) > 1e-3
    assert float_error(parse("x!", CTX).node, {"x": 3 + 0j}) == math.inf
