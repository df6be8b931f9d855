"""Reading bank files: bytes -> text -> plain data plus the line of every field.

Both formats are parsed into JSON-compatible data (dicts, lists, str, int, float, bool, None)
and a map from each field's path to where it was written, so later checks (schema, graders,
duplicate ids) can say ``file:line field``.

YAML is read with a safe loader whose implicit types follow YAML 1.2's core schema rather
than PyYAML's YAML 1.1 defaults: ``yes``/``no``/``on``/``off`` stay strings (a choice id ``no``
must not become ``False``), dates stay strings, ``1e-9`` is a float, ``1_000`` and ``0x1F``
are strings, ``0777`` is the decimal 777. Duplicate keys, NaN/infinity, non-string keys, merge
keys and custom tags are refused. JSON is parsed by a small position-tracking parser that
refuses duplicate keys and ``NaN``/``Infinity`` (``json.loads`` silently keeps the last
duplicate and accepts NaN).
"""

from __future__ import annotations

import bisect
import json
import math
import re
from dataclasses import dataclass, field
from json.decoder import scanstring
from pathlib import Path as FsPath
from typing import Any

import yaml

from gradebook.courses.bank.errors import BankError, BankInvalid, Path, format_path

#: Files at or above this size are refused before they are read (a 10,000-item bank is ~4 MB).
MAX_BANK_BYTES = 10 * 1024 * 1024
#: Alias expansion ("billion laughs") and absurd nesting are cut off here. The expanded size
#: is computed on the parsed node graph, where each alias is one shared node, before any value
#: is built: a 342-byte bomb is refused in microseconds instead of after 0.5 GB and 3 s.
MAX_NODES = 2_000_000
MAX_DEPTH = 64
#: More alias uses than this is not a hand-written bank (the sample bank uses none).
MAX_ALIASES = 1_000
#: Digits (and signs, points, exponents) in one number. Python refuses to convert integers of
#: more than 4,300 digits (a traceback, not a message); no answer key needs 100.
MAX_NUMBER_CHARS = 100

YAML_SUFFIXES = (".yaml", ".yml")
JSON_SUFFIXES = (".json",)
MOODLE_XML_SUFFIXES = (".xml",)
GIFT_SUFFIXES = (".gift", ".txt")
#: Every file name the importer reads, for upload forms and messages.
BANK_SUFFIXES = YAML_SUFFIXES + JSON_SUFFIXES + MOODLE_XML_SUFFIXES + GIFT_SUFFIXES


@dataclass
class Document:
    """One parsed bank file: its data and where each field was written."""

    filename: str
    data: Any
    # path -> (line, column), both 1-based
    positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    #: What a reader of a foreign format (Moodle XML, GIFT) could not map: warnings that go
    #: with the plan and the summary (the questions concerned are left out whole).
    notes: list[BankError] = field(default_factory=list)
    #: Images the file carried inside it, stored with the course on import (bank/media.py).
    media: dict[str, tuple[str, str, bytes]] = field(default_factory=dict, repr=False)
    #: Converted from a format whose questions have names (Moodle XML, GIFT): an error in an
    #: item names the question as the author knows it (its title), not only the derived id.
    names_questions: bool = False

    def line_of(self, path: Path) -> int | None:
        """The line of ``path``, or of its nearest ancestor that was written (a missing key
        is reported at the line of the object that lacks it)."""
        while True:
            where = self.positions.get(tuple(path))
            if where is not None:
                return where[0]
            if not path:
                return None
            path = path[:-1]

    def error(self, path: Path, message: str) -> BankError:
        return BankError(self.filename, self.line_of(path), format_path(path), message)


def read_bank_file(
    path: str | FsPath, *, display_name: str | None = None, course: str | None = None
) -> Document:
    """Read and parse one bank file from disk; the size is checked before anything is read.

    ``course`` is the slug a Moodle XML or GIFT file is imported into (those formats name no
    course); for a YAML or JSON bank it replaces the file's own ``course``."""
    fs_path = FsPath(path)
    name = display_name or str(path)
    try:
        size = fs_path.stat().st_size
    except OSError as exc:
        message = f"cannot read the file: {exc.strerror}"
        raise BankInvalid([BankError(name, None, "", message)]) from None
    check_size(name, size)
    with fs_path.open("rb") as handle:
        raw = handle.read(MAX_BANK_BYTES + 1)
    return parse_bank_bytes(raw, filename=name, course=course)


