"""Text-to-image generation through a diffusers pipeline (worker side: imports torch).

Besides the final PNG, a run keeps a filmstrip: the latents decoded by the VAE at a few chosen
steps (``callback_on_step_end``), so students see composition settle before detail. It also
reports the latent shape, from which the VAE's compression ratio follows, and the time per step.
"""

from __future__ import annotations

import io
import itertools
import time
from collections.abc import Sequence
from typing import Any

import torch
from diffusers import StableDiffusionPipeline

from exercises.runners.base import (
    ImageRequest,
    ImageResult,
    ModelInfo,
    OutOfMemoryError,
    ProgressCallback,
)
from exercises.runners.device import choose_device, dtype_name
from exercises.runners.text import is_untrained, model_revision

FILMSTRIP_FRAMES = 5


def frame_steps(steps: int, frames: int = FILMSTRIP_FRAMES) -> list[int]:
    """Evenly spaced 1-based steps ending at the last one: 10 steps -> [2, 4, 6, 8, 10]."""
    count = min(frames, steps)
    return sorted({round(steps * (i + 1) / count) for i in range(count)})


def _png(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class DiffusersImageRunner:
    """A Stable Diffusion pipeline kept warm in one worker process."""

    def __init__(self, pipe: Any, info: ModelInfo) -> None:
        self.pipe = pipe
        self.info = info

    @classmethod
    def load(cls, source: str) -> DiffusersImageRunner:
        device, dtype = choose_device()
        if device.type == "cpu":
            # bf16 convolutions are slower than fp32 on CPU for the UNet/VAE: fp32 there.
            dtype = torch.float32
        pipe = StableDiffusionPipeline.from_pretrained(
            source,
            dtype=dtype,
            safety_checker=None,
            feature_extractor=None,
            requires_safety_checker=False,
        ).to(device)
        pipe.set_progress_bar_config(disable=True)
        info = ModelInfo(
            model_id=source,
            revision=model_revision(source),
            device=device.type,
            dtype=dtype_name(dtype),
            untrained=is_untrained(source),
        )
        return cls(pipe, info)

    def _decode(self, latents: torch.Tensor) -> list[bytes]:
        vae = self.pipe.vae
        with torch.inference_mode():
            decoded = vae.decode(latents / vae.config.scaling_factor, return_dict=False)[0]
        images = self.pipe.image_processor.postprocess(decoded, output_type="pil")
        return [_png(image) for image in images]

    def run_batch(
        self, requests: Sequence[ImageRequest], *, progress: ProgressCallback | None = None
    ) -> list[ImageResult]:
        keys = {r.batch_key() for r in requests}
        if len(keys) != 1:
            raise ValueError(f"one batch must share steps, guidance and size, got {sorted(keys)}")
        first = requests[0]
        wanted = set(frame_steps(first.steps))
        frames: list[list[tuple[int, bytes]]] = [[] for _ in requests]
        step_ends: list[float] = []
        decode_seconds = [0.0]
        latent_shape: list[int] = []

        def on_step_end(pipe: Any, index: int, timestep: Any, kwargs: dict[str, Any]) -> dict:
            step_ends.append(time.perf_counter())
            latents = kwargs["latents"]
            latent_shape[:] = list(latents.shape[1:])
            step = index + 1
            if step in wanted:
                decode_started = time.perf_counter()
                for row, png in enumerate(self._decode(latents)):
                    frames[row].append((step, png))
                decode_seconds[0] += time.perf_counter() - decode_started
                # The frame decode is not denoising: move the clock so per-step times exclude it.
                step_ends[-1] = time.perf_counter()
            if progress is not None:
                progress(step, first.steps)
            return kwargs

        generators = [torch.Generator(device="cpu").manual_seed(int(r.seed)) for r in requests]
        started = time.perf_counter()
        try:
            self.pipe(
                prompt=[r.prompt for r in requests],
                num_inference_steps=first.steps,
                guidance_scale=first.guidance_scale,
                height=first.size,
                width=first.size,
                generator=generators,
                callback_on_step_end=on_step_end,
                callback_on_step_end_tensor_inputs=["latents"],
                # The last filmstrip frame is the final latents already decoded: decoding them a
                # second time for the picture would cost a sixth of an image's time on a CPU.
                output_type="latent",
            )
        except torch.OutOfMemoryError as exc:
            raise OutOfMemoryError(
                "The image model ran out of memory. Try a smaller size or fewer steps, "
                "or try again later.",
                detail=str(exc),
            ) from exc
        elapsed = time.perf_counter() - started
        marks = [started, *step_ends]
        step_seconds = [round(b - a, 5) for a, b in itertools.pairwise(marks)]
        results = []
        for row, request in enumerate(requests):
            results.append(
                ImageResult(
                    png=frames[row][-1][1],
                    frames=frames[row],
                    seed=request.seed,
                    steps=request.steps,
                    guidance_scale=request.guidance_scale,
                    size=request.size,
                    latent_shape=latent_shape,
                    step_seconds=step_seconds,
                    timings={
                        "batch_seconds": round(elapsed, 4),
                        "filmstrip_decode_seconds": round(decode_seconds[0], 4),
                        "batch_size": len(requests),
                    },
                )
            )
        return results
