"""The sympy side: exact equivalence and form rules, run only inside the grader pool.

Trees become sympy objects node by node (typed decimals become exact rationals, so ``-ln(0.3)``
equals ``ln(10/3)``); student text never reaches ``sympify``. Exponents and factorials are capped
again here before sympy sees them, and the pool's CPU/memory limits back that up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sympy

from graders.exact import exact_params, precise_compare, rational_identity
from graders.expr import MAX_FACTORIAL, Bin, Call, Const, Fact, Name, Neg, Node, Num

MAX_EXPONENT = 1000

_FUNCS: dict[str, Any] = {
    "ln": sympy.log,
    "log10": lambda x: sympy.log(x, 10),
    "log2": lambda x: sympy.log(x, 2),
    "exp": sympy.exp,
    "sqrt": sympy.sqrt,
    "abs": sympy.Abs,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "sec": sympy.sec,
    "csc": sympy.csc,
    "cot": sympy.cot,
    "asin": sympy.asin,
    "acos": sympy.acos,
    "atan": sympy.atan,
    "sinh": sympy.sinh,
    "cosh": sympy.cosh,
    "tanh": sympy.tanh,
    "sech": sympy.sech,
    "csch": sympy.csch,
    "coth": sympy.coth,
    "asinh": sympy.asinh,
    "acosh": sympy.acosh,
    "atanh": sympy.atanh,
    "asec": sympy.asec,
    "acsc": sympy.acsc,
    "acot": lambda x: sympy.atan(1 / x),  # sympy's acot has another branch at negative x
    "asech": sympy.asech,
    "acsch": sympy.acsch,
    "acoth": sympy.acoth,
    "sign": sympy.sign,
    "floor": sympy.floor,
    "ceil": sympy.ceiling,
}


class TooBig(ValueError):
    pass


def to_sympy(n: Node, params: Mapping[str, float] | None = None, *, positive: bool = True) -> Any:
    """``positive``: the variables' domain is positive (the default), else real."""
    params = params or {}
    t = type(n)
    if t is Num:
        return sympy.Rational(n.text)  # type: ignore[attr-defined]
    if t is Const:
        return sympy.pi if n.name == "pi" else sympy.E  # type: ignore[attr-defined]
    if t is Name:
        name = n.name  # type: ignore[attr-defined]
        if name in params:
            return sympy.nsimplify(params[name], rational=True)
        return sympy.Symbol(name, positive=True) if positive else sympy.Symbol(name, real=True)
    if t is Neg:
        return -to_sympy(n.x, params, positive=positive)  # type: ignore[attr-defined]
    if t is Bin:
        a = to_sympy(n.a, params, positive=positive)  # type: ignore[attr-defined]
        b = to_sympy(n.b, params, positive=positive)  # type: ignore[attr-defined]
        op = n.op  # type: ignore[attr-defined]
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return a / b
        if b.is_number and abs(float(b.evalf(15))) > MAX_EXPONENT:
            raise TooBig(f"exponents are limited to {MAX_EXPONENT}")
        return sympy.Pow(a, b)
    if t is Call:
        return _FUNCS[n.fn](to_sympy(n.arg, params, positive=positive))  # type: ignore[attr-defined]
    if t is Fact:
        x = to_sympy(n.x, params, positive=positive)  # type: ignore[attr-defined]
        if x.is_number and x > MAX_FACTORIAL:
            raise TooBig(f"factorials are limited to {MAX_FACTORIAL}!")
        return sympy.factorial(x)
    raise TypeError(f"unknown node {n!r}")


def equivalent_sympy(
    a: Node,
    b: Node,
    params: Mapping[str, Any],
    points: list[dict[str, complex]],
    *,
    positive: bool = True,
) -> bool | None:
    """The slow path's verdict, when float sample points could not decide (values too large
    for floats, undefined at most points): True or False only when proved, None otherwise.

    In order: sympy's canonical form (``(x+1)^999`` and ``(1+x)^999``), exact rational-function
    identity with larger caps than the fast path, values at the rational sample points in
    arbitrary precision (mpmath handles ``E^(10^5)`` where floats overflow), then
    ``simplify(a - b) == 0``, a proof when it holds. The pool's CPU budget bounds them all.
    """
    exact = exact_params(params)
    floats = {k: float(v) for k, v in exact.items()}
    diff = to_sympy(a, floats, positive=positive) - to_sympy(b, floats, positive=positive)
    if diff == 0:  # sympy's own canonical form already agrees: (x+1)^999 and (1+x)^999
        return True
    same = rational_identity(a, b, exact, max_terms=1000, max_work=50_000, positive=positive)
    if same is not None:
        return same
    same = precise_compare(a, b, points[:3], exact)
    if same is not None:
        return same
    if sympy.simplify(diff) == 0:
        return True
    return None


def form_ok(node: Node, form: str) -> bool:
    """Whether ``node`` as typed is expanded / factored / simplified."""
    e = to_sympy(node)
    if form == "expanded":
        return bool(sympy.expand(e) == e)
    if form == "factored":
        f = sympy.factor(e)
        return bool(f == e or sympy.count_ops(e) <= sympy.count_ops(f))
    if form == "simplified":
        with sympy.evaluate(False):
            typed = to_sympy(node)  # as typed: x^2/x stays x^2/x
        return bool(sympy.count_ops(typed) <= sympy.count_ops(sympy.simplify(e)))
    return True
