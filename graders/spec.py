"""Check an item spec (``validate_spec``) and compile it into what grading needs.

An item spec is exactly an item of the bank format (``docs/item-spec.md``). Validation names
the field at fault (``parts[1].tolerance.absolute``) so the bank import can point at the line;
compilation parses the keys and mistakes once, so grading an answer never re-reads the spec.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from typing import Any

from graders import matching as _matching
from graders import shorttext as _shorttext
from graders import structured as _structured
from graders import units as _units
from graders.expr import EvalError, Node, Num, evaluate, names_in
from graders.parse import FUNCTION_NAMES, Context, Parsed, ParseError, parse, unit_from_text
from graders.results import SpecError
from graders.tolerance import DEFAULT, MODES, ROUNDINGS, Tolerance

ITEM_TYPES = ("numeric", "symbolic", "multiple_choice", "multipart", "free_text", "exercise")
PART_TYPES = ("numeric", "symbolic", "multiple_choice", "free_text")
# Item types that live in their own modules (graders/shorttext.py...): registered here.
ITEM_TYPES += ("short_text", "matching")
PART_TYPES += ("short_text", "matching")
#: The types graded as one part (every type but multipart and exercise).
SINGLE_TYPES = tuple(t for t in ITEM_TYPES if t not in ("multipart", "exercise"))
FORMS = ("any", "exact", "natural_log", "expanded", "factored", "simplified")
_ID_RE = re.compile(r"[a-z0-9][a-z0-9-]*\Z")
_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_PARAM_REF_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

_COMMON_KEYS = {
    "id",
    "type",
    "title",
    "text",
    "points",
    "max_attempts",
    "retry_penalty",
    "params",
    "mistakes",
    "hints",
    "explanation",
    "help",
    "placeholder",
    "tags",
    "lesson",
    "difficulty",
    "xp",
    "order",
    "source",
    "label",
    "weight",
    "carry_forward",
    "from_run",
}
#: A "your run" item reads one of the run's models (``from_run.model``): the app that runs
#: exercises fills the item's params from the student's run; the grader only checks the shape.
FROM_RUN_MODELS = ("text", "image")
_TYPE_KEYS = {
    "numeric": {"answer", "tolerance", "unit", "unit_required", "expressions", "strict_units"},
    "symbolic": {
        "answer",
        "variables",
        "form",
        "log_base",
        "exact",
        "assume_real",
        "domain",
        "answer_type",
    },
    "multiple_choice": {"choices", "multiple", "shuffle"},
    "multipart": {"parts", "dual_form"},
    "free_text": {"rubric", "model_answer", "min_chars", "max_chars"},
    "exercise": {"models", "reflection", "prompt", "settings", "rubric", "parts", "model_answer"},
    "short_text": set(_shorttext.TYPE_KEYS),
    "matching": set(_matching.TYPE_KEYS),
}


class InvalidSpec(ValueError):
    """Raised by ``grade``/``interpret`` for a spec that ``validate_spec`` rejects."""

    def __init__(self, errors: list[SpecError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


# ---------------------------------------------------------------------------------------------
# Compiled forms


@dataclass(slots=True)
class Mistake:
    source: str
    node: Node
    unit: _units.Unit | None
    feedback: str
    tag: str | None
    credit: float = 0.0


@dataclass(slots=True)
class Part:
    """One gradable question: the item itself, or a part of a multipart/exercise item."""

    id: str
    type: str
    spec: dict[str, Any]
    weight: float = 1.0
    label: str = ""
    # numeric / symbolic
    key: Node | None = None
    key_unit: _units.Unit | None = None
    key_value: float | None = None  # when the key needs no params or part values
    tolerance: Tolerance = DEFAULT
    unit: _units.Unit | None = None
    unit_required: bool = False
    strict_units: bool = False  # the answer must use the item's unit (STACK's UnitsStrict)
    expressions: bool = True
    ctx: Context = field(default_factory=Context)
    variables: tuple[str, ...] = ()
    form: str = "any"
    exact: bool = False  # symbolic: decimals are exactly what was typed, however many digits
    assume_real: bool = False  # symbolic: an answer not real at a sample point is invalid
    struct: Any = None  # symbolic: the key as a graders.structured.Structure (equation, set...)
    # symbolic: each variable's sampling domain, "positive" (default), "real" or (lo, hi)
    domain: dict[str, Any] = field(default_factory=dict)
    # graders.exact's work on the key (its rational form, its precise values), kept per part.
    cache: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)
    mistakes: list[Mistake] = field(default_factory=list)
    carry_from: tuple[str, ...] = ()
    carry_key: Node | None = None
    # multiple choice
    choices: list[dict[str, Any]] = field(default_factory=list)
    multiple: bool = False
    # free text
    min_chars: int | None = None
    max_chars: int | None = None

    @property
    def positive(self) -> bool:
        """Whether every variable is sampled positive (so ln(x^2) is 2 ln(x) and sympy's
        symbols are positive)."""
        return all(
            d == "positive" or (isinstance(d, tuple) and d[0] > 0) for d in self.domain.values()
        )


@dataclass(slots=True)
class Item:
    spec: dict[str, Any]
    type: str
    parts: list[Part]
    params: dict[str, dict[str, Any]]
    dual_form: tuple[str, str] | None = None
    reflection: dict[str, Any] | None = None
    # For grading.fast_correct: the accepted distance from a constant key of a numeric item
    # that takes plain numbers (no unit required, no typed-digits rule); None otherwise.
    fast_band: float | None = None


# ---------------------------------------------------------------------------------------------
# Validation


class _V:
    def __init__(self) -> None:
        self.errors: list[SpecError] = []

    def err(self, path: str, message: str) -> None:
        self.errors.append(SpecError(path, message))


def _join(base: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{base}[{key}]"
    return f"{base}.{key}" if base else key


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def validate_spec(spec: dict[str, Any]) -> list[SpecError]:
    """Every problem in ``spec``, each naming its field; ``[]`` means the spec is valid.

    >>> validate_spec({"id": "q1", "type": "numeric", "text": "2+2?", "answer": 4})
    []
    >>> validate_spec({"id": "q1", "type": "numeric", "text": "?", "answer": "2+"})[0].path
    'answer'
    """
    v = _V()
    if not isinstance(spec, dict):
        v.err("", "an item must be a mapping")
        return v.errors
    _validate_item(v, spec)
    if not v.errors:
        try:
            item = compile_item(spec, validate=False)
        except InvalidSpec as exc:
            v.errors.extend(exc.errors)
        else:
            v.errors.extend(_check_variants(item))
    return v.errors


def _check_variants(item: Item) -> list[SpecError]:
    """Every key must have a value for the first variants of a parameterised item (a string
    param in an expression, or ln of a param that can be 0, is a spec error, not a crash while
    grading)."""
    if not item.params:
        return []
    from graders.params import variant

    errs: list[SpecError] = []
    for seed in range(8):
        params = variant(item.spec, seed)
        env = {k: float(x) for k, x in params.items() if isinstance(x, int | float)}
        for i, part in enumerate(item.parts):
            if part.type != "numeric" or part.key is None:
                continue
            path = "answer" if item.type == "numeric" else f"parts[{i}].answer"
            for name in sorted(names_in(part.key) & set(params)):
                if name not in env:
                    errs.append(SpecError(path, f"uses the param '{name}', which is not a number"))
                    return errs
            try:
                env[part.id] = evaluate(part.key, env)
            except EvalError as exc:
                errs.append(SpecError(path, f"has no value for the params {params}: {exc}"))
                return errs
    return errs


def _validate_item(v: _V, spec: dict[str, Any]) -> None:
    sid = spec.get("id")
    if not isinstance(sid, str) or not _ID_RE.match(sid) or len(sid) > 100:
        v.err("id", "required: lowercase letters, digits and '-', at most 100 characters")
    t = spec.get("type")
    if t not in ITEM_TYPES:
        v.err("type", f"must be one of {', '.join(ITEM_TYPES)}")
        return
    if not isinstance(spec.get("text"), str) or not spec.get("text", "").strip():
        v.err("text", "required: the question text")
    _check_keys(v, "", spec, _COMMON_KEYS | _TYPE_KEYS[t])
    if "title" in spec and not isinstance(spec["title"], str):
        v.err("title", "must be text")
    if "points" in spec and (not _is_num(spec["points"]) or spec["points"] <= 0):
        v.err("points", "must be a number greater than 0")
    ma = spec.get("max_attempts")
    if ma is not None and (not isinstance(ma, int) or isinstance(ma, bool) or ma < 1):
        v.err("max_attempts", "must be a whole number of at least 1, or null for unlimited")
    rp = spec.get("retry_penalty")
    if rp is not None and (not _is_num(rp) or not 0 <= rp < 1):
        v.err("retry_penalty", "must be a number in [0, 1)")
    for key in ("explanation", "help", "placeholder"):
        if key in spec and not isinstance(spec[key], str):
            v.err(key, "must be text")
    if "hints" in spec and (
        not isinstance(spec["hints"], list) or not all(isinstance(h, str) for h in spec["hints"])
    ):
        v.err("hints", "must be a list of texts")
    _validate_params(v, spec.get("params"))
    if "from_run" in spec:
        _validate_from_run(v, spec["from_run"], spec.get("params"))
    if t in SINGLE_TYPES:
        _validate_part_body(v, "", spec, t)
    elif t == "multipart":
        _validate_parts(v, "parts", spec.get("parts"), required=True)
        df = spec.get("dual_form")
        if df is not None:
            ids = [p.get("id") for p in spec.get("parts") or [] if isinstance(p, dict)]
            if (
                not isinstance(df, list)
                or len(df) != 2
                or df[0] == df[1]
                or not all(x in ids for x in df)
            ):
                v.err("dual_form", "must name two different parts of this item: [exact, decimal]")
    else:
        _validate_exercise(v, spec)


def _validate_from_run(v: _V, fr: Any, params: Any) -> None:
    """``from_run: {exercise: KEY, model: text|image, position: k}``: the params come from the
    student's latest run of that exercise; the declared ``params`` ranges serve for previews."""
    if not isinstance(fr, dict):
        v.err("from_run", "must be a mapping: {exercise: <exercise item id>, model: text|image}")
        return
    _check_keys(v, "from_run", fr, {"exercise", "model", "position", "tokens"})
    if not isinstance(fr.get("exercise"), str) or not _ID_RE.match(fr.get("exercise", "")):
        v.err("from_run.exercise", "required: the id of the exercise item whose run is used")
    if fr.get("model") not in FROM_RUN_MODELS:
        v.err("from_run.model", "must be text or image (which of the run's models to read)")
    for key in ("position", "tokens"):
        n = fr.get(key)
        if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 1):
            v.err(f"from_run.{key}", "must be a whole number of at least 1")
    if not isinstance(params, dict) or not params:
        v.err(
            "params",
            "a from_run item declares the run values it uses as params (with preview ranges)",
        )


