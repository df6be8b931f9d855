"""graders/ is a pure library: importing it (and grading) must never load Django."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_importing_and_grading_never_imports_django():
    code = (
        "import sys, json\n"
        "import graders\n"
        "from graders.examples import DENOISING_TIME\n"
        "r = graders.grade(DENOISING_TIME, {'per_image': '4 s', 'twelve': '48 s'})\n"
        "print(json.dumps({'outcome': r.outcome,"
        " 'django': sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["outcome"] == "correct"
    assert data["django"] == []


def test_importing_graders_does_not_load_sympy_in_the_web_process():
    code = "import sys, graders; print('sympy' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
