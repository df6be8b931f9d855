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
import threading
from collections.abc import Callable, Mapping
from typing import Any

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


def _recip_arg(f: Callable[[float], float]) -> Callable[[float], float]:
    def g(x: float) -> float:
        if x == 0:
            raise EvalError("division by zero")
        return f(1.0 / x)

    return g


def _recip_arg_c(f: Callable[[complex], complex]) -> Callable[[complex], complex]:
    return lambda z: f(1 / z)


def _sign(x: float) -> float:
    return float((x > 0) - (x < 0))


def _real_only(f: Callable[[float], float]) -> Callable[[complex], complex]:
    def g(z: complex) -> complex:
        if z.imag != 0:
            raise ValueError("floor, ceil and sign take real numbers")
        return complex(f(z.real))

    return g


def _floor(x: float) -> float:
    return float(math.floor(x))


def _ceil(x: float) -> float:
    return float(math.ceil(x))


# Functions peers accept (PrairieLearn, STACK, Numbas): the reciprocal and hyperbolic families
# and their inverses, sign, floor, ceil. Inverse secant and friends go through the reciprocal.
FUNCTIONS.update(
    {
        "sech": (_recip(math.cosh), lambda z: 1 / cmath.cosh(z), r"\operatorname{sech}"),
        "csch": (_recip(math.sinh), lambda z: 1 / cmath.sinh(z), r"\operatorname{csch}"),
        "coth": (_recip(math.tanh), lambda z: 1 / cmath.tanh(z), r"\coth"),
        "asinh": (math.asinh, cmath.asinh, r"\operatorname{arsinh}"),
        "acosh": (math.acosh, cmath.acosh, r"\operatorname{arcosh}"),
        "atanh": (math.atanh, cmath.atanh, r"\operatorname{artanh}"),
        "asec": (_recip_arg(math.acos), _recip_arg_c(cmath.acos), r"\operatorname{arcsec}"),
        "acsc": (_recip_arg(math.asin), _recip_arg_c(cmath.asin), r"\operatorname{arccsc}"),
        "acot": (_recip_arg(math.atan), _recip_arg_c(cmath.atan), r"\operatorname{arccot}"),
        "asech": (_recip_arg(math.acosh), _recip_arg_c(cmath.acosh), r"\operatorname{arsech}"),
        "acsch": (_recip_arg(math.asinh), _recip_arg_c(cmath.asinh), r"\operatorname{arcsch}"),
        "acoth": (_recip_arg(math.atanh), _recip_arg_c(cmath.atanh), r"\operatorname{arcoth}"),
        "sign": (_sign, _real_only(_sign), r"\operatorname{sign}"),
        "floor": (_floor, _real_only(_floor), r"\operatorname{floor}"),
        "ceil": (_ceil, _real_only(_ceil), r"\operatorname{ceil}"),
    }
)


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


def _complex_power(a: complex, b: complex) -> complex:
    if a == 0 and b.real > 0:
        return 0j
    if abs(b) > 1e6 or (abs(a) > 1 and abs(b.real) * math.log(abs(a)) > 700):
        raise OverflowError("too large")
    return a**b


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
        return _complex_power(a, b)
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
        if z.real == int(z.real):
            return complex(_factorial(z.real))
        # x! of a variable at a sample point that is not whole: Gamma(x + 1), as sympy has it
        if z.real > MAX_FACTORIAL:
            raise OverflowError("too large")
        return complex(math.gamma(z.real + 1))
    raise TypeError(f"unknown node {n!r}")


_ULP = 2.0**-52


def float_error(node: Node, env: Mapping[str, complex]) -> float:
    """A generous bound on how far ``evaluate_complex(node, env)`` can be from the exact value:
    first-order rounding analysis, infinite wherever it cannot bound (near a singularity, an
    error too large for a linear estimate, factorials).

    It is what lets a disagreement in floats stand without a 50-digit check (about 50 µs):
    two values further apart than both bounds differ for real.
    """
    try:
        return _eve(node, env)[1]
    except (ArithmeticError, ValueError):
        return math.inf


