"""Which runtime runs the encoder: the names, and the one rule for choosing (no heavy imports).

``torch`` is the default and the fallback. ``onnx`` runs the same encoder, exported in fp32,
with ONNX Runtime (``model.runtime_onnx``); ``openvino`` compiles that export with OpenVINO,
in bf16 where the CPU has it (``model.runtime_openvino``). A runtime is listed here only after it gave the
torch path's labels on ≥ 97% of the test split with and without headings
(``tests/model/test_runtime_onnx_parity.py``); the int8 ONNX builds did not (95–96% without
headings, see ``reports/benchmark-predict.md``), so they stay benchmark variants. The commands that
classify (predict, score, serve) take ``--runtime``, else ``$RISKLENS_RUNTIME``, else torch;
the library itself never reads the variable, so training and evaluation code stay on torch.
"""

from __future__ import annotations

import os

RUNTIME_ENV = "RISKLENS_RUNTIME"
RUNTIMES: tuple[str, ...] = ("torch", "onnx", "openvino")


def check_runtime(runtime: str, source: str = "runtime") -> str:
    """``runtime`` if it is one of ``RUNTIMES``; else a ValueError naming ``source`` and the choices."""
    if runtime not in RUNTIMES:
        raise ValueError(f"{source} must be one of {', '.join(RUNTIMES)}; got {runtime!r}.")
    return runtime


def chosen_runtime(flag: str | None) -> str:
    """The commands' rule: ``--runtime``, else ``$RISKLENS_RUNTIME``, else ``"torch"``."""
    if flag:
        return check_runtime(flag, "--runtime")
    from_env = os.environ.get(RUNTIME_ENV)
    return check_runtime(from_env, f"${RUNTIME_ENV}") if from_env else "torch"
