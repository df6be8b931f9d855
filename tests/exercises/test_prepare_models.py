"""prepare_models: builds what is missing under MODELS_DIR, leaves what is there alone."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from exercises.management.commands.prepare_models import IMAGE_FOLDER, TEXT_FOLDER


def test_it_skips_models_that_are_already_prepared(tmp_path, tiny_models, settings):
    (tmp_path / TEXT_FOLDER).symlink_to(tiny_models["text"])
    (tmp_path / IMAGE_FOLDER).symlink_to(tiny_models["image"])
    settings.MODELS_DIR = tmp_path
    settings.TEXT_MODEL = str(tmp_path / TEXT_FOLDER)
    settings.IMAGE_MODEL = "stabilityai/sd-turbo"
    out = StringIO()
    call_command("prepare_models", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("present") and lines[0].endswith(TEXT_FOLDER)
    assert lines[1].startswith("present") and lines[1].endswith(IMAGE_FOLDER)
    assert "IMAGE_MODEL=stabilityai/sd-turbo is not a local folder" in out.getvalue()


def test_it_builds_a_missing_image_pipeline_loadable_with_from_pretrained(
    tmp_path, tiny_models, settings
):
    from exercises.runners.image import DiffusersImageRunner

    (tmp_path / TEXT_FOLDER).symlink_to(tiny_models["text"])
    settings.MODELS_DIR = tmp_path
    out = StringIO()
    call_command("prepare_models", stdout=out)
    assert out.getvalue().splitlines()[1].startswith("built")
    runner = DiffusersImageRunner.load(str(tmp_path / IMAGE_FOLDER))
    assert runner.info.untrained
