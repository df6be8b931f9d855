"""Procedurally drawn, captioned scenes: the only data the course image model is trained on.

Every scene comes from ``random.Random(seed)``, so the same seed draws the same picture and
caption on any machine. The checkable core (issue 12) is exactly
``a {colour} {shape} on a {colour} background`` and
``a {colour} {shape} in the {position} on a {colour} background``; around it the world adds
sizes, everyday objects built from simple geometry, textured backgrounds and two-object scenes so
the lesson's own prompts ("a red apple on a wooden table") give a recognisable picture.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw

from exercises.imageworld.vocabulary import COLOURS, OBJECTS, POSITIONS, SHAPES, TEXTURES

SIZE = 64
# Side (px) of a shape in the core grammar, and for the size words.
CORE_SIDE = (18, 24)
SMALL_SIDE = (11, 14)
LARGE_SIDE = (34, 40)
JITTER = 2

BROWN = (120, 75, 35)
LEAF = (40, 130, 40)


@dataclass(frozen=True)
class Thing:
    """One drawn object: a shape or an everyday object, its colour, centre and side in px."""

    kind: str
    colour: str
    cx: int
    cy: int
    side: int


@dataclass(frozen=True)
class Scene:
    caption: str
    background: str  # a colour name, or a texture name (table, grass, sky, night)
    things: tuple[Thing, ...] = field(default_factory=tuple)
    position: str | None = None  # the position phrase of a core caption, "center" when none
    core: bool = False


def core_caption(colour: str, shape: str, background: str, position: str | None) -> str:
    if position is None:
        return f"a {colour} {shape} on a {background} background"
    return f"a {colour} {shape} in the {position} on a {background} background"


def core_scene(
    rng: random.Random, colour: str, shape: str, background: str, position: str | None
) -> Scene:
    if colour == background:
        raise ValueError(f"object colour and background are both {colour!r}")
    cx, cy = POSITIONS[position or "center"]
    side = rng.randint(*CORE_SIDE)
    thing = Thing(
        shape,
        colour,
        cx + rng.randint(-JITTER, JITTER),
        cy + rng.randint(-JITTER, JITTER),
        side,
    )
    return Scene(
        core_caption(colour, shape, background, position),
        background,
        (thing,),
        position or "center",
        core=True,
    )


def random_core_scene(rng: random.Random) -> Scene:
    colour, background = rng.sample(list(COLOURS), 2)
    shape = rng.choice(SHAPES)
    position = rng.choice([None, *POSITIONS])
    return core_scene(rng, colour, shape, background, position)


def _sized_scene(rng: random.Random) -> Scene:
    colour, background = rng.sample(list(COLOURS), 2)
    kind = rng.choice(SHAPES + OBJECTS)
    size = rng.choice(("small", "large"))
    if size == "small":
        position = rng.choice([None, *POSITIONS])
        side = rng.randint(*SMALL_SIDE)
    else:
        position, side = None, rng.randint(*LARGE_SIDE)
    cx, cy = POSITIONS[position or "center"]
    where = f" in the {position}" if position else ""
    caption = f"a {size} {colour} {kind}{where} on a {background} background"
    thing = Thing(kind, colour, cx + rng.randint(-1, 1), cy + rng.randint(-1, 1), side)
    return Scene(caption, background, (thing,), position or "center")


def _object_scene(rng: random.Random) -> Scene:
    colour = rng.choice(list(COLOURS))
    kind = rng.choice(OBJECTS + SHAPES)
    if rng.random() < 0.5:
        phrase = rng.choice(list(TEXTURES))
        background = TEXTURES[phrase]
        cx, cy = 32, 36 if background in ("table", "grass") else 32
        caption = f"a {colour} {kind} {phrase}"
        position = None
    else:
        background = rng.choice([name for name in COLOURS if name != colour])
        position = rng.choice([None, *POSITIONS])
        cx, cy = POSITIONS[position or "center"]
        where = f" in the {position}" if position else ""
        caption = f"a {colour} {kind}{where} on a {background} background"
    side = rng.randint(20, 26) if position else rng.randint(26, 32)
    thing = Thing(kind, colour, cx + rng.randint(-1, 1), cy + rng.randint(-1, 1), side)
    return Scene(caption, background, (thing,), position or "center")


def _pair_scene(rng: random.Random) -> Scene:
    first, second = (rng.choice(list(COLOURS)) for _ in range(2))
    kind_a, kind_b = (rng.choice(OBJECTS + SHAPES) for _ in range(2))
    relation = rng.choice(("above", "next to"))
    if relation == "above":
        a = Thing(kind_a, first, 32 + rng.randint(-8, 8), 16 + rng.randint(-1, 1), 20)
        b = Thing(kind_b, second, 32 + rng.randint(-8, 8), 45 + rng.randint(-1, 1), 26)
    else:
        a = Thing(kind_a, first, 17 + rng.randint(-1, 1), 34 + rng.randint(-3, 3), 22)
        b = Thing(kind_b, second, 47 + rng.randint(-1, 1), 34 + rng.randint(-3, 3), 22)
    if rng.random() < 0.5:
        phrase = rng.choice(list(TEXTURES))
        background, tail = TEXTURES[phrase], phrase
    else:
        background = rng.choice([name for name in COLOURS if name not in (first, second)])
        tail = f"on a {background} background"
    caption = f"a {first} {kind_a} {relation} a {second} {kind_b} {tail}"
    return Scene(caption, background, (a, b))


def random_scene(rng: random.Random, *, core_share: float = 0.6) -> Scene:
    """One training scene: the core grammar most of the time, the richer world otherwise."""
    roll = rng.random()
    if roll < core_share:
        return random_core_scene(rng)
    roll = (roll - core_share) / (1 - core_share)
    if roll < 0.25:
        return _sized_scene(rng)
    if roll < 0.7:
        return _object_scene(rng)
    return _pair_scene(rng)


def scene_for_seed(seed: int) -> Scene:
    return random_scene(random.Random(seed))


# -- drawing -------------------------------------------------------------------------------


def _background(draw: ImageDraw.ImageDraw, name: str, rng: random.Random) -> None:
    if name in COLOURS:
        draw.rectangle((0, 0, SIZE, SIZE), fill=COLOURS[name])
    elif name == "table":
        draw.rectangle((0, 0, SIZE, SIZE), fill=(160, 105, 60))
        for y in range(rng.randint(0, 3), SIZE, rng.randint(5, 7)):
            draw.line((0, y, SIZE, y + rng.randint(-1, 1)), fill=(125, 80, 45), width=1)
    elif name == "grass":
        draw.rectangle((0, 0, SIZE, 22), fill=(140, 200, 240))
        draw.rectangle((0, 22, SIZE, SIZE), fill=(70, 165, 60))
        for _ in range(30):
            x, y = rng.randint(0, SIZE), rng.randint(24, SIZE)
            draw.line((x, y, x + rng.randint(-1, 1), y - 3), fill=(40, 120, 40), width=1)
    elif name == "sky":
        draw.rectangle((0, 0, SIZE, SIZE), fill=(140, 200, 240))
        for _ in range(2):
            x, y = rng.randint(0, SIZE - 16), rng.randint(2, SIZE - 12)
            draw.ellipse((x, y, x + 16, y + 7), fill=(250, 250, 250))
    elif name == "night":
        draw.rectangle((0, 0, SIZE, SIZE), fill=(15, 20, 60))
        for _ in range(14):
            x, y = rng.randint(0, SIZE - 1), rng.randint(0, SIZE - 1)
            draw.point((x, y), fill=(235, 235, 200))
    else:
        raise ValueError(f"unknown background {name!r}")


def _star_points(cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.45
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def _thing(draw: ImageDraw.ImageDraw, thing: Thing) -> None:
    rgb = COLOURS[thing.colour]
    h = thing.side / 2
    x0, y0, x1, y1 = thing.cx - h, thing.cy - h, thing.cx + h - 1, thing.cy + h - 1
    kind = thing.kind
    if kind == "circle":
        draw.ellipse((x0, y0, x1, y1), fill=rgb)
    elif kind == "square":
        draw.rectangle((x0, y0, x1, y1), fill=rgb)
    elif kind == "triangle":
        draw.polygon([(thing.cx - 0.5, y0), (x1, y1), (x0, y1)], fill=rgb)
    elif kind == "apple":
        draw.ellipse((x0, y0 + h * 0.25, x1, y1), fill=rgb)
        draw.line((thing.cx, y0 + h * 0.35, thing.cx + 1, y0), fill=BROWN, width=2)
        draw.ellipse((thing.cx + 1, y0, thing.cx + h * 0.6, y0 + h * 0.3), fill=LEAF)
    elif kind == "tree":
        draw.rectangle((thing.cx - h * 0.18, thing.cy, thing.cx + h * 0.18, y1), fill=BROWN)
        draw.ellipse((x0, y0, x1, thing.cy + h * 0.35), fill=rgb)
    elif kind == "house":
        draw.rectangle((x0 + h * 0.15, thing.cy - h * 0.1, x1 - h * 0.15, y1), fill=rgb)
        draw.polygon(
            [(thing.cx, y0), (x1, thing.cy - h * 0.1), (x0, thing.cy - h * 0.1)], fill=BROWN
        )
        draw.rectangle(
            (thing.cx - h * 0.15, thing.cy + h * 0.4, thing.cx + h * 0.15, y1), fill=BROWN
        )
    elif kind == "sun":
        for i in range(8):
            angle = i * math.pi / 4
            draw.line(
                (
                    thing.cx + h * 0.6 * math.cos(angle),
                    thing.cy + h * 0.6 * math.sin(angle),
                    thing.cx + h * math.cos(angle),
                    thing.cy + h * math.sin(angle),
                ),
                fill=rgb,
                width=2,
            )
        draw.ellipse(
            (thing.cx - h * 0.6, thing.cy - h * 0.6, thing.cx + h * 0.6, thing.cy + h * 0.6),
            fill=rgb,
        )
    elif kind == "flower":
        draw.line((thing.cx, thing.cy, thing.cx, y1), fill=LEAF, width=2)
        r = h * 0.3
        for i in range(5):
            angle = -math.pi / 2 + i * 2 * math.pi / 5
            px, py = (
                thing.cx + h * 0.4 * math.cos(angle),
                thing.cy - h * 0.2 + h * 0.4 * math.sin(angle),
            )
            draw.ellipse((px - r, py - r, px + r, py + r), fill=rgb)
        centre = (245, 225, 30) if thing.colour != "yellow" else (250, 150, 20)
        cy = thing.cy - h * 0.2
        draw.ellipse(
            (thing.cx - r * 0.7, cy - r * 0.7, thing.cx + r * 0.7, cy + r * 0.7), fill=centre
        )
    elif kind == "car":
        draw.rectangle((x0, thing.cy - h * 0.2, x1, thing.cy + h * 0.4), fill=rgb)
        draw.rectangle(
            (x0 + h * 0.4, thing.cy - h * 0.65, x1 - h * 0.4, thing.cy - h * 0.2), fill=rgb
        )
        draw.rectangle(
            (x0 + h * 0.55, thing.cy - h * 0.5, x1 - h * 0.55, thing.cy - h * 0.25),
            fill=(180, 220, 245),
        )
        wheel = (40, 40, 40) if thing.colour != "black" else (120, 120, 120)
        for wx in (x0 + h * 0.45, x1 - h * 0.45):
            draw.ellipse(
                (wx - h * 0.28, thing.cy + h * 0.2, wx + h * 0.28, thing.cy + h * 0.76), fill=wheel
            )
    elif kind == "star":
        draw.polygon(_star_points(thing.cx, thing.cy, h), fill=rgb)
    else:
        raise ValueError(f"unknown thing {kind!r}")


def draw_scene(scene: Scene, *, seed: int = 0) -> np.ndarray:
    """The scene as a (64, 64, 3) uint8 array; ``seed`` places texture details."""
    image = Image.new("RGB", (SIZE, SIZE))
    draw = ImageDraw.Draw(image)
    _background(draw, scene.background, random.Random(seed))
    for thing in scene.things:
        _thing(draw, thing)
    return np.asarray(image, dtype=np.uint8).copy()


def dataset(count: int, seed: int, *, core_share: float = 0.6) -> tuple[np.ndarray, list[Scene]]:
    """``count`` drawn scenes and their captions, the same for the same seed."""
    rng = random.Random(seed)
    images = np.empty((count, SIZE, SIZE, 3), dtype=np.uint8)
    scenes = []
    for index in range(count):
        scene = random_scene(rng, core_share=core_share)
        images[index] = draw_scene(scene, seed=rng.randrange(2**31))
        scenes.append(scene)
    return images, scenes