def _check_keys(v: _V, path: str, d: dict[str, Any], allowed: set[str]) -> None:
    for k in d:
        if k not in allowed and not str(k).startswith(("x-", "x_")):
            v.err(_join(path, k), f"unknown key '{k}' (extensions start with 'x-')")


def _validate_params(v: _V, params: Any) -> None:
    if params is None:
        return
    if not isinstance(params, dict):
        v.err("params", "must be a mapping of name to {range: [lo, hi], step} or {choices: [...]}")
        return
    for name, p in params.items():
        path = f"params.{name}"
        if not isinstance(name, str) or not _NAME_RE.match(name) or name in FUNCTION_NAMES:
            v.err(path, "a param name must be an identifier that is not a function name")
        if not isinstance(p, dict):
            v.err(path, "must be {range: [lo, hi], step: s} or {choices: [...]}")
            continue
        if "range" in p:
            r = p["range"]
            if not (isinstance(r, list) and len(r) == 2 and all(_is_num(x) for x in r)):
                v.err(f"{path}.range", "must be [lo, hi] with two numbers")
            elif r[0] > r[1]:
                v.err(f"{path}.range", "lo must not exceed hi")
            step = p.get("step", 1)
            if not _is_num(step) or step <= 0:
                v.err(f"{path}.step", "must be a number greater than 0")
            elif _is_num(r[0]) and _is_num(r[1]) and (r[1] - r[0]) / step > 1e6:
                v.err(f"{path}.step", "too many values in the range (at most 1,000,000)")
        elif "choices" in p:
            c = p["choices"]
            if (
                not isinstance(c, list)
                or not c
                or not all(isinstance(x, str | int | float) for x in c)
            ):
                v.err(f"{path}.choices", "must be a non-empty list of numbers or texts")
        else:
            v.err(path, "needs 'range' or 'choices'")
        _check_keys(v, path, p, {"range", "step", "choices"})