def _eve(n: Node, env: Mapping[str, complex]) -> tuple[complex, float]:
    t = type(n)
    if t is Num:
        v = complex(n.value)  # type: ignore[attr-defined]
        return v, _ULP * abs(v)
    if t is Const:
        v = complex(math.pi if n.name == "pi" else math.e)  # type: ignore[attr-defined]
        return v, _ULP * abs(v)
    if t is Name:
        return env[n.name], 0.0  # type: ignore[attr-defined]  # both sides see the same point
    if t is Neg:
        v, e = _eve(n.x, env)  # type: ignore[attr-defined]
        return -v, e
    if t is Bin:
        a, ea = _eve(n.a, env)  # type: ignore[attr-defined]
        b, eb = _eve(n.b, env)  # type: ignore[attr-defined]
        op = n.op  # type: ignore[attr-defined]
        if op in "+-":
            r = a + b if op == "+" else a - b
            return r, ea + eb + _ULP * abs(r)
        if op == "*":
            r = a * b
            return r, abs(a) * eb + abs(b) * ea + ea * eb + _ULP * abs(r)
        if op == "/":
            if eb >= 0.5 * abs(b):
                return 0j, math.inf
            r = a / b
            return r, (ea + abs(r) * eb) / (abs(b) - eb) + _ULP * abs(r)
        r = _complex_power(a, b)
        if ea == 0 and eb == 0:
            return r, 4 * _ULP * abs(r)
        if a == 0 or ea >= 0.5 * abs(a):
            return r, math.inf
        lin = abs(b * r / a) * ea + abs(r * cmath.log(a)) * eb
        if lin > 1e-3 * abs(r):
            return r, math.inf
        return r, 2 * lin + 4 * _ULP * abs(r)
    if t is Call:
        x, ex = _eve(n.arg, env)  # type: ignore[attr-defined]
        fn = n.fn  # type: ignore[attr-defined]
        r = FUNCTIONS[fn][1](x)
        if ex == 0:
            return r, 4 * _ULP * abs(r)
        if fn in _STEPS or (fn in ("ln", "log10", "log2", "sqrt") and ex >= 0.5 * abs(x)):
            return r, math.inf
        lin = abs(_DERIVATIVES[fn](x, r)) * ex
        if ex > 1e-3 * (1 + abs(x)) or lin > 1e-3 * (1 + abs(r)):
            return r, math.inf
        # Twice the linear term, plus a second-order one for where the derivative vanishes.
        return r, 2 * lin + ex * ex * (1 + abs(r)) + 4 * _ULP * abs(r)
    return 0j, math.inf  # factorials: no bound here; the 50-digit check decides


# name -> f'(x) given x and f(x), for float_error.
_DERIVATIVES: dict[str, Callable[[complex, complex], complex]] = {
    "ln": lambda x, r: 1 / x,
    "log10": lambda x, r: 1 / (x * math.log(10)),
    "log2": lambda x, r: 1 / (x * math.log(2)),
    "exp": lambda x, r: r,
    "sqrt": lambda x, r: 1 / (2 * r),
    "abs": lambda x, r: 1,
    "sin": lambda x, r: cmath.cos(x),
    "cos": lambda x, r: cmath.sin(x),
    "tan": lambda x, r: 1 + r * r,
    "sec": lambda x, r: r * cmath.tan(x),
    "csc": lambda x, r: r / cmath.tan(x),
    "cot": lambda x, r: 1 + r * r,
    "asin": lambda x, r: 1 / cmath.sqrt(1 - x * x),
    "acos": lambda x, r: 1 / cmath.sqrt(1 - x * x),
    "atan": lambda x, r: 1 / (1 + x * x),
    "sinh": lambda x, r: cmath.cosh(x),
    "cosh": lambda x, r: cmath.sinh(x),
    "tanh": lambda x, r: 1 - r * r,
    "sech": lambda x, r: r * cmath.tanh(x),
    "csch": lambda x, r: r / cmath.tanh(x),
    "coth": lambda x, r: 1 - r * r,
    "asinh": lambda x, r: 1 / cmath.sqrt(x * x + 1),
    "acosh": lambda x, r: 1 / cmath.sqrt(x * x - 1),
    "atanh": lambda x, r: 1 / (1 - x * x),
    "asec": lambda x, r: 1 / (x * x * cmath.sqrt(1 - 1 / (x * x))),
    "acsc": lambda x, r: 1 / (x * x * cmath.sqrt(1 - 1 / (x * x))),
    "acot": lambda x, r: 1 / (1 + x * x),
    "asech": lambda x, r: 1 / (x * cmath.sqrt(1 - x * x)),
    "acsch": lambda x, r: 1 / (x * x * cmath.sqrt(1 + 1 / (x * x))),
    "acoth": lambda x, r: 1 / (1 - x * x),
}
# Steps: no derivative bounds a jump, so any input error makes the bound infinite.
_STEPS = frozenset({"sign", "floor", "ceil"})


#: Digits for :func:`evaluate_precise`: well past the ~16 of a float, so rounding after even
#: 20 digits of cancellation stays below :data:`PRECISE_TOLERANCE`.
PRECISE_DIGITS = 50
#: Relative difference below which two precise values count as the same number: no typed
#: answer differs from the key by so little, and rounding at 50 digits stays under it.
PRECISE_TOLERANCE = 1e-30

_PRECISE = threading.local()

