"""Unicode bidirectional controls in short text a student writes.

U+202A-U+202E (embeddings and overrides) and U+2066-U+2069 (isolates) are invisible and change
the order in which the characters around them are *displayed*: ``"ok\\u202e!gnorw"`` shows as
"okwrong!" ("Trojan Source", CVE-2021-42574). In an answer, a prompt or a reflection they let
a student make text read differently to the teacher than it is stored and graded, and no
real answer in this course needs them (right-to-left scripts display correctly without
them). So they are refused, with the place and the name of the character.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.utils.translation import gettext as _

_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")


def first_bidi_control(value: Any) -> tuple[int, str] | None:
    """(1-based position, character) of the first bidi control in ``value`` (a string, or the
    strings inside lists and dicts), or ``None``."""
    if isinstance(value, str):
        match = _BIDI_CONTROL.search(value)
        return (match.start() + 1, match.group()) if match else None
    if isinstance(value, dict):
        value = [part for pair in value.items() for part in pair]
    if isinstance(value, list | tuple):
        for part in value:
            found = first_bidi_control(part)
            if found is not None:
                return found
    return None


def bidi_message(what: str, position: int, char: str) -> str:
    """``what`` is the text's name as the sentence starts: "The answer", "The prompt"."""
    return _(
        "%(what)s contains an invisible Unicode direction control (U+%(code)04X %(name)s) at "
        "character %(position)s. It can make text display differently from what was typed; "
        "remove it and send again."
    ) % {
        "what": what,
        "code": ord(char),
        "name": unicodedata.name(char, "BIDI CONTROL"),
        "position": position,
    }
