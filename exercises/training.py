"""Train the course image model from scratch on the drawn world: ``python -m exercises.training``.

What it makes is an ordinary Stable Diffusion folder (tokenizer, CLIP text encoder, UNet, VAE,
scheduler) that ``StableDiffusionPipeline.from_pretrained(folder)`` loads unchanged. Choices, made
for a tiny model that must learn in under an hour on two CPU cores (docs/image-model.md says why):

- 64 px images, a 3-block ``AutoencoderKL`` (64x64x3 -> 16x16x4) trained first with object pixels
  weighted up and an image-gradient term (its sharpness caps how well shapes read), then frozen;
  every training image is encoded once (pre-encoded latents) so UNet steps never touch pixels.
- A word-level ``CLIPTokenizer`` built from the world's vocabulary (every world word is one token;
  any other word falls back to letters) and a 2-layer ``CLIPTextModel`` trained with the UNet.
- v-prediction on a cosine schedule with a plain MSE (no Min-SNR weighting: that starved the
  high-noise steps where layout is decided), 10 % empty captions for classifier-free guidance,
  EMA weights, DPM-Solver++ with trailing timesteps for sampling.

Deterministic for a seed: the same seed and step counts give the same weights on one machine.
"""

from __future__ import annotations

import argparse
import inspect
import itertools
import json
import math
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from exercises.imageworld import world
from exercises.imageworld.vocabulary import COURSE_MODEL_MARKER as TRAINED_MARKER
from exercises.imageworld.vocabulary import KNOWN_WORDS

DEFAULT_OUT = Path(__file__).resolve().parent / "weights" / "drawn-world-sd"
MAX_TOKENS = 20


# -- tokenizer ----------------------------------------------------------------------------


def _bpe(word: str, ranks: dict[tuple[str, str], int]) -> list[str]:
    """CLIP's BPE on one word, as CLIPTokenizer applies it (lowest-ranked pair first)."""
    parts = [*word[:-1], word[-1] + "</w>"]
    while len(parts) > 1:
        ranked = [pair for pair in itertools.pairwise(parts) if pair in ranks]
        if not ranked:
            break
        first, second = min(ranked, key=ranks.__getitem__)
        merged, i = [], 0
        while i < len(parts):
            if i < len(parts) - 1 and parts[i] == first and parts[i + 1] == second:
                merged.append(first + second)
                i += 2
            else:
                merged.append(parts[i])
                i += 1
        parts = merged
    return parts


def tokenizer_files(words: Sequence[str] = tuple(sorted(KNOWN_WORDS))) -> tuple[dict, list]:
    """vocab.json and merges.txt contents where every world word is one token.

    Byte-level single characters (with and without ``</w>``) come first, so any other word still
    tokenizes (letter by letter); merges are added word by word until each word is whole, which
    makes the numbering stable (no trainer whose order changes between runs).
    """
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    vocab: dict[str, int] = {}
    for char in bytes_to_unicode().values():
        vocab[char] = len(vocab)
        vocab[char + "</w>"] = len(vocab)
    ranks: dict[tuple[str, str], int] = {}
    for word in words:
        while len(parts := _bpe(word, ranks)) > 1:
            pair = (parts[0], parts[1])
            ranks[pair] = len(ranks)
            vocab.setdefault(pair[0] + pair[1], len(vocab))
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    return vocab, sorted(ranks, key=ranks.__getitem__)


def build_tokenizer():
    from transformers import CLIPTokenizer

    vocab, merges = tokenizer_files()
    tokenizer = CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=MAX_TOKENS)
    for word in KNOWN_WORDS:
        ids = tokenizer(word, add_special_tokens=False).input_ids
        if len(ids) != 1:
            raise RuntimeError(f"world word {word!r} is not one token: {ids}")
    return tokenizer


# -- models -------------------------------------------------------------------------------


def make_vae():
    from diffusers import AutoencoderKL

    return AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 3,
        up_block_types=("UpDecoderBlock2D",) * 3,
        block_out_channels=(16, 32, 64),
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=8,
        sample_size=world.SIZE,
        mid_block_add_attention=False,
    )


def make_text_encoder(vocab_size: int, bos: int, eos: int):
    from transformers import CLIPTextConfig, CLIPTextModel

    return CLIPTextModel(
        CLIPTextConfig(
            vocab_size=vocab_size,
            hidden_size=64,
            intermediate_size=128,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=MAX_TOKENS,
            bos_token_id=bos,
            eos_token_id=eos,
            pad_token_id=eos,
        )
    )


