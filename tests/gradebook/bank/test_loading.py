"""Reading bank files: every problem names the file, the line and the field."""

from __future__ import annotations

import pytest

from gradebook.courses.bank import BankInvalid, parse_bank_bytes
from gradebook.courses.bank.errors import format_path, parse_path
from gradebook.courses.bank.loading import MAX_BANK_BYTES, read_bank_file


def parse(text: str | bytes, name: str = "bank.yaml"):
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return parse_bank_bytes(raw, filename=name)


def only_error(text: str | bytes, name: str = "bank.yaml"):
    with pytest.raises(BankInvalid) as info:
        parse(text, name)
    assert len(info.value.errors) == 1, info.value.errors
    return info.value.errors[0]


def test_it_records_the_line_of_every_field():
    doc = parse("course: demo\nlessons:\n  - slug: a\n    title: A\n")
    assert doc.line_of(("lessons", 0, "title")) == 4
    # A missing field is reported at the line of the object that lacks it.
    assert doc.line_of(("lessons", 0, "items")) == 3


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a: yes", "yes"),
        ("a: no", "no"),
        ("a: on", "on"),
        ("a: 2023-11-21", "2023-11-21"),
        ("a: 1e-9", 1e-9),
        ("a: 1_000", "1_000"),
        ("a: 0x1F", "0x1F"),
        ("a: true", True),
        ("a: 12", 12),
        ("a: 0.5", 0.5),
        ("a: ~", None),
        ("a: -ln(0.3)", "-ln(0.3)"),
    ],
)
def test_yaml_values_follow_the_yaml_1_2_core_schema(text, expected):
    assert parse(text).data["a"] == expected


def test_it_refuses_a_duplicate_yaml_key_naming_both_lines():
    error = only_error("course: demo\nlessons: []\ncourse: other\n")
    assert (error.line, error.field) == (3, "course")
    assert "duplicate key" in error.message and "line 1" in error.message


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", "1e999"])
def test_it_refuses_non_finite_yaml_numbers(value):
    error = only_error(f"course: demo\npoints: {value}\n")
    assert (error.line, error.field) == (2, "points")
    assert "finite" in error.message


def test_it_refuses_python_tags():
    error = only_error("course: !!python/object/apply:os.system ['true']\n")
    assert error.line == 1 and "not allowed" in error.message


def test_it_refuses_merge_keys():
    error = only_error("base: &b {a: 1}\nother:\n  <<: *b\n")
    assert error.line == 3 and "merge keys" in error.message


def test_it_stops_an_alias_bomb(monkeypatch):
    monkeypatch.setattr("gradebook.courses.bank.loading.MAX_NODES", 1000)
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for name, prev in zip("bcdef", "abcde", strict=True):
        bomb += f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
    error = only_error(bomb)
    assert "more than" in error.message


#: The 342-byte "billion laughs": nine levels of nine aliases, 9**9 strings once expanded.
LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
    for name, prev in zip("bcdefghi", "abcdefgh", strict=True)
)


def test_the_billion_laughs_is_refused_before_anything_is_built():
    import tracemalloc

    assert len(LAUGHS.encode()) == 342
    tracemalloc.start()
    try:
        error = only_error(LAUGHS)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "expand to more than 2,000,000 values" in error.message
    assert (error.line, error.column) == (7, 4)  # the anchor whose expansion crosses the cap
    assert peak < 5_000_000  # the old loader built 2,000,000 values (~0.5 GB) first


def test_too_many_aliases_are_refused_with_the_place():
    text = "base: &b 1\nitems:\n" + "".join("  - *b\n" for _ in range(1001))
    error = only_error(text)
    assert "more than 1,000 uses of YAML aliases" in error.message
    assert str(error).startswith("bank.yaml:1:")


def test_a_few_aliases_are_still_fine():
    doc = parse("base: &b {a: 1}\nitems: [*b, *b, *b]\n")
    assert doc.data["items"] == [{"a": 1}] * 3