def check_size(filename: str, size: int) -> None:
    if size > MAX_BANK_BYTES:
        raise BankInvalid(
            [
                BankError(
                    filename,
                    None,
                    "",
                    f"the file is {size / 1024 / 1024:.1f} MB; bank files are limited to "
                    f"{MAX_BANK_BYTES // 1024 // 1024} MB (split the course into several files "
                    "or move large media out of the bank)",
                )
            ]
        )


def parse_bank_bytes(raw: bytes, *, filename: str, course: str | None = None) -> Document:
    """Parse a bank from bytes; the format is chosen by the file name's suffix."""
    check_size(filename, len(raw))
    lower = filename.lower()
    if lower.endswith(MOODLE_XML_SUFFIXES):
        from gradebook.courses.bank.moodle_xml import read_moodle_xml

        return read_moodle_xml(raw, filename=filename, course=course)
    text = decode_utf8(raw, filename)
    if lower.endswith(GIFT_SUFFIXES):
        from gradebook.courses.bank.gift import read_gift

        return read_gift(text, filename=filename, course=course)
    if lower.endswith(JSON_SUFFIXES):
        doc = parse_json(text, filename)
    elif lower.endswith(YAML_SUFFIXES):
        doc = parse_yaml(text, filename)
    else:
        raise BankInvalid(
            [
                BankError(
                    filename,
                    None,
                    "",
                    "unknown file type: name it *.yaml, *.yml, *.json, *.xml (Moodle XML) or "
                    "*.gift / *.txt (GIFT)",
                )
            ]
        )
    if course and isinstance(doc.data, dict):
        doc.data["course"] = course
    return doc