def _validate_parts(v: _V, path: str, parts: Any, *, required: bool) -> None:
    if parts is None and not required:
        return
    if not isinstance(parts, list) or not parts:
        v.err(path, "must be a non-empty list of parts")
        return
    seen: set[str] = set()
    for i, p in enumerate(parts):
        pp = _join(path, i)
        if not isinstance(p, dict):
            v.err(pp, "a part must be a mapping")
            continue
        pid = p.get("id")
        if not isinstance(pid, str) or not _NAME_RE.match(pid) or pid in FUNCTION_NAMES:
            v.err(f"{pp}.id", "required: an identifier (letters, digits, '_'), not a function name")
        elif pid in seen:
            v.err(f"{pp}.id", f"duplicate part id '{pid}'")
        else:
            seen.add(pid)
        t = p.get("type")
        if t not in PART_TYPES:
            v.err(f"{pp}.type", f"must be one of {', '.join(PART_TYPES)}")
            continue
        _check_keys(v, pp, p, _COMMON_KEYS | _TYPE_KEYS[t])
        if "label" in p and not isinstance(p["label"], str):
            v.err(f"{pp}.label", "must be text")
        if "weight" in p and (not _is_num(p["weight"]) or p["weight"] <= 0):
            v.err(f"{pp}.weight", "must be a number greater than 0")
        _validate_part_body(v, pp, p, t)
        cf = p.get("carry_forward")
        if cf is not None:
            if t != "numeric":
                v.err(f"{pp}.carry_forward", "only numeric parts can carry an error forward")
            elif not isinstance(cf, dict) or not isinstance(cf.get("from"), list):
                v.err(f"{pp}.carry_forward", "must be {from: [earlier part ids]}")
            else:
                for j, src in enumerate(cf["from"]):
                    if src not in seen or src == pid:
                        v.err(f"{pp}.carry_forward.from[{j}]", f"'{src}' is not an earlier part")
                _check_keys(v, f"{pp}.carry_forward", cf, {"from", "answer", "credit"})
                if "credit" in cf and (not _is_num(cf["credit"]) or not 0 <= cf["credit"] <= 1):
                    v.err(f"{pp}.carry_forward.credit", "must be a number in [0, 1]")


