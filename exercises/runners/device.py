"""Device and dtype choice for worker-side runners (imports torch: workers only).

CUDA runs in fp16. On CPU, bf16 is used where the CPU has native bf16 instructions (measured
2-3x faster than fp32 for SmolLM2 on the project's 2-core development host), else fp32. The setting
GENERATION_DEVICE ("auto", "cpu", "cuda") and GENERATION_DTYPE ("auto", "float32",
"bfloat16", "float16") override the choice for diagnosis.
"""

from __future__ import annotations

import torch


def _cpu_has_bf16() -> bool:
    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except AttributeError:  # older torch builds without the probes
        return False


def choose_device(*, prefer_dtype: str = "auto") -> tuple[torch.device, torch.dtype]:
    from django.conf import settings

    wanted_device = getattr(settings, "GENERATION_DEVICE", "auto")
    wanted_dtype = (
        prefer_dtype if prefer_dtype != "auto" else getattr(settings, "GENERATION_DTYPE", "auto")
    )
    if wanted_device == "auto":
        wanted_device = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(wanted_device)
    if wanted_dtype != "auto":
        return device, getattr(torch, wanted_dtype)
    if device.type == "cuda":
        return device, torch.float16
    return device, torch.bfloat16 if _cpu_has_bf16() else torch.float32


def dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")
