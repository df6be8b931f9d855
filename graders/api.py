"""The public entry points: ``grade``, ``interpret`` and the spec cache they share.

``grade`` decides where work runs: the bounded fast path (capped parser, float evaluation,
sample-point equivalence) runs in the calling process; anything that needs sympy is sent to
the grader pool (:mod:`graders.pool`) under the time budget, and a budget overrun becomes the
outcome ``undecided``. Both functions are safe to call from a web request or a Celery task.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from collections.abc import Mapping
from typing import Any

from graders import pool as _pool
from graders.grading import NeedsSympy, Undecidable, fast_correct, grade_item, read
from graders.params import variant
from graders.results import Interpretation, PartResult, Result, SpecError
from graders.spec import InvalidSpec, Item, compile_item
from graders.tolerance import Tolerance

# 2.0.0: exact equivalence, answer types, significant-figure modes, units (issue 14): some
# verdicts change (x^3+1e-12 is no longer x^3; pi no longer meets "exactly 4 s.f.").
GRADER_VERSION = "2.0.0"

log = logging.getLogger("graders")

_BY_ID: dict[int, tuple[dict[str, Any], dict[str, Any], Item]] = {}
_BY_JSON: dict[str, Item] = {}
_CACHE_MAX = 2048


def compiled(spec: dict[str, Any]) -> Item:
    """The compiled item for ``spec``, cached by identity (checked against a snapshot, so a
    mutated dict is recompiled) and by content (the web app loads a fresh dict per request)."""
    hit = _BY_ID.get(id(spec))
    if hit is not None and hit[0] is spec and hit[1] == spec:
        return hit[2]
    if not isinstance(spec, dict):
        raise InvalidSpec([SpecError("", "an item must be a mapping")])
    try:
        key = json.dumps(spec, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        key = None
    item = _BY_JSON.get(key) if key is not None else None
    if item is None:
        item = compile_item(spec)
        if key is not None:
            if len(_BY_JSON) >= _CACHE_MAX:
                _BY_JSON.clear()
            _BY_JSON[key] = item
    if len(_BY_ID) >= _CACHE_MAX:
        _BY_ID.clear()
    # The snapshot that detects a mutated dict: rebuilt from the JSON key when there is one,
    # several times cheaper than deepcopy (the web app pays this on every answer).
    snapshot = json.loads(key) if key is not None else copy.deepcopy(spec)
    _BY_ID[id(spec)] = (spec, snapshot, item)
    return item


def _params_for(item: Item, params: Mapping[str, Any] | None, seed: int | None) -> dict[str, Any]:
    if not item.params:
        return {}
    if params is None:
        if seed is None:
            raise ValueError(f"item '{item.spec.get('id')}' has params: pass params= or seed=")
        return variant(item.spec, seed)
    missing = sorted(set(item.params) - set(params))
    if missing:
        raise ValueError(f"params is missing {', '.join(missing)}")
    return dict(params)


def grade(
    spec: dict[str, Any],
    response: str | list[str] | dict[str, Any],
    *,
    params: dict[str, Any] | None = None,
    seed: int | None = None,
) -> Result:
    """Grade one response to the item ``spec``.

    >>> spec = {"id": "t", "type": "numeric", "text": "50 steps of 0.08 s?", "answer": 4,
    ...         "unit": "s", "tolerance": {"relative": 0.01}}
    >>> grade(spec, "4000 ms").outcome
    'correct'
    >>> grade(spec, "4 m").feedback.startswith("Expected a time")
    True

    Raises :class:`graders.InvalidSpec` for a spec that ``validate_spec`` rejects and
    ``ValueError`` for an item with params when neither ``params`` nor ``seed`` is given.
    """
    t0 = time.perf_counter()
    item = compiled(spec)
    p = _params_for(item, params, seed)
    try:
        result = fast_correct(item, response) or grade_item(item, response, p, slow=False)
    except NeedsSympy:
        result = _grade_in_pool(item, spec, response, p)
    except Exception:  # a bug must not take the request down: log it, count nothing
        log.exception("graders: unexpected error grading item %s", spec.get("id"))
        result = _undecided(
            "The answer could not be graded because of an internal error; it was not counted."
        )
    result.grader_version = GRADER_VERSION
    result.elapsed_ms = (time.perf_counter() - t0) * 1000
    return result


def _undecided(message: str) -> Result:
    return Result("undecided", None, message)


def _grade_in_pool(
    item: Item, spec: dict[str, Any], response: Any, params: dict[str, Any]
) -> Result:
    budget = _pool.time_budget()
    reply = _pool.get_pool().run(
        {"op": "grade", "spec": spec, "response": response, "params": params}, budget
    )
    if reply is None:
        res = _undecided(
            f"We could not decide on this answer within {budget:g} s, so it was not counted. "
            "Try writing it more simply."
        )
        res.interpretation = _first_interpretation(item, response)
        return res
    if "error" in reply:
        log.warning("graders: pool worker failed on item %s: %s", spec.get("id"), reply["error"])
        res = _undecided(
            "This answer could not be checked, so it was not counted. Try writing it more simply."
        )
        res.interpretation = _first_interpretation(item, response)
        return res
    return Result.from_dict(reply["result"])


def _first_interpretation(item: Item, response: Any) -> Interpretation | None:
    part = item.parts[0] if item.parts else None
    if part is None or part.type not in ("numeric", "symbolic") or not isinstance(response, str):
        return None
    return read(part, response).interp


def handle_pool_request(request: dict[str, Any]) -> dict[str, Any]:
    """Run in a pool worker: the slow path, sympy allowed."""
    if request.get("op") != "grade":
        raise ValueError(f"unknown op {request.get('op')!r}")
    from graders.symbolic import TooBig

    item = compiled(request["spec"])
    try:
        result = grade_item(item, request["response"], request.get("params") or {}, slow=True)
    except TooBig as exc:
        result = Result("invalid", None, f"The answer is too large to check: {exc}.")
    except Undecidable:
        result = Result(
            "undecided",
            None,
            "This answer could not be checked, so it was not counted. Try writing it more simply.",
            [],
            _first_interpretation(item, request["response"]),
        )
    return {"result": result.to_dict()}


def interpret(
    spec: dict[str, Any],
    raw: str,
    *,
    part: str | None = None,
    params: dict[str, Any] | None = None,
) -> Interpretation:
    """What ``raw`` is read as for this item (or its part ``part``), before it is submitted.

    >>> interpret({"id": "q", "type": "symbolic", "text": "?", "answer": "ln(10/3)"},
    ...           "−log(0.3)").canonical
    '-ln(0.3)'
    """
    item = compiled(spec)
    target = _part(item, part)
    if target.type in ("numeric", "symbolic"):
        return read(target, raw).interp
    if not isinstance(raw, str) or not raw.strip():
        return Interpretation(False, message="the answer is empty")
    return Interpretation(True, raw.strip(), "")


def _part(item: Item, part: str | None) -> Any:
    if part is None:
        for p in item.parts:
            if p.type in ("numeric", "symbolic"):
                return p
        if item.parts:
            return item.parts[0]
        raise ValueError("this item has no parts to interpret")
    for p in item.parts:
        if p.id == part:
            return p
    raise ValueError(f"no part '{part}' in item '{item.spec.get('id')}'")


def answer_key(
    spec: dict[str, Any], *, params: dict[str, Any] | None = None
) -> dict[str, Interpretation]:
    """The key of each numeric/symbolic part, for teachers' pages and the "show answer" view.

    Keys of the result are ``""`` for a single-answer item, else part ids. A key is shown as
    written (``50*0.08 s``); with ``params``, a numeric key is shown as this variant's value.

    >>> key = answer_key({"id": "q", "type": "numeric", "text": "?", "answer": "50*0.08",
    ...                   "unit": "s"})
    >>> key[""].canonical, key[""].latex
    ('50*0.08 s', '50 \\\\cdot 0.08\\\\,\\\\mathrm{s}')
    """
    from graders.expr import EvalError, evaluate, to_latex, to_text
    from graders.params import format_value

    item = compiled(spec)
    env = {k: float(v) for k, v in (params or {}).items() if isinstance(v, int | float)}
    out: dict[str, Interpretation] = {}
    for p in item.parts:
        if p.struct is not None:  # an equation, interval, set or tuple
            out[p.id] = Interpretation(True, p.struct.text(), p.struct.latex())
            continue
        if p.type not in ("numeric", "symbolic") or p.key is None:
            continue
        text, latex = to_text(p.key), to_latex(p.key)
        if env and p.type == "numeric":
            try:
                value = evaluate(p.key, env)
            except EvalError:
                pass
            else:
                env[p.id] = value
                text = latex = format_value(value)
        unit = p.unit if p.type == "numeric" else None
        if unit is not None:
            text, latex = f"{text} {unit.text}", rf"{latex}\,{unit.latex}"
        out[p.id] = Interpretation(True, text, latex, unit=unit.text if unit else None)
    return out


def input_help(spec: dict[str, Any], *, part: str | None = None) -> str:
    """The grader's own help line for an answer box: tolerance rule and unit.

    >>> input_help({"id": "q", "type": "numeric", "text": "?", "answer": 1.2,
    ...             "tolerance": {"sig_figs": 3}})
    'Give a number correct to 3 significant figures.'
    """
    p = _part(compiled(spec), part)
    if p.type == "numeric":
        tol: Tolerance = p.tolerance
        unit = p.unit.text if p.unit else None
        text = (
            f"Give a number {tol.describe(unit)}."
            if tol.kind != "relative" or tol.value > 1e-6
            else "Give a number; expressions such as 50*0.08 are worked out."
        )
        if p.unit is not None:
            text += (
                f" Include a unit (for example {p.unit.text}); other units of the same "
                "kind are converted."
                if p.unit_required
                else f" The answer is in {p.unit.text} unless you type another unit."
            )
        return text
    if p.type == "symbolic" and p.struct is not None:
        return _STRUCTURE_HELP[p.struct.kind]
    if p.type == "symbolic":
        vs = ", ".join(p.variables)
        text = "Type an expression" + (f" in {vs}" if vs else "") + "."
        if p.form == "natural_log":
            text += f" Write it in natural-log form, for example {_log_example(p)}."
        elif p.form == "exact":
            text += " Give an exact answer, without decimals."
        elif p.form in ("expanded", "factored", "simplified"):
            text += f" Give it {p.form}."
        if p.ctx.log_base == "10":
            text += " Here log means log base 10."
        return text
    if p.type == "multiple_choice":
        return "Choose all that apply." if p.multiple else "Choose one."
    return ""


#: Help lines for structured answers: the shape to type, never the key's values.
_STRUCTURE_HELP = {
    "equation": "Type an equation, with one '='; any rearrangement of it counts.",
    "inequality": "Type an inequality such as x > a, or an interval such as (a, b].",
    "interval": "Type an interval such as [a, b) or (a, oo), or an inequality such as x > a.",
    "set": "Type a set in braces, such as {a, b, c}; the order does not matter.",
    "tuple": "Type the components in brackets, in order, such as (a, b).",
}

#: Natural-log examples for the help line; the first that is not the part's key is shown, so
#: the help never states the answer (it once said "ln(10/3)" on the item whose key that is).
_LOG_EXAMPLES = (("ln(2)", 0.6931471805599453), ("-ln(0.25)", 1.3862943611198906),
                 ("ln(7/5)", 0.3364722366212129))  # fmt: skip


def _log_example(part: Any) -> str:
    key = part.key_value
    for text, value in _LOG_EXAMPLES:
        if key is None or abs(key - value) > 1e-9 * max(abs(value), 1.0):
            return text
    return _LOG_EXAMPLES[-1][0]  # unreachable: the key cannot equal all three


__all__ = [
    "GRADER_VERSION",
    "InvalidSpec",
    "PartResult",
    "answer_key",
    "compiled",
    "grade",
    "input_help",
    "interpret",
]
