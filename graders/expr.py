"""The expression tree the parser builds, and what can be done with it without sympy.

Student text never reaches ``eval``, ``sympify`` or ``parse_expr``: the parser builds these nodes
from an allow-list, and everything here (float/complex evaluation, printing as text and LaTeX)
does a bounded amount of work per node. Numbers are evaluated as floats, so ``9^9^9^9`` overflows
in microseconds instead of growing a billion-digit integer. Conversion to sympy (exact rationals
for typed decimals) lives in :mod:`graders.symbolic` and only runs in the grader pool.
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Callable, Mapping

MAX_FACTORIAL = 170  # the largest n with n! a finite float


class EvalError(Exception):
    """The expression has no finite real value (domain error, overflow, division by zero)."""


class EvalOverflow(EvalError):
    """Too large for floats: the value may still exist (sympy can decide exactly)."""


class Node:
    __slots__ = ()
    prec = 9

    def walk(self) -> list[Node]:
        return [self]


class Num(Node):
    """A number literal; ``text`` is what was typed (commas removed), ``decimal`` is true for
    ``0.3`` or ``1e-3`` (decimal notation, which ``form: exact`` refuses)."""

    __slots__ = ("decimal", "text", "value")

    def __init__(self, text: str, value: float, decimal: bool) -> None:
        self.text = text
        self.value = value
        self.decimal = decimal


class Const(Node):
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name  # "pi" or "e"


class Name(Node):
    """A variable of a symbolic item, a param, or a part id in a carry-forward answer."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class Neg(Node):
    __slots__ = ("x",)
    prec = 3

    def __init__(self, x: Node) -> None:
        self.x = x

    def walk(self) -> list[Node]:
        return [self, *self.x.walk()]


class Bin(Node):
    __slots__ = ("a", "b", "op")

    def __init__(self, op: str, a: Node, b: Node) -> None:
        self.op = op
        self.a = a
        self.b = b

    @property
    def prec(self) -> int:  # type: ignore[override]
        return _BIN_PREC[self.op]

    def walk(self) -> list[Node]:
        return [self, *self.a.walk(), *self.b.walk()]


class Call(Node):
    __slots__ = ("arg", "fn")

    def __init__(self, fn: str, arg: Node) -> None:
        self.fn = fn  # a key of FUNCTIONS
        self.arg = arg

    def walk(self) -> list[Node]:
        return [self, *self.arg.walk()]


class Fact(Node):
    __slots__ = ("x",)
    prec = 5

    def __init__(self, x: Node) -> None:
        self.x = x

    def walk(self) -> list[Node]:
        return [self, *self.x.walk()]


_BIN_PREC = {"+": 1, "-": 1, "*": 2, "/": 2, "^": 4}


def _ln(x: float) -> float:
    if x <= 0:
        raise EvalError("the logarithm of zero or a negative number is undefined")
    return math.log(x)


def _log10(x: float) -> float:
    return _ln(x) / math.log(10)


def _log2(x: float) -> float:
    return _ln(x) / math.log(2)


def _sqrt(x: float) -> float:
    if x < 0:
        raise EvalError("the square root of a negative number is not a real number")
    return math.sqrt(x)


def _recip(f: Callable[[float], float]) -> Callable[[float], float]:
    def g(x: float) -> float:
        v = f(x)
        if v == 0:
            raise EvalError("division by zero")
        return 1.0 / v

    return g


# name -> (real function, complex function, LaTeX command)
FUNCTIONS: dict[str, tuple[Callable[[float], float], Callable[[complex], complex], str]] = {
    "ln": (_ln, cmath.log, r"\ln"),
    "log10": (_log10, cmath.log10, r"\log_{10}"),
    "log2": (_log2, lambda z: cmath.log(z) / math.log(2), r"\log_{2}"),
    "exp": (math.exp, cmath.exp, r"\exp"),
    "sqrt": (_sqrt, cmath.sqrt, r"\sqrt"),
    "abs": (abs, lambda z: complex(abs(z)), ""),
    "sin": (math.sin, cmath.sin, r"\sin"),
    "cos": (math.cos, cmath.cos, r"\cos"),
    "tan": (math.tan, cmath.tan, r"\tan"),
    "sec": (_recip(math.cos), lambda z: 1 / cmath.cos(z), r"\sec"),
    "csc": (_recip(math.sin), lambda z: 1 / cmath.sin(z), r"\csc"),
    "cot": (_recip(math.tan), lambda z: 1 / cmath.tan(z), r"\cot"),
    "asin": (math.asin, cmath.asin, r"\arcsin"),
    "acos": (math.acos, cmath.acos, r"\arccos"),
    "atan": (math.atan, cmath.atan, r"\arctan"),
    "sinh": (math.sinh, cmath.sinh, r"\sinh"),
    "cosh": (math.cosh, cmath.cosh, r"\cosh"),
    "tanh": (math.tanh, cmath.tanh, r"\tanh"),
}