def _validate_part_body(v: _V, path: str, p: dict[str, Any], t: str) -> None:
    def j(k: str) -> str:
        return _join(path, k)

    if t == "numeric":
        ans = p.get("answer")
        if not (_is_num(ans) or (isinstance(ans, str) and ans.strip())):
            v.err(j("answer"), "required: a number or an expression")
        tol = p.get("tolerance")
        if tol is not None:
            _validate_tolerance(v, j("tolerance"), tol)
        if "unit" in p and (not isinstance(p["unit"], str) or unit_from_text(p["unit"]) is None):
            v.err(j("unit"), f"unknown unit {p['unit']!r}")
        for k in ("unit_required", "expressions", "strict_units"):
            if k in p and not isinstance(p[k], bool):
                v.err(j(k), "must be true or false")
    elif t == "symbolic":
        if not isinstance(p.get("answer"), str | int | float) or isinstance(p.get("answer"), bool):
            v.err(j("answer"), "required: an expression")
        vs = p.get("variables", [])
        if not isinstance(vs, list) or not all(
            isinstance(x, str) and _NAME_RE.match(x) and x not in FUNCTION_NAMES for x in vs
        ):
            v.err(j("variables"), "must be a list of names (not function names)")
        if p.get("form", "any") not in FORMS:
            v.err(j("form"), f"must be one of {', '.join(FORMS)}")
        if str(p.get("log_base", "e")) not in ("e", "10"):
            v.err(j("log_base"), "must be 'e' (log means ln) or 10")
        if p.get("answer_type", "expression") not in _structured.KINDS:
            v.err(j("answer_type"), f"must be one of {', '.join(_structured.KINDS)}")
        for k in ("exact", "assume_real"):
            if not isinstance(p.get(k, False), bool):
                v.err(j(k), "must be true or false")
        if "domain" in p:
            _validate_domain(v, j("domain"), p["domain"], vs if isinstance(vs, list) else [])
    elif t == "multiple_choice":
        cs = p.get("choices")
        if not isinstance(cs, list) or len(cs) < 2:
            v.err(j("choices"), "must be a list of at least two choices")
            return
        ids: set[str] = set()
        n_correct = 0
        for i, c in enumerate(cs):
            cp = f"{j('choices')}[{i}]"
            if not isinstance(c, dict):
                v.err(cp, "a choice must be a mapping {id, text, correct}")
                continue
            cid = c.get("id")
            if not isinstance(cid, str) or not cid:
                v.err(f"{cp}.id", "required: text")
            elif cid in ids:
                v.err(f"{cp}.id", f"duplicate choice id '{cid}'")
            else:
                ids.add(cid)
            if not isinstance(c.get("text"), str):
                v.err(f"{cp}.text", "required: text")
            if not isinstance(c.get("correct", False), bool):
                v.err(f"{cp}.correct", "must be true or false")
            n_correct += c.get("correct") is True
            _check_keys(v, cp, c, {"id", "text", "correct", "feedback", "tag"})
        multiple = p.get("multiple", False)
        if not isinstance(multiple, bool):
            v.err(j("multiple"), "must be true or false")
        elif n_correct == 0:
            v.err(j("choices"), "at least one choice must be correct")
        elif not multiple and n_correct > 1:
            v.err(j("choices"), "only one choice may be correct unless multiple: true")
        if "shuffle" in p and not isinstance(p["shuffle"], bool):
            v.err(j("shuffle"), "must be true or false")
    elif t == "free_text":
        _validate_rubric(v, j("rubric"), p.get("rubric"))
        _validate_bounds(v, path, p)
    elif t == "short_text":
        v.errors.extend(_shorttext.validate(p, path))
    elif t == "matching":
        v.errors.extend(_matching.validate(p, path))
    if t in ("numeric", "symbolic"):
        ms = p.get("mistakes")
        if ms is not None:
            if not isinstance(ms, list):
                v.err(j("mistakes"), "must be a list of {answer, feedback, tag}")
            else:
                for i, m in enumerate(ms):
                    mp = f"{j('mistakes')}[{i}]"
                    if not isinstance(m, dict):
                        v.err(mp, "must be {answer, feedback, tag}")
                        continue
                    if not isinstance(m.get("answer"), str | int | float):
                        v.err(f"{mp}.answer", "required: the wrong answer")
                    if not isinstance(m.get("feedback"), str) or not m.get("feedback"):
                        v.err(f"{mp}.feedback", "required: the message for the student")
                    if "tag" in m and not isinstance(m["tag"], str):
                        v.err(f"{mp}.tag", "must be text")
                    if "credit" in m and (not _is_num(m["credit"]) or not 0 <= m["credit"] <= 1):
                        v.err(f"{mp}.credit", "must be a number from 0 to 1")
                    _check_keys(v, mp, m, {"answer", "feedback", "tag", "credit"})


