"""Grade a response against a compiled item: verdict, score and feedback students can act on.

Everything here is the bounded fast path: parsing is capped, values are floats, symbolic
equivalence is decided by evaluating both sides at sample points. When a decision needs sympy
(a form rule such as ``factored``, or sample points that cannot decide) it raises
:class:`NeedsSympy` unless ``slow=True``; :mod:`graders.api` then reruns the whole grading in a
pool process with CPU and memory limits, where ``slow=True``.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graders import matching as _matching
from graders import shorttext as _shorttext
from graders import structured as _structured
from graders import units as _units
from graders.exact import (
    FAST_MAX_DIGITS,
    calculator_digits,
    exact_params,
    precise_compare,
    rational_identity,
    same_tree,
)
from graders.expr import (
    Const,
    EvalError,
    EvalOverflow,
    Name,
    Neg,
    Node,
    Num,
    evaluate,
    evaluate_complex,
    float_error,
    functions_in,
    has_decimal,
    names_in,
    num_latex,
    to_latex,
    to_text,
)
from graders.params import render_text
from graders.parse import ParseError, parse
from graders.results import Interpretation, PartResult, Result
from graders.spec import SINGLE_TYPES, Item, Mistake, Part
from graders.tolerance import count_sig_figs, write_with_figures


class NeedsSympy(Exception):
    """The fast path cannot decide; rerun with sympy in the grader pool."""


class Undecidable(Exception):
    """Not even sympy, within its bounds, can confirm or refute the equality: the answer is
    ``undecided`` (not a try), never a guess."""


# Possessive quantifiers (++, *+): no backtracking, so matching is linear in the input even
# for 100 kB of digits followed by a letter (a plain \d+\.?\d* is quadratic there).
_PLAIN_NUMBER = re.compile(r"\s*+[-+]?(?:\d++(?:\.\d*+)?|\.\d++)(?:[eE][-+]?\d{1,2})?\s*+\Z")
_TEXT_NUMBER = re.compile(r"(?<![\w.])\d++(?:\.\d++)?(?![\w.])")
N_POINTS = 8


@dataclass(slots=True)
class Reading:
    """A numeric/symbolic answer as read: the interpretation and, if readable, its value."""

    interp: Interpretation
    node: Node | None = None
    value: float | None = None  # in the part's unit
    typed: str | None = None  # the literal, when the answer is a single number
    wrong_dim: _units.Unit | None = None
    si: float | None = None
    unit: _units.Unit | None = None  # the unit typed, when it has the part's dimension


@dataclass(slots=True)
class Context:
    """Per-call state: the params, the student's part values so far, slow-path permission."""

    params: Mapping[str, Any]
    slow: bool
    values: dict[str, float] = field(default_factory=dict)  # the student's, per part
    key_values: dict[str, float] = field(default_factory=dict)  # the keys', per part
    units: dict[str, str] = field(default_factory=dict)  # each numeric part's unit
    text: str = ""  # the question as the student saw it

    @property
    def question_numbers(self) -> frozenset[float]:
        """The numbers in the question (only needed to explain a wrong answer)."""
        return question_numbers(self.text)


# ---------------------------------------------------------------------------------------------
# Reading answers


def _invalid(message: str, pos: int | None = None) -> Interpretation:
    return Interpretation(ok=False, message=message, position=pos)


def read_numeric(part: Part, raw: str) -> Reading:
    if (
        len(raw) <= 100
        and _PLAIN_NUMBER.match(raw)
        and (part.unit is None or not part.unit_required)
    ):
        s = raw.strip()
        v = float(s)
        if math.isfinite(v) and len(s) <= 40:
            if s[0] == "+":
                s = s[1:]
            lit = s.lstrip("-")
            return Reading(Interpretation(True, s, num_latex(s)), Num(lit, abs(v), False), v, lit)
    try:
        parsed = parse(raw, part.ctx)
    except ParseError as exc:
        return Reading(_invalid(exc.message, exc.pos))
    node = parsed.node
    canonical = to_text(node)
    latex = to_latex(node)
    typed = _literal(node)
    if not part.expressions and typed is None:
        return Reading(_invalid("type a number here, not an expression (for example 4.5)"))
    try:
        value = evaluate(node)
    except EvalError as exc:
        return Reading(_invalid(f"{canonical} cannot be evaluated: {exc}"))
    unit = parsed.unit
    if unit is not None:
        canonical = f"{canonical} {unit.text}"
        latex = rf"{latex}\,{unit.latex}"
    interp = Interpretation(True, canonical, latex, unit=unit.text if unit else None)
    percent_item = part.unit is not None and part.unit.dim == _units.DIMENSIONLESS
    if unit is not None and unit.dim == _units.DIMENSIONLESS and not percent_item:
        value *= unit.factor
        unit = None
    if part.unit is None:
        if unit is not None:
            return Reading(
                _invalid(f"this question asks for a plain number: leave out the unit '{unit.text}'")
            )
        return Reading(interp, node, value, typed)
    if unit is None:
        if part.unit_required and percent_item:
            return Reading(_invalid("add %: the answer is a percentage (for example 25%)", None))
        if part.unit_required:
            dim = _units.describe(part.unit.dim)
            return Reading(
                _invalid(f"add a unit: the answer is {dim} (for example in {part.unit.text})", None)
            )
        return Reading(interp, node, value, typed)
    si = value * unit.factor
    if unit.dim != part.unit.dim:
        return Reading(interp, node, None, typed, wrong_dim=unit, si=si)
    return Reading(interp, node, si / part.unit.factor, typed, si=si, unit=unit)


