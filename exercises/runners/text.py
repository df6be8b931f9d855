"""Text generation with a causal LM through transformers (worker side: imports torch).

The decoding loop is written out (as in nanoGPT's ``generate``) instead of calling
``model.generate`` for two reasons the lessons need: every row of a batch samples from its own
``torch.Generator`` (so a job's seed means the same thing alone or batched), and every step
records the top-5 candidates with their probabilities, the "scoreboard" students look at.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

from exercises.runners.base import (
    GeneratedToken,
    ModelInfo,
    OutOfMemoryError,
    ProgressCallback,
    TextRequest,
    TextResult,
    TokenCandidate,
)
from exercises.runners.device import choose_device, dtype_name

#: A file in a model folder that says its weights are random (built offline for tests/demo).
UNTRAINED_MARKER = "UNTRAINED"
TOP_K_CANDIDATES = 5


def model_revision(source: str) -> str:
    """A short fingerprint of a local model folder (its config and weight file sizes)."""
    folder = Path(source)
    if not folder.is_dir():
        return "hub"
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(str(path.stat().st_size).encode())
            if path.name == "config.json":
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def is_untrained(source: str) -> bool:
    return (Path(source) / UNTRAINED_MARKER).exists()


class TransformersTextRunner:
    """A causal LM kept warm in one worker process."""

    def __init__(self, model: Any, tokenizer: Any, info: ModelInfo) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.info = info
        self.device = next(model.parameters()).device
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        eos = model.generation_config.eos_token_id
        eos_ids = eos if isinstance(eos, list) else [eos]
        self.eos_ids = {i for i in [*eos_ids, tokenizer.eos_token_id] if i is not None}

    @classmethod
    def load(cls, source: str, *, dtype: str = "auto") -> TransformersTextRunner:
        """Load ``source`` (a folder or hub id); ``dtype`` overrides the automatic choice.

        In fp32 a row's tokens are identical alone or batched; in bf16 the padding of a batch
        can move a near-tie (random tiny models are all near-ties), so seeds reproduce exactly
        for the same batch but may differ by a token between batched and alone.
        """
        device, torch_dtype = choose_device(prefer_dtype=dtype)
        tokenizer = AutoTokenizer.from_pretrained(source)
        model = AutoModelForCausalLM.from_pretrained(source, dtype=torch_dtype).to(device)
        model.eval()
        info = ModelInfo(
            model_id=source,
            revision=model_revision(source),
            device=device.type,
            dtype=dtype_name(torch_dtype),
            untrained=is_untrained(source),
        )
        return cls(model, tokenizer, info)

    # --- 1. prompts -> token ids ------------------------------------------------------------

    def _render(self, prompt: str) -> tuple[str, bool]:
        if getattr(self.tokenizer, "chat_template", None):
            messages = [{"role": "user", "content": prompt}]
            text = self.tokenizer.apply_chat_template(
                messages, tokenize=False, add_generation_prompt=True
            )
            return text, True
        return prompt, False

    # --- 2. one distribution -> (chosen token, scoreboard) -----------------------------------

    def _pick(
        self, logits: torch.Tensor, request: TextRequest, generator: torch.Generator
    ) -> tuple[int, float, list[tuple[int, float]]]:
        if request.temperature <= 0:
            probs = torch.softmax(logits, dim=-1)
            chosen = int(torch.argmax(probs))
        else:
            probs = torch.softmax(logits / request.temperature, dim=-1)
            sorted_probs, order = torch.sort(probs, descending=True)
            cumulative = torch.cumsum(sorted_probs, dim=-1)
            # Keep the smallest set whose mass reaches top_p (always at least the top token).
            keep = cumulative - sorted_probs < request.top_p
            kept = torch.where(keep, sorted_probs, torch.zeros_like(sorted_probs))
            index = torch.multinomial(kept / kept.sum(), 1, generator=generator)
            chosen = int(order[index])
        top = torch.topk(probs, min(TOP_K_CANDIDATES, probs.shape[-1]))
        pairs = zip(top.values.tolist(), top.indices.tolist(), strict=True)
        candidates = [(int(i), float(p)) for p, i in pairs]
        return chosen, float(probs[chosen]), candidates

    # --- 3. the batched decoding loop ----------------------------------------------------------

    @torch.inference_mode()
    def run_batch(
        self, requests: Sequence[TextRequest], *, progress: ProgressCallback | None = None
    ) -> list[TextResult]:
        started = time.perf_counter()
        rendered = [self._render(r.prompt) for r in requests]
        encoded = self.tokenizer(
            [text for text, _ in rendered],
            return_tensors="pt",
            padding=True,
            padding_side="left",
            add_special_tokens=not rendered[0][1],
        )
        input_ids = encoded["input_ids"].to(self.device)
        attention = encoded["attention_mask"].to(self.device)
        prompt_lengths = attention.sum(dim=1).tolist()
        generators = [torch.Generator(device="cpu").manual_seed(int(r.seed)) for r in requests]
        limit = max(r.max_new_tokens for r in requests)
        chosen_ids: list[list[int]] = [[] for _ in requests]
        tokens: list[list[tuple[int, float, list[tuple[int, float]]]]] = [[] for _ in requests]
        done = [False] * len(requests)
        stop = ["length"] * len(requests)
        past = None
        step_input = input_ids
        positions = (attention.cumsum(dim=1) - 1).clamp(min=0)
        first_token_at = None
        try:
            for step in range(limit):
                out = self.model(
                    input_ids=step_input,
                    attention_mask=attention,
                    position_ids=positions,
                    past_key_values=past,
                    use_cache=True,
                )
                past = out.past_key_values
                logits = out.logits[:, -1, :].float().cpu()
                next_ids = []
                for row, request in enumerate(requests):
                    if done[row]:
                        next_ids.append(self.tokenizer.pad_token_id)
                        continue
                    chosen, probability, candidates = self._pick(
                        logits[row], request, generators[row]
                    )
                    if chosen in self.eos_ids:
                        done[row], stop[row] = True, "eos"
                    else:
                        chosen_ids[row].append(chosen)
                        tokens[row].append((chosen, probability, candidates))
                        if len(chosen_ids[row]) >= request.max_new_tokens:
                            done[row] = True
                    next_ids.append(chosen)
                if first_token_at is None:
                    first_token_at = time.perf_counter()
                if progress is not None:
                    progress(step + 1, limit)
                if all(done):
                    break
                step_input = torch.tensor(next_ids, device=self.device).unsqueeze(1)
                attention = torch.cat([attention, torch.ones_like(attention[:, :1])], dim=1)
                positions = positions[:, -1:] + 1
        except torch.OutOfMemoryError as exc:
            raise OutOfMemoryError(
                "The text model ran out of memory. Try fewer new tokens, or try again later.",
                detail=str(exc),
            ) from exc
        elapsed = time.perf_counter() - started
        return [
            self._result(
                request,
                rendered[row][1],
                prompt_lengths[row],
                chosen_ids[row],
                tokens[row],
                stop[row],
                elapsed,
                (first_token_at or started) - started,
            )
            for row, request in enumerate(requests)
        ]

    def _result(
        self,
        request: TextRequest,
        used_template: bool,
        prompt_tokens: int,
        ids: list[int],
        raw_tokens: list[tuple[int, float, list[tuple[int, float]]]],
        stop_reason: str,
        elapsed: float,
        first_token_s: float,
    ) -> TextResult:
        def decode(ids: list[int], **kwargs: Any) -> str:
            # A model may emit NUL (random ones often do); PostgreSQL text and jsonb cannot
            # store it, so it is shown as the replacement character instead.
            return self.tokenizer.decode(ids, **kwargs).replace("\x00", "\ufffd")

        generated = [
            GeneratedToken(
                token=decode([token_id]),
                probability=round(probability, 6),
                candidates=[
                    TokenCandidate(token=decode([cid]), probability=round(p, 6))
                    for cid, p in candidates
                ],
            )
            for token_id, probability, candidates in raw_tokens
        ]
        return TextResult(
            text=decode(ids, skip_special_tokens=True),
            tokens=generated,
            prompt_tokens=int(prompt_tokens),
            settings={
                "max_new_tokens": request.max_new_tokens,
                "temperature": request.temperature,
                "top_p": request.top_p,
            },
            seed=request.seed,
            used_chat_template=used_template,
            stop_reason=stop_reason,
            timings={
                "batch_seconds": round(elapsed, 4),
                "first_token_seconds": round(first_token_s, 4),
                "tokens": len(ids),
            },
        )