# name -> the mpmath context's function of the same meaning (principal branches, as cmath).
_PRECISE_FUNCTIONS: dict[str, Callable[[Any, Any], Any]] = {
    "ln": lambda c, z: c.log(z),
    "log10": lambda c, z: c.log(z, 10),
    "log2": lambda c, z: c.log(z, 2),
    "exp": lambda c, z: c.exp(z),
    "sqrt": lambda c, z: c.sqrt(z),
    "abs": lambda c, z: c.mpc(abs(z)),
    "sin": lambda c, z: c.sin(z),
    "cos": lambda c, z: c.cos(z),
    "tan": lambda c, z: c.tan(z),
    "sec": lambda c, z: 1 / c.cos(z),
    "csc": lambda c, z: 1 / c.sin(z),
    "cot": lambda c, z: 1 / c.tan(z),
    "asin": lambda c, z: c.asin(z),
    "acos": lambda c, z: c.acos(z),
    "atan": lambda c, z: c.atan(z),
    "sinh": lambda c, z: c.sinh(z),
    "cosh": lambda c, z: c.cosh(z),
    "tanh": lambda c, z: c.tanh(z),
    "sech": lambda c, z: c.sech(z),
    "csch": lambda c, z: c.csch(z),
    "coth": lambda c, z: c.coth(z),
    "asinh": lambda c, z: c.asinh(z),
    "acosh": lambda c, z: c.acosh(z),
    "atanh": lambda c, z: c.atanh(z),
    "asec": lambda c, z: c.acos(1 / z),
    "acsc": lambda c, z: c.asin(1 / z),
    "acot": lambda c, z: c.atan(1 / z),
    "asech": lambda c, z: c.acosh(1 / z),
    "acsch": lambda c, z: c.asinh(1 / z),
    "acoth": lambda c, z: c.atanh(1 / z),
    "sign": lambda c, z: c.sign(_real(c, z)),
    "floor": lambda c, z: c.floor(_real(c, z)),
    "ceil": lambda c, z: c.ceil(_real(c, z)),
}


def _real(c: Any, z: Any) -> Any:
    if c.im(z) != 0:
        raise ValueError("floor, ceil and sign take real numbers")
    return c.re(z)


def _precise_context() -> Any:
    # A context of this thread's own: mpmath's global one is shared (sympy sets its
    # precision), and a web process grades in several threads at once.
    ctx = getattr(_PRECISE, "ctx", None)
    if ctx is None:
        import mpmath  # sympy's dependency; imported only when floats could not decide

        ctx = mpmath.MPContext()
        ctx.dps = PRECISE_DIGITS
        _PRECISE.ctx = ctx
    return ctx


def same_precisely(a: Node, b: Node, env: Mapping[str, complex]) -> bool | None:
    """Whether ``a`` and ``b`` have the same value at ``env`` when computed to 50 digits;
    None when either has none there.

    Floats lose digits to cancellation: ``exp(ln(E^2+1)) - 1 - E^2 + E`` with E = 8^8 is off
    by about 2 in floats (E^2 is 2.8e14), which told a right answer it was wrong (found by a
    property test). Typed decimals are read from their text, so ``0.1`` is exactly 1/10 here.
    """
    va, vb = evaluate_precise(a, env), evaluate_precise(b, env)
    if va is None or vb is None:
        return None
    return bool(abs(va - vb) <= PRECISE_TOLERANCE * max(abs(va), abs(vb)) + 1e-40)


def evaluate_precise(node: Node, env: Mapping[str, complex]) -> Any:
    """The value of ``node`` at ``env`` to 50 digits (an mpmath ``mpc``); None where it has
    none."""
    ctx = _precise_context()
    try:
        v = _evp(node, env, ctx)
    except (ValueError, ZeroDivisionError, OverflowError, EvalError):
        return None
    return v if ctx.isfinite(v) else None


def _evp(n: Node, env: Mapping[str, complex], c: Any) -> Any:
    t = type(n)
    if t is Num:
        try:
            return c.mpc(c.mpf(n.text))  # type: ignore[attr-defined]
        except (ValueError, TypeError):
            return c.mpc(n.value)  # type: ignore[attr-defined]
    if t is Bin:
        a = _evp(n.a, env, c)  # type: ignore[attr-defined]
        b = _evp(n.b, env, c)  # type: ignore[attr-defined]
        op = n.op  # type: ignore[attr-defined]
        if op == "+":
            return a + b
        if op == "-":
            return a - b
        if op == "*":
            return a * b
        if op == "/":
            if b == 0:
                raise ZeroDivisionError("division by zero")
            return a / b
        if a == 0 and b.real > 0:
            return c.mpc(0)
        return c.power(a, b)
    if t is Neg:
        return -_evp(n.x, env, c)  # type: ignore[attr-defined]
    if t is Call:
        return _PRECISE_FUNCTIONS[n.fn](c, _evp(n.arg, env, c))  # type: ignore[attr-defined]
    if t is Const:
        return c.mpc(c.pi if n.name == "pi" else c.e)  # type: ignore[attr-defined]
    if t is Name:
        return c.mpc(env[n.name])  # type: ignore[attr-defined]
    if t is Fact:
        z = _evp(n.x, env, c)  # type: ignore[attr-defined]
        if abs(z) > MAX_FACTORIAL + 1:  # floats already refused it; keep the work bounded
            raise ValueError("factorial too large")
        return c.mpc(c.factorial(z))
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
