"""Errors that name the file, the line and the field, so a teacher can fix a bank in an editor."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

#: A path into the parsed document: ``("lessons", 0, "items", 2, "answer")``.
Path = tuple[str | int, ...]


def format_path(path: Iterable[str | int]) -> str:
    """``("lessons", 0, "items", 2, "answer")`` -> ``lessons[0].items[2].answer``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_PATH_TOKEN = re.compile(r"\[(\d+)\]|\.?([^.\[\]]+)")


def parse_path(text: str) -> Path:
    """The inverse of :func:`format_path` (used for the graders' ``SpecError.path``)."""
    return tuple(int(index) if index else name for index, name in _PATH_TOKEN.findall(text))


@dataclass(frozen=True, slots=True)
class BankError:
    """One problem in a bank file. ``line`` is 1-based; ``field`` is a path such as
    ``lessons[0].items[2].answer`` (empty when the whole file is at fault)."""

    filename: str
    line: int | None
    field: str
    message: str
    column: int | None = None

    def __str__(self) -> str:
        where = self.filename
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        if self.field:
            return f"{where}: {self.field}: {self.message}"
        return f"{where}: {self.message}"

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> BankError:
        """The inverse of :meth:`to_dict` (errors stored with an import)."""
        line, column = data.get("line"), data.get("column")
        return cls(
            str(data.get("file") or ""),
            line if isinstance(line, int) else None,
            str(data.get("field") or ""),
            str(data.get("message") or ""),
            column if isinstance(column, int) else None,
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.filename,
            "line": self.line,
            "column": self.column,
            "field": self.field,
            "message": self.message,
        }


class BankInvalid(Exception):
    """Raised with every problem found; nothing has been written when it is raised."""

    def __init__(self, errors: list[BankError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))