def _validate_domain(v: _V, path: str, dom: Any, variables: list[str]) -> None:
    """``positive`` | ``real`` | ``{x: real, t: [0, 10]}``."""
    if dom in ("positive", "real"):
        return
    if not isinstance(dom, dict):
        v.err(path, "must be 'positive', 'real' or {variable: 'positive' | 'real' | [low, high]}")
        return
    for name, d in dom.items():
        p = f"{path}.{name}"
        if name not in variables:
            v.err(p, f"'{name}' is not one of the variables")
        elif d in ("positive", "real"):
            continue
        elif (
            not isinstance(d, list)
            or len(d) != 2
            or not all(_is_num(x) for x in d)
            or not d[0] < d[1]
        ):
            v.err(p, "must be 'positive', 'real' or [low, high] with low < high")


def _domains(p: dict[str, Any], variables: tuple[str, ...]) -> dict[str, Any]:
    dom = p.get("domain", "positive")
    if isinstance(dom, str):
        return {x: dom for x in variables}
    return {
        x: tuple(float(b) for b in dom[x])
        if isinstance(dom.get(x), list)
        else dom.get(x, "positive")
        for x in variables
    }


def _validate_tolerance(v: _V, path: str, tol: Any) -> None:
    kinds = ("absolute", "relative", "sig_figs", "decimal_places")
    if not isinstance(tol, dict):
        v.err(
            path, "must be one of {absolute: x}, {relative: x}, {sig_figs: n}, {decimal_places: n}"
        )
        return
    present = [k for k in kinds if k in tol]
    if len(present) != 1:
        v.err(path, "give exactly one of absolute, relative, sig_figs, decimal_places")
        return
    k = present[0]
    x = tol[k]
    if k in ("absolute", "relative"):
        if not _is_num(x) or x < 0:
            v.err(f"{path}.{k}", "must be a number of at least 0")
        elif k == "relative" and x >= 1:
            v.err(f"{path}.{k}", "is a fraction (0.01 means 1%): it must be below 1")
    elif (
        not isinstance(x, int)
        or isinstance(x, bool)
        or not (1 <= x <= 15 if k == "sig_figs" else 0 <= x <= 15)
    ):
        v.err(
            f"{path}.{k}",
            "must be a whole number from 1 to 15"
            if k == "sig_figs"
            else "must be a whole number from 0 to 15",
        )
    mode = tol.get("mode", "typed" if "correct" in tol else "band")
    if mode not in MODES:
        v.err(
            f"{path}.mode",
            "must be 'band' (within half a unit of the last digit), 'typed' (exactly that many "
            "digits typed), 'at_least' or 'at_most'",
        )
    elif mode != "band" and k in ("absolute", "relative"):
        v.err(f"{path}.mode", f"'{mode}' applies to sig_figs and decimal_places only")
    if "correct" in tol:
        m = tol["correct"]
        if k != "sig_figs" or mode != "typed":
            v.err(f"{path}.correct", "applies to sig_figs with mode: typed only")
        elif not isinstance(m, int) or isinstance(m, bool) or not 1 <= m <= int(x):
            v.err(f"{path}.correct", f"must be a whole number from 1 to {x}")
    if "rounding" in tol:
        if k in ("absolute", "relative"):
            v.err(f"{path}.rounding", "applies to sig_figs and decimal_places only")
        elif tol["rounding"] not in ROUNDINGS:
            v.err(f"{path}.rounding", "must be 'half_up' or 'half_even'")
    _check_keys(v, path, tol, {*kinds, "mode", "correct", "rounding"})