def _literal(node: Node) -> str | None:
    if type(node) is Num:
        return node.text
    if type(node) is Neg and type(node.x) is Num:
        return node.x.text
    return None


def read_symbolic(part: Part, raw: str) -> Reading:
    try:
        parsed = parse(raw, part.ctx)
    except ParseError as exc:
        return Reading(_invalid(exc.message, exc.pos))
    node = parsed.node
    interp = Interpretation(True, to_text(node), to_latex(node))
    if not part.variables:
        try:
            return Reading(interp, node, evaluate(node))
        except EvalError as exc:
            return Reading(_invalid(f"{interp.canonical} cannot be evaluated: {exc}"))
    return Reading(interp, node)


_TOO_LARGE = "the value is too large to evaluate"


def _undefined_constant(node: Node) -> str | None:
    """Why a part of ``node`` without variables has no real value (``x + 1/0``,
    ``x*sqrt(-2)``, ``(-2)^(1/2)``), or None. Such an answer is unreadable (``invalid``, not a
    try), as it is in a numeric item; a value merely too large for floats is left to sympy."""
    found: list[str] = []

    def visit(n: Node) -> bool:  # whether n holds a variable
        if type(n) is Name:
            return True
        kids = [k for k in (getattr(n, a, None) for a in ("a", "b", "x", "arg")) if k is not None]
        flags = [visit(k) for k in kids]
        if any(flags):
            for k, has_names in zip(kids, flags, strict=True):
                if not has_names and not found and type(k) not in (Num, Const):
                    try:
                        evaluate(k)
                    except EvalError as exc:
                        if str(exc) != _TOO_LARGE:
                            found.append(f"{to_text(k)} cannot be evaluated: {exc}")
            return True
        return False

    visit(node)
    return found[0] if found else None


def read(part: Part, raw: str) -> Reading:
    if part.type == "numeric":
        return read_numeric(part, raw)
    if part.struct is not None:
        return read_structured(part, raw)[0]
    r = read_symbolic(part, raw)
    if r.interp.ok and r.node is not None and part.variables:  # the preview says it too
        undefined = _undefined_constant(r.node)
        if undefined is not None:
            return Reading(_invalid(undefined))
    return r


def read_structured(part: Part, raw: str) -> tuple[Reading, _structured.Structure | None]:
    """An equation, inequality, interval, set or tuple answer, read as the key's kind."""
    kind = part.struct.kind if part.struct.kind != "inequality" else "interval"
    try:
        s = _structured.read(raw, kind, part.ctx)
    except _structured.StructureError as exc:
        return Reading(_invalid(exc.message, exc.pos)), None
    for node in (*s.nodes, *(e for iv in s.intervals or () for e in (iv.lo, iv.hi) if e)):
        problem = _undefined_constant(Neg(node)) if names_in(node) else None
        if not names_in(node):
            try:
                evaluate(node)
            except EvalError as exc:
                if str(exc) != _TOO_LARGE:
                    problem = f"{to_text(node)} cannot be evaluated: {exc}"
        if problem is not None:
            return Reading(_invalid(problem)), None
    return Reading(Interpretation(True, s.text(), s.latex())), s


def grade_structured(part: Part, raw: str, ctx: Context) -> tuple[PartResult, Reading]:
    r, s = read_structured(part, raw)
    if s is None:
        return _invalid_part(part, r), r

    # Each piece's float values at the first two sample points, once: a set of n elements is
    # matched against the key's in n*m comparisons, and most pairs differ plainly there.
    params = {k: complex(v) for k, v in _float_params(ctx.params).items()}
    points = [{**params, **pt} for pt in sample_points(part)[:2]]
    values: dict[int, tuple[Node, list[tuple[complex | None, float]]]] = {}

    def floats(n: Node) -> list[tuple[complex | None, float]]:
        hit = values.get(id(n))
        if hit is None:
            out: list[tuple[complex | None, float]] = []
            for env in points:
                try:
                    out.append((evaluate_complex(n, env), float_error(n, env)))
                except EvalError:
                    out.append((None, math.inf))
            hit = values[id(n)] = (n, out)  # n kept alive, so its id stays its own
        return hit[1]

    def exactly(a: Node, b: Node) -> bool:
        verdict = _equivalent(a, b, part, ctx)
        if verdict is None:
            if not ctx.slow:
                raise NeedsSympy
            from graders.symbolic import equivalent_sympy

            verdict = equivalent_sympy(
                a, b, ctx.params, sample_points(part), positive=part.positive
            )
            if verdict is None:
                raise Undecidable
        return verdict

    def same(a: Node, b: Node) -> bool:
        for (va, ea), (vb, eb) in zip(floats(a), floats(b), strict=True):
            if (
                va is not None
                and vb is not None
                and not _close(va, vb)
                and abs(va - vb) > 8 * (ea + eb)
            ):
                return False
        return exactly(a, b)

    # An equation's comparisons are one product each, built for the purpose: no pairs to sort
    # out, so the float values are not worth computing first.
    v = _structured.compare(s, part.struct, exactly if part.struct.kind == "equation" else same)
    if v.correct:
        return PartResult(part.id, "correct", 1.0, "Correct.", r.interp, weight=part.weight), r
    hints = [v.feedback] if v.tag else []
    return PartResult(part.id, "incorrect", 0.0, v.feedback, r.interp, v.tag, hints, part.weight), r


