"""The words of the drawn world (pure Python: the web process imports this, never torch).

The course image model only ever saw captions made of these words, so these are the words it
knows. ``mark_prompt`` splits a student's prompt into words and says which ones it knows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

#: The training command writes this file into the folder it makes: a pipeline folder holding it
#: is the course model (it only knows this vocabulary), any other is a real pipeline.
COURSE_MODEL_MARKER = "TRAINED_ON_DRAWN_WORLD"

# The checkable colours and the RGB they are drawn in (issue 12).
COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (230, 30, 30),
    "green": (20, 150, 40),
    "blue": (30, 60, 230),
    "yellow": (245, 225, 30),
    "orange": (250, 150, 20),
    "purple": (140, 40, 170),
    "black": (15, 15, 15),
    "white": (245, 245, 245),
}
SHAPES = ("circle", "square", "triangle")
# Position phrase -> centre of the object in a 64 px image (x, y).
POSITIONS: dict[str, tuple[int, int]] = {
    "center": (32, 32),
    "top left": (16, 16),
    "top right": (48, 16),
    "bottom left": (16, 48),
    "bottom right": (48, 48),
}
SIZES = ("small", "large")
OBJECTS = ("apple", "tree", "house", "sun", "flower", "car", "star")
# Textured backgrounds: caption phrase -> short name used by the drawing code.
TEXTURES: dict[str, str] = {
    "on a wooden table": "table",
    "on the grass": "grass",
    "in the sky": "sky",
    "at night": "night",
}
RELATIONS = ("above", "next to")
GRAMMAR_WORDS = ("a", "on", "in", "the", "background", "at")

# Every word of every caption in the world, and nothing else.
KNOWN_WORDS: frozenset[str] = frozenset(
    {
        *COLOURS,
        *SHAPES,
        *(word for phrase in POSITIONS for word in phrase.split()),
        *SIZES,
        *OBJECTS,
        *(word for phrase in TEXTURES for word in phrase.split()),
        *(word for phrase in RELATIONS for word in phrase.split()),
        *GRAMMAR_WORDS,
    }
)

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|[^\sa-z]+", re.IGNORECASE)


@dataclass(frozen=True)
class MarkedWord:
    text: str
    known: bool


def mark_prompt(prompt: str) -> list[MarkedWord]:
    """The prompt's words in order, each flagged known (in the world's vocabulary) or not.

    Case is ignored (the tokenizer lower-cases too); punctuation is kept as its own piece and
    counted as known, since it changes nothing the model draws.
    """
    marked = []
    for piece in _WORD.findall(prompt):
        if piece[0].isalpha():
            marked.append(MarkedWord(piece, piece.lower() in KNOWN_WORDS))
        else:
            marked.append(MarkedWord(piece, True))
    return marked


def unknown_words(prompt: str) -> list[str]:
    return [word.text for word in mark_prompt(prompt) if not word.known]


def is_course_model(source: str | Path) -> bool:
    """Whether ``source`` (an ``IMAGE_MODEL`` value) is the course model trained on this world."""
    try:
        return (Path(source) / COURSE_MODEL_MARKER).is_file()
    except OSError:
        return False
