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


def test_check_grades_one_answer_per_line_with_jsonl(spec_file, capsys, monkeypatch):
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("1.204\n1,204\n\n-ln(0.3)\n"))
    assert main(["check", str(spec_file), "--jsonl"]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [(x["answer"], x["outcome"]) for x in lines] == [
        ("1.204", "correct"),
        ("1,204", "invalid"),
        ("-ln(0.3)", "correct"),
    ]


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