def make_unet():
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(
        sample_size=world.SIZE // 4,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
        block_out_channels=(32, 64, 64),
        layers_per_block=1,
        cross_attention_dim=64,
        attention_head_dim=8,
        norm_num_groups=16,
    )


def noise_schedulers():
    from diffusers import DDPMScheduler, DPMSolverMultistepScheduler

    common = {
        "num_train_timesteps": 1000,
        "beta_schedule": "squaredcos_cap_v2",
        "prediction_type": "v_prediction",
    }
    return DDPMScheduler(**common), DPMSolverMultistepScheduler(
        **common, algorithm_type="dpmsolver++", timestep_spacing="trailing"
    )


# -- training -----------------------------------------------------------------------------


def _to_tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def vae_loss(recon: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """L1 with object pixels (those unlike the corner) x5, plus L1 on image gradients."""
    corner = target[:, :, :1, :1]
    objects = ((target - corner).abs().sum(1, keepdim=True) > 0.15).float()
    weight = 1.0 + 4.0 * objects
    pixel = (weight * (recon - target).abs()).mean()
    dx = lambda t: t[:, :, :, 1:] - t[:, :, :, :-1]  # noqa: E731
    dy = lambda t: t[:, :, 1:, :] - t[:, :, :-1, :]  # noqa: E731
    edges = (dx(recon) - dx(target)).abs().mean() + (dy(recon) - dy(target)).abs().mean()
    return pixel + edges


def train_vae(
    vae, images: np.ndarray, steps: int, batch: int, gen: torch.Generator, crop: int = 32
) -> None:
    """Train on random crops of the pictures, through the latent means (no sampling noise).

    The VAE is all convolutions (no attention), so what it learns on 32 px crops holds on the
    whole 64 px picture, at a quarter of the cost per step. Decoding the mean rather than a
    sample (and no KL term) lets a tiny autoencoder learn in minutes: noise on the latents,
    which only a KL term would shrink, kept colours wrong for hundreds of steps.
    """
    opt = torch.optim.AdamW(vae.parameters(), lr=2e-3, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps, pct_start=0.05)
    vae.train()
    bar = tqdm(range(steps), desc="vae", unit="step")
    span = world.SIZE - crop
    for _ in bar:
        idx = torch.randint(len(images), (batch,), generator=gen).numpy()
        y, x = (int(v) * 4 for v in torch.randint(span // 4 + 1, (2,), generator=gen))
        target = _to_tensor(images[idx, y : y + crop, x : x + crop])
        recon = vae.decode(vae.encode(target).latent_dist.mean).sample
        loss = vae_loss(recon, target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        bar.set_postfix(loss=f"{loss.item():.4f}")
    vae.eval()


@torch.no_grad()
def reconstruction_check(vae, seed: int = 99, count: int = 96) -> dict[str, float]:
    """Share of core scenes whose VAE reconstruction still reads right (caps the whole model)."""
    from exercises.imageworld.reader import read_image

    rng = random.Random(seed)
    scenes = [world.random_core_scene(rng) for _ in range(count)]
    pixels = np.stack([world.draw_scene(scene) for scene in scenes])
    recon = vae.decode(vae.encode(_to_tensor(pixels)).latent_dist.mean).sample
    out = ((recon.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
    right = dict.fromkeys(("background", "colour", "position", "shape"), 0)
    for scene, image in zip(scenes, out, strict=True):
        reading = read_image(image)
        thing = scene.things[0]
        for key, want in (
            ("background", scene.background),
            ("colour", thing.colour),
            ("position", scene.position),
            ("shape", thing.kind),
        ):
            right[key] += getattr(reading, key) == want
    return {key: round(100 * value / count, 1) for key, value in right.items()}


@torch.no_grad()
def encode_all(vae, images: np.ndarray, batch: int = 256) -> torch.Tensor:
    out = []
    for start in tqdm(range(0, len(images), batch), desc="encode", unit="batch"):
        out.append(vae.encode(_to_tensor(images[start : start + batch])).latent_dist.mean)
    return torch.cat(out)


def tokenize(tokenizer, captions: Sequence[str]) -> torch.Tensor:
    return tokenizer(
        list(captions),
        padding="max_length",
        max_length=tokenizer.model_max_length,
        truncation=True,
        return_tensors="pt",
    ).input_ids


def train_unet(
    unet,
    text_encoder,
    latents: torch.Tensor,
    ids: torch.Tensor,
    empty_ids: torch.Tensor,
    *,
    steps: int,
    batch: int,
    lr: float,
    gen: torch.Generator,
    checkpoint: Callable[[int, dict, dict], None] | None = None,
    checkpoint_every: int = 500,
) -> tuple[dict, dict]:
    """Returns the EMA state dicts of the UNet and the text encoder."""
    train_sched, _ = noise_schedulers()
    alphas = train_sched.alphas_cumprod
    params = [*unet.parameters(), *text_encoder.parameters()]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    warmup = max(1, steps // 30)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, steps - warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))

    lr_sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    ema_unet = {k: v.detach().clone() for k, v in unet.state_dict().items()}
    ema_text = {k: v.detach().clone() for k, v in text_encoder.state_dict().items()}
    unet.train()
    text_encoder.train()
    bar = tqdm(range(steps), desc="unet", unit="step")
    for step in bar:
        idx = torch.randint(len(latents), (batch,), generator=gen)
        x0 = latents[idx]
        tokens = ids[idx].clone()
        drop = torch.rand(batch, generator=gen) < 0.1
        tokens[drop] = empty_ids
        t = torch.randint(0, 1000, (batch,), generator=gen)
        noise = torch.randn(x0.shape, generator=gen)
        a = alphas[t].sqrt().view(-1, 1, 1, 1)
        s = (1 - alphas[t]).sqrt().view(-1, 1, 1, 1)
        noisy = a * x0 + s * noise
        target = a * noise - s * x0
        context = text_encoder(tokens)[0]
        pred = unet(noisy, t, encoder_hidden_states=context).sample
        loss = F.mse_loss(pred, target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        lr_sched.step()
        decay = min(0.999, (1 + step) / (10 + step))
        with torch.no_grad():
            for ema, model in ((ema_unet, unet), (ema_text, text_encoder)):
                for k, v in model.state_dict().items():
                    if v.dtype.is_floating_point:
                        ema[k].mul_(decay).add_(v.detach(), alpha=1 - decay)
                    else:
                        ema[k].copy_(v)
        bar.set_postfix(loss=f"{loss.item():.4f}")
        if checkpoint is not None and (step + 1) % checkpoint_every == 0 and step + 1 < steps:
            checkpoint(step + 1, ema_unet, ema_text)
    return ema_unet, ema_text


def train(
    out: Path,
    *,
    seed: int = 0,
    images: int = 24000,
    core_share: float = 0.7,
    vae_steps: int = 2400,
    vae_batch: int = 32,
    unet_steps: int = 5000,
    unet_batch: int = 64,
    lr: float = 1e-3,
    threads: int = 2,
    resume: Path | None = None,
) -> Path:
    """Train and write the folder; with ``resume``, continue a folder this command wrote.

    Resuming keeps that folder's VAE (its latents are what the UNet learned) and carries on
    training its text encoder and UNet for ``unet_steps`` more, with a fresh learning-rate
    schedule and another batch order; the marker file records every stage.
    """
    settings: dict = {
        "seed": seed,
        "images": images,
        "core_share": core_share,
        "vae_steps": vae_steps,
        "vae_batch": vae_batch,
        "unet_steps": unet_steps,
        "unet_batch": unet_batch,
        "lr": lr,
        "threads": threads,
    }
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    random.seed(seed)
    gen = torch.Generator().manual_seed(seed)
    started = time.perf_counter()
    pixels, scenes = world.dataset(images, seed, core_share=core_share)
    captions = [scene.caption for scene in scenes]
    tokenizer = build_tokenizer()
    previous: dict = {}
    if resume is not None:
        from diffusers import AutoencoderKL

        previous = json.loads((resume / TRAINED_MARKER).read_text())
        was = (previous.get("seed"), previous.get("images"), previous.get("core_share", 0.6))
        if was != (seed, images, core_share):
            raise SystemExit(
                f"--resume {resume}: it was trained with seed {was[0]}, {was[1]} images and "
                f"core share {was[2]}; pass the same --seed, --images and --core-share"
            )
        # Another batch order than the first stage's (same seed would replay its batches).
        gen = torch.Generator().manual_seed(seed + 1 + len(previous.get("stages", [])))
        vae = AutoencoderKL.from_pretrained(resume / "vae")
        vae.requires_grad_(False)
        vae.eval()
        settings = {**previous, "stages": [*previous.get("stages", []), settings]}
    else:
        vae = make_vae()
        train_vae(vae, pixels, vae_steps, vae_batch, gen)
        vae.requires_grad_(False)
        settings["vae_reconstruction_percent_right"] = reconstruction_check(vae)
        print(f"VAE reconstructions read right (%): {settings['vae_reconstruction_percent_right']}")
    latents = encode_all(vae, pixels)
    if resume is None:
        vae.register_to_config(scaling_factor=float(1.0 / latents.std()))
    latents = latents * vae.config.scaling_factor
    ids = tokenize(tokenizer, captions)
    empty_ids = tokenize(tokenizer, [""])[0]

    def text_encoder_for(tokenizer):
        return make_text_encoder(len(tokenizer), tokenizer.bos_token_id, tokenizer.eos_token_id)

    def save(folder: Path, unet_state: dict, text_state: dict, **extra: object) -> None:
        unet, text_encoder = make_unet(), text_encoder_for(tokenizer)
        unet.load_state_dict(unet_state)
        text_encoder.load_state_dict(text_state)
        minutes = round((time.perf_counter() - started) / 60, 1)
        if resume is None:
            info = {**settings, **extra, "minutes": minutes}
        else:
            stage = {**settings["stages"][-1], **extra, "minutes": minutes}
            info = {**settings, "stages": [*settings["stages"][:-1], stage]}
        _save_pipeline(folder, vae, text_encoder, tokenizer, unet, info)

    def checkpoint(step: int, unet_state: dict, text_state: dict) -> None:
        save(out.with_name(out.name + ".partial"), unet_state, text_state, at_step=step)

    unet, text_encoder = make_unet(), text_encoder_for(tokenizer)
    if resume is not None:
        from diffusers import UNet2DConditionModel
        from transformers import CLIPTextModel

        unet.load_state_dict(UNet2DConditionModel.from_pretrained(resume / "unet").state_dict())
        text_encoder.load_state_dict(
            CLIPTextModel.from_pretrained(resume / "text_encoder").state_dict()
        )
    ema_unet, ema_text = train_unet(
        unet,
        text_encoder,
        latents,
        ids,
        empty_ids,
        steps=unet_steps,
        batch=unet_batch,
        lr=lr,
        gen=gen,
        checkpoint=checkpoint,
    )
    save(out, ema_unet, ema_text)
    print(f"wrote {out} in {(time.perf_counter() - started) / 60:.1f} min")
    return out


def _save_pipeline(out: Path, vae, text_encoder, tokenizer, unet, info: dict) -> None:
    """Write the folder next to ``out`` first and swap it in, so a reader never sees half."""
    from diffusers import StableDiffusionPipeline

    unet.eval()
    text_encoder.eval()
    _, sample_sched = noise_schedulers()
    pipe = StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=sample_sched,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(dir=out.parent, prefix=".build-"))
    pipe.save_pretrained(build, safe_serialization=True)
    (build / TRAINED_MARKER).write_text(json.dumps(info, indent=1) + "\n")
    for path in build.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    build.chmod(0o755)
    if out.exists():
        shutil.rmtree(out)
    build.rename(out)


def main(argv: Sequence[str] | None = None) -> None:
    # The defaults live once, in train()'s signature; each option's dest is its keyword.
    default = {
        name: parameter.default
        for name, parameter in inspect.signature(train).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }
    parser = argparse.ArgumentParser(
        prog="python -m exercises.training",
        description="Train the course image model on the drawn world and write its folder.",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder to write")
    parser.add_argument("--seed", type=int, default=default["seed"])
    parser.add_argument(
        "--images", type=int, default=default["images"], help="drawn training images"
    )
    parser.add_argument(
        "--core-share",
        type=float,
        default=default["core_share"],
        help="share of the images drawn from the checkable core grammar (the rest: the world)",
    )
    parser.add_argument("--vae-steps", type=int, default=default["vae_steps"])
    parser.add_argument("--vae-batch", type=int, default=default["vae_batch"])
    parser.add_argument("--unet-steps", type=int, default=default["unet_steps"])
    parser.add_argument("--unet-batch", type=int, default=default["unet_batch"])
    parser.add_argument("--lr", type=float, default=default["lr"])
    parser.add_argument(
        "--resume",
        type=Path,
        help="continue training the text encoder and UNet of a folder this command wrote",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=default["threads"],
        help="torch threads: 2 on a quiet 2-core machine; 1 when other work shares the cores",
    )
    options = vars(parser.parse_args(argv))
    train(options.pop("out"), **options)


if __name__ == "__main__":
    main()
