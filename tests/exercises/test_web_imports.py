"""The web process never imports torch, transformers or diffusers (only workers do)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import importlib, pkgutil, sys
import django
django.setup()
from django.urls import get_resolver
get_resolver().url_patterns  # the whole URLconf, so every view module is imported
import gradebook.wsgi  # noqa
from django.conf import settings
for app in settings.INSTALLED_APPS:
    module = importlib.import_module(app)
    if hasattr(module, "__path__"):
        for info in pkgutil.walk_packages(module.__path__, app + "."):
            name = info.name
            if ".migrations" in name or ".management" in name or ".runners." in name \\
                    or name.endswith((".bench", ".factories", ".training")) or ".tests" in name:
                continue
            importlib.import_module(name)
import exercises.runners.base, exercises.tasks, exercises.services  # noqa
heavy = sorted(m for m in ("torch", "transformers", "diffusers") if m in sys.modules)
print("HEAVY=" + ",".join(heavy))
"""


def test_the_web_side_loads_without_any_model_library():
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "gradebook.settings",
            "PYTHONPATH": str(ROOT),
            "VAR_DIR": "/tmp/web-imports-var",
        },
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "HEAVY="
