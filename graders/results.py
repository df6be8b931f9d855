"""The small typed objects the library hands back: spec errors, interpretations and results.

They are dataclasses so callers get attribute access and type checking; ``to_dict()`` gives the
JSON-safe form the web app stores in ``Attempt.result`` and ``Result.from_dict`` reads it back.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

OUTCOMES = ("correct", "partially_correct", "incorrect", "invalid", "undecided", "needs_review")
# A part of a multipart answer that was readable but not graded because another part was not
# (grading it would reveal its verdict without costing the student a try).
PART_OUTCOMES = (*OUTCOMES, "not_graded")


@dataclass(frozen=True, slots=True)
class SpecError:
    """One problem in an item spec; ``path`` names the field (``parts[1].tolerance.absolute``)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


_PLAIN = re.compile(r"(-?)(\d++(?:\.\d++)?)(?:\\,\\mathrm\{([A-Za-z]++)\})?\Z")
_MATH = '<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline"><mrow>{}</mrow></math>'


@functools.lru_cache(maxsize=4096)
def latex_to_mathml(latex: str) -> str:
    """MathML for a LaTeX string (latex2mathml is ~140 µs a call, so it is cached and lazy;
    plain numbers, most answers, are written directly in the same form latex2mathml gives)."""
    if not latex:
        return ""
    m = _PLAIN.match(latex)
    if m:
        sign = "<mo>&#x02212;</mo>" if m.group(1) else ""
        unit = m.group(3)
        if unit is None:
            return _MATH.format(f"{sign}<mn>{m.group(2)}</mn>")
        if len(unit) == 1:
            mi = f"<mi>&#x{ord(unit):05X};</mi>"
        else:
            mi = "<mrow>" + "".join(f'<mi mathvariant="normal">{c}</mi>' for c in unit) + "</mrow>"
        return _MATH.format(f'{sign}<mn>{m.group(2)}</mn><mspace width="0.167em" />{mi}')
    from latex2mathml.converter import convert

    try:
        return str(convert(latex))
    except Exception:  # display only: never let it break a result
        return ""


@dataclass(slots=True)
class Interpretation:
    """What an answer was read as, or why it could not be read.

    ``canonical`` is plain text the parser would read back the same way (``-ln(0.3)``), ``latex``
    is for display, ``mathml`` is computed from ``latex`` on first use. When ``ok`` is false,
    ``message`` says what is wrong and ``position`` is the 0-based index of the offending
    character in the raw answer (None when the whole answer is at fault).
    """

    ok: bool
    canonical: str = ""
    latex: str = ""
    message: str = ""
    position: int | None = None
    unit: str | None = None
    _mathml: str | None = field(default=None, repr=False, compare=False)

    @property
    def mathml(self) -> str:
        if self._mathml is None:
            self._mathml = latex_to_mathml(self.latex) if self.ok else ""
        return self._mathml

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "canonical": self.canonical,
            "latex": self.latex,
            "mathml": self.mathml,
            "message": self.message,
            "position": self.position,
            "unit": self.unit,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Interpretation:
        return cls(
            ok=bool(d["ok"]),
            canonical=d.get("canonical", ""),
            latex=d.get("latex", ""),
            message=d.get("message", ""),
            position=d.get("position"),
            unit=d.get("unit"),
            _mathml=d.get("mathml"),
        )


@dataclass(slots=True)
class PartResult:
    """The verdict on one part of a multipart item (or one auto-graded part of an exercise)."""

    id: str
    outcome: str
    score: float | None
    feedback: str = ""
    interpretation: Interpretation | None = None
    misconception: str | None = None
    hints: list[str] = field(default_factory=list)
    weight: float = 1.0
    carried_forward: bool = False

    @property
    def correct(self) -> bool:
        return self.outcome == "correct"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "outcome": self.outcome,
            "score": self.score,
            "correct": self.correct,
            "feedback": self.feedback,
            "interpretation": self.interpretation.to_dict() if self.interpretation else None,
            "misconception": self.misconception,
            "hints": list(self.hints),
            "weight": self.weight,
            "carried_forward": self.carried_forward,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PartResult:
        interp = d.get("interpretation")
        return cls(
            id=d["id"],
            outcome=d["outcome"],
            score=d.get("score"),
            feedback=d.get("feedback", ""),
            interpretation=Interpretation.from_dict(interp) if interp else None,
            misconception=d.get("misconception"),
            hints=list(d.get("hints", [])),
            weight=float(d.get("weight", 1.0)),
            carried_forward=bool(d.get("carried_forward", False)),
        )


@dataclass(slots=True)
class Result:
    """The verdict on one response.

    ``outcome`` is one of :data:`OUTCOMES`. ``invalid`` means the answer could not be read (the
    web app does not count it as a try); ``undecided`` means the time budget was spent (never
    reported as wrong); free-text and exercise items give ``needs_review`` with ``score=None``.
    """

    outcome: str
    score: float | None
    feedback: str = ""
    parts: list[PartResult] = field(default_factory=list)
    interpretation: Interpretation | None = None
    misconception: str | None = None
    hints: list[str] = field(default_factory=list)
    grader_version: str = ""
    elapsed_ms: float = 0.0

    @property
    def correct(self) -> bool:
        return self.outcome == "correct"

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "score": self.score,
            "correct": self.correct,
            "feedback": self.feedback,
            "parts": [p.to_dict() for p in self.parts],
            "interpretation": self.interpretation.to_dict() if self.interpretation else None,
            "misconception": self.misconception,
            "hints": list(self.hints),
            "grader_version": self.grader_version,
            "elapsed_ms": self.elapsed_ms,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Result:
        interp = d.get("interpretation")
        return cls(
            outcome=d["outcome"],
            score=d.get("score"),
            feedback=d.get("feedback", ""),
            parts=[PartResult.from_dict(p) for p in d.get("parts", [])],
            interpretation=Interpretation.from_dict(interp) if interp else None,
            misconception=d.get("misconception"),
            hints=list(d.get("hints", [])),
            grader_version=d.get("grader_version", ""),
            elapsed_ms=float(d.get("elapsed_ms", 0.0)),
        )
