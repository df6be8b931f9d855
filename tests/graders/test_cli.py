"""``python -m graders check`` / ``validate``: the result as JSON, exit 2 for a bad spec."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from graders.cli import main
from graders.examples import DENOISING_TIME

ROOT = Path(__file__).resolve().parents[2]
CE = {
    "id": "ce",
    "type": "numeric",
    "text": "p = 0.3; L = -ln(p)?",
    "answer": "-ln(0.3)",
    "tolerance": {"absolute": 0.001},
}


@pytest.fixture
def spec_file(tmp_path):
    path = tmp_path / "item.json"
    path.write_text(json.dumps(CE))
    return path


def test_check_prints_the_result_as_json(spec_file, capsys):
    assert main(["check", str(spec_file), "ln(10/3)"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["outcome"] == "correct"
    assert out["interpretation"]["canonical"] == "ln(10/3)"


def test_check_exits_0_for_a_wrong_answer(spec_file, capsys):
    assert main(["check", str(spec_file), "0.523"]) == 0
    assert json.loads(capsys.readouterr().out)["outcome"] == "incorrect"


JSONL = [
    # (input line, answer read, outcome, error?)
    ('"1.204"', "1.204", "correct", False),
    ('"1,204"', "1,204", "invalid", False),
    ("", None, "invalid", True),  # a blank line still gets its result line
    ("   ", None, "invalid", True),
    ('"-ln(0.3)"', "-ln(0.3)", "correct", False),
    ("1.204", "1.204", "correct", False),  # a bare JSON number: the text typed
    ("ln(10/3)", None, "invalid", True),  # not JSON: the raw text is not graded
    ('"ln(10/3)', None, "invalid", True),  # an unclosed string
    ("null", None, "invalid", True),
    ('"ln(10/3)\\n"', "ln(10/3)\n", "correct", False),  # a newline inside the answer
    ('"\\u2212ln(0.3)"', "\u2212ln(0.3)", "correct", False),
    ('  "1.204"  ', "1.204", "correct", False),
]


def test_jsonl_reads_one_json_answer_per_line_and_answers_every_line(
    spec_file, capsys, monkeypatch
):
    import io

    text = "".join(line + "\n" for line, *_ in JSONL)
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    assert main(["check", str(spec_file), "--jsonl"]) == 0
    out = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert len(out) == len(JSONL)
    for n, (result, (line, answer, outcome, error)) in enumerate(zip(out, JSONL, strict=True)):
        assert result["line"] == n + 1
        assert result["outcome"] == outcome, (line, result)
        assert ("error" in result) is error, (line, result)
        if answer is not None:
            assert result["answer"] == answer
        if error:
            assert result["error"].startswith(f"line {n + 1}: ")


def test_jsonl_takes_objects_for_multipart_items(tmp_path):
    path = tmp_path / "mp.json"
    path.write_text(json.dumps(DENOISING_TIME))
    lines = [
        json.dumps({"per_image": "4 s", "twelve": "48 s"}),
        json.dumps({"per_image": "5 s", "twelve": "1 min"}),
        '"4 s"',
        "{not json",
        "",
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "graders", "check", str(path), "--jsonl"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        encoding="utf-8",
    )
    out = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [r["outcome"] for r in out] == [
        "correct",
        "partially_correct",
        "invalid",
        "invalid",
        "invalid",
    ]
    assert out[2]["feedback"] == "answer each part: expected {part id: answer}"
    assert "error" in out[3] and "error" in out[4]


def test_check_takes_multipart_answers_as_json(tmp_path, capsys):
    path = tmp_path / "mp.json"
    path.write_text(json.dumps(DENOISING_TIME))
    assert main(["check", str(path), '{"per_image": "4 s", "twelve": "0.8 min"}']) == 0
    assert json.loads(capsys.readouterr().out)["score"] == 1.0


def test_check_can_only_interpret(spec_file, capsys):
    assert main(["check", str(spec_file), "−log(0.3)", "--interpret"]) == 0
    assert json.loads(capsys.readouterr().out)["canonical"] == "-ln(0.3)"


def test_an_invalid_spec_exits_2_naming_the_field(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**CE, "tolerance": {"absolute": -1}}))
    out = subprocess.run(
        [sys.executable, "-m", "graders", "check", str(path), "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert "tolerance.absolute" in out.stderr


def test_a_yaml_spec_is_read_too(tmp_path, capsys):
    path = tmp_path / "item.yaml"
    path.write_text("id: y\ntype: numeric\ntext: 2+2?\nanswer: 4\n")
    assert main(["validate", str(path)]) == 0
    assert main(["check", str(path), "2*2"]) == 0
    assert "valid" in capsys.readouterr().out


def test_check_grades_a_parameterised_item_for_a_seed(tmp_path, capsys):
    from graders import variant

    spec = {
        "id": "p",
        "type": "numeric",
        "text": "{n} x 2?",
        "answer": "{n}*2",
        "params": {"n": {"range": [1, 9]}},
    }
    path = tmp_path / "p.json"
    path.write_text(json.dumps(spec))
    right = str(variant(spec, 5)["n"] * 2)
    assert main(["check", str(path), right, "--seed", "5"]) == 0
    assert json.loads(capsys.readouterr().out)["outcome"] == "correct"
    assert main(["check", str(path), right, "--params", json.dumps(variant(spec, 5))]) == 0
    assert json.loads(capsys.readouterr().out)["outcome"] == "correct"
