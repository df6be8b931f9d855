"""Read a picture of the core grammar back from its pixels: background, colour, position, shape.

The quality check (``scripts/image_quality.py``) and its small test-suite version judge the
trained model with this reader, so it must be right on the drawn ground truth (a table test
checks every colour pair, shape and position) and tolerant of what a tiny model really draws:
soft edges, thin rims of in-between colours, a few stray pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from exercises.imageworld.vocabulary import COLOURS, POSITIONS

_NAMES = list(COLOURS)
_PALETTE = np.array([COLOURS[name] for name in _NAMES], dtype=np.float32)
# How far (RGB distance) a pixel must be from the background to count as object: half the
# closest pair of colours (yellow and orange, about 76 apart).
OBJECT_DISTANCE = 38.0
# A centroid this close (px, in a 64 px image) to the middle reads as "center".
CENTER_RADIUS = 9.0


@dataclass(frozen=True)
class Reading:
    background: str
    colour: str | None
    position: str | None
    shape: str | None
    object_pixels: int = 0


def nearest_colours(pixels: np.ndarray) -> np.ndarray:
    """Index into the palette of the nearest colour for each RGB pixel (…, 3)."""
    flat = pixels.reshape(-1, 3).astype(np.float32)
    distances = ((flat[:, None, :] - _PALETTE[None, :, :]) ** 2).sum(-1)
    return distances.argmin(1).reshape(pixels.shape[:-1])


def _position(cx: float, cy: float, size: int) -> str:
    half = size / 2
    if np.hypot(cx - half, cy - half) <= CENTER_RADIUS * size / 64:
        return "center"
    vertical = "top" if cy < half else "bottom"
    horizontal = "left" if cx < half else "right"
    return f"{vertical} {horizontal}"


def _shape(mask: np.ndarray) -> str:
    """Circle, square or triangle from the object mask's bounding box and its row widths.

    A triangle (apex up) is narrow at the top and wide at the bottom; a square fills its box;
    a circle fills about pi/4 of it.
    """
    rows = np.flatnonzero(mask.any(1))
    cols = np.flatnonzero(mask.any(0))
    top, bottom, left, right = rows[0], rows[-1], cols[0], cols[-1]
    box = mask[top : bottom + 1, left : right + 1]
    height, width = box.shape
    widths = box.sum(1)
    band = max(1, height // 4)
    upper, lower = widths[:band].mean(), widths[-band:].mean()
    if upper < 0.6 * lower:
        return "triangle"
    fill = box.sum() / (height * width)
    return "square" if fill >= 0.885 else "circle"


def read_image(image: np.ndarray) -> Reading:
    """Read an (H, W, 3) uint8 RGB picture of one object on a plain background."""
    pixels = np.asarray(image, dtype=np.float32)[..., :3]
    size = pixels.shape[0]
    border = np.concatenate(
        [
            pixels[:2].reshape(-1, 3),
            pixels[-2:].reshape(-1, 3),
            pixels[:, :2].reshape(-1, 3),
            pixels[:, -2:].reshape(-1, 3),
        ]
    )
    counts = np.bincount(nearest_colours(border).ravel(), minlength=len(_NAMES))
    background_index = int(counts.argmax())
    background = _NAMES[background_index]
    border_rgb = border[nearest_colours(border).ravel() == background_index]
    reference = np.median(border_rgb, axis=0)
    distance = np.sqrt(((pixels - reference) ** 2).sum(-1))
    candidates = distance > OBJECT_DISTANCE
    if candidates.sum() < 4:
        return Reading(background, None, None, None, 0)
    labels = nearest_colours(pixels)
    object_labels = labels[candidates]
    object_labels = object_labels[object_labels != background_index]
    if object_labels.size == 0:
        return Reading(background, None, None, None, 0)
    colour_index = int(np.bincount(object_labels, minlength=len(_NAMES)).argmax())
    mask = candidates & (labels == colour_index)
    ys, xs = np.nonzero(mask)
    position = _position(xs.mean() + 0.5, ys.mean() + 0.5, size)
    return Reading(background, _NAMES[colour_index], position, _shape(mask), int(mask.sum()))


def expected_position(position: str | None) -> str:
    """What the reader should report for a caption's position (none given -> center)."""
    if position is not None and position not in POSITIONS:
        raise ValueError(f"unknown position {position!r}")
    return position or "center"