def _validate_rubric(v: _V, path: str, rubric: Any) -> None:
    if rubric is None:
        return
    if not isinstance(rubric, list):
        v.err(path, "must be a list of {id, criterion, points, description}")
        return
    seen: set[Any] = set()
    for i, r in enumerate(rubric):
        rp = f"{path}[{i}]"
        if not isinstance(r, dict):
            v.err(rp, "must be {id, criterion, points, description}")
            continue
        if not isinstance(r.get("id"), str) or r.get("id") in seen:
            v.err(f"{rp}.id", "required: a unique text id")
        seen.add(r.get("id"))
        if not isinstance(r.get("criterion"), str):
            v.err(f"{rp}.criterion", "required: text")
        if not _is_num(r.get("points")) or r["points"] < 0:
            v.err(f"{rp}.points", "required: a number of at least 0")
        _check_keys(v, rp, r, {"id", "criterion", "points", "description"})


def _validate_bounds(v: _V, path: str, p: dict[str, Any]) -> None:
    lo, hi = p.get("min_chars"), p.get("max_chars")
    for k, x in (("min_chars", lo), ("max_chars", hi)):
        if x is not None and (not isinstance(x, int) or isinstance(x, bool) or x < 0):
            v.err(_join(path, k), "must be a whole number of at least 0")
    if isinstance(lo, int) and isinstance(hi, int) and lo > hi:
        v.err(_join(path, "min_chars"), "must not exceed max_chars")


def _validate_exercise(v: _V, spec: dict[str, Any]) -> None:
    models = spec.get("models")
    if not isinstance(models, list) or not models or not set(models) <= {"text", "image"}:
        v.err("models", "must be a non-empty subset of [text, image]")
    for key in ("reflection", "prompt"):
        d = spec.get(key)
        if d is None:
            continue
        if not isinstance(d, dict):
            v.err(key, "must be a mapping such as {max_chars: 200}")
            continue
        _validate_bounds(v, key, d)
        allowed = (
            {"max_chars", "min_chars", "prompt"}
            if key == "reflection"
            else {"max_chars", "min_chars"}
        )
        _check_keys(v, key, d, allowed)
    if "settings" in spec and not isinstance(spec["settings"], dict):
        v.err("settings", "must be a mapping of text/image settings")
    _validate_rubric(v, "rubric", spec.get("rubric"))
    parts = spec.get("parts")
    if parts is not None:
        _validate_parts(v, "parts", parts, required=False)
        for i, p in enumerate(parts if isinstance(parts, list) else []):
            if isinstance(p, dict) and p.get("type") not in ("numeric", "symbolic", None):
                v.err(f"parts[{i}].type", "exercise parts are numeric or symbolic")