def decode_utf8(raw: bytes, filename: str) -> str:
    """UTF-8 text (a leading BOM is dropped); otherwise an error with the byte offset and line."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        bad = raw[exc.start : exc.start + 1].hex()
        raise BankInvalid(
            [
                BankError(
                    filename,
                    line,
                    "",
                    f"the file is not UTF-8: byte 0x{bad} at byte offset {exc.start} "
                    f"(line {line}, column {column}) ({exc.reason}); save it as UTF-8",
                    column=column,
                )
            ]
        ) from None


# --- YAML ----------------------------------------------------------------------------------

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

STR_TAG = "tag:yaml.org,2002:str"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"
MAP_TAG = "tag:yaml.org,2002:map"
SEQ_TAG = "tag:yaml.org,2002:seq"
MERGE_TAG = "tag:yaml.org,2002:merge"

# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution), plus ~ for null.
_BOOL_RE = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT_RE = re.compile(r"^[-+]?[0-9]+$")
_FLOAT_RE = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_NULL_RE = re.compile(r"^(?:~|null|Null|NULL|)$")


def _core_schema_resolvers() -> dict[str | None, list[tuple[str, re.Pattern[str]]]]:
    table: dict[str | None, list[tuple[str, re.Pattern[str]]]] = {}

    def add(tag: str, regexp: re.Pattern[str], first: str) -> None:
        for ch in first:
            table.setdefault(ch, []).append((tag, regexp))

    add(BOOL_TAG, _BOOL_RE, "tTfF")
    add(INT_TAG, _INT_RE, "-+0123456789")
    add(FLOAT_TAG, _FLOAT_RE, "-+.0123456789")
    add(NULL_TAG, _NULL_RE, "~nN")
    table[None] = [(NULL_TAG, _NULL_RE)]  # the empty scalar
    add(MERGE_TAG, re.compile(r"^<<$"), "<")
    return table


class BankYamlLoader(_BaseLoader):  # type: ignore[misc,valid-type]
    """A safe loader (libyaml's when available) with YAML 1.2 core-schema implicit types.

    Nodes keep their start marks; :func:`parse_yaml` builds the data from the node tree itself
    so that every field's line is recorded and duplicate keys are caught.
    """

    yaml_implicit_resolvers = _core_schema_resolvers()

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        # The same answers as the resolver table above, without PyYAML's generic lookup loop,
        # which was the largest single cost of reading a 10,000-item bank.
        if kind is yaml.ScalarNode:
            if not implicit[0]:
                return STR_TAG
            if not value or _NULL_RE.match(value):
                return NULL_TAG
            first = value[0]
            if first in "tTfF" and _BOOL_RE.match(value):
                return BOOL_TAG
            if first in "-+.0123456789":
                if _INT_RE.match(value):
                    return INT_TAG
                if _FLOAT_RE.match(value):
                    return FLOAT_TAG
            if value == "<<":
                return MERGE_TAG
            return STR_TAG
        return SEQ_TAG if kind is yaml.SequenceNode else MAP_TAG


class _YamlBuilder:
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.positions: dict[Path, tuple[int, int]] = {}
        self.errors: list[BankError] = []
        self.nodes = 0

    def fail(self, node: yaml.Node, path: Path, message: str) -> None:
        self.errors.append(
            BankError(
                self.filename,
                node.start_mark.line + 1,
                format_path(path),
                message,
                column=node.start_mark.column + 1,
            )
        )

    def build(self, node: yaml.Node, path: Path, depth: int = 0) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise BankInvalid(
                [
                    BankError(
                        self.filename,
                        node.start_mark.line + 1,
                        format_path(path),
                        f"the document expands to more than {MAX_NODES:,} values "
                        "(aliases referring to aliases?)",
                    )
                ]
            )
        if depth > MAX_DEPTH:
            raise BankInvalid(
                [
                    BankError(
                        self.filename,
                        node.start_mark.line + 1,
                        format_path(path),
                        f"nested more than {MAX_DEPTH} levels deep",
                    )
                ]
            )
        self.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            if node.tag != MAP_TAG:
                self.fail(node, path, f"the tag {node.tag} is not allowed in a bank")
            mapping: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == MERGE_TAG:
                    what = "merge keys (<<)" if key_node.tag == MERGE_TAG else "complex keys"
                    self.fail(key_node, path, f"{what} are not supported in bank files")
                    continue
                key = key_node.value
                if key_node.tag != STR_TAG:
                    # ``1: x`` or ``true: x``: keys are names, so read them as text.
                    key = str(key)
                if key in mapping:
                    first = self.positions.get((*path, key), (None, None))[0]
                    self.fail(
                        key_node,
                        (*path, key),
                        f"duplicate key {key!r} (first written on line {first}); "
                        "YAML would silently keep only the last one",
                    )
                    continue
                mapping[key] = self.build(value_node, (*path, key), depth + 1)
            return mapping
        if isinstance(node, yaml.SequenceNode):
            if node.tag != SEQ_TAG:
                self.fail(node, path, f"the tag {node.tag} is not allowed in a bank")
            return [
                self.build(child, (*path, index), depth + 1)
                for index, child in enumerate(node.value)
            ]
        return self.scalar(node, path)

    def scalar(self, node: yaml.Node, path: Path) -> Any:
        tag, value = node.tag, node.value
        if tag == STR_TAG:
            return value
        if tag in (INT_TAG, FLOAT_TAG) and len(value) > MAX_NUMBER_CHARS:
            self.fail(node, path, number_too_long(value))
            return None
        if tag == INT_TAG and _INT_RE.match(value):
            return int(value)
        if tag == FLOAT_TAG and _FLOAT_RE.match(value):
            if "inf" in value.lower() or "nan" in value.lower():
                self.fail(node, path, f"{value} is not allowed: numbers must be finite")
                return None
            number = float(value)
            if math.isinf(number):
                self.fail(node, path, f"{value} is too large: numbers must be finite")
                return None
            return number
        if tag == FLOAT_TAG and _INT_RE.match(value):
            return float(value)
        if tag == BOOL_TAG and _BOOL_RE.match(value):
            return value.lower() == "true"
        if tag == NULL_TAG and _NULL_RE.match(value):
            return None
        self.fail(node, path, f"the value {value!r} with tag {tag} is not allowed in a bank")
        return None


def number_too_long(text: str) -> str:
    return (
        f"a number {len(text):,} characters long; numbers are limited to {MAX_NUMBER_CHARS} "
        "(quote it if it is meant as text)"
    )


def check_expansion(root: yaml.Node, filename: str) -> None:
    """Refuse a node graph whose aliases expand past ``MAX_NODES`` values or that uses more
    than ``MAX_ALIASES`` aliases, before anything is built from it.

    An alias is the same node object reached a second time, so the expanded size is a sum over
    each distinct node once (memoised). An alias inside the value it names is a cycle.
    """
    sizes: dict[int, int] = {}
    seen: set[int] = set()
    aliases = 0

    def fail(node: yaml.Node, message: str) -> BankInvalid:
        return BankInvalid(
            [
                BankError(
                    filename,
                    node.start_mark.line + 1,
                    "",
                    message,
                    column=node.start_mark.column + 1,
                )
            ]
        )

    # Iterative post-order walk: deep documents must not hit Python's recursion limit.
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            if isinstance(node, yaml.MappingNode):
                total = 1 + sum(sizes[id(k)] + sizes[id(v)] for k, v in node.value)
            elif isinstance(node, yaml.SequenceNode):
                total = 1 + sum(sizes[id(child)] for child in node.value)
            else:
                total = 1
            if total > MAX_NODES:
                raise fail(
                    node,
                    f"the aliases here expand to more than {MAX_NODES:,} values "
                    "(aliases referring to aliases?); write the values out instead",
                )
            sizes[key] = total
            continue
        if key in seen:
            if key not in sizes:
                raise fail(node, "an alias refers to the value that contains it")
            aliases += 1
            if aliases > MAX_ALIASES:
                raise fail(
                    node,
                    f"more than {MAX_ALIASES:,} uses of YAML aliases (*name); "
                    "write the values out instead",
                )
            continue
        seen.add(key)
        stack.append((node, True))
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack.extend(((k, False), (v, False)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((child, False) for child in node.value)


def parse_yaml(text: str, filename: str) -> Document:
    loader = BankYamlLoader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            message = " ".join(p for p in (exc.context, exc.problem) if p) or "malformed YAML"
            raise BankInvalid(
                [
                    BankError(
                        filename,
                        mark.line + 1 if mark else None,
                        "",
                        f"malformed YAML: {message}",
                        column=mark.column + 1 if mark else None,
                    )
                ]
            ) from None
        except yaml.YAMLError as exc:
            raise BankInvalid([BankError(filename, None, "", f"malformed YAML: {exc}")]) from None
    finally:
        loader.dispose()
    if root is None:
        raise BankInvalid([BankError(filename, 1, "", "the file is empty")])
    check_expansion(root, filename)
    builder = _YamlBuilder(filename)
    data = builder.build(root, ())
    if builder.errors:
        raise BankInvalid(builder.errors)
    return Document(filename, data, builder.positions)


# --- JSON ----------------------------------------------------------------------------------

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?")


class _JsonParser:
    """A strict JSON (RFC 8259) parser that records where each value starts.

    Strings are decoded by the standard library's (C-accelerated) ``scanstring``.
    """

    def __init__(self, text: str, filename: str) -> None:
        self.text = text
        self.filename = filename
        self.positions: dict[Path, tuple[int, int]] = {}
        self._newlines = [m.start() for m in re.finditer("\n", text)]

    def where(self, offset: int) -> tuple[int, int]:
        line = bisect.bisect_left(self._newlines, offset)
        start = self._newlines[line - 1] + 1 if line else 0
        return line + 1, offset - start + 1

    def fail(self, offset: int, path: Path, message: str) -> BankInvalid:
        line, column = self.where(offset)
        return BankInvalid(
            [BankError(self.filename, line, format_path(path), message, column=column)]
        )

    def skip(self, pos: int) -> int:
        return _WS.match(self.text, pos).end()  # type: ignore[union-attr]

    def parse(self) -> Any:
        pos = self.skip(0)
        if pos == len(self.text):
            raise BankInvalid([BankError(self.filename, 1, "", "the file is empty")])
        value, pos = self.value(pos, (), 0)
        pos = self.skip(pos)
        if pos != len(self.text):
            raise self.fail(pos, (), "malformed JSON: extra data after the top-level value")
        return value

    def value(self, pos: int, path: Path, depth: int) -> tuple[Any, int]:
        if depth > MAX_DEPTH:
            raise self.fail(pos, path, f"nested more than {MAX_DEPTH} levels deep")
        self.positions[path] = self.where(pos)
        text = self.text
        ch = text[pos : pos + 1]
        if ch == '"':
            return self.string(pos, path)
        if ch == "{":
            return self.object(pos, path, depth)
        if ch == "[":
            return self.array(pos, path, depth)
        for literal, result in (("true", True), ("false", False), ("null", None)):
            if text.startswith(literal, pos):
                return result, pos + len(literal)
        for bad in ("NaN", "Infinity", "-Infinity"):
            if text.startswith(bad, pos):
                raise self.fail(pos, path, f"{bad} is not allowed: numbers must be finite")
        match = _NUMBER.match(text, pos)
        if match:
            if match.end() - pos > MAX_NUMBER_CHARS:
                raise self.fail(pos, path, number_too_long(match.group()))
            integer = match.group(1) is None and match.group(2) is None
            number = int(match.group()) if integer else float(match.group())
            if isinstance(number, float) and math.isinf(number):
                raise self.fail(pos, path, f"{match.group()} is too large: numbers must be finite")
            return number, match.end()
        shown = ch if ch else "end of file"
        raise self.fail(pos, path, f"malformed JSON: expected a value, found {shown!r}")

    def string(self, pos: int, path: Path) -> tuple[str, int]:
        try:
            return scanstring(self.text, pos + 1, True)
        except json.JSONDecodeError as exc:
            raise self.fail(exc.pos, path, f"malformed JSON: {exc.msg}") from None

    def object(self, pos: int, path: Path, depth: int) -> tuple[dict[str, Any], int]:
        result: dict[str, Any] = {}
        key_lines: dict[str, int] = {}
        pos = self.skip(pos + 1)
        if self.text.startswith("}", pos):
            return result, pos + 1
        while True:
            if not self.text.startswith('"', pos):
                raise self.fail(pos, path, "malformed JSON: expected a quoted key")
            key_pos = pos
            key, pos = self.string(pos, path)
            if key in result:
                raise self.fail(
                    key_pos,
                    (*path, key),
                    f"duplicate key {key!r} (first written on line {key_lines[key]}); "
                    "JSON parsers would silently keep only the last one",
                )
            key_lines[key] = self.where(key_pos)[0]
            pos = self.skip(pos)
            if not self.text.startswith(":", pos):
                raise self.fail(pos, (*path, key), "malformed JSON: expected ':' after the key")
            pos = self.skip(pos + 1)
            result[key], pos = self.value(pos, (*path, key), depth + 1)
            pos = self.skip(pos)
            if self.text.startswith(",", pos):
                pos = self.skip(pos + 1)
                continue
            if self.text.startswith("}", pos):
                return result, pos + 1
            raise self.fail(pos, path, "malformed JSON: expected ',' or '}'")

    def array(self, pos: int, path: Path, depth: int) -> tuple[list[Any], int]:
        result: list[Any] = []
        pos = self.skip(pos + 1)
        if self.text.startswith("]", pos):
            return result, pos + 1
        while True:
            value, pos = self.value(pos, (*path, len(result)), depth + 1)
            result.append(value)
            pos = self.skip(pos)
            if self.text.startswith(",", pos):
                pos = self.skip(pos + 1)
                continue
            if self.text.startswith("]", pos):
                return result, pos + 1
            raise self.fail(pos, path, "malformed JSON: expected ',' or ']'")


def parse_json(text: str, filename: str) -> Document:
    parser = _JsonParser(text, filename)
    data = parser.parse()
    return Document(filename, data, parser.positions)
