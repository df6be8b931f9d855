"""Parameterised items: one deterministic variant per (student, item) seed, and its text.

The choice is a hash of the seed and the param name (not ``random.Random``), so a student sees
the same numbers on every machine and every Python version, and adding a param to an item does
not change the values of the others.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal
from typing import Any

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _pick(seed: int, name: str, n: int) -> int:
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % n


def variant(spec: dict[str, Any], seed: int) -> dict[str, Any]:
    """The params for one student: ``{"n": 7, "model": "SDXL"}``.

    >>> variant({"params": {"n": {"range": [2, 4], "step": 1}}}, 1) == variant(
    ...     {"params": {"n": {"range": [2, 4], "step": 1}}}, 1)
    True
    """
    out: dict[str, Any] = {}
    for name, p in sorted((spec.get("params") or {}).items()):
        if "choices" in p:
            out[name] = p["choices"][_pick(seed, name, len(p["choices"]))]
            continue
        lo, hi = (Decimal(str(x)) for x in p["range"])
        step = Decimal(str(p.get("step", 1)))
        count = int((hi - lo) / step) + 1
        value = lo + step * _pick(seed, name, count)
        out[name] = int(value) if value == value.to_integral_value() else float(value)
    return out


def format_value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.12g}"
    return str(v)


def render_text(spec: dict[str, Any], params: dict[str, Any]) -> str:
    """The question text with ``{name}`` filled from ``params``; other braces (LaTeX) stay."""
    text = str(spec.get("text", ""))
    if not params:
        return text
    return _PLACEHOLDER.sub(
        lambda m: format_value(params[m.group(1)]) if m.group(1) in params else m.group(0), text
    )


def choice_order(spec: dict[str, Any], seed: int) -> list[str]:
    """The choice ids of a multiple-choice item (or part) in the order one student sees them:
    shuffled deterministically per seed unless ``shuffle: false``."""
    ids = [str(c["id"]) for c in spec.get("choices") or []]
    if spec.get("shuffle", True) is False:
        return ids
    return sorted(ids, key=lambda cid: hashlib.sha256(f"{seed}:{cid}".encode()).digest())