# ---------------------------------------------------------------------------------------------
# Compilation


def key_context(part: dict[str, Any], names: set[str]) -> Context:
    return Context(
        variables=frozenset(names),
        log_base=str(part.get("log_base", "e")),
        units=True,
    )


def _parse_key(
    errs: list[SpecError], path: str, src: Any, ctx: Context
) -> tuple[Node | None, _units.Unit | None]:
    if _is_num(src):
        return Num(repr(src) if isinstance(src, float) else str(src), float(src), False), None
    parsed = _parse_key_text(str(src), ctx)
    if isinstance(parsed, ParseError):
        where = f" at character {parsed.pos}" if parsed.pos is not None else ""
        errs.append(SpecError(path, f"cannot be read{where}: {parsed.message}"))
        return None, None
    return parsed.node, parsed.unit


@functools.lru_cache(maxsize=8192)
def _parse_key_text(src: str, ctx: Context) -> Parsed | ParseError:
    """Keys and mistakes are written by authors and repeat across items (a bank import of
    10,000 items parses the same few hundred expressions), so their parses are cached; the
    trees are never mutated. Student answers are never cached."""
    try:
        return parse(_PARAM_REF_RE.sub(r"(\1)", src), ctx)
    except ParseError as exc:
        return exc


def compile_item(spec: dict[str, Any], *, validate: bool = True) -> Item:
    """Parse every key and mistake of a valid spec; raises :class:`InvalidSpec` otherwise."""
    if validate:
        errors = validate_spec(spec)
        if errors:
            raise InvalidSpec(errors)
    errs: list[SpecError] = []
    t = spec["type"]
    params = dict(spec.get("params") or {})
    pnames = set(params)
    parts: list[Part] = []
    if t in SINGLE_TYPES:
        parts.append(_compile_part(errs, "", "", spec, t, pnames, set(), spec))
    else:
        earlier: set[str] = set()
        for i, p in enumerate(spec.get("parts") or []):
            parts.append(
                _compile_part(
                    errs, f"parts[{i}]", p["id"], p, p["type"], pnames, set(earlier), spec
                )
            )
            earlier.add(p["id"])
    if errs:
        raise InvalidSpec(errs)
    df = spec.get("dual_form")
    item = Item(
        spec=spec,
        type=t,
        parts=parts,
        params=params,
        dual_form=(df[0], df[1]) if df else None,
        reflection=spec.get("reflection"),
    )
    p0 = parts[0] if parts else None
    if (
        t == "numeric"
        and p0 is not None
        and p0.key_value is not None
        and not (p0.unit is not None and p0.unit_required)
        and p0.tolerance.mode == "band"
        and p0.tolerance.rounding is None
    ):
        item.fast_band = p0.tolerance.half_width(p0.key_value)
    return item