def _factorial(v: float) -> float:
    if v != int(v) or v < 0:
        raise EvalError("factorial is defined here for whole numbers 0, 1, 2, ... only")
    if v > MAX_FACTORIAL:
        raise EvalError(f"factorial is limited to {MAX_FACTORIAL}! (the result is too large)")
    return float(math.factorial(int(v)))


def evaluate(node: Node, env: Mapping[str, float] | None = None) -> float:
    """The real value of ``node`` as a float; raises :class:`EvalError` when it has none."""
    try:
        v = _ev(node, env or {})
    except (OverflowError, ValueError) as exc:
        raise EvalError(_overflow_message(exc)) from None
    except ZeroDivisionError:
        raise EvalError("division by zero") from None
    if v in (math.inf, -math.inf):
        raise EvalError("the value is too large to evaluate")
    if isinstance(v, complex) or v != v:
        raise EvalError("the value is not a finite real number")
    return v


def _overflow_message(exc: Exception) -> str:
    if isinstance(exc, OverflowError):
        return "the value is too large to evaluate"
    return "the value is not a finite real number (math domain error)"


def _ev(n: Node, env: Mapping[str, float]) -> float:
    t = type(n)
    if t is Num:
        return n.value  # type: ignore[attr-defined, no-any-return]
    if t is Bin:
        a = _ev(n.a, env)  # type: ignore[attr-defined]
        b = _ev(n.b, env)  # type: ignore[attr-defined]
        op = n.op  # type: ignore[attr-defined]
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return a / b
        r = a**b
        if isinstance(r, complex):
            raise EvalError("a negative number to a fractional power is not a real number")
        return float(r)
    if t is Neg:
        return -_ev(n.x, env)  # type: ignore[attr-defined]
    if t is Call:
        return FUNCTIONS[n.fn][0](_ev(n.arg, env))  # type: ignore[attr-defined]
    if t is Const:
        return math.pi if n.name == "pi" else math.e  # type: ignore[attr-defined]
    if t is Name:
        try:
            return env[n.name]  # type: ignore[attr-defined]
        except KeyError:
            raise EvalError(f"no value for '{n.name}'") from None  # type: ignore[attr-defined]
    if t is Fact:
        return _factorial(_ev(n.x, env))  # type: ignore[attr-defined]
    raise TypeError(f"unknown node {n!r}")


def evaluate_complex(node: Node, env: Mapping[str, complex]) -> complex:
    """The complex value of ``node`` (used to compare expressions at sample points, where a
    real-only evaluation would fail for branches that both sides share)."""
    try:
        v = _evc(node, env)
    except OverflowError:
        raise EvalOverflow("too large to evaluate") from None
    except (ValueError, ZeroDivisionError) as exc:
        raise EvalError(str(exc) or "undefined") from None
    if cmath.isinf(v):
        raise EvalOverflow("too large to evaluate")
    if not cmath.isfinite(v):
        raise EvalError("the value is not finite")
    return v


def _evc(n: Node, env: Mapping[str, complex]) -> complex:
    t = type(n)
    if t is Num:
        return complex(n.value)  # type: ignore[attr-defined]
    if t is Bin:
        a = _evc(n.a, env)  # type: ignore[attr-defined]
        b = _evc(n.b, env)  # type: ignore[attr-defined]
        op = n.op  # type: ignore[attr-defined]
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            return a / b
        if a == 0 and b.real > 0:
            return 0j
        if abs(b) > 1e6 or (abs(a) > 1 and abs(b.real) * math.log(abs(a)) > 700):
            raise OverflowError("too large")
        return a**b
    if t is Neg:
        return -_evc(n.x, env)  # type: ignore[attr-defined]
    if t is Call:
        return FUNCTIONS[n.fn][1](_evc(n.arg, env))  # type: ignore[attr-defined]
    if t is Const:
        return complex(math.pi if n.name == "pi" else math.e)  # type: ignore[attr-defined]
    if t is Name:
        return env[n.name]  # type: ignore[attr-defined]
    if t is Fact:
        z = _evc(n.x, env)  # type: ignore[attr-defined]
        if z.imag != 0:
            raise ValueError("factorial of a complex number")
        return complex(_factorial(z.real))
    raise TypeError(f"unknown node {n!r}")


