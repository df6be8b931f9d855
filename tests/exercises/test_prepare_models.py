"""prepare_models: builds what is missing under MODELS_DIR, leaves what is there alone."""

from __future__ import annotations

import shutil
from io import StringIO

from django.core.management import call_command

from exercises.management.commands.prepare_models import (
    IMAGE_FOLDER,
    SHIPPED_IMAGE_MODEL,
    TEXT_FOLDER,
)


def test_it_skips_models_that_are_already_prepared(tmp_path, tiny_models, settings):
    (tmp_path / TEXT_FOLDER).symlink_to(tiny_models["text"])
    (tmp_path / IMAGE_FOLDER).symlink_to(SHIPPED_IMAGE_MODEL)
    settings.MODELS_DIR = tmp_path
    settings.TEXT_MODEL = str(tmp_path / TEXT_FOLDER)
    settings.IMAGE_MODEL = "stabilityai/sd-turbo"
    out = StringIO()
    call_command("prepare_models", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("present") and lines[0].endswith(TEXT_FOLDER)
    assert lines[1].startswith("present") and lines[1].endswith(IMAGE_FOLDER)
    assert "IMAGE_MODEL=stabilityai/sd-turbo is not a local folder" in out.getvalue()


def test_it_installs_the_shipped_course_image_model_loadable_with_from_pretrained(
    tmp_path, tiny_models, settings
):
    from exercises.imageworld.vocabulary import is_course_model
    from exercises.runners.image import DiffusersImageRunner

    (tmp_path / TEXT_FOLDER).symlink_to(tiny_models["text"])
    settings.MODELS_DIR = tmp_path
    out = StringIO()
    call_command("prepare_models", stdout=out)
    assert out.getvalue().splitlines()[1].startswith("installed")
    installed = tmp_path / IMAGE_FOLDER
    assert is_course_model(installed)
    shipped = sorted(p.relative_to(SHIPPED_IMAGE_MODEL) for p in SHIPPED_IMAGE_MODEL.rglob("*"))
    assert sorted(p.relative_to(installed) for p in installed.rglob("*")) == shipped
    runner = DiffusersImageRunner.load(str(installed))
    assert not runner.info.untrained

    # Run again: nothing to do. A stale copy (older training run) is replaced.
    out = StringIO()
    call_command("prepare_models", stdout=out)
    assert out.getvalue().splitlines()[1].startswith("present")
    (installed / "TRAINED_ON_DRAWN_WORLD").write_text("{}\n")
    out = StringIO()
    call_command("prepare_models", stdout=out)
    assert out.getvalue().splitlines()[1].startswith("installed")
    assert is_course_model(installed)

    # A link to some other pipeline under our folder name is replaced, its target untouched.
    shutil.rmtree(installed)
    installed.symlink_to(tiny_models["image"])
    call_command("prepare_models", stdout=StringIO())
    assert not installed.is_symlink() and is_course_model(installed)
    assert (tiny_models["image"] / "model_index.json").exists()


def test_the_random_pipeline_is_only_a_test_fixture_and_is_not_the_course_model(tiny_models):
    from exercises.imageworld.vocabulary import is_course_model

    assert not is_course_model(tiny_models["image"])