def _compile_part(
    errs: list[SpecError],
    path: str,
    pid: str,
    p: dict[str, Any],
    t: str,
    pnames: set[str],
    earlier: set[str],
    item: dict[str, Any],
) -> Part:
    def j(k: str) -> str:
        return _join(path, k)

    part = Part(id=pid, type=t, spec=p, weight=float(p.get("weight", 1)), label=p.get("label", ""))
    if t == "numeric":
        ctx = key_context(p, pnames | earlier)
        part.key, part.key_unit = _parse_key(errs, j("answer"), p["answer"], ctx)
        tol = p.get("tolerance")
        if tol:
            kind = next(
                k for k in ("absolute", "relative", "sig_figs", "decimal_places") if k in tol
            )
            part.tolerance = Tolerance(
                kind,
                float(tol[kind]),
                tol.get("mode", "typed" if "correct" in tol else "band"),
                tol.get("correct"),
                tol.get("rounding"),
            )
        if "unit" in p:
            part.unit = unit_from_text(p["unit"])
        part.strict_units = p.get("strict_units", False) is True
        part.unit_required = bool(p.get("unit_required", part.unit is not None))
        part.expressions = bool(p.get("expressions", True))
        if part.key is not None:
            _check_key_unit(errs, j("answer"), part)
            if names_in(part.key) - pnames - earlier:
                bad = sorted(names_in(part.key) - pnames - earlier)[0]
                errs.append(SpecError(j("answer"), f"'{bad}' is not a param or earlier part"))
            elif not (pnames | earlier) & names_in(part.key):
                try:
                    part.key_value = _key_in_part_unit(part, evaluate(part.key))
                except EvalError as exc:
                    errs.append(SpecError(j("answer"), f"has no value: {exc}"))
        thousands = (
            part.key_value is not None
            and part.key_value == int(part.key_value)
            and abs(part.key_value) >= 1000
        )
        part.ctx = Context(units=True, thousands=thousands or bool(pnames))
        cf = p.get("carry_forward")
        if cf:
            part.carry_from = tuple(cf["from"])
            src = cf.get("answer", p["answer"])
            cctx = key_context(p, pnames | set(part.carry_from))
            part.carry_key, _ = _parse_key(errs, j("carry_forward.answer"), src, cctx)
            if part.carry_key is not None:
                unknown = names_in(part.carry_key) - pnames - set(part.carry_from)
                if unknown:
                    errs.append(
                        SpecError(
                            j("carry_forward.answer"),
                            f"'{sorted(unknown)[0]}' is not a part or param",
                        )
                    )
    elif t == "symbolic":
        part.variables = tuple(p.get("variables", []))
        part.form = p.get("form", "any")
        part.exact = p.get("exact", False) is True
        part.assume_real = p.get("assume_real", False) is True
        part.domain = _domains(p, part.variables)
        ctx = Context(
            variables=frozenset(part.variables) | pnames, log_base=str(p.get("log_base", "e"))
        )
        kind = _structured.key_kind(p)
        if kind != "expression":  # an equation, inequality, interval, set or tuple
            try:
                part.struct = _structured.read(str(p["answer"]), kind, ctx)
            except _structured.StructureError as exc:
                errs.append(SpecError(j("answer"), f"cannot be read as {kind}: {exc.message}"))
        else:
            part.key, _ = _parse_key(errs, j("answer"), p["answer"], ctx)
        part.ctx = Context(
            variables=frozenset(part.variables), log_base=str(p.get("log_base", "e"))
        )
        if part.key is not None and not (names_in(part.key) & pnames) and not part.variables:
            try:
                part.key_value = evaluate(part.key)
            except EvalError as exc:
                errs.append(SpecError(j("answer"), f"has no value: {exc}"))
    elif t == "multiple_choice":
        part.choices = list(p["choices"])
        part.multiple = bool(p.get("multiple", False))
    elif t == "free_text":
        part.min_chars = p.get("min_chars")
        part.max_chars = p.get("max_chars")
    if t in ("numeric", "symbolic"):
        for i, m in enumerate(p.get("mistakes") or []):
            mctx = key_context(p, pnames | set(part.variables))
            node, unit = _parse_key(errs, f"{j('mistakes')}[{i}].answer", m["answer"], mctx)
            if node is not None:
                part.mistakes.append(
                    Mistake(
                        str(m["answer"]),
                        node,
                        unit,
                        m["feedback"],
                        m.get("tag"),
                        float(m.get("credit", 0.0)),
                    )
                )
    return part


def _check_key_unit(errs: list[SpecError], path: str, part: Part) -> None:
    if part.key_unit is None:
        return
    if part.unit is None:
        errs.append(SpecError(path, "has a unit but the item sets no 'unit'"))
    elif part.key_unit.dim != part.unit.dim:
        errs.append(
            SpecError(
                path,
                f"is {_units.describe(part.key_unit.dim)} but the unit "
                f"'{part.unit.text}' is {_units.describe(part.unit.dim)}",
            )
        )


def _key_in_part_unit(part: Part, value: float) -> float:
    if part.key_unit is not None and part.unit is not None:
        return value * part.key_unit.factor / part.unit.factor
    return value
