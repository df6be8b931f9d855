"""What a teacher scores on one answer, and how those scores become the answer's grade.

A reviewed answer is made of *components*:

- the item's own rubric (free text, exercise): one component;
- each part of a multipart item that the grader left for review (a ``free_text`` part), scored
  by that part's rubric (or, when it has none, one "Overall" criterion of 2 points: none, some,
  all);
- each part the grader scored automatically (an exercise's numeric parts, a multipart item's
  numeric parts): fixed, shown to the teacher, not clicked.

The grade is the weighted mean of the components. A part weighs its ``weight`` (default 1, as
in multipart grading). The item-level rubric weighs as much as all automatic parts together,
or alone when there are none: a reflection counts as much as the numbers it explains.
An item with neither rubric nor parts is scored with plain points out of the item's points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OVERALL_POINTS = 2.0


def criteria_of(raw_rubric: Any, *, prefix: str = "") -> list[dict[str, Any]]:
    """A rubric as ``[{id, criterion, points, description}]`` (ids prefixed for parts)."""
    criteria = []
    for position, raw in enumerate(raw_rubric or [], start=1):
        if not isinstance(raw, dict):
            continue
        cid = str(raw.get("id") or f"c{position}")
        criteria.append(
            {
                "id": f"{prefix}{cid}",
                "criterion": str(raw.get("criterion") or raw.get("id") or f"Criterion {position}"),
                "points": float(raw.get("points") or 1),
                "description": str(raw.get("description") or ""),
            }
        )
    return criteria


@dataclass
class Component:
    weight: float
    label: str
    part: str | None = None
    criteria: list[dict[str, Any]] = field(default_factory=list)
    auto_score: float | None = None  # set for parts the grader scored

    @property
    def is_auto(self) -> bool:
        return not self.criteria


@dataclass
class ReviewPlan:
    components: list[Component]

    @property
    def criteria(self) -> list[dict[str, Any]]:
        return [c for comp in self.components for c in comp.criteria]

    @property
    def auto_parts(self) -> list[Component]:
        return [comp for comp in self.components if comp.is_auto]

    @property
    def uses_points(self) -> bool:
        """No criteria at all: the teacher gives points out of the item's points."""
        return not self.criteria

    def score(self, scores: dict[str, Any]) -> float | None:
        """The weighted mean in [0, 1], or None while a criterion is unscored."""
        total_weight = sum(comp.weight for comp in self.components)
        if not total_weight:
            return None
        earned = 0.0
        for comp in self.components:
            if comp.is_auto:
                earned += comp.weight * (comp.auto_score or 0.0)
                continue
            if any(c["id"] not in scores for c in comp.criteria):
                return None
            possible = sum(c["points"] for c in comp.criteria)
            got = sum(float(scores[c["id"]]) for c in comp.criteria)
            earned += comp.weight * (got / possible if possible else 0.0)
        return earned / total_weight


def review_plan(spec: dict[str, Any], result: dict[str, Any] | None = None) -> ReviewPlan:
    """The components of an answer to ``spec`` given the grader's stored ``result``."""
    result = result or {}
    graded = {str(p.get("id")): p for p in result.get("parts") or [] if isinstance(p, dict)}
    components: list[Component] = []
    auto_weight = 0.0
    for part in spec.get("parts") or []:
        if not isinstance(part, dict):
            continue
        pid = str(part.get("id"))
        weight = float(part.get("weight") or 1)
        label = str(part.get("label") or pid)
        stored = graded.get(pid, {})
        if part.get("type") == "free_text" or stored.get("outcome") == "needs_review":
            criteria = criteria_of(part.get("rubric"), prefix=f"{pid}.")
            if not criteria:
                criteria = [
                    {
                        "id": f"{pid}.overall",
                        "criterion": "Overall",
                        "points": OVERALL_POINTS,
                        "description": "0 none, 1 some, 2 all of what the part asks",
                    }
                ]
            components.append(Component(weight=weight, label=label, part=pid, criteria=criteria))
        else:
            score = stored.get("score")
            components.append(
                Component(
                    weight=weight,
                    label=label,
                    part=pid,
                    auto_score=float(score) if score is not None else 0.0,
                )
            )
            auto_weight += weight
    own = criteria_of(spec.get("rubric"))
    if own:
        components.insert(
            0,
            Component(
                weight=auto_weight or 1.0, label=str(spec.get("title") or "Rubric"), criteria=own
            ),
        )
    return ReviewPlan(components=components)
