"""The drawn world, its captions and the pixel reader that the quality check relies on."""

from __future__ import annotations

import itertools
import random
import re

import numpy as np
import pytest

from exercises.imageworld import reader, world
from exercises.imageworld.vocabulary import (
    COLOURS,
    KNOWN_WORDS,
    POSITIONS,
    SHAPES,
    mark_prompt,
    unknown_words,
)

CORE = re.compile(
    r"^a (red|green|blue|yellow|orange|purple|black|white) (circle|square|triangle)"
    r"( in the (center|top left|top right|bottom left|bottom right))?"
    r" on a (red|green|blue|yellow|orange|purple|black|white) background$"
)


def test_the_colours_are_the_issue_rgb():
    assert COLOURS == {
        "red": (230, 30, 30),
        "green": (20, 150, 40),
        "blue": (30, 60, 230),
        "yellow": (245, 225, 30),
        "orange": (250, 150, 20),
        "purple": (140, 40, 170),
        "black": (15, 15, 15),
        "white": (245, 245, 245),
    }


def test_core_captions_follow_the_grammar_exactly():
    rng = random.Random(3)
    for _ in range(500):
        scene = world.random_core_scene(rng)
        match = CORE.match(scene.caption)
        assert match, scene.caption
        assert match.group(1) != match.group(5)
    assert world.core_caption("orange", "circle", "blue", None) == (
        "a orange circle on a blue background"
    )
    assert world.core_caption("red", "square", "white", "top left") == (
        "a red square in the top left on a white background"
    )


def test_the_object_is_drawn_in_its_exact_colour_on_the_exact_background():
    scene = world.core_scene(random.Random(0), "purple", "square", "yellow", "bottom right")
    image = world.draw_scene(scene)
    assert tuple(image[0, 0]) == COLOURS["yellow"]
    thing = scene.things[0]
    assert tuple(image[thing.cy, thing.cx]) == COLOURS["purple"]
    assert thing.cx > 32 and thing.cy > 32


def test_the_same_seed_draws_the_same_world():
    a_images, a_scenes = world.dataset(50, seed=7)
    b_images, b_scenes = world.dataset(50, seed=7)
    c_images, _ = world.dataset(50, seed=8)
    assert a_scenes == b_scenes
    assert np.array_equal(a_images, b_images)
    assert not np.array_equal(a_images, c_images)


def test_the_world_has_objects_textures_and_pairs_from_its_vocabulary():
    _, scenes = world.dataset(3000, seed=1)
    captions = [scene.caption for scene in scenes]
    assert 0.5 < sum(scene.core for scene in scenes) / len(scenes) < 0.7
    joined = "\n".join(captions)
    for phrase in (
        "apple",
        "tree",
        "house",
        "sun",
        "flower",
        "car",
        "star",
        "on a wooden table",
        "on the grass",
        "in the sky",
        "at night",
        " above a ",
        " next to a ",
        "small",
        "large",
    ):
        assert phrase in joined, phrase
    for caption in captions:
        assert set(caption.split()) <= KNOWN_WORDS, caption


def test_the_lesson_prompts_are_in_the_world():
    assert unknown_words("a red apple on a wooden table") == []
    assert unknown_words("a yellow sun above a green tree") == []


@pytest.mark.parametrize("shape", SHAPES)
def test_the_reader_reads_every_drawn_core_scene(shape):
    """Every colour pair, position and a few sizes: the reader is right on the ground truth."""
    rng = random.Random(shape)
    for colour, background in itertools.permutations(COLOURS, 2):
        for position in [None, *POSITIONS]:
            scene = world.core_scene(rng, colour, shape, background, position)
            reading = reader.read_image(world.draw_scene(scene))
            assert (reading.background, reading.colour, reading.position, reading.shape) == (
                background,
                colour,
                reader.expected_position(position),
                shape,
            ), scene


def test_the_reader_tolerates_a_soft_edge_and_says_nothing_on_a_blank_picture():
    scene = world.core_scene(random.Random(1), "red", "square", "yellow", "top left")
    image = world.draw_scene(scene).astype(np.float32)
    soft = (image + np.roll(image, 1, 0) + np.roll(image, 1, 1) + np.roll(image, -1, 0)) / 4
    reading = reader.read_image(soft.astype(np.uint8))
    assert (reading.background, reading.colour, reading.position) == (
        "yellow",
        "red",
        "top left",
    )
    blank = np.full((64, 64, 3), COLOURS["blue"], dtype=np.uint8)
    assert reader.read_image(blank) == reader.Reading("blue", None, None, None, 0)


def test_mark_prompt_flags_words_outside_the_world():
    marked = mark_prompt("A red apple on a Wooden table, photorealistic!")
    assert [(w.text, w.known) for w in marked] == [
        ("A", True),
        ("red", True),
        ("apple", True),
        ("on", True),
        ("a", True),
        ("Wooden", True),
        ("table", True),
        (",", True),
        ("photorealistic", False),
        ("!", True),
    ]
    assert unknown_words("a cat riding a bicycle") == ["cat", "riding", "bicycle"]
