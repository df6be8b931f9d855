"""The runner interface: plain dataclasses in and out, and the registry picking an implementation.

The web process imports this module (to validate settings and to name errors) but never the
implementations in ``text.py`` and ``image.py``: those import torch, transformers and diffusers
and live only in worker processes. Nothing here imports them at module level.

A runner is loaded once per worker child process and kept warm; ``run_batch`` takes several
compatible requests and returns one result per request, in order, each with its own seed.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

#: Called by runners as they go: (step done, total steps). Workers turn it into a heartbeat.
ProgressCallback = Callable[[int, int], None]


class GenerationError(Exception):
    """A run failed in a way the student should be told about (``message`` is for them)."""

    #: Whether trying again later may succeed without anyone changing anything.
    transient = False

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail or message


class ModelLoadError(GenerationError):
    """The configured model could not be loaded (missing folder, hub id offline, bad files)."""


class OutOfMemoryError(GenerationError):
    """The device ran out of memory: smaller settings or a retry when the worker is quieter."""


class DiskFullError(GenerationError):
    """Outputs could not be written because the media store is full."""


@dataclass(frozen=True)
class TextRequest:
    prompt: str
    max_new_tokens: int = 48
    temperature: float = 0.7
    top_p: float = 0.9
    seed: int = 0


@dataclass(frozen=True)
class TokenCandidate:
    token: str
    probability: float


@dataclass(frozen=True)
class GeneratedToken:
    """One generated token and the five most likely tokens at that step (the "scoreboard")."""

    token: str
    probability: float
    candidates: list[TokenCandidate]


@dataclass
class TextResult:
    text: str
    tokens: list[GeneratedToken]
    prompt_tokens: int
    settings: dict[str, Any]
    seed: int
    used_chat_template: bool
    stop_reason: str  # "eos" or "length"
    timings: dict[str, float] = field(default_factory=dict)

    def scoreboard(self) -> list[dict[str, Any]]:
        return [asdict(token) for token in self.tokens]


@dataclass(frozen=True)
class ImageRequest:
    prompt: str
    steps: int = 10
    guidance_scale: float = 5.0
    size: int = 64
    seed: int = 0

    def batch_key(self) -> tuple[int, float, int]:
        """Requests with equal keys can share one pipeline call (each keeps its own seed)."""
        return (self.steps, float(self.guidance_scale), self.size)


@dataclass
class ImageResult:
    png: bytes
    #: (step, PNG bytes): the image decoded at chosen steps, last one the final step.
    frames: list[tuple[int, bytes]]
    seed: int
    steps: int
    guidance_scale: float
    size: int
    latent_shape: list[int]  # [channels, height, width] for one image
    step_seconds: list[float]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def spatial_factor(self) -> float:
        """How many image pixels one latent cell covers along a side (8 in real SD)."""
        return self.size / self.latent_shape[-1]

    @property
    def compression_ratio(self) -> float:
        """RGB values in the image per value in the latent (48 in SD 1.5: 3*8*8/4)."""
        channels, height, width = self.latent_shape
        return (3 * self.size * self.size) / (channels * height * width)


@dataclass(frozen=True)
class ModelInfo:
    """What the job records about the model that ran it."""

    model_id: str
    revision: str
    device: str
    dtype: str
    untrained: bool


class TextRunner(Protocol):
    info: ModelInfo

    def run_batch(
        self, requests: Sequence[TextRequest], *, progress: ProgressCallback | None = None
    ) -> list[TextResult]: ...


class ImageRunner(Protocol):
    info: ModelInfo

    def run_batch(
        self, requests: Sequence[ImageRequest], *, progress: ProgressCallback | None = None
    ) -> list[ImageResult]: ...


# --- Registry ---------------------------------------------------------------------------------

#: Default implementations per job kind, overridable with settings.GENERATION_RUNNERS.
DEFAULT_RUNNERS = {
    "text": "exercises.runners.text.TransformersTextRunner",
    "image": "exercises.runners.image.DiffusersImageRunner",
}

_loaded: dict[str, Any] = {}
_load_errors: dict[str, GenerationError] = {}
_lock = threading.Lock()


def _runner_class(kind: str) -> Any:
    from django.conf import settings

    paths = {**DEFAULT_RUNNERS, **getattr(settings, "GENERATION_RUNNERS", {})}
    if kind not in paths:
        raise ModelLoadError(f"No runner is configured for {kind!r} jobs.")
    module_name, _, class_name = paths[kind].rpartition(".")
    return getattr(importlib.import_module(module_name), class_name)


def _model_source(kind: str) -> str:
    from django.conf import settings

    return str(settings.TEXT_MODEL if kind == "text" else settings.IMAGE_MODEL)


def get_runner(kind: str) -> Any:
    """The warm runner for ``kind`` in this process, loading it on first use.

    A failed load is not cached forever: the next job tries again, so a model prepared after
    the worker started (or a transient disk error) does not need a worker restart.
    """
    source = _model_source(kind)
    with _lock:
        runner = _loaded.get(kind)
        if runner is not None and runner.info.model_id == source:
            return runner
        try:
            runner = _runner_class(kind).load(source)
        except GenerationError as exc:
            _load_errors[kind] = exc
            raise
        except Exception as exc:  # any library error while loading: tell the student plainly
            error = ModelLoadError(
                f"The {kind} model could not be loaded; the staff have been told. "
                "You can try again later.",
                detail=f"loading {source!r}: {type(exc).__name__}: {exc}",
            )
            _load_errors[kind] = error
            raise error from exc
        _loaded[kind] = runner
        _load_errors.pop(kind, None)
        return runner


def warm_up(kinds: Sequence[str] = ("text", "image")) -> dict[str, str]:
    """Load every runner now (worker start-up); returns kind -> "ok" or the error, never raises."""
    report = {}
    for kind in kinds:
        try:
            get_runner(kind)
            report[kind] = "ok"
        except GenerationError as exc:
            report[kind] = exc.detail
    return report


def unload_all() -> None:
    """Forget loaded runners (tests switch models; a worker never needs this)."""
    with _lock:
        _loaded.clear()
        _load_errors.clear()
