"""The shipped encoder run by OpenVINO: the same ONNX export, compiled for this CPU.

Why: OpenVINO's CPU plugin fuses the encoder's graph (attention, LayerNorm, GELU) and runs it
in bf16 on CPUs with AMX/AVX512-BF16 (``INFERENCE_PRECISION_HINT``), which torch's eager
bf16 autocast does not. Measured on this 2-core Xeon with AMX: ~1.45x torch bf16 on the
test split with the same labels on every paragraph (``reports/benchmark-predict.md``). The
graph is the fp32 ONNX file of :mod:`risklens.model.runtime_onnx` (built on first use and
cached per user); compiling it takes under a second, so nothing else is cached.

OpenVINO is optional (``pip install risklens[openvino]``, which also brings ``onnx`` for the
export); importing this module does not need it, running does, and says so.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal

import numpy as np
import torch

from risklens.model.runtime_onnx import build, require


class OpenVinoEncoder:
    """An OpenVINO compiled model that answers ``encoder(**batch).logits`` like ``BertClassifier``."""

    training = False

    def __init__(self, path: Path, config: dict[str, Any], *, threads: int = 2, bf16: bool = True) -> None:
        ov = require("openvino", "openvino")
        core = ov.Core()
        self.precision: Literal["bf16", "fp32"] = "bf16" if bf16 else "fp32"
        self.compiled = core.compile_model(core.read_model(str(path)), "CPU", {
            "INFERENCE_NUM_THREADS": threads,
            "INFERENCE_PRECISION_HINT": "bf16" if bf16 else "f32",
            "PERFORMANCE_HINT": "LATENCY",
        })
        self.request = self.compiled.create_infer_request()  # the classifier runs one batch at a time
        self.path = path
        self.config = SimpleNamespace(**config)
        self.config.id2label = {int(i): label for i, label in config["id2label"].items()}
        self.config.num_labels = len(self.config.id2label)

    def __call__(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                 token_type_ids: torch.Tensor | None = None) -> SimpleNamespace:
        types = token_type_ids if token_type_ids is not None else torch.zeros_like(input_ids)
        feed = {"input_ids": input_ids.numpy(), "attention_mask": attention_mask.numpy(), "token_type_ids": types.numpy()}
        result = self.request.infer({k: v.astype(np.int64, copy=False) for k, v in feed.items()})
        return SimpleNamespace(logits=torch.from_numpy(np.array(result[self.compiled.output(0)], dtype=np.float32)))

    def eval(self) -> OpenVinoEncoder:
        return self

    def train(self, mode: bool = True) -> OpenVinoEncoder:
        if mode:
            raise ValueError(f"{self.path}: an OpenVINO encoder runs inference only; train the torch model.")
        return self


def network_on(model_dir: Path, threads: int | None) -> tuple[OpenVinoEncoder, Any, Literal["bf16", "fp32"]]:
    """``RiskClassifier.from_pretrained``'s encoder, tokenizer and precision under OpenVINO."""
    from risklens.model.classifier import bf16_supported
    from risklens.model.tokenizer import WindowTokenizer

    if not (model_dir / "tokenizer.json").is_file():
        raise ValueError(f"{model_dir}: runtime 'openvino' needs tokenizer.json; use runtime='torch'.")
    require("openvino", "openvino")  # before the export, so a missing package is named first
    require("onnx", "openvino")  # the export
    config = json.loads((model_dir / "config.json").read_text("utf-8"))
    encoder = OpenVinoEncoder(build(model_dir, "onnx"), config, threads=threads or torch.get_num_threads(),
                              bf16=bf16_supported())
    return encoder, WindowTokenizer(model_dir), encoder.precision
