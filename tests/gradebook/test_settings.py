"""Settings come from the environment, and production refuses the embedded secret key."""

import os
import subprocess
import sys

import pytest


def _import_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in {"PRODUCTION", "SECRET_KEY"}}
    full.update(env)
    return subprocess.run(
        [sys.executable, "-c", "import gradebook.settings"],
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.embedded
def test_it_refuses_the_default_secret_key_in_production():
    proc = _import_settings({"PRODUCTION": "1"})
    assert proc.returncode != 0
    assert "SECRET_KEY" in proc.stderr


def test_it_starts_in_production_with_a_real_secret_key():
    proc = _import_settings({"PRODUCTION": "1", "SECRET_KEY": "x" * 50})
    assert proc.returncode == 0, proc.stderr


def test_it_names_a_malformed_boolean():
    proc = _import_settings({"PRODUCTION": "maybe"})
    assert proc.returncode != 0
    assert "PRODUCTION='maybe'" in proc.stderr


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GRADER_TIME_BUDGET_S", "fast"),
        ("GRADER_TIME_BUDGET_S", "0"),
        ("GRADER_POOL_SIZE", "two"),
        ("GRADER_POOL_SIZE", "-1"),
        ("GRADER_MEMORY_MB", "1GB"),
    ],
)
def test_a_bad_grader_setting_stops_start_up_and_is_named(name, value):
    """The grader reads these when it grades; a bad one must not wait for the first answer."""
    proc = _import_settings({name: value})
    assert proc.returncode != 0
    assert name in proc.stderr and "ImproperlyConfigured" in proc.stderr


@pytest.mark.parametrize(("value", "threshold"), [("", "0"), ("1", "0"), ("0", "None")])
def test_prepared_statements_follow_the_environment_on_postgresql(value, threshold):
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "import gradebook.settings as s; print(s.DATABASES['default']['OPTIONS']"
            "['prepare_threshold'])",
        ],
        env={
            **os.environ,
            "DATABASE_URL": "postgres://u@127.0.0.1:5432/x",
            "DB_PREPARED_STATEMENTS": value,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == threshold
