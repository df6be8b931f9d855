"""The benchmark app is installed only when asked for; the production schema has no bench table."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import django
django.setup()
from django.apps import apps
from django.urls import reverse
print(apps.is_installed("gradebook.bench"), reverse("api-bench-bare"))
"""


def _probe(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("BENCH", "PRODUCTION")}
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**clean, "DJANGO_SETTINGS_MODULE": "gradebook.settings", **env},
    )


def test_it_is_not_installed_by_default():
    assert not apps.is_installed("gradebook.bench")


@pytest.mark.django_db
def test_the_schema_has_no_benchmark_table():
    assert not [t for t in connection.introspection.table_names() if "benchmark" in t]


def test_bench_1_installs_it_with_its_bare_endpoint():
    done = _probe(BENCH="1")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "/api/bench/bare/"]


def test_production_refuses_it():
    done = _probe(BENCH="1", PRODUCTION="1", SECRET_KEY="x" * 50, ALLOWED_HOSTS="example.com")
    assert done.returncode != 0
    assert "BENCH=1 is for load tests only" in done.stderr
