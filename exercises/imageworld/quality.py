"""The course image model's quality check: render core-grammar prompts, read the pixels back.

Prompts and seeds come from their own random stream (not the training one), so the model is
judged on noise it never saw; every figure is the share of images whose background, object
colour, position or shape reads as the prompt asked. ``scripts/image_quality.py`` prints them;
``tests/exercises/test_image_model.py`` runs a small version.
"""

from __future__ import annotations

import io
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from exercises.imageworld.reader import read_image
from exercises.imageworld.vocabulary import COLOURS, POSITIONS, SHAPES
from exercises.imageworld.world import core_caption

ATTRIBUTES = ("background", "colour", "position", "shape")
# Goals from issue 12 (per cent of prompts read right).
GOALS = {"background": 95.0, "colour": 90.0, "position": 85.0, "shape": 80.0}
PROMPT_SEED = 20261206
FIRST_IMAGE_SEED = 1_000_000


@dataclass(frozen=True)
class Case:
    prompt: str
    colour: str
    shape: str
    background: str
    position: str  # "center" when the prompt names none
    seed: int


@dataclass
class Report:
    cases: int = 0
    right: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ATTRIBUTES, 0))
    misses: list[tuple[Case, dict[str, str | None]]] = field(default_factory=list)
    seconds: float = 0.0

    def percent(self, attribute: str) -> float:
        return 100.0 * self.right[attribute] / max(1, self.cases)

    def summary(self) -> dict[str, float]:
        return {attribute: round(self.percent(attribute), 1) for attribute in ATTRIBUTES}


def cases(count: int, *, prompt_seed: int = PROMPT_SEED) -> list[Case]:
    """``count`` core-grammar prompts (half with a position), each with its own image seed."""
    rng = random.Random(prompt_seed)
    out = []
    for index in range(count):
        colour, background = rng.sample(list(COLOURS), 2)
        shape = rng.choice(SHAPES)
        position = rng.choice(list(POSITIONS)) if index % 2 else None
        out.append(
            Case(
                core_caption(colour, shape, background, position),
                colour,
                shape,
                background,
                position or "center",
                FIRST_IMAGE_SEED + prompt_seed % 1000 * 1000 + index,
            )
        )
    return out


def check(
    runner,
    count: int,
    *,
    steps: int,
    guidance_scale: float,
    size: int = 64,
    batch: int = 8,
    prompt_seed: int = PROMPT_SEED,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Render ``count`` prompts through an image runner in batches and read every picture."""
    from exercises.runners.base import ImageRequest

    report = Report()
    todo = cases(count, prompt_seed=prompt_seed)
    started = time.perf_counter()
    for start in range(0, len(todo), batch):
        chunk = todo[start : start + batch]
        requests = [
            ImageRequest(case.prompt, steps, guidance_scale, size, case.seed) for case in chunk
        ]
        for case, result in zip(chunk, runner.run_batch(requests), strict=True):
            image = np.asarray(Image.open(io.BytesIO(result.png)).convert("RGB"))
            if image.shape[0] != 64:
                image = np.asarray(Image.fromarray(image).resize((64, 64), Image.BILINEAR))
            reading = read_image(image)
            got = {
                "background": reading.background,
                "colour": reading.colour,
                "position": reading.position,
                "shape": reading.shape,
            }
            want = {
                "background": case.background,
                "colour": case.colour,
                "position": case.position,
                "shape": case.shape,
            }
            report.cases += 1
            for attribute in ATTRIBUTES:
                report.right[attribute] += got[attribute] == want[attribute]
            if got != want:
                report.misses.append((case, got))
        if progress is not None:
            progress(report.cases, len(todo))
    report.seconds = time.perf_counter() - started
    return report