# ---------------------------------------------------------------------------------------------
# Numeric parts


def key_value(part: Part, ctx: Context) -> float:
    if part.key_value is not None:
        return part.key_value
    assert part.key is not None
    env = _float_params(ctx.params)
    if ctx.key_values:
        env.update(ctx.key_values)
    v = evaluate(part.key, env)
    if part.key_unit is not None and part.unit is not None:
        v = v * part.key_unit.factor / part.unit.factor
    return v


def _float_params(params: Mapping[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in params.items() if isinstance(v, int | float)}


def grade_numeric(part: Part, raw: str, ctx: Context) -> tuple[PartResult, Reading]:
    r = read_numeric(part, raw)
    if not r.interp.ok:
        return _invalid_part(part, r), r
    key = key_value(part, ctx)
    tol = part.tolerance
    if r.wrong_dim is not None:
        assert part.unit is not None
        res = _mistake(part, r, ctx)
        if res is not None:
            return res, r
        return PartResult(
            part.id,
            "incorrect",
            0.0,
            f"Expected {_units.describe(part.unit.dim)} (for example in {part.unit.text}); "
            f"'{r.wrong_dim.text}' is {_units.describe(r.wrong_dim.dim)}.",
            r.interp,
            "unit-dimension",
            weight=part.weight,
        ), r
    assert r.value is not None
    if tol.accepts(r.value, key):
        if not tol.digits_ok(r.typed) or not tol.rounding_ok(r.value, r.typed, key):
            return _digits_problem(part, r, key), r
        problem = _units_problem(part, r)
        if problem is not None:
            return problem, r
        return PartResult(part.id, "correct", 1.0, "Correct.", r.interp, weight=part.weight), r
    res = _mistake(part, r, ctx)
    if res is not None:
        return res, r
    feedback, tag, hints = _numeric_hints(part, r, key, ctx)
    return PartResult(part.id, "incorrect", 0.0, feedback, r.interp, tag, hints, part.weight), r


def _units_problem(part: Part, r: Reading) -> PartResult | None:
    """With ``strict_units``: a right quantity in another unit than the item's is not right."""
    if not part.strict_units or part.unit is None or r.unit is None:
        return None
    if r.unit.text == part.unit.text:
        return None
    msg = f"Right quantity, but give it in {part.unit.text}, as the question asks."
    return PartResult(part.id, "incorrect", 0.0, msg, r.interp, "unit-strict", [msg], part.weight)


def _digits_problem(part: Part, r: Reading, key: float) -> PartResult:
    """A right value with the wrong digits: say the rule, and how to meet it."""
    tol = part.tolerance
    if r.typed is None:
        msg = f"Right value, but type it as a number {tol.describe()}."
        hint = f"Work it out and type the number itself: the question asks for {tol.describe()}."
    elif tol.rounding is not None and tol.digits_ok(r.typed):
        msg = f"Close, but not {tol.describe()}: check which way the last digit rounds."
        hint = msg
    else:
        msg = f"Right value, but give it {tol.describe()}."
        hint = f"Count the digits you typed: the question asks for {tol.describe()}."
        if tol.kind == "sig_figs":
            how = write_with_figures(r.typed, int(tol.value))
            if how is not None:
                got = count_sig_figs(r.typed)
                figures = "significant figure" if got == 1 else "significant figures"
                n = int(tol.value)
                hint = f"Written as {r.typed}, it has {got} {figures}: write {how} for {n}."
                msg = f"{msg} {hint}"
    return PartResult(part.id, "incorrect", 0.0, msg, r.interp, "precision", [hint], part.weight)


def _invalid_part(part: Part, r: Reading) -> PartResult:
    return PartResult(part.id, "invalid", None, r.interp.message, r.interp, weight=part.weight)


def _mistake(part: Part, r: Reading, ctx: Context) -> PartResult | None:
    env = _float_params(ctx.params)
    for m in part.mistakes:
        if part.type == "symbolic":
            if r.node is not None and _equivalent(r.node, m.node, part, ctx) is True:
                return _mistake_result(part, m, r)
            continue
        try:
            mv = evaluate(m.node, env)
        except EvalError:
            continue
        if m.unit is not None and part.unit is not None and m.unit.dim != part.unit.dim:
            if (
                r.wrong_dim is not None
                and r.wrong_dim.dim == m.unit.dim
                and r.si is not None
                and math.isclose(r.si, mv * m.unit.factor, rel_tol=1e-6)
            ):
                return _mistake_result(part, m, r)
            continue
        if r.value is None:
            continue
        if m.unit is not None and part.unit is not None:
            mv = mv * m.unit.factor / part.unit.factor
        if part.tolerance.accepts(r.value, mv) or math.isclose(r.value, mv, rel_tol=1e-6):
            return _mistake_result(part, m, r)
    return None


def _mistake_result(part: Part, m: Mistake, r: Reading) -> PartResult:
    """A declared mistake's verdict: wrong, unless the author gave it credit (Moodle's
    partial-credit answers are imported as mistakes with ``credit``)."""
    outcome = "incorrect" if m.credit <= 0 else "correct" if m.credit >= 1 else "partially_correct"
    return PartResult(part.id, outcome, m.credit, m.feedback, r.interp, m.tag, weight=part.weight)


def _numeric_hints(
    part: Part, r: Reading, key: float, ctx: Context
) -> tuple[str, str | None, list[str]]:
    """The automatic feedback for a wrong number: sign, power of ten or unit slip, a value
    copied from the question, close but outside the tolerance."""
    assert r.value is not None
    v = r.value
    tol = part.tolerance
    unit = f" {part.unit.text}" if part.unit else ""
    if key != 0 and tol.accepts(-v, key):
        return (
            "Check the sign: your answer has the opposite sign of the right one.",
            "sign-error",
            ["Your value has the right size but the wrong sign."],
        )
    if part.unit is not None and r.si is not None and r.interp.unit:
        typed_unit = _units.lookup(r.interp.unit.split("*")[0].split("/")[0].split("^")[0])
        if typed_unit is not None and r.interp.unit != part.unit.text:
            number = r.si / typed_unit.factor if typed_unit.dim == part.unit.dim else None
            if number is not None and tol.accepts(number, key):
                msg = (
                    f"The number is right but the unit is not: {number:g} {part.unit.text}, "
                    f"not {number:g} {r.interp.unit}."
                )
                return msg, "unit-slip", [msg]
    if key != 0 and v != 0:
        ratio = v / key
        k = round(math.log10(abs(ratio))) if ratio > 0 else 0
        if ratio > 0 and 1 <= abs(k) <= 12 and tol.accepts(v / 10.0**k, key):
            if part.unit is not None and r.interp.unit and r.interp.unit != part.unit.text:
                msg = (
                    f"Your answer is off by a factor of 10^{k}: check the conversion from "
                    f"{r.interp.unit} (the answer is expected in{unit})."
                )
                return msg, "unit-slip", [msg]
            if part.unit is not None and not r.interp.unit:
                msg = (
                    f"Your number is off by a factor of 10^{k}: is it in{unit}? Typing the "
                    "unit avoids this slip."
                )
                return msg, "unit-slip", [msg]
            msg = f"Your answer is off by a factor of 10^{k}: check powers of ten."
            return msg, "power-of-ten", [msg]
    for q in ctx.question_numbers:
        if math.isclose(v, q, rel_tol=1e-9) and not math.isclose(q, key, rel_tol=1e-9):
            msg = (
                f"{_g(v)}{unit} is a number given in the question, not the result: for "
                "example a per-step value where a total is asked. Work out what the question "
                "asks for from it."
            )
            return msg, "given-value", [msg]
    if key != 0 and abs(v - key) <= 0.05 * abs(key):
        msg = (
            f"Close, but not {tol.describe(part.unit.text if part.unit else None)}: keep more "
            "digits until the last step, then round."
        )
        return msg, "precision", [msg]
    return "Incorrect.", None, []


def _g(v: float) -> str:
    return f"{v:.10g}"


# ---------------------------------------------------------------------------------------------
# Symbolic parts


# Where the variables are sampled, by domain: positive (the default, as sympy's symbols are
# here), half near 1 and half up to 12, so that answers equal only on a short interval
# (|x - 3| and 3 - x) are told apart; "real" adds the mirror images, so sqrt(x^2) is |x|.
_POSITIVE = [(0.5, 2.5), (2.5, 12.0)]
_REAL = [(0.5, 2.5), (-12.0, -2.5), (2.5, 12.0), (-2.5, -0.5)]


def _points(part: Part) -> list[dict[str, complex]]:
    seed = int.from_bytes(hashlib.blake2b(part.id.encode(), digest_size=8).digest(), "big")
    rng = random.Random(seed)
    out: list[dict[str, complex]] = []
    for i in range(N_POINTS):
        pt: dict[str, complex] = {}
        for v in part.variables:
            dom = part.domain.get(v, "positive")
            if isinstance(dom, tuple):
                lo, hi = dom
            else:
                ranges = _REAL if dom == "real" else _POSITIVE
                lo, hi = ranges[i % len(ranges)]
            pt[v] = complex(rng.uniform(lo, hi))
        out.append(pt)
    return out


_POINTS_CACHE: dict[tuple[Any, ...], list[dict[str, complex]]] = {}


def sample_points(part: Part) -> list[dict[str, complex]]:
    k = (part.id, part.variables, tuple(part.domain.items()))
    pts = _POINTS_CACHE.get(k)
    if pts is None:
        pts = _points(part) if part.variables else [{}]
        if len(_POINTS_CACHE) < 10_000:
            _POINTS_CACHE[k] = pts
    return pts


def _close(a: complex, b: complex) -> bool:
    # Two whole numbers that floats hold exactly are equal or not, whatever their size: the
    # relative tolerance alone judged 4^16 + 1 equal to 4^16 (found by a property test).
    if (
        a.imag == 0
        and b.imag == 0
        and a.real.is_integer()
        and b.real.is_integer()
        and max(abs(a.real), abs(b.real)) <= 2.0**40
    ):
        return a.real == b.real
    return abs(a - b) <= 1e-8 * max(abs(a), abs(b)) + 1e-10


def _equivalent(a: Node, b: Node, part: Part, ctx: Context) -> bool | None:
    """False when sample points show a difference; True only when :mod:`graders.exact`
    confirms the equality; None when neither can decide here (the grader pool tries sympy)."""
    if same_tree(a, b):
        return True
    # Most wrong answers differ at the first point: a cheap "different" before any proof.
    pts = sample_points(part)
    if _sampled(a, b, part, ctx, pts[:1]) is False:
        return False
    params = exact_params(ctx.params)
    cache = part.cache if b is part.key else None
    same = rational_identity(a, b, params, cache=cache, positive=part.positive)
    if same is True:
        return True
    loose = None if part.exact else calculator_digits(a, b)
    if same is False and loose is None:
        return False
    sampled = _sampled(a, b, part, ctx)
    if sampled is not True:
        return sampled
    rel_tol = 10.0 ** -(loose - 2) if loose else 0.0
    max_digits = None if ctx.slow else FAST_MAX_DIGITS
    return precise_compare(a, b, pts[:2], params, rel_tol, cache, max_digits)


def _sampled(
    a: Node,
    b: Node,
    part: Part,
    ctx: Context,
    points: list[dict[str, complex]] | None = None,
) -> bool | None:
    """False when the values differ at a sample point by more than the floats' rounding (or
    than a precise recomputation allows); True when no point told them apart, which is not yet
    "equal"; None when too few points have values (or floats overflow)."""
    params = {k: complex(v) for k, v in _float_params(ctx.params).items()}
    good = 0
    pts = sample_points(part) if points is None else points
    # The key's values at the sample points are the same for every answer: kept per part.
    keep = part.cache if b is part.key and not params else None
    for i, pt in enumerate(pts):
        env = {**params, **pt} if params else pt
        try:
            va: complex | None = evaluate_complex(a, env)
            vb: complex | None = keep.get(("float", i)) if keep is not None else None
            if vb is None:
                vb = evaluate_complex(b, env)
                if keep is not None:
                    keep[("float", i)] = vb
        except EvalOverflow:
            return None  # too large for floats: only sympy can tell
        except EvalError:
            va = _value_or_none(a, env)
            vb = _value_or_none(b, env)
        if va is None and vb is None:
            continue
        if va is None or vb is None:
            return False
        if not _close(va, vb) and not _same_despite_rounding(a, b, va, vb, env, ctx):
            return False
        good += 1
    return True if good >= min(3, len(pts)) else None


def _same_despite_rounding(
    a: Node, b: Node, va: complex, vb: complex, env: Mapping[str, complex], ctx: Context
) -> bool:
    """Whether two values floats call different may be the same, where the floats' own
    rounding could explain the difference (cancellation: ``exp(ln(E^2+1)) - 1 - E^2 + E`` with
    E = 8^8 is off by about 2; ``cos(2*pi*10^100)`` is 1); elsewhere they differ and no
    precise check is paid."""
    if abs(va - vb) > 8 * (float_error(a, env) + float_error(b, env)):
        return False
    point = {k: v for k, v in env.items() if k not in ctx.params}
    return precise_compare(a, b, [point], exact_params(ctx.params)) is not False


def _real_at_a_point(node: Node, part: Part, ctx: Context) -> bool:
    """Whether the answer has a real value at the first sample point (then neither of the
    checks below can find a fault, and most wrong answers skip them)."""
    params = {k: complex(v) for k, v in _float_params(ctx.params).items()}
    try:
        v = evaluate_complex(node, {**params, **sample_points(part)[0]})
    except EvalError:
        return False
    return v.imag == 0


def _no_real_value(node: Node, part: Part, ctx: Context) -> str | None:
    """Why an answer that is not right has no real value at any sample point (``sqrt(-x)``
    for positive x), or None: such an answer is unreadable (``invalid``, not a try)."""
    params = _float_params(ctx.params)
    for pt in sample_points(part):
        env = {**params, **{k: v.real for k, v in pt.items()}}
        try:
            evaluate(node, env)
            return None
        except EvalError as exc:
            if str(exc) == _TOO_LARGE:
                return None
            why = str(exc)
    names = ", ".join(part.variables)
    return f"{to_text(node)} has no real value for any allowed {names}: {why}"


def _not_real_somewhere(node: Node, part: Part, ctx: Context) -> str | None:
    """With ``assume_real``: why the answer has no real value at a sample point where the key
    has one (``ln(-x^2)``, ``sqrt(x - 5)`` at x = 3), or None."""
    params = _float_params(ctx.params)
    assert part.key is not None
    for pt in sample_points(part):
        env = {**params, **{k: v.real for k, v in pt.items()}}
        try:
            evaluate(node, env)
        except EvalError as exc:
            if str(exc) == _TOO_LARGE:
                continue
            try:
                evaluate(part.key, env)
            except EvalError:
                continue  # the key has no real value there either
            where = ", ".join(f"{k} = {v.real:.3g}" for k, v in pt.items())
            return f"{to_text(node)} is not a real number at {where}: {exc}"
    return None


def _value_or_none(n: Node, env: Mapping[str, complex]) -> complex | None:
    try:
        return evaluate_complex(n, env)
    except EvalError:
        return None


def grade_symbolic(part: Part, raw: str, ctx: Context) -> tuple[PartResult, Reading]:
    if part.struct is not None:
        return grade_structured(part, raw, ctx)
    r = read_symbolic(part, raw)
    if not r.interp.ok:
        return _invalid_part(part, r), r
    assert r.node is not None and part.key is not None
    if part.assume_real:
        unreal = _not_real_somewhere(r.node, part, ctx)
        if unreal is not None:
            r.interp = _invalid(unreal)
            return _invalid_part(part, r), r
    same = _equivalent(r.node, part.key, part, ctx)
    if same is not True and part.variables and not _real_at_a_point(r.node, part, ctx):
        # Checked only here: a part without a value (x + 1/0) leaves none to the whole answer,
        # so such an answer is never equal to the key.
        unreal = _undefined_constant(r.node) or _no_real_value(r.node, part, ctx)
        if unreal is not None:
            r.interp = _invalid(unreal)
            return _invalid_part(part, r), r
    if same is None:
        if not ctx.slow:
            raise NeedsSympy
        from graders.symbolic import equivalent_sympy

        same = equivalent_sympy(
            r.node, part.key, ctx.params, sample_points(part), positive=part.positive
        )
        if same is None:
            raise Undecidable
    if same:
        problem = _form_problem(part, r.node, ctx)
        if problem is None:
            return PartResult(part.id, "correct", 1.0, "Correct.", r.interp, weight=part.weight), r
        return PartResult(
            part.id, "incorrect", 0.0, problem, r.interp, "wrong-form", [problem], part.weight
        ), r
    res = _mistake(part, r, ctx)
    if res is not None:
        return res, r
    # A hint, not a verdict: sample points that find no difference are enough to name it.
    if _sampled(Neg(r.node), part.key, part, ctx):
        msg = "Check the sign: your answer is the negative of the right one."
        return PartResult(
            part.id, "incorrect", 0.0, msg, r.interp, "sign-error", [msg], part.weight
        ), r
    if (
        r.value is not None
        and part.key_value
        and part.form in ("exact", "natural_log")
        and not functions_in(r.node)
        and abs(r.value - part.key_value) <= 0.005 * abs(part.key_value)
    ):
        msg = f"Your decimal is about right, but give the exact value: {_FORM_MESSAGES[part.form]}"
        msg = msg.replace(": Right value, but", ":")
        return PartResult(
            part.id, "incorrect", 0.0, msg, r.interp, "wrong-form", [msg], part.weight
        ), r
    if r.value is not None and part.key_value not in (None, 0) and r.value != 0:
        assert part.key_value is not None
        ratio = r.value / part.key_value
        if ratio > 0:
            k = round(math.log10(ratio))
            if 1 <= abs(k) <= 12 and math.isclose(ratio, 10.0**k, rel_tol=1e-9):
                msg = f"Your answer is off by a factor of 10^{k}: check powers of ten."
                return PartResult(
                    part.id, "incorrect", 0.0, msg, r.interp, "power-of-ten", [msg], part.weight
                ), r
    return PartResult(part.id, "incorrect", 0.0, "Incorrect.", r.interp, weight=part.weight), r


_FORM_MESSAGES = {
    "exact": "Right value, but give an exact answer without decimals (fractions, ln, sqrt...).",
    # No example here: any example could be the very key the student is working towards.
    "natural_log": "Right value, but write it in natural-log form: exactly, with ln.",
    "expanded": "Right value, but expand it: multiply out every bracket.",
    "factored": "Right value, but factor it as far as possible.",
    "simplified": "Right value, but simplify it further.",
}


def _form_problem(part: Part, node: Node, ctx: Context) -> str | None:
    form = part.form
    if form == "any":
        return None
    if form == "exact":
        return _FORM_MESSAGES[form] if has_decimal(node) else None
    if form == "natural_log":
        fns = functions_in(node)
        return None if "ln" in fns and not fns & {"log10", "log2"} else _FORM_MESSAGES[form]
    if not ctx.slow:
        raise NeedsSympy
    from graders.symbolic import form_ok

    return None if form_ok(node, form) else _FORM_MESSAGES[form]


# ---------------------------------------------------------------------------------------------
# Multiple choice and free text


def grade_choice(part: Part, response: Any) -> PartResult:
    picks: list[str]
    if isinstance(response, str):
        picks = [response] if response else []
    elif (
        isinstance(response, list)
        and len(response) <= 2 * len(part.choices)
        and all(isinstance(x, str) for x in response)
    ):
        picks = list(dict.fromkeys(response))
    else:
        return PartResult(part.id, "invalid", None, "choose one of the options", weight=part.weight)
    by_id = {c["id"]: c for c in part.choices}
    unknown = [p for p in picks if p not in by_id]
    if not picks:
        return PartResult(part.id, "invalid", None, "choose an option", weight=part.weight)
    if unknown:
        return PartResult(
            part.id,
            "invalid",
            None,
            f"'{unknown[0]}' is not one of the options",
            weight=part.weight,
        )
    if not part.multiple and len(picks) > 1:
        return PartResult(part.id, "invalid", None, "choose only one option", weight=part.weight)
    right = {c["id"] for c in part.choices if c.get("correct")}
    notes = [by_id[p]["feedback"] for p in picks if by_id[p].get("feedback")]
    tags = [by_id[p]["tag"] for p in picks if by_id[p].get("tag") and p not in right]
    interp = Interpretation(True, ", ".join(picks), ", ".join(picks))
    if part.multiple:
        hits = len(right & set(picks))
        wrong = len(set(picks) - right)
        score = max(0.0, (hits - wrong) / len(right))
    else:
        score = 1.0 if picks[0] in right else 0.0
    outcome = "correct" if score == 1.0 else "incorrect" if score == 0 else "partially_correct"
    if not notes:
        notes = ["Correct." if score == 1 else "Partly right." if score > 0 else "Incorrect."]
    if part.multiple and 0 < score < 1:
        notes.append(
            f"{len(right & set(picks))} of {len(right)} right answers chosen"
            + (f", {len(set(picks) - right)} wrong" if set(picks) - right else "")
            + "."
        )
    return PartResult(
        part.id,
        outcome,
        score,
        " ".join(notes),
        interp,
        tags[0] if tags else None,
        weight=part.weight,
    )


def grade_free_text(part: Part, response: Any) -> PartResult:
    if not isinstance(response, str):
        return PartResult(part.id, "invalid", None, "write your answer as text", weight=part.weight)
    n = len(response.strip())
    if n == 0:
        return PartResult(part.id, "invalid", None, "the answer is empty", weight=part.weight)
    if part.min_chars is not None and n < part.min_chars:
        return PartResult(
            part.id,
            "invalid",
            None,
            f"write at least {part.min_chars} characters (you wrote {n})",
            weight=part.weight,
        )
    if part.max_chars is not None and n > part.max_chars:
        return PartResult(
            part.id,
            "invalid",
            None,
            f"write at most {part.max_chars} characters (you wrote {n})",
            weight=part.weight,
        )
    return PartResult(
        part.id,
        "needs_review",
        None,
        "Saved: your teacher will review this answer.",
        weight=part.weight,
    )


# ---------------------------------------------------------------------------------------------
# Items


@functools.lru_cache(maxsize=1024)
def question_numbers(text: str) -> frozenset[float]:
    return frozenset(float(m) for m in _TEXT_NUMBER.findall(text))


def _as_text(response: Any) -> str | None:
    if isinstance(response, str):
        return response
    if isinstance(response, int | float) and not isinstance(response, bool):
        return repr(response)
    return None


def grade_part(part: Part, response: Any, ctx: Context) -> tuple[PartResult, Reading | None]:
    if part.type in ("numeric", "symbolic"):
        raw = _as_text(response)
        if raw is None:
            return PartResult(
                part.id, "invalid", None, "the answer must be text", weight=part.weight
            ), None
        if part.type == "numeric":
            pr, r = grade_numeric(part, raw, ctx)
            if part.carry_from and pr.outcome == "incorrect":
                pr = _carry_forward(part, r, ctx) or pr
            if r.value is not None:
                ctx.values[part.id] = r.value
            if part.unit is not None:
                ctx.units[part.id] = part.unit.text
            ctx.key_values[part.id] = key_value(part, ctx)
            return pr, r
        pr, r = grade_symbolic(part, raw, ctx)
        if r.value is not None:
            ctx.values[part.id] = r.value
        return pr, r
    if part.type == "multiple_choice":
        return grade_choice(part, response), None
    if part.type == "short_text":
        return _shorttext.grade(part.spec, response, part_id=part.id, weight=part.weight), None
    if part.type == "matching":
        return _matching.grade(part.spec, response, part_id=part.id, weight=part.weight), None
    return grade_free_text(part, response), None


def _carry_forward(part: Part, r: Reading, ctx: Context) -> PartResult | None:
    """Grade against the student's own earlier answers (error carried forward)."""
    if r.value is None or part.carry_key is None:
        return None
    if not all(src in ctx.values for src in part.carry_from):
        return None
    env = {**_float_params(ctx.params), **ctx.key_values}
    env.update({s: ctx.values[s] for s in part.carry_from})
    try:
        expected = evaluate(part.carry_key, env)
    except EvalError:
        return None
    if not part.tolerance.accepts(r.value, expected):
        return None
    credit = float((part.spec.get("carry_forward") or {}).get("credit", 1.0))
    used = ", ".join(f"{s} = {_g(ctx.values[s])}{_unit_of(ctx, s)}" for s in part.carry_from)
    outcome = "correct" if credit == 1.0 else "partially_correct" if credit > 0 else "incorrect"
    return PartResult(
        part.id,
        outcome,
        credit,
        f"Correct working from your earlier answer ({used}): the error there is carried "
        "forward, not counted twice.",
        r.interp,
        None,
        [],
        part.weight,
        carried_forward=True,
    )


def _unit_of(ctx: Context, pid: str) -> str:
    u = ctx.units.get(pid)
    return f" {u}" if u else ""


def fast_correct(item: Item, response: Any) -> Result | None:
    """The hot path, about a third of the full one: a plain number that is right, for a numeric
    item whose key is a constant. Anything else (and every wrong answer, which needs feedback)
    returns None and takes the full path, which gives the same verdict."""
    band = item.fast_band
    if (
        band is None
        or type(response) is not str
        or len(response) > 100
        or not _PLAIN_NUMBER.match(response)
    ):
        return None
    part = item.parts[0]
    s = response.strip()
    v = float(s)
    key = part.key_value
    assert key is not None
    if not abs(v - key) <= band or len(s) > 40:
        return None
    if s[0] == "+":
        s = s[1:]
    return Result("correct", 1.0, "Correct.", [], Interpretation(True, s, num_latex(s)))


def grade_item(item: Item, response: Any, params: Mapping[str, Any], *, slow: bool) -> Result:
    text = render_text(item.spec, dict(params)) if params else item.spec.get("text", "")
    ctx = Context(params, slow, text=text)
    if item.type in SINGLE_TYPES:
        part = item.parts[0]
        pr, _ = grade_part(part, response, ctx)
        return Result(
            pr.outcome, pr.score, pr.feedback, [], pr.interpretation, pr.misconception, pr.hints
        )
    if item.type == "multipart":
        return _grade_parts(item, response, ctx, review=False)
    return _grade_exercise(item, response, ctx)


def _grade_parts(item: Item, response: Any, ctx: Context, *, review: bool) -> Result:
    if not isinstance(response, dict):
        return Result("invalid", None, "answer each part: expected {part id: answer}")
    results: list[PartResult] = []
    readings: dict[str, Reading | None] = {}
    for part in item.parts:
        ans = response.get(part.id)
        if ans is None or (isinstance(ans, str) and not ans.strip()):
            pr = PartResult(part.id, "invalid", None, "no answer yet", weight=part.weight)
            readings[part.id] = None
        else:
            pr, readings[part.id] = grade_part(part, ans, ctx)
        if part.type == "numeric" and part.id not in ctx.key_values:
            with contextlib.suppress(EvalError):
                ctx.key_values[part.id] = key_value(part, ctx)
        results.append(pr)
    if item.dual_form:
        _dual_form(item, results, readings)
    invalid = [p for p in results if p.outcome == "invalid"]
    if invalid:
        for p in results:
            if p.outcome != "invalid":
                p.outcome, p.score, p.feedback = "not_graded", None, ""
                p.misconception, p.hints, p.carried_forward = None, [], False
        names = ", ".join(_label(item, p.id) for p in invalid)
        return Result("invalid", None, f"Check {names}: {invalid[0].feedback}", results)
    graded = [p for p in results if p.outcome != "needs_review"]
    total = sum(p.weight for p in graded)
    score = sum(p.weight * (p.score or 0.0) for p in graded) / total if total else None
    if review or len(graded) < len(results):
        return Result("needs_review", None, "Saved: your teacher will review this answer.", results)
    assert score is not None
    score = round(score, 12)
    outcome = "correct" if score == 1 else "incorrect" if score == 0 else "partially_correct"
    n_right = sum(p.outcome == "correct" for p in results)
    feedback = f"{n_right} of {len(results)} parts correct."
    tags = [p.misconception for p in results if p.misconception]
    hints = [h for p in results for h in p.hints]
    return Result(outcome, score, feedback, results, None, tags[0] if tags else None, hints)


def _label(item: Item, pid: str) -> str:
    for p in item.parts:
        if p.id == pid:
            return p.label or pid
    return pid


def _dual_form(item: Item, results: list[PartResult], readings: dict[str, Reading | None]) -> None:
    assert item.dual_form is not None
    a_id, b_id = item.dual_form
    ra, rb = readings.get(a_id), readings.get(b_id)
    pa = next(p for p in results if p.id == a_id)
    pb = next(p for p in results if p.id == b_id)
    part_b = next(p for p in item.parts if p.id == b_id)
    if ra is None or rb is None or ra.node is None or rb.value is None:
        return
    try:
        va = evaluate(ra.node)
    except EvalError:
        return
    consistent = part_b.tolerance.accepts(rb.value, va)
    if pa.correct and not pb.correct:
        msg = f"Your exact answer is right: its decimal value is {va:.6g}."
        pb.hints.append(msg)
        if pb.feedback == "Incorrect.":
            pb.feedback = msg
    elif not pa.correct and pb.correct and pa.outcome == "incorrect":
        msg = "Your decimal is right, but your exact answer is not the same value."
        if pa.misconception != "wrong-form":
            pa.hints.append(msg)
    elif not pa.correct and not pb.correct and consistent:
        pb.hints.append(
            "Your decimal matches your exact answer, so the slip is in the exact "
            "answer: fix it and the decimal follows."
        )


def _grade_exercise(item: Item, response: Any, ctx: Context) -> Result:
    if isinstance(response, str):
        response = {"reflection": response}
    if not isinstance(response, dict):
        return Result("invalid", None, "expected {reflection: ..., parts: {...}}")
    refl = item.reflection or {}
    text = response.get("reflection")
    if refl or text is not None:
        if not isinstance(text, str) or not text.strip():
            return Result("invalid", None, "write your reflection")
        n = len(text.strip())
        if refl.get("min_chars") is not None and n < refl["min_chars"]:
            return Result(
                "invalid", None, f"write at least {refl['min_chars']} characters (you wrote {n})"
            )
        if refl.get("max_chars") is not None and n > refl["max_chars"]:
            return Result(
                "invalid", None, f"write at most {refl['max_chars']} characters (you wrote {n})"
            )
    if not item.parts:
        return Result("needs_review", None, "Saved: your teacher will review this exercise.")
    answers = response.get("parts") or {}
    res = _grade_parts(item, answers, ctx, review=True)
    return res
