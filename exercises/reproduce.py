"""What a job needs to be run again, and how a re-run's outputs compare with the stored ones.

The rule (stated on the review page): on the same device, library versions and model, outputs
must be **byte-equal**: the same text token for token, the same PNG bytes. On another device
(or another batch size) floating-point sums come out in another order, so an image is judged
**within tolerance** when no pixel channel differs by more than ``IMAGE_MAX_ABS`` and the mean
difference is at most ``IMAGE_MEAN_ABS`` (on 0-255), and text when it is the same token for
token with every probability within ``PROB_ABS``. Anything else **differs**, with the reason.

No torch here: the web process imports this module to show the rule and the verdicts.
"""

from __future__ import annotations

import io
import platform
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

IMAGE_MAX_ABS = 8
IMAGE_MEAN_ABS = 1.0
PROB_ABS = 1e-3
LIBRARIES = ("torch", "transformers", "diffusers", "tokenizers", "safetensors", "numpy")


def environment(info: Any) -> dict[str, Any]:
    """The runtime a job ran in (``info``: the runner's ``ModelInfo``)."""
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "libraries": versions,
        "device": info.device,
        "dtype": info.dtype,
        "model_id": info.model_id,
        "model_revision": info.revision,
    }


@dataclass
class Comparison:
    verdict: str  # "reproduced", "within_tolerance" or "differs"
    differences: list[str] = field(default_factory=list)
    measures: dict[str, Any] = field(default_factory=dict)


def environment_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What differs between two environments, as sentences (empty when nothing does)."""
    notes = []
    for key, label in (("model_id", "model"), ("model_revision", "model revision")):
        if old.get(key) and old.get(key) != new.get(key):
            notes.append(f"{label}: {old.get(key)} then, {new.get(key)} now")
    for key in ("device", "dtype"):
        if old.get(key) and old.get(key) != new.get(key):
            notes.append(f"{key}: {old.get(key)} then, {new.get(key)} now")
    old_libs, new_libs = old.get("libraries") or {}, new.get("libraries") or {}
    for name in sorted(set(old_libs) | set(new_libs)):
        if old_libs.get(name) != new_libs.get(name):
            notes.append(f"{name}: {old_libs.get(name)} then, {new_libs.get(name)} now")
    return notes


def compare_text(old: dict[str, Any], new: dict[str, Any], *, same_runtime: bool) -> Comparison:
    """Two text results (their stored metadata: ``text`` and ``scoreboard``)."""
    old_tokens = [t.get("token") for t in old.get("scoreboard") or []]
    new_tokens = [t.get("token") for t in new.get("scoreboard") or []]
    if old_tokens != new_tokens:
        at = next(
            (i for i, (a, b) in enumerate(zip(old_tokens, new_tokens, strict=False)) if a != b),
            min(len(old_tokens), len(new_tokens)),
        )
        then = old_tokens[at] if at < len(old_tokens) else "(end)"
        now = new_tokens[at] if at < len(new_tokens) else "(end)"
        return Comparison(
            "differs",
            [f"token {at + 1}: “{then}” then, “{now}” now"],
            {"first_different_token": at + 1},
        )
    gaps = [
        abs(float(a.get("probability", 0)) - float(b.get("probability", 0)))
        for a, b in zip(old.get("scoreboard") or [], new.get("scoreboard") or [], strict=True)
    ]
    worst = max(gaps, default=0.0)
    measures = {"tokens": len(old_tokens), "max_probability_difference": worst}
    if old.get("text") == new.get("text") and worst == 0.0:
        return Comparison("reproduced", [], measures)
    if worst <= PROB_ABS and not same_runtime:
        return Comparison("within_tolerance", [], measures)
    return Comparison(
        "differs",
        [f"same tokens, probabilities differ by up to {worst:.2g}"],
        measures,
    )


def _pixels(png: bytes) -> tuple[tuple[int, int], bytes]:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        rgb = image.convert("RGB")
        return rgb.size, rgb.tobytes()


def compare_png(old: bytes, new: bytes, *, same_runtime: bool, what: str = "image") -> Comparison:
    """Two PNGs: byte-equal, or (another runtime) pixel-close within the stated tolerance."""
    if old == new:
        return Comparison("reproduced", [], {f"{what}_bytes_equal": True})
    (old_size, a), (new_size, b) = _pixels(old), _pixels(new)
    if old_size != new_size:
        return Comparison("differs", [f"{what}: {old_size} pixels then, {new_size} now"], {})
    diffs = [abs(x - y) for x, y in zip(a, b, strict=True)]
    worst, mean = max(diffs), sum(diffs) / len(diffs)
    measures = {f"{what}_max_abs": worst, f"{what}_mean_abs": round(mean, 4)}
    if worst == 0:  # same pixels, other encoding (metadata): as good as byte-equal
        return Comparison("reproduced", [], measures)
    close = worst <= IMAGE_MAX_ABS and mean <= IMAGE_MEAN_ABS
    if close and not same_runtime:
        return Comparison("within_tolerance", [], measures)
    return Comparison(
        "differs",
        [f"{what}: pixels differ by up to {worst}/255 (mean {mean:.2f})"],
        measures,
    )


def combine(parts: list[Comparison]) -> Comparison:
    """The worst verdict of several comparisons, with all their notes and measures."""
    order = {"reproduced": 0, "within_tolerance": 1, "differs": 2}
    verdict = max((p.verdict for p in parts), key=order.__getitem__, default="reproduced")
    out = Comparison(verdict)
    for p in parts:
        out.differences += p.differences
        out.measures.update(p.measures)
    return out
