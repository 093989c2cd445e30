"""The shipped encoder run by OpenVINO: the same ONNX export, compiled for this CPU.

Why: OpenVINO's CPU plugin fuses the encoder's graph (attention, LayerNorm, GELU) and runs it
in bf16 on CPUs with AMX/AVX512-BF16 (``INFERENCE_PRECISION_HINT``), which torch's eager
bf16 autocast does not. Measured on this 2-core Xeon with AMX, with the same labels on every
test paragraph: as fast as torch bf16 on a quiet host, ~1.45x beside other work
(``reports/benchmark-predict.md``, ``model/README.md``). The
graph is the fp32 ONNX file of :mod:`risklens.model.runtime_onnx` (built on first use and
cached per user); compiling it takes under a second, so nothing else is cached.

OpenVINO is optional (``pip install risklens[openvino]``, which also brings ``onnx`` for the
export); importing this module does not need it, running does, and says so.

``build_int8`` quantises that graph to int8 with NNCF (weights per channel, activations with
static scales calibrated on paragraphs the caller gives, e.g. the dev split; SmoothQuant for
the FFN outliers; optionally the FFN output projections left in bf16). It is a benchmark
variant (``predict-openvino-int8``), not a runtime: a runtime must not need calibration data.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch

from risklens.model.runtime_onnx import ExportedEncoder, build, calibration_batches, require


class OpenVinoEncoder(ExportedEncoder):
    """The export compiled by OpenVINO for this CPU (bf16 where it has native bf16)."""

    engine = "an OpenVINO"

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
        super().__init__(path, config)

    def run(self, feed: dict[str, np.ndarray]) -> np.ndarray:
        return np.asarray(self.request.infer(feed)[self.compiled.output(0)])


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


def ffn_output_matmuls(model: Any) -> list[str]:
    """The twelve FFN down-projections of an exported BERT ("/…/layer.N/output/dense/MatMul")."""
    return [op.get_friendly_name() for op in model.get_ops()
            if op.get_type_name() == "MatMul" and "/output/dense/" in op.get_friendly_name()
            and "/attention/" not in op.get_friendly_name()]


def build_int8(model_dir: Path, calibration: Sequence[object], calibration_name: str, *,
               keep_ffn_output: bool = False, batch_size: int = 8) -> Path:
    """The cached int8 OpenVINO IR of ``model_dir``, calibrated on ``calibration`` paragraphs.

    ``calibration_name`` (e.g. a hash of the calibration file) is part of the file's name, so
    other calibration data builds another file. Needs ``nncf`` (``pip install risklens[openvino]``).
    """
    from risklens.model.classifier import RiskClassifier

    ov = require("openvino", "openvino")
    nncf = require("nncf", "openvino")
    fp32 = build(model_dir, "onnx")
    out = fp32.parent / f"encoder-int8-{'keepffn-' if keep_ffn_output else ''}{calibration_name}.xml"
    if out.is_file():
        return out
    model = ov.Core().read_model(str(fp32))
    feeder = RiskClassifier.from_pretrained(model_dir, runtime="openvino")  # tokenises as predict does
    batches = list(calibration_batches(feeder, calibration, batch_size=batch_size))
    ignored = nncf.IgnoredScope(names=ffn_output_matmuls(model)) if keep_ffn_output else None
    quantised = nncf.quantize(model, nncf.Dataset(batches), model_type=nncf.ModelType.TRANSFORMER,
                              preset=nncf.QuantizationPreset.MIXED, subset_size=len(batches), ignored_scope=ignored)
    partial = out.with_suffix(".partial.xml")
    ov.save_model(quantised, str(partial))
    partial.with_suffix(".bin").replace(out.with_suffix(".bin"))
    partial.replace(out)
    return out
