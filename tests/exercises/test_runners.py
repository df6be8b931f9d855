"""The runners on tiny models, loaded through the real ``from_pretrained`` path."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from exercises.runners.base import ImageRequest, TextRequest

pytestmark = pytest.mark.usefixtures("generation_settings")


@pytest.fixture(scope="module")
def text_runner(tiny_models):
    from exercises.runners.text import TransformersTextRunner

    # fp32: exact row-by-row reproducibility inside a padded batch (see the loader's docstring).
    return TransformersTextRunner.load(str(tiny_models["text"]), dtype="float32")


@pytest.fixture(scope="module")
def image_runner(tiny_models):
    from exercises.runners.image import DiffusersImageRunner

    return DiffusersImageRunner.load(str(tiny_models["image"]))


def test_text_runner_reports_top5_candidates_for_every_token(text_runner):
    [result] = text_runner.run_batch([TextRequest("Why is the sky blue?", max_new_tokens=6)])
    assert len(result.tokens) == 6
    assert result.used_chat_template
    for token in result.tokens:
        probabilities = [c.probability for c in token.candidates]
        assert len(probabilities) == 5
        assert probabilities == sorted(probabilities, reverse=True)
        assert 0 < sum(probabilities) <= 1.0001
        assert token.probability <= probabilities[0] + 1e-6
    assert text_runner.info.untrained


def test_greedy_text_picks_the_top_candidate_every_time(text_runner):
    [result] = text_runner.run_batch([TextRequest("hello", max_new_tokens=5, temperature=0)])
    assert all(t.token == t.candidates[0].token for t in result.tokens)


def test_each_row_of_a_batch_keeps_its_own_seed_and_settings(text_runner):
    alone = text_runner.run_batch([TextRequest("a cat", max_new_tokens=8, seed=7)])[0]
    batch = text_runner.run_batch(
        [
            TextRequest("a much longer prompt about dogs and cats", max_new_tokens=3, seed=1),
            TextRequest("a cat", max_new_tokens=8, seed=7),
        ]
    )
    assert batch[1].text == alone.text
    assert len(batch[0].tokens) == 3 and batch[0].stop_reason == "length"
    assert batch[0].seed == 1 and batch[1].seed == 7


def test_image_runner_returns_png_filmstrip_and_vae_geometry(image_runner):
    [result] = image_runner.run_batch([ImageRequest("a red apple", steps=4, size=64, seed=3)])
    image = Image.open(io.BytesIO(result.png))
    assert image.size == (64, 64)
    assert [step for step, _ in result.frames] == [1, 2, 3, 4]
    assert result.latent_shape == [4, 8, 8]
    assert result.spatial_factor == 8
    assert result.compression_ratio == 48
    assert len(result.step_seconds) == 4


def test_the_same_image_seed_gives_the_same_png_alone_or_batched(image_runner):
    alone = image_runner.run_batch([ImageRequest("a cat", steps=3, seed=11)])[0]
    batch = image_runner.run_batch(
        [ImageRequest("a dog", steps=3, seed=12), ImageRequest("a cat", steps=3, seed=11)]
    )
    # Batched convolutions may round differently in the last bit: compare pixels, not bytes.
    assert _pixels_differ_by(batch[1].png, alone.png) <= 2
    assert _pixels_differ_by(batch[0].png, alone.png) > 10
    assert image_runner.run_batch([ImageRequest("a cat", steps=3, seed=11)])[0].png == alone.png


def _pixels_differ_by(a: bytes, b: bytes) -> int:
    import numpy as np

    first = np.asarray(Image.open(io.BytesIO(a)), dtype=int)
    second = np.asarray(Image.open(io.BytesIO(b)), dtype=int)
    return int(np.abs(first - second).max())


def test_image_runner_refuses_to_mix_sizes_in_one_batch(image_runner):
    with pytest.raises(ValueError, match="share steps, guidance and size"):
        image_runner.run_batch([ImageRequest("a", size=64), ImageRequest("b", size=128)])


def test_text_never_carries_a_nul_character_postgresql_cannot_store(text_runner):
    nul = text_runner.tokenizer.convert_tokens_to_ids("Ā")  # the byte-level token for 0x00
    assert text_runner.tokenizer.decode([nul]) == "\x00"
    result = text_runner._result(
        TextRequest("x"), False, 1, [nul], [(nul, 0.5, [(nul, 0.5)])], "length", 0.1, 0.1
    )
    assert "\x00" not in result.text + result.tokens[0].token + result.tokens[0].candidates[0].token
