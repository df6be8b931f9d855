"""Settings come from the environment, and production refuses the embedded secret key."""

import os
import re
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


def _settings_value(expr: str, env: dict[str, str]) -> str:
    full = {k: v for k, v in os.environ.items() if k not in {"PRODUCTION", "SECRET_KEY", "DEBUG"}}
    full.update(env)
    proc = subprocess.run(
        [sys.executable, "-c", f"import gradebook.settings as s; print({expr})"],
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@pytest.mark.embedded
def test_debug_is_off_unless_asked_for():
    """A forgotten variable must not ship debug pages (settings, source) to the world."""
    assert _settings_value("s.DEBUG", {}) == "False"
    assert _settings_value("s.DEBUG", {"DEBUG": "1"}) == "True"


def test_debug_is_refused_in_production():
    proc = _import_settings({"PRODUCTION": "1", "SECRET_KEY": "x" * 50, "DEBUG": "1"})
    assert proc.returncode != 0
    assert "DEBUG" in proc.stderr


@pytest.mark.slow
def test_check_deploy_reports_only_the_two_https_settings_a_proxy_sets():
    """With PRODUCTION=1 and a real key, ``check --deploy`` leaves only HSTS and the HTTPS
    redirect, which the TLS-terminating proxy sets (README, "Production")."""
    import secrets

    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; a deployment does not.
    full = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    full.update({"PRODUCTION": "1", "SECRET_KEY": secrets.token_urlsafe(50)})
    proc = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        env=full,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = proc.stdout + proc.stderr
    found = sorted(set(re.findall(r"\((\w+\.[EW]\d+)\)", output)))
    assert found == ["security.W004", "security.W008"], output
    assert "drf_spectacular" not in output


def test_sessions_default_to_a_school_day():
    assert _settings_value("s.SESSION_COOKIE_AGE", {}) == str(12 * 3600)
    assert _settings_value("s.SESSION_COOKIE_AGE", {"SESSION_COOKIE_AGE": "600"}) == "600"


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("GRADER_TIME_BUDGET_S", "nan", "finite"),
        ("GRADER_TIME_BUDGET_S", "inf", "finite"),
        ("GRADER_MEMORY_MB", "100", "at least 256"),
    ],
)
def test_a_grader_setting_the_pool_cannot_honour_stops_start_up(name, value, says):
    proc = _import_settings({name: value})
    assert proc.returncode != 0
    assert f"{name}=" in proc.stderr and says in proc.stderr
