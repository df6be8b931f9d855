"""Answers with structure, as the peers have them: equations, inequalities and intervals, sets,
tuples and vectors (a symbolic item whose key has that shape, or ``answer_type``).

The structure is read here (top-level ``=``, ``<``, ``,`` and brackets, outside any nesting);
every piece is an ordinary expression read by :func:`graders.parse.parse` with the item's
variables, and pieces are compared with the library's exact equivalence (passed in as
``same``), so ``{1/2, sqrt(4)}`` is ``{2, 0.5}``. Comparison rules:

- equation: ``y = 2x + 1`` and ``2x - y + 1 = 0`` are the same equation when (lhs - rhs) of one
  is a non-zero constant times that of the other (checked at a rational point, then exactly);
- inequality / interval: a chain in one variable (``1 < x <= 3``, ``x > 2``) is an interval,
  and either notation answers either (``[1, 3)``, ``(2, oo)``; ``∪`` joins intervals); other
  inequalities compare as relations (a positive factor keeps the direction);
- set: order and repeats do not matter; tuple: order does.

Slips get their own feedback without giving the answer away: a missing or extra element, a
wrong endpoint type, components in the wrong order, the wrong number of components.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graders.exact import same_tree
from graders.expr import Bin, Call, EvalError, Fact, Name, Neg, Node, Num, evaluate, names_in
from graders.parse import Context, ParseError, parse

KINDS = ("expression", "equation", "inequality", "interval", "set", "tuple")

#: LaTeX and Unicode spellings of the structure's symbols, read before splitting.
_SPELLINGS = [
    (re.compile(r"\\leq?(?![A-Za-z])|≤|≦|⩽"), "<="),
    (re.compile(r"\\geq?(?![A-Za-z])|≥|≧|⩾"), ">="),
    (re.compile(r"\\lt(?![A-Za-z])"), "<"),
    (re.compile(r"\\gt(?![A-Za-z])"), ">"),
    (re.compile(r"\\left\\\{|\\\{"), "{"),
    (re.compile(r"\\right\\\}|\\\}"), "}"),
    (re.compile(r"\\cup(?![A-Za-z])|∪"), " U "),
    (re.compile(r"\\infty(?![A-Za-z])|∞"), "oo"),
    (re.compile(r"\\emptyset(?![A-Za-z])|\\varnothing(?![A-Za-z])|∅"), "{}"),
    (re.compile(r"\\langle(?![A-Za-z])|⟨"), "<"),
    (re.compile(r"\\rangle(?![A-Za-z])|⟩"), ">"),
]
_INFINITY = {"oo", "inf", "infinity", "+oo", "+inf", "+infinity"}
_RELATIONS = ("<=", ">=", "==", "=", "<", ">")
#: Elements of a set or tuple, intervals in a union: matching is quadratic, so it is capped.
MAX_ELEMENTS = 30


class StructureError(ValueError):
    """The answer's structure cannot be read; ``pos`` indexes the (respelled) text."""

    def __init__(self, message: str, pos: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


@dataclass(frozen=True, slots=True)
class Interval:
    lo: Node | None  # None: minus infinity
    lo_closed: bool
    hi: Node | None  # None: infinity
    hi_closed: bool


@dataclass(frozen=True, slots=True)
class Structure:
    kind: str
    # equation: [lhs, rhs]; set / tuple: the elements; inequality: the relations as
    # (left, op, right); interval: in ``intervals``
    nodes: tuple[Node, ...] = ()
    ops: tuple[str, ...] = ()
    intervals: tuple[Interval, ...] | None = None

    def text(self) -> str:
        from graders.expr import to_text

        if self.kind == "equation":
            return f"{to_text(self.nodes[0])} = {to_text(self.nodes[1])}"
        if self.kind == "set":
            return "{" + ", ".join(to_text(n) for n in self.nodes) + "}"
        if self.kind == "tuple":
            return "(" + ", ".join(to_text(n) for n in self.nodes) + ")"
        if self.kind == "inequality" and self.nodes:
            out = to_text(self.nodes[0])
            for op, n in zip(self.ops, self.nodes[1:], strict=True):
                out += f" {op} {to_text(n)}"
            return out
        parts = []
        for iv in self.intervals or ():
            lo = "-oo" if iv.lo is None else to_text(iv.lo)
            hi = "oo" if iv.hi is None else to_text(iv.hi)
            parts.append(f"{'[' if iv.lo_closed else '('}{lo}, {hi}{']' if iv.hi_closed else ')'}")
        return " U ".join(parts) if parts else "{}"

    def latex(self) -> str:
        from graders.expr import to_latex

        if self.kind == "equation":
            return f"{to_latex(self.nodes[0])} = {to_latex(self.nodes[1])}"
        if self.kind == "set":
            return r"\left\{" + ", ".join(to_latex(n) for n in self.nodes) + r"\right\}"
        if self.kind == "tuple":
            return r"\left(" + ", ".join(to_latex(n) for n in self.nodes) + r"\right)"
        if self.kind == "inequality" and self.nodes:
            sym = {"<": "<", ">": ">", "<=": r"\le", ">=": r"\ge"}
            out = to_latex(self.nodes[0])
            for op, n in zip(self.ops, self.nodes[1:], strict=True):
                out += f" {sym[op]} {to_latex(n)}"
            return out
        parts = []
        for iv in self.intervals or ():
            lo = r"-\infty" if iv.lo is None else to_latex(iv.lo)
            hi = r"\infty" if iv.hi is None else to_latex(iv.hi)
            left, right = "[" if iv.lo_closed else "(", "]" if iv.hi_closed else ")"
            parts.append(f"\\left{left}{lo}, {hi}\\right{right}")
        return r" \cup ".join(parts) if parts else r"\emptyset"


def respell(text: str) -> str:
    for pattern, rep in _SPELLINGS:
        text = pattern.sub(rep, text)
    return text


def _split(text: str, seps: tuple[str, ...]) -> list[tuple[str, int, str]]:
    """Top-level pieces of ``text`` between any of ``seps``: (piece, start, separator before
    it). Brackets nest; a separator inside any bracket does not split."""
    out: list[tuple[str, int, str]] = []
    depth = 0
    start = 0
    before = ""
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0:
            for sep in seps:
                if text.startswith(sep, i):
                    out.append((text[start:i], start, before))
                    before = sep
                    i += len(sep)
                    start = i
                    break
            else:
                i += 1
                continue
            continue
        i += 1
    out.append((text[start:], start, before))
    return out


def detect(text: str) -> str:
    """The kind of structure a key is written in (``expression`` when none)."""
    t = respell(text).strip()
    pieces = _split(t, _RELATIONS)
    if len(pieces) > 1:
        ops = {sep for _, _, sep in pieces[1:]}
        return "equation" if ops <= {"=", "=="} else "inequality"
    if t.startswith("{") and t.endswith("}"):
        return "set"
    if len(_split(t, (" U ",))) > 1:
        return "interval"
    if t[:1] in "([" and t[-1:] in ")]" and len(_split(t[1:-1], (",",))) >= 2:
        inner = [p.strip() for p, _, _ in _split(t[1:-1], (",",))]
        if t[0] != t[-1].translate(str.maketrans(")]", "([")) and len(inner) == 2:
            return "interval"  # [1, 3) has mixed brackets: an interval
        if any(p.lstrip("+-") in _INFINITY for p in inner):
            return "interval"
        return "tuple"
    if t[:1] == "<" and t[-1:] == ">":
        return "tuple"
    return "expression"


def _pieces(text: str, base: int, ctx: Context) -> tuple[Node, ...]:
    pieces = _split(text, (",",))
    if len(pieces) > MAX_ELEMENTS:
        raise StructureError(f"too many elements (at most {MAX_ELEMENTS})", base)
    return tuple(_expr(p, base + st, ctx) for p, st, _ in pieces)


def _expr(piece: str, start: int, ctx: Context) -> Node:
    if not piece.strip():
        raise StructureError("something is missing here", start)
    try:
        parsed = parse(piece, ctx)
    except ParseError as exc:
        raise StructureError(exc.message, None if exc.pos is None else start + exc.pos) from None
    if parsed.unit is not None:
        raise StructureError(f"leave out the unit '{parsed.unit.text}' here", start)
    return parsed.node


def read(text: str, kind: str, ctx: Context) -> Structure:
    """Read ``text`` as a structure of ``kind``; raises :class:`StructureError`."""
    t = respell(text)
    if not t.strip():
        raise StructureError("the answer is empty", None)
    if kind == "equation":
        pieces = _split(t, ("==", "="))
        if len(pieces) != 2 or any(sep not in ("", "=", "==") for _, _, sep in pieces):
            if len(pieces) == 1:
                raise StructureError(
                    "write an equation with one '=' (for example y = 2x + 1)", None
                )
            raise StructureError("write one equation, with exactly one '='", pieces[2][1])
        return Structure("equation", tuple(_expr(p, s, ctx) for p, s, _ in pieces))
    if kind in ("inequality", "interval"):
        pieces = _split(t, ("<=", ">=", "<", ">", "==", "="))
        if len(pieces) > 1:
            return _inequality(pieces, ctx)
        return Structure("interval", intervals=_intervals(t, ctx))
    if kind == "set":
        s = t.strip()
        if not (s.startswith("{") and s.endswith("}")):
            raise StructureError(
                "write a set in braces, for example {1, 2, 3} (or {} for the empty set)", 0
            )
        base = t.index("{") + 1
        inner = s[1:-1]
        if not inner.strip():
            return Structure("set", ())
        return Structure("set", _pieces(inner, base, ctx))
    if kind == "tuple":
        s = t.strip()
        pairs = {"(": ")", "[": "]", "<": ">"}
        if not (s[:1] in pairs and s[-1:] == pairs[s[0]]):
            raise StructureError(
                "write the components in brackets, separated by commas: for example (1, 2)", 0
            )
        base = t.index(s[0]) + 1
        return Structure("tuple", _pieces(s[1:-1], base, ctx))
    raise ValueError(f"unknown kind {kind!r}")


def _inequality(pieces: list[tuple[str, int, str]], ctx: Context) -> Structure:
    ops = [sep for _, _, sep in pieces[1:]]
    if any(op in ("=", "==") for op in ops):
        raise StructureError(
            "this answer is an inequality: use <, >, <= or >= (an equation has no range)",
            pieces[1][1] - 1,
        )
    if len(ops) == 2 and (ops[0][0] != ops[1][0]):
        raise StructureError("a chain such as 1 < x <= 3 goes one way: all < or all >", None)
    if len(ops) > 2:
        raise StructureError("at most two comparisons, as in 1 < x <= 3", pieces[3][1])
    nodes = tuple(_expr(p, s, ctx) for p, s, _ in pieces)
    return Structure("inequality", nodes, tuple(ops), _as_intervals(nodes, tuple(ops)))


def _as_intervals(nodes: tuple[Node, ...], ops: tuple[str, ...]) -> tuple[Interval, ...] | None:
    """``1 < x <= 3``, ``x > 2``, ``2 < x`` as one interval in the variable, or None."""
    var = [i for i, n in enumerate(nodes) if type(n) is Name]
    if len(var) != 1 or any(names_in(n) for i, n in enumerate(nodes) if i != var[0]):
        return None
    i = var[0]
    lo: Node | None = None
    hi: Node | None = None
    lo_closed = hi_closed = False
    if ops[0][0] == ">":  # flip to < form: 3 >= x > 1 is 1 < x <= 3
        nodes = nodes[::-1]
        ops = tuple(op.replace(">", "<") for op in ops[::-1])
        i = len(nodes) - 1 - i
    if i > 0:
        lo, lo_closed = nodes[i - 1], ops[i - 1] == "<="
    if i < len(nodes) - 1:
        hi, hi_closed = nodes[i + 1], ops[i] == "<="
    return (Interval(lo, lo_closed, hi, hi_closed),)


def _endpoint(piece: str, start: int, ctx: Context) -> Node | str:
    p = piece.strip()
    if p in _INFINITY:
        return "+oo"
    if p.startswith("-") and p[1:].strip() in _INFINITY:
        return "-oo"
    return _expr(piece, start, ctx)


def _intervals(text: str, ctx: Context) -> tuple[Interval, ...]:
    out = []
    union = _split(text, (" U ", " u "))
    if len(union) > MAX_ELEMENTS:
        raise StructureError(f"too many elements (at most {MAX_ELEMENTS})", None)
    for piece, start, _ in union:
        s = piece.strip()
        if s == "{}":
            continue
        offset = start + piece.index(s[0]) if s else start
        if len(s) < 2 or s[0] not in "([" or s[-1] not in ")]":
            raise StructureError(
                "write an interval as [a, b], (a, b), [a, b) or (a, b], or an inequality "
                "such as x > 2",
                offset,
            )
        ends = _split(s[1:-1], (",",))
        if len(ends) != 2:
            raise StructureError("an interval has two endpoints, separated by one comma", offset)
        lo = _endpoint(ends[0][0], offset + 1 + ends[0][1], ctx)
        hi = _endpoint(ends[1][0], offset + 1 + ends[1][1], ctx)
        lo_closed, hi_closed = s[0] == "[", s[-1] == "]"
        if lo == "+oo" or hi == "-oo":
            raise StructureError("an interval is written low endpoint first: (a, b) with a < b")
        if (lo == "-oo" and lo_closed) or (hi == "+oo" and hi_closed):
            raise StructureError("infinity is never included: write ( or ) next to oo", offset)
        out.append(
            Interval(
                None if lo == "-oo" else lo,  # type: ignore[arg-type]
                lo_closed,
                None if hi == "+oo" else hi,  # type: ignore[arg-type]
                hi_closed,
            )
        )
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# Comparing

Same = Callable[[Node, Node], bool]


@dataclass(slots=True)
class Verdict:
    correct: bool
    feedback: str
    tag: str | None = None


def compare(answer: Structure, key: Structure, same: Same) -> Verdict:
    if key.kind == "equation":
        return _compare_equation(answer, key, same)
    if key.kind in ("interval", "inequality"):
        return _compare_ranges(answer, key, same)
    if key.kind == "set":
        return _compare_set(answer, key, same)
    return _compare_tuple(answer, key, same)


_POINTS = [(13, 7), (17, 11), (19, 5), (23, 13), (29, 17)]


def _difference(s: Structure) -> Node:
    return Bin("-", s.nodes[0], s.nodes[1])


def _at(node: Node, point: dict[str, Node]) -> Node:
    """``node`` with each variable replaced by a rational constant."""
    t = type(node)
    if t is Name:
        return point.get(node.name, node)  # type: ignore[attr-defined]
    if t is Bin:
        return Bin(node.op, _at(node.a, point), _at(node.b, point))  # type: ignore[attr-defined]
    if t is Neg:
        return Neg(_at(node.x, point))  # type: ignore[attr-defined]
    if t is Call:
        return Call(node.fn, _at(node.arg, point))  # type: ignore[attr-defined]
    if t is Fact:
        return Fact(_at(node.x, point))  # type: ignore[attr-defined]
    return node


def _proportional(a: Node, b: Node, same: Same, *, positive: bool) -> bool:
    """Whether a = k*b for a constant k != 0 (k > 0 when ``positive``), exactly: k is b's
    ratio at a rational point where neither side is zero, and a*b(p) = b*a(p) is then checked
    by the library's exact equivalence."""
    names = sorted(names_in(a) | names_in(b))
    for j in range(len(_POINTS)):
        point: dict[str, Node] = {}
        values: dict[str, float] = {}
        for i, v in enumerate(names):
            p, q = _POINTS[(i + j) % len(_POINTS)]
            point[v] = Bin("/", Num(str(p), float(p), False), Num(str(q), float(q), False))
            values[v] = p / q
        try:
            va, vb = evaluate(a, values), evaluate(b, values)
        except EvalError:  # no real value at this point: try another
            continue
        if va == 0 or vb == 0:
            continue
        if positive and (va > 0) != (vb > 0):
            return False
        return same(Bin("*", a, _at(b, point)), Bin("*", b, _at(a, point)))
    return False


def _compare_equation(answer: Structure, key: Structure, same: Same) -> Verdict:
    (al, ar), (kl, kr) = answer.nodes, key.nodes
    if (same_tree(al, kl) and same_tree(ar, kr)) or (same_tree(al, kr) and same_tree(ar, kl)):
        return Verdict(True, "Correct.")  # the key as written, or its two sides swapped
    if _proportional(_difference(answer), _difference(key), same, positive=False):
        return Verdict(True, "Correct.")
    return Verdict(False, "Incorrect.")


def _same_end(a: Node | None, b: Node | None, same: Same) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return same(a, b)


def _compare_ranges(answer: Structure, key: Structure, same: Same) -> Verdict:
    if key.intervals is not None and answer.intervals is not None:
        a, k = list(answer.intervals), list(key.intervals)
        if len(a) == len(k):
            values_right = all(
                _same_end(x.lo, y.lo, same) and _same_end(x.hi, y.hi, same)
                for x, y in zip(_sorted(a), _sorted(k), strict=True)
            )
            if values_right:
                types_right = all(
                    (x.lo_closed, x.hi_closed) == (y.lo_closed, y.hi_closed)
                    for x, y in zip(_sorted(a), _sorted(k), strict=True)
                )
                if types_right:
                    return Verdict(True, "Correct.")
                return Verdict(
                    False,
                    "The endpoints are right, but check which are included: "
                    "[ ] and <= include an endpoint, ( ) and < leave it out.",
                    "endpoint-type",
                )
        return Verdict(False, "Incorrect.")
    if key.kind == "inequality" and answer.kind == "inequality":
        ka = _relations(key)
        aa = _relations(answer)
        if len(ka) == len(aa):
            used: set[int] = set()
            for d, strict in aa:
                for i, (dk, sk) in enumerate(ka):
                    if i not in used and strict == sk and _proportional(d, dk, same, positive=True):
                        used.add(i)
                        break
                else:
                    return Verdict(False, "Incorrect.")
            return Verdict(True, "Correct.")
    return Verdict(False, "Incorrect.")


def _relations(s: Structure) -> list[tuple[Node, bool]]:
    """Each comparison as (d, strict) meaning d < 0 (strict) or d <= 0."""
    out = []
    for (left, right), op in zip(zip(s.nodes, s.nodes[1:], strict=False), s.ops, strict=True):
        d = Bin("-", left, right) if op[0] == "<" else Bin("-", right, left)
        out.append((d, "=" not in op))
    return out


def _sorted(ivs: list[Interval]) -> list[Interval]:
    def key(iv: Interval) -> float:
        if iv.lo is None:
            return float("-inf")
        try:
            return evaluate(iv.lo)
        except EvalError:
            return 0.0

    return sorted(ivs, key=key)


def _compare_set(answer: Structure, key: Structure, same: Same) -> Verdict:
    if answer.kind != "set":
        return Verdict(False, "Incorrect.")
    keys = _distinct(list(key.nodes), same)
    mine = _distinct(list(answer.nodes), same)
    matched: set[int] = set()
    extra = 0
    for m in mine:
        for i, k in enumerate(keys):
            if i not in matched and same(m, k):
                matched.add(i)
                break
        else:
            extra += 1
    missing = len(keys) - len(matched)
    if not missing and not extra:
        return Verdict(True, "Correct.")
    if missing and not extra:
        what = "1 element is" if missing == 1 else f"{missing} elements are"
        return Verdict(False, f"Every element you gave is right, but {what} missing.", "missing")
    if extra and not missing:
        what = "1 element is" if extra == 1 else f"{extra} elements are"
        return Verdict(False, f"Every right element is there, but {what} not in the set.", "extra")
    right = len(matched)
    return Verdict(False, f"{right} of your elements are right; the set has {len(keys)}.")


def _distinct(nodes: list[Node], same: Same) -> list[Node]:
    out: list[Node] = []
    for n in nodes:
        if not any(same(n, m) for m in out):
            out.append(n)
    return out


def _compare_tuple(answer: Structure, key: Structure, same: Same) -> Verdict:
    if answer.kind != "tuple":
        return Verdict(False, "Incorrect.")
    n = len(key.nodes)
    if len(answer.nodes) != n:
        return Verdict(
            False,
            f"The answer has {n} components; yours has {len(answer.nodes)}.",
            "component-count",
        )
    right = sum(same(a, k) for a, k in zip(answer.nodes, key.nodes, strict=True))
    if right == n:
        return Verdict(True, "Correct.")
    if (
        _compare_set(Structure("set", answer.nodes), Structure("set", key.nodes), same).correct
        and len(_distinct(list(key.nodes), same)) == n
    ):
        return Verdict(False, "The right components, but in the wrong order.", "component-order")
    return Verdict(False, f"{right} of {n} components are right.", "component")


def key_kind(spec: dict[str, Any]) -> str:
    """The structure of a symbolic part's key: ``answer_type`` or the key's own shape."""
    kind = spec.get("answer_type")
    if isinstance(kind, str) and kind in KINDS:
        return kind
    answer = spec.get("answer")
    return detect(answer) if isinstance(answer, str) else "expression"