def test_an_alias_inside_its_own_value_is_refused():
    assert "contains it" in only_error("a: &a [1, *a]\n").message


@pytest.mark.parametrize(
    ("text", "name", "place"),
    [
        ("course: demo\npoints: " + "9" * 5000 + "\n", "bank.yaml", "bank.yaml:2:9: points"),
        ("course: demo\npoints: -" + "9" * 200 + ".5\n", "bank.yaml", "bank.yaml:2:9: points"),
        ('{"course": "demo",\n "points": ' + "7" * 5000 + "}", "b.json", "b.json:2:12: points"),
    ],
)
def test_an_oversize_number_is_refused_with_file_line_and_column(text, name, place):
    error = only_error(text, name)
    assert str(error).startswith(place), str(error)
    assert "numbers are limited to 100" in error.message


def test_a_long_number_written_as_text_is_kept():
    doc = parse('course: demo\nx-note: "' + "9" * 5000 + '"\n')
    assert doc.data["x-note"] == "9" * 5000


def test_malformed_yaml_names_the_line_and_column():
    error = only_error("course: demo\nlessons:\n  - slug: a\n    title: [unclosed\n")
    assert error.line == 5
    assert "malformed YAML" in error.message
    assert str(error).startswith("bank.yaml:5:")


def test_it_records_json_lines_too():
    doc = parse('{\n  "course": "demo",\n  "lessons": [\n    {"slug": "a"}\n  ]\n}', "b.json")
    assert doc.data["lessons"][0]["slug"] == "a"
    assert doc.line_of(("lessons", 0, "slug")) == 4


@pytest.mark.parametrize(
    "text, line, field, message",
    [
        ('{\n"course": "a",\n"course": "b"}', 3, "course", "duplicate key"),
        ('{"course": "a",\n "points": NaN}', 2, "points", "NaN is not allowed"),
        ('{"course": "a",\n "points": Infinity}', 2, "points", "Infinity is not allowed"),
        ('{"course": "a",\n "lessons": [1, 2,]}', 2, "lessons[2]", "expected a value"),
        ('{"course": "a"\n "lessons": []}', 2, "", "expected ',' or '}'"),
        ('{"course": "a"} {}', 1, "", "extra data"),
        ('{"course": "\\x"}', 1, "course", "Invalid \\escape"),
        ("", 1, "", "empty"),
    ],
)
def test_it_refuses_bad_json_naming_line_and_field(text, line, field, message):
    error = only_error(text, "bank.json")
    assert (error.line, error.field) == (line, field)
    assert message in error.message


def test_non_utf8_bytes_are_refused_with_their_offset_and_line():
    raw = "course: demo\ntitle: Café\n".encode("latin-1")
    error = only_error(raw)
    assert error.line == 2
    assert "not UTF-8" in error.message
    offset = raw.index(b"\xe9")
    assert f"byte offset {offset}" in error.message


def test_a_utf8_bom_is_accepted():
    assert parse(b"\xef\xbb\xbfcourse: demo\n").data == {"course": "demo"}


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(20 * 1024 * 1024)  # 20 MB, sparse: the check must not read it
    opened = []
    monkeypatch.setattr("pathlib.Path.open", lambda *a, **k: opened.append(a) or 1 / 0)
    with pytest.raises(BankInvalid) as info:
        read_bank_file(path)
    assert not opened
    assert "20.0 MB" in str(info.value) and str(path) in str(info.value)
    assert MAX_BANK_BYTES < 20 * 1024 * 1024


def test_an_unknown_suffix_is_refused():
    assert "unknown file type" in only_error("course: x", "bank.csv").message


@pytest.mark.parametrize(
    "path, text",
    [
        (("lessons", 0, "items", 2, "answer"), "lessons[0].items[2].answer"),
        (("parts", 1, "tolerance", "absolute"), "parts[1].tolerance.absolute"),
        ((), ""),
    ],
)
def test_paths_format_and_parse_back(path, text):
    assert format_path(path) == text
    assert parse_path(text) == path
