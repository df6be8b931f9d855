"""graders: a safe, fast grading library for numeric, symbolic, multiple-choice and multipart
items (see ``graders/README.md``). It never imports Django.

    from graders import validate_spec, interpret, grade, GRADER_VERSION
"""

from __future__ import annotations

from graders.api import GRADER_VERSION, answer_key, grade, input_help, interpret
from graders.params import choice_order, render_text, variant
from graders.results import OUTCOMES, Interpretation, PartResult, Result, SpecError
from graders.spec import InvalidSpec, validate_spec

__all__ = [
    "GRADER_VERSION",
    "OUTCOMES",
    "Interpretation",
    "InvalidSpec",
    "PartResult",
    "Result",
    "SpecError",
    "answer_key",
    "choice_order",
    "grade",
    "input_help",
    "interpret",
    "render_text",
    "validate_spec",
    "variant",
]
