"""Confirm that two expressions are equal, exactly: sample points may only say "different".

Float sampling (:func:`graders.grading._equivalent`) is fast and sure when it finds a
difference larger than the floats' own rounding, but "the same to 1e-8 at eight points" is not
"the same": ``x^2+2*x+1+10^(-20)`` and ``(x+1)^2`` agree that far, and so do ``0.99999999`` and
``1``. So "equal" is confirmed here, by the cheapest of three exact means that applies:

1. :func:`rational_identity`: both sides as rational functions with exact integer
   coefficients (``0.3`` is 3/10), every non-rational part (``ln(x)``, ``pi``,
   ``sqrt(2)``) an opaque atom named by its text. Equal as rational functions in the variables
   and atoms means equal for every value of them: a proof, not an estimate. Without atoms,
   unequal means different, too. The work is capped (terms per polynomial, multiplications).
2. :func:`precise_compare`: the values at rational sample points in arbitrary precision
   (mpmath), at a precision chosen from the expressions themselves: the digits typed in every
   number plus the orders of magnitude spanned by every intermediate value (``cos(2*pi*10^100)``
   is worked out to 130+ digits, so the argument keeps 30 after reduction), plus 30 guard
   digits. A difference larger than 10^-(20 + typed digits + smallest magnitude) is seen; one
   smaller than that cannot be typed. It answers None when the values do not exist there or the
   precision needed passes :data:`MAX_DIGITS` (the caller says ``undecided``, never a guess).
3. sympy (``graders.symbolic``, in the grader pool only): ``simplify(a - b) == 0`` within the
   pool's time budget.

Pure Python and mpmath (sympy's dependency, imported on first use): never sympy, never Django.
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from graders.expr import (
    _PRECISE_FUNCTIONS,
    MAX_FACTORIAL,
    Bin,
    Call,
    Const,
    EvalError,
    Fact,
    Name,
    Neg,
    Node,
    Num,
    to_text,
)

#: Caps on the exact rational-function work (fast path); the grader pool passes larger ones.
MAX_TERMS = 200
MAX_WORK = 5_000
#: Guard digits above what the expressions themselves need.
GUARD_DIGITS = 30
#: Beyond this many digits the precise comparison gives up (None: undecided).
MAX_DIGITS = 2000
#: The cap in the request path; past it the answer goes to the grader pool (time-boxed).
FAST_MAX_DIGITS = 400
_LOG10_2 = math.log10(2)


class _Budget(Exception):
    pass


class _NotRational(Exception):
    pass


# A monomial is one int: the exponent of indeterminate i in bits 32*i..32*i+31, so multiplying
# monomials is adding ints. Powers are capped (_MAX_DEGREE) and an expression has at most a few
# hundred products, so no field can carry into the next.
_FIELD = 32
_MASK = (1 << _FIELD) - 1
_MAX_DEGREE = 1 << 20
# Coefficients are ints: a rational function's denominators live in its denominator polynomial
# (0.3 is 3/10), which keeps the arithmetic in fast integer operations.
Poly = dict[int, int]


class _Algebra:
    """Sparse multivariate polynomials over Z in a growing list of indeterminates (the
    variables, then one per opaque atom), with a work budget."""

    def __init__(self, params: Mapping[str, Fraction], max_terms: int, max_work: int) -> None:
        self.params = params
        self.index: dict[str, int] = {}
        self.max_terms = max_terms
        self.work_left = max_work
        self.atoms = 0
        self.positive = True  # the variables are positive: ln(x^2) is 2 ln(x)

    def var(self, key: str) -> Poly:
        i = self.index.setdefault(key, len(self.index))
        return {1 << (_FIELD * i): 1}

    def add(self, a: Poly, b: Poly, sign: int = 1) -> Poly:
        if not b:
            return a
        if not a:
            return b if sign == 1 else {m: -c for m, c in b.items()}
        out = dict(a)
        get = out.get
        for m, c in b.items():
            v = get(m, 0) + sign * c
            if v:
                out[m] = v
            else:
                del out[m]  # v == 0 with c != 0: m was in out
        if len(out) > self.max_terms:
            raise _Budget
        return out

    def mul(self, a: Poly, b: Poly) -> Poly:
        if len(a) == 1 and 0 in a:  # a constant: the common case (2*x, x/10)
            c = a[0]
            return {m: c * v for m, v in b.items()} if c != 1 else b
        if len(b) == 1 and 0 in b:
            c = b[0]
            return {m: c * v for m, v in a.items()} if c != 1 else a
        self.work_left -= len(a) * len(b)
        if self.work_left < 0:
            raise _Budget
        out: Poly = {}
        get = out.get
        for ma, ca in a.items():
            for mb, cb in b.items():
                m = ma + mb
                out[m] = get(m, 0) + ca * cb
        out = {m: c for m, c in out.items() if c}
        if len(out) > self.max_terms:
            raise _Budget
        return out


_ONE: Poly = {0: 1}
Frac = tuple[Poly, Poly]  # numerator, denominator


def _const(p: Poly) -> int | None:
    """The value of a polynomial with no indeterminates in it, or None."""
    if not p:
        return 0
    if len(p) == 1 and 0 in p:
        return p[0]
    return None


def _degree(p: Poly) -> int:
    top = 0
    for m in p:
        while m:
            top = max(top, m & _MASK)
            m >>= _FIELD
    return top


def _poly_pow(alg: _Algebra, p: Poly, k: int) -> Poly:
    if k == 1 or p == _ONE:
        return p
    if k > 1 and _degree(p) * k > _MAX_DEGREE:
        raise _Budget
    out: Poly = _ONE
    base = p
    while k:
        if k & 1:
            out = alg.mul(out, base)
        k >>= 1
        if k:
            base = alg.mul(base, base)
    return out


def _rat(n: Node, alg: _Algebra) -> Frac:
    t = type(n)
    if t is Num:
        q = _fraction(n.text)  # type: ignore[attr-defined]
        return {0: q.numerator} if q else {}, {0: q.denominator}
    if t is Name:
        name = n.name  # type: ignore[attr-defined]
        if name in alg.params:
            q = alg.params[name]
            return {0: q.numerator} if q else {}, {0: q.denominator}
        return alg.var(name), _ONE
    if t is Neg:
        num, den = _rat(n.x, alg)  # type: ignore[attr-defined]
        return {m: -c for m, c in num.items()}, den
    if t is Bin:
        op = n.op  # type: ignore[attr-defined]
        if op == "^":
            return _rat_pow(n, alg)
        an, ad = _rat(n.a, alg)  # type: ignore[attr-defined]
        bn, bd = _rat(n.b, alg)  # type: ignore[attr-defined]
        if op in "+-":
            sign = 1 if op == "+" else -1
            if ad == bd:
                return alg.add(an, bn, sign), ad
            return alg.add(alg.mul(an, bd), alg.mul(bn, ad), sign), alg.mul(ad, bd)
        if op == "*":
            return alg.mul(an, bn), alg.mul(ad, bd)
        if not bn:
            raise _NotRational  # division by zero: not for this tier to report
        return alg.mul(an, bd), alg.mul(ad, bn)
    if t is Fact:
        num, den = _rat(n.x, alg)  # type: ignore[attr-defined]
        c, d = _const(num), _const(den)
        if c is not None and d and c % d == 0 and 0 <= c // d <= MAX_FACTORIAL:
            return {0: math.factorial(c // d)}, _ONE
        return _atom(n, alg)
    if t is Call and n.fn in _LOGS:  # type: ignore[attr-defined]
        return _rat_log(n, alg)
    return _atom(n, alg)  # Const, Call: opaque


# ln(2) and ln(10) as the sums of logarithms of primes that _rat_log makes of them.
_LOGS = {"ln": 1, "log2": 2, "log10": 10}
_PRIMES = [p for p in range(2, 1000) if all(p % q for q in range(2, int(p**0.5) + 1))]


@functools.lru_cache(maxsize=1024)
def _factor(k: int) -> tuple[tuple[int, int], ...]:
    """k >= 1 as (prime, exponent) pairs over the primes below 1000, then what is left (as
    one "prime" of its own, exponent 1)."""
    out = []
    for p in _PRIMES:
        if p * p > k:
            break
        e = 0
        while k % p == 0:
            k //= p
            e += 1
        if e:
            out.append((p, e))
    if k > 1:
        out.append((k, 1))
    return tuple(out)


def _ln_int(k: int, alg: _Algebra) -> Poly:
    """ln(k) for a whole number k >= 1 as a sum of ln(prime) atoms."""
    if k == 1:
        return {}
    out: Poly = {}
    for p, e in _factor(k):
        i = alg.index.setdefault(f"\x00ln#{p}", len(alg.index))
        m = 1 << (_FIELD * i)
        out[m] = out.get(m, 0) + e
    alg.atoms += 1
    return out


def _rat_log(n: Node, alg: _Algebra) -> Frac:
    """ln of a positive monomial in the variables, by the rules that hold for positive values
    (the variables' domain): ln(c * x^2 / y) = ln(c) + 2 ln(x) - ln(y), and ln(c) over primes,
    so ``ln(10/3)``, ``-ln(0.3)`` and ``ln(10) - ln(3)`` are one polynomial in ln(2), ln(3),
    ln(5). Anything else stays an opaque atom."""
    num, den = _rat(n.arg, alg)  # type: ignore[attr-defined]
    if not (alg.positive and len(num) == 1 and len(den) == 1):
        return _atom(n, alg)
    ((mn, cn),) = num.items()
    ((md, cd),) = den.items()
    if cn * cd <= 0:
        return _atom(n, alg)
    out = alg.add(_ln_int(abs(cn), alg), _ln_int(abs(cd), alg), -1)
    names = {i: k for k, i in alg.index.items()} if mn or md else {}
    i = 0
    while mn or md:
        e = (mn & _MASK) - (md & _MASK)
        if e:
            name = names[i]
            if name.startswith("\x00"):  # an atom: its sign is unknown
                return _atom(n, alg)
            out = alg.add(out, {m: e * c for m, c in alg.var(f"\x00ln:{name}").items()})
        mn >>= _FIELD
        md >>= _FIELD
        i += 1
    base = _LOGS[n.fn]  # type: ignore[attr-defined]
    if base == 1:
        return out, _ONE
    return out, _ln_int(base, alg)


def _rat_pow(n: Node, alg: _Algebra) -> Frac:
    en, ed = _rat(n.b, alg)  # type: ignore[attr-defined]
    e_num, e_den = _const(en), _const(ed)
    if e_num is None or not e_den or e_num % e_den or abs(e_num // e_den) > 1000:
        return _atom(n, alg)  # sqrt-like powers are atoms
    num, den = _rat(n.a, alg)  # type: ignore[attr-defined]
    k = e_num // e_den
    if k < 0:
        if not num:
            raise _NotRational
        num, den, k = den, num, -k
    return _poly_pow(alg, num, k), _poly_pow(alg, den, k)


def _atom(n: Node, alg: _Algebra) -> Frac:
    alg.atoms += 1
    if type(n) is Bin and n.op == "^" and type(n.a) is Const and n.a.name == "e":  # type: ignore[attr-defined]
        return alg.var(f"\x00exp({to_text(n.b)})"), _ONE  # type: ignore[attr-defined]
    return alg.var("\x00" + to_text(n)), _ONE


def same_tree(a: Node, b: Node) -> bool:
    """Whether two trees are the same as typed (a proof of equality, and the commonest right
    answer: the key itself)."""
    t = type(a)
    if t is not type(b):
        return False
    if t is Num:
        return a.text == b.text  # type: ignore[attr-defined, no-any-return]
    if t is Name or t is Const:
        return a.name == b.name  # type: ignore[attr-defined, no-any-return]
    if t is Bin:
        return (
            a.op == b.op  # type: ignore[attr-defined]
            and same_tree(a.a, b.a)  # type: ignore[attr-defined]
            and same_tree(a.b, b.b)  # type: ignore[attr-defined]
        )
    if t is Neg or t is Fact:
        return same_tree(a.x, b.x)  # type: ignore[attr-defined]
    if t is Call:
        return a.fn == b.fn and same_tree(a.arg, b.arg)  # type: ignore[attr-defined]
    return False


def rational_identity(
    a: Node,
    b: Node,
    params: Mapping[str, Fraction] | None = None,
    *,
    max_terms: int = MAX_TERMS,
    max_work: int = MAX_WORK,
    cache: dict[Any, Any] | None = None,
    positive: bool = True,
) -> bool | None:
    """True when ``a`` and ``b`` are the same rational function of their variables and opaque
    atoms (a proof); False when they are rational functions of the variables alone and differ
    (a proof too); None otherwise (atoms that may be related, such as ``ln(x^2)`` and
    ``2*ln(x)``, or the work cap reached). ``cache`` (one per key ``b``) keeps ``b``'s form;
    ``positive`` says the variables are positive (so ln(x^2) is 2 ln(x))."""
    params = params or {}
    alg = _Algebra(params, max_terms, max_work)
    alg.positive = positive
    ck = ("rational", tuple(sorted(params.items())), max_terms, max_work, positive)
    hit = cache.get(ck) if cache is not None else None
    try:
        if hit is None:
            try:
                bn, bd = _rat(b, alg)
            except (_Budget, _NotRational, ZeroDivisionError, ValueError):
                bn = bd = None
            hit = (dict(alg.index), bn, bd, alg.atoms, alg.work_left)
            if cache is not None:
                if len(cache) > 256:  # one entry per params variant: keep it bounded
                    cache.clear()
                cache[ck] = hit
        index, bn, bd, alg.atoms, alg.work_left = hit
        if bn is None or bd is None:
            return None
        alg.index = dict(index)
        an, ad = _rat(a, alg)
        same_den = ad == bd
        diff = alg.add(an if same_den else alg.mul(an, bd), bn if same_den else alg.mul(bn, ad), -1)
    except (_Budget, _NotRational, ZeroDivisionError, ValueError):
        return None
    if not diff:
        return True
    return False if alg.atoms == 0 else None


def exact_params(params: Mapping[str, Any]) -> dict[str, Fraction]:
    """Params as exact rationals: a float param is the decimal it prints as (0.08 is 2/25)."""
    out: dict[str, Fraction] = {}
    for k, v in params.items():
        if isinstance(v, bool) or not isinstance(v, int | float):
            continue
        if isinstance(v, float) and not math.isfinite(v):
            continue
        out[k] = Fraction(repr(v)) if isinstance(v, float) else Fraction(v)
    return out


# ---------------------------------------------------------------------------------------------
# Arbitrary precision

_LOCAL = threading.local()
# Real arguments stay real (mpf, about twice as fast as mpc); mpmath moves to complex values by
# itself where a real function has none (log of a negative number, a fractional power).
_FUNCTIONS = {**_PRECISE_FUNCTIONS, "abs": lambda c, z: abs(z)}


def _context() -> Any:
    ctx = getattr(_LOCAL, "ctx", None)
    if ctx is None:
        import mpmath  # sympy's dependency; only when an "equal" needs confirming

        ctx = mpmath.MPContext()
        _LOCAL.ctx = ctx
    return ctx


class _Span:
    """The largest and smallest magnitudes (log10) met while evaluating."""

    __slots__ = ("hi", "lo")

    def __init__(self) -> None:
        self.hi = 0.0
        self.lo = 0.0


def _digits(text: str) -> int:
    mant, _, exp = text.lower().partition("e")
    digits = len(mant.replace(".", "").lstrip("0")) or 1
    return digits + (abs(int(exp)) if exp.lstrip("+-").isdigit() else 0)


def typed_digits(n: Node) -> int:
    """The most digits typed in one number of ``n`` (``0.99999999``: 8; ``1e-20``: 21)."""
    return max((_digits(m.text) for m in n.walk() if type(m) is Num), default=1)  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=4096)
def _fraction(text: str) -> Fraction:
    return Fraction(text)


#: A decimal typed with this many significant digits or more is a calculator's full display.
CALCULATOR_DIGITS = 15


def calculator_digits(*nodes: Node) -> int | None:
    """The fewest significant digits among decimals typed to a calculator's full precision
    (15 or more: ``3.333333333333333333``), or None when there are none. Outside ``exact``
    mode such a decimal stands for the value it rounds, to within 10^-(digits-2) relative."""
    found = [
        len(m.text.lower().partition("e")[0].replace(".", "").lstrip("0"))  # type: ignore[attr-defined]
        for n in nodes
        for m in n.walk()
        if type(m) is Num and m.decimal  # type: ignore[attr-defined]
    ]
    long = [d for d in found if d >= CALCULATOR_DIGITS]
    return min(long) if long else None


def _evp(n: Node, env: Mapping[str, Any], c: Any, span: _Span) -> Any:
    t = type(n)
    if t is Num:
        q = _fraction(n.text)  # type: ignore[attr-defined]
        v = c.mpf(q.numerator) / q.denominator if q.denominator != 1 else c.mpf(q.numerator)
    elif t is Name:
        v = env[n.name]  # type: ignore[attr-defined]
    elif t is Const:
        v = +c.pi if n.name == "pi" else +c.e  # type: ignore[attr-defined]
    elif t is Neg:
        v = -_evp(n.x, env, c, span)  # type: ignore[attr-defined]
    elif t is Bin:
        a = _evp(n.a, env, c, span)  # type: ignore[attr-defined]
        b = _evp(n.b, env, c, span)  # type: ignore[attr-defined]
        op = n.op  # type: ignore[attr-defined]
        if op == "+":
            v = a + b
        elif op == "-":
            v = a - b
        elif op == "*":
            v = a * b
        elif op == "/":
            if b == 0:
                raise ZeroDivisionError("division by zero")
            v = a / b
        elif a == 0:
            if b.real <= 0:
                raise ZeroDivisionError("zero to a power that is not positive")
            v = c.zero
        else:
            if abs(b) > 10**6:
                raise OverflowError("exponent too large")
            v = c.power(a, b)
    elif t is Call:
        fn = n.fn  # type: ignore[attr-defined]
        x = _evp(n.arg, env, c, span)  # type: ignore[attr-defined]
        if x == 0 and fn in ("ln", "log10", "log2", "csc", "cot"):
            raise ZeroDivisionError(f"{fn}(0) is undefined")
        v = _FUNCTIONS[fn](c, x)
    elif t is Fact:
        z = _evp(n.x, env, c, span)  # type: ignore[attr-defined]
        if z.imag != 0 or z.real > MAX_FACTORIAL or (z.real < 0 and z.real == int(z.real)):
            raise ValueError("factorial of a negative whole number or more than 170")
        v = c.factorial(z.real)  # Gamma(x + 1) between whole numbers, as sympy has it
    else:
        raise TypeError(f"unknown node {n!r}")
    if v != 0:
        m = c.mag(v) * _LOG10_2  # a bound on log10|v|, within one binary digit
        if m > span.hi:
            span.hi = m
        # A small sum or difference is cancellation (its size is rounding noise that shrinks
        # with the precision); a small typed number, power or function value is not.
        elif -m > span.lo and not (t is Bin and n.op in "+-"):  # type: ignore[attr-defined]
            span.lo = -m
    return v


def _value(n: Node, env: Mapping[str, Any], c: Any, span: _Span) -> Any:
    try:
        v = _evp(n, env, c, span)
    except (ValueError, ZeroDivisionError, OverflowError, EvalError, TypeError):
        return None
    return v if c.isfinite(v) else None


def precise_compare(
    a: Node,
    b: Node,
    points: list[Mapping[str, complex]],
    params: Mapping[str, Fraction] | None = None,
    rel_tol: float = 0.0,
    cache: dict[Any, Any] | None = None,
    max_digits: int | None = None,
) -> bool | None:
    """Compare ``a`` and ``b`` at ``points`` (their float coordinates are exact rationals) in
    enough precision that rounding cannot hide or fake a difference: False at the first point
    where they differ, True when they agree at every point where both have a value (and there
    is one), None when neither has a value anywhere or the precision would pass MAX_DIGITS.
    ``rel_tol`` widens the agreement for calculator-length decimals (:func:`calculator_digits`);
    ``cache`` (one per key ``b``) keeps ``b``'s values; ``max_digits`` lowers the cap (the
    request path leaves longer work to the grader pool, which has a time budget).
    """
    c = _context()
    params = params or {}
    digits = max(typed_digits(a), typed_digits(b))
    pkey = tuple(sorted(params.items()))
    decided = False
    for pt in points:
        prec = GUARD_DIGITS + digits + 10
        for _ in range(4):
            c.dps = prec
            env: dict[str, Any] = {k: c.mpf(q.numerator) / q.denominator for k, q in params.items()}
            for k, z in pt.items():
                env[k] = c.mpf(z.real) if z.imag == 0 else c.mpc(z.real, z.imag)
            span = _Span()
            va = _value(a, env, c, span)
            ck = ("precise", tuple(pt.items()), prec, pkey)
            hit = cache.get(ck) if cache is not None else None
            if hit is None:
                bspan = _Span()
                hit = (_value(b, env, c, bspan), bspan.hi, bspan.lo)
                if cache is not None:
                    if len(cache) > 256:
                        cache.clear()
                    cache[ck] = hit
            vb = hit[0]
            span.hi, span.lo = max(span.hi, hit[1]), max(span.lo, hit[2])
            if va is None or vb is None:
                break
            need = GUARD_DIGITS + digits + math.ceil(span.hi) + math.ceil(span.lo)
            if need <= prec:
                break
            if need > (max_digits or MAX_DIGITS):
                return None
            prec = need
        else:
            return None
        if va is None and vb is None:
            continue
        if va is None or vb is None:
            return False
        # Rounding at ``prec`` digits is below 10^(hi - prec) times the node count; the
        # tolerance is 10 digits above that and 20 + digits + lo below any typed difference.
        tol = c.mpf(10) ** (math.ceil(span.hi) - prec + 10)
        if rel_tol:
            tol = max(tol, rel_tol * max(abs(va), abs(vb)))
        if abs(va - vb) > tol:
            return False
        decided = True
    return True if decided else None