# ---------------------------------------------------------------------------------------------
# Printing


def to_text(n: Node) -> str:
    """Plain text the parser reads back as the same tree (``-ln(0.3)``, ``2*x^2``)."""
    t = type(n)
    if t is Num:
        return n.text  # type: ignore[attr-defined, no-any-return]
    if t is Const or t is Name:
        return n.name  # type: ignore[attr-defined, no-any-return]
    if t is Neg:
        x = n.x  # type: ignore[attr-defined]
        return "-" + _wrap_text(x, x.prec < 4)
    if t is Bin:
        op, a, b = n.op, n.a, n.b  # type: ignore[attr-defined]
        p = _BIN_PREC[op]
        if op == "^":
            return f"{_wrap_text(a, a.prec <= 5)}^{_wrap_text(b, b.prec < 4)}"
        left = _wrap_text(a, a.prec < p)
        right = _wrap_text(b, b.prec <= p if op in "-/" else b.prec < p)
        if op in "+-":
            return f"{left} {op} {right}"
        return f"{left}{op}{right}"
    if t is Call:
        return f"{n.fn}({to_text(n.arg)})"  # type: ignore[attr-defined]
    if t is Fact:
        x = n.x  # type: ignore[attr-defined]
        return _wrap_text(x, x.prec < 9) + "!"
    raise TypeError(f"unknown node {n!r}")


def _wrap_text(n: Node, paren: bool) -> str:
    s = to_text(n)
    return f"({s})" if paren else s


def num_latex(text: str) -> str:
    mant, _, exp = text.lower().partition("e")
    if not exp:
        return text
    return f"{mant} \\times 10^{{{int(exp)}}}"


def to_latex(n: Node) -> str:
    """LaTeX for display (``-\\ln\\left(0.3\\right)``, ``\\frac{10}{3}``)."""
    t = type(n)
    if t is Num:
        return num_latex(n.text)  # type: ignore[attr-defined]
    if t is Const:
        return r"\pi" if n.name == "pi" else "e"  # type: ignore[attr-defined]
    if t is Name:
        name = n.name  # type: ignore[attr-defined]
        return name if len(name) == 1 else rf"\mathrm{{{name}}}"
    if t is Neg:
        x = n.x  # type: ignore[attr-defined]
        return "-" + _wrap_latex(x, _is_addlike(x) or (type(x) is Bin and x.op == "*"))
    if t is Bin:
        op, a, b = n.op, n.a, n.b  # type: ignore[attr-defined]
        if op == "/":
            return rf"\frac{{{to_latex(a)}}}{{{to_latex(b)}}}"
        if op == "^":
            return f"{_wrap_latex(a, a.prec <= 5)}^{{{to_latex(b)}}}"
        p = _BIN_PREC[op]
        left = _wrap_latex(a, a.prec < p)
        right = _wrap_latex(b, b.prec <= p if op == "-" else b.prec < p)
        if op == "*":
            if type(a) is Num and type(b) in (Name, Const, Call) and not left.startswith("\\left"):
                return f"{left} {right}"
            return rf"{left} \cdot {right}"
        return f"{left} {op} {right}"
    if t is Call:
        fn, arg = n.fn, n.arg  # type: ignore[attr-defined]
        if fn == "sqrt":
            return rf"\sqrt{{{to_latex(arg)}}}"
        if fn == "abs":
            return rf"\left|{to_latex(arg)}\right|"
        return rf"{FUNCTIONS[fn][2]}\left({to_latex(arg)}\right)"
    if t is Fact:
        x = n.x  # type: ignore[attr-defined]
        return _wrap_latex(x, x.prec < 9) + "!"
    raise TypeError(f"unknown node {n!r}")


def _is_addlike(n: Node) -> bool:
    return isinstance(n, Bin) and n.op in "+-"


def _wrap_latex(n: Node, paren: bool) -> str:
    s = to_latex(n)
    return rf"\left({s}\right)" if paren else s


def names_in(n: Node) -> set[str]:
    return {m.name for m in n.walk() if isinstance(m, Name)}


def has_decimal(n: Node) -> bool:
    return any(isinstance(m, Num) and m.decimal for m in n.walk())


def functions_in(n: Node) -> set[str]:
    return {m.fn for m in n.walk() if isinstance(m, Call)}
