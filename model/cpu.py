"""What this CPU runs natively: its name and feature flags, and whether bf16 is worth using.

``bf16_supported`` decides the ``auto`` precision of the torch and OpenVINO encoders. torch's own
check (oneDNN's ``_is_mkldnn_bf16_supported``) also answers yes on AVX-512 CPUs that lack the bf16
instructions, where bf16 matrix products are emulated: on such a host (Xeon, AVX-512 without
AVX512-BF16 or AMX, 2026-12-06) the shipped model ran 14.2 paragraphs/s in bf16 against 26.8 in
fp32 (``risklens benchmark predict --limit 128``), and OpenVINO's bf16 hint made the runtime
parity test take 389 s instead of seconds. So the CPU's flags must name a bf16 instruction set
too, where the system lists them.
"""

from __future__ import annotations

import functools
from pathlib import Path

import torch

BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16", "bf16"})
"""x86 AVX512-BF16 and AMX, and Arm's BF16 extension, as /proc/cpuinfo names them."""

CPUINFO = Path("/proc/cpuinfo")


@functools.cache
def cpu_info(path: Path = CPUINFO) -> tuple[str, frozenset[str]] | None:
    """The CPU's model name and feature flags (x86 ``flags``, Arm ``Features``), or None where
    the system has no ``/proc/cpuinfo`` (macOS, Windows)."""
    try:
        text = path.read_text("utf-8")
    except OSError:
        return None
    model, flags = "?", frozenset[str]()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key in ("model name", "Model") and model == "?":
            model = value.strip()
        elif key in ("flags", "Features") and not flags:
            flags = frozenset(value.split())
    return model, flags


def bf16_supported() -> bool:
    """True when this CPU runs bf16 matrix products natively (AVX512-BF16 or AMX; Arm BF16).

    torch must support bf16 here, and where the CPU's flags are readable one of them must be a
    bf16 instruction set; elsewhere torch's answer stands.
    """
    if not torch_bf16():
        return False
    info = cpu_info()
    return info is None or bool(info[1] & BF16_FLAGS)


def torch_bf16() -> bool:
    """torch's (oneDNN's) own answer: bf16 kernels exist here, natively or emulated."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False
