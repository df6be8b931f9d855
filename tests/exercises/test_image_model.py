"""The course image model shipped in the repository: its layout, and what it really draws.

A small version of ``scripts/image_quality.py`` runs here (thresholds 10 points under the
goals; the full check and its figures are in docs/benchmarks.md).
"""

from __future__ import annotations

import io
import itertools
import json

import numpy as np
import pytest
from PIL import Image

from exercises.imageworld.quality import GOALS, check
from exercises.imageworld.reader import read_image
from exercises.imageworld.vocabulary import KNOWN_WORDS
from exercises.management.commands.prepare_models import SHIPPED_IMAGE_MODEL, TRAINED_MARKER

# The sample exercise's image defaults (banks/ai-generation-basics.yaml).
STEPS, GUIDANCE, SIZE = 10, 2.0, 64


@pytest.fixture(scope="module")
def runner():
    import torch

    from exercises.runners.image import DiffusersImageRunner

    torch.set_num_threads(2)
    return DiffusersImageRunner.load(str(SHIPPED_IMAGE_MODEL))


def _png_array(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def test_the_shipped_folder_is_a_small_safetensors_stable_diffusion_layout():
    files = [path for path in SHIPPED_IMAGE_MODEL.rglob("*") if path.is_file()]
    assert sum(path.stat().st_size for path in files) <= 40 * 1024 * 1024
    weights = [path for path in files if path.suffix in (".bin", ".safetensors", ".pt")]
    assert {path.parent.name for path in weights} == {"unet", "vae", "text_encoder"}
    assert all(path.suffix == ".safetensors" for path in weights)
    index = json.loads((SHIPPED_IMAGE_MODEL / "model_index.json").read_text())
    assert index["_class_name"] == "StableDiffusionPipeline"
    assert index["unet"][1] == "UNet2DConditionModel"
    assert index["vae"][1] == "AutoencoderKL"
    assert index["text_encoder"][1] == "CLIPTextModel"
    assert json.loads((SHIPPED_IMAGE_MODEL / TRAINED_MARKER).read_text())["unet_steps"] > 0


def test_every_world_word_is_one_token_of_the_shipped_tokenizer(runner):
    tokenizer = runner.pipe.tokenizer
    for word in KNOWN_WORDS:
        assert len(tokenizer(word, add_special_tokens=False).input_ids) == 1, word


@pytest.fixture(scope="module")
def small_check(runner):
    return check(runner, 24, steps=STEPS, guidance_scale=GUIDANCE, size=SIZE, prompt_seed=7)


def test_it_loads_as_a_trained_pipeline_and_meets_the_goals_less_ten_points(runner, small_check):
    """Issue 12's in-suite check; chance is far below (colour 1 in 7, shape 1 in 3)."""
    assert not runner.info.untrained
    summary = small_check.summary()
    for attribute, goal in GOALS.items():
        assert summary[attribute] >= goal - 10, (summary, small_check.misses[:5])


def test_same_prompt_seed_and_settings_give_the_same_png_bytes(runner):
    from exercises.runners.base import ImageRequest

    request = ImageRequest("a red circle in the top left on a blue background", 10, 5.0, 64, 42)
    first = runner.run_batch([request])[0]
    second = runner.run_batch([request])[0]
    assert first.png == second.png
    other = runner.run_batch([ImageRequest(request.prompt, 10, 5.0, 64, 43)])[0]
    assert other.png != first.png


def test_the_filmstrip_shows_the_picture_forming_from_the_trained_latents(runner):
    from exercises.runners.base import ImageRequest

    result = runner.run_batch(
        [ImageRequest("a yellow square in the bottom right on a purple background", 10, 5.0, 64, 5)]
    )[0]
    assert result.latent_shape == [4, 16, 16]
    assert result.compression_ratio == 3 * 64 * 64 / (4 * 16 * 16)
    final = _png_array(result.png).astype(float)
    frames = [_png_array(png).astype(float) for _, png in result.frames]
    distances = [np.abs(frame - final).mean() for frame in frames]
    # Each frame is closer to the finished picture than the one before, and the last is it.
    assert distances[0] > 10
    assert all(b <= a + 1 for a, b in itertools.pairwise(distances))
    assert distances[-1] < 1
    assert read_image(final.astype(np.uint8)).background == "purple"


def test_the_training_command_is_deterministic_for_a_seed(tmp_path):
    """Two tiny runs with one seed write the same weights; another seed writes others."""
    from safetensors.torch import load_file

    from exercises.training import main

    small = ["--images", "64", "--vae-steps", "2", "--vae-batch", "4", "--unet-steps", "2"]
    small += ["--unet-batch", "4"]
    for name, seed in (("a", "0"), ("b", "0"), ("c", "1")):
        main([*small, "--seed", seed, "--out", str(tmp_path / name)])

    def weights(name: str) -> dict:
        return load_file(tmp_path / name / "unet" / "diffusion_pytorch_model.safetensors")

    a, b, c = weights("a"), weights("b"), weights("c")
    assert all((a[key] == b[key]).all() for key in a)
    assert any((a[key] != c[key]).any() for key in a)
    marker = json.loads((tmp_path / "a" / TRAINED_MARKER).read_text())
    assert marker["unet_steps"] == 2 and marker["seed"] == 0

    # Resuming keeps the VAE, trains the UNet further and records the stage.
    main(
        [*small, "--unet-steps", "1", "--resume", str(tmp_path / "a"), "--out", str(tmp_path / "d")]
    )
    d = weights("d")
    assert any((a[key] != d[key]).any() for key in a)
    vae = "vae/diffusion_pytorch_model.safetensors"
    assert (tmp_path / "a" / vae).read_bytes() == (tmp_path / "d" / vae).read_bytes()
    resumed = json.loads((tmp_path / "d" / TRAINED_MARKER).read_text())
    assert resumed["unet_steps"] == 2 and resumed["stages"][0]["unet_steps"] == 1


def test_the_image_bench_breaks_a_batch_into_unet_calls_and_decodes(settings):
    """``bench.generation --only image`` reports these parts for the shipped model."""
    from gradebook.bench.generation import bench_image_parts

    settings.IMAGE_MODEL = str(SHIPPED_IMAGE_MODEL)
    parts = bench_image_parts(rounds=1, calls=1)
    assert sorted(parts) == [1, 8]
    for figures in parts.values():
        assert sorted(figures) == ["decode_s", "unet_s"]
        assert all(seconds > 0 for seconds in figures.values())
