"""The sympy side: exact equivalence and form rules, run only inside the grader pool.

Trees become sympy objects node by node (typed decimals become exact rationals, so ``-ln(0.3)``
equals ``ln(10/3)``); student text never reaches ``sympify``. Exponents and factorials are capped
again here before sympy sees them, and the pool's CPU/memory limits back that up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sympy

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
}


class TooBig(ValueError):
    pass


def to_sympy(n: Node, params: Mapping[str, float] | None = None) -> Any:
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
        return sympy.Symbol(name, positive=True)
    if t is Neg:
        return -to_sympy(n.x, params)  # type: ignore[attr-defined]
    if t is Bin:
        a = to_sympy(n.a, params)  # type: ignore[attr-defined]
        b = to_sympy(n.b, params)  # type: ignore[attr-defined]
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
        return _FUNCS[n.fn](to_sympy(n.arg, params))  # type: ignore[attr-defined]
    if t is Fact:
        x = to_sympy(n.x, params)  # type: ignore[attr-defined]
        if not x.is_number or x > MAX_FACTORIAL:
            raise TooBig(f"factorials are limited to {MAX_FACTORIAL}!")
        return sympy.factorial(x)
    raise TypeError(f"unknown node {n!r}")


def equivalent_sympy(a: Node, b: Node, params: Mapping[str, float]) -> bool:
    """Exact check used when float sample points cannot decide.

    The difference is evaluated with 50-digit arithmetic at rational points (cheap even where
    floats overflow: ``(x+1)^999``); ``simplify`` is the last resort, when those values cannot
    be computed.
    """
    sa, sb = to_sympy(a, params), to_sympy(b, params)
    diff = sa - sb
    if diff == 0:
        return True
    symbols = sorted(diff.free_symbols, key=str)
    points = [sympy.Rational(3, 2), sympy.Rational(7, 5), sympy.Rational(11, 5)]
    decided = 0
    for i, p in enumerate(points):
        env = {s: p + sympy.Rational(j, 7) for j, s in enumerate(symbols)} if symbols else {}
        values = [sympy.N(x.subs(env), 50) for x in (diff, sa, sb)]
        if not all(x.is_number and x.is_finite for x in values):
            continue
        v, va, vb = (abs(x) for x in values)
        if bool(v > sympy.Float("1e-30") * sympy.Max(1, va, vb)):
            return False
        decided += 1
        if not symbols and i == 0:
            return True
    if decided == len(points):
        return True
    return bool(sympy.simplify(diff) == 0)


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
