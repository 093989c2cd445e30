"""The shipped encoder run by ONNX Runtime instead of torch: export, int8 quantisation, a session.

Why: on a 2-core CPU the encoder is nearly all of ``predict``'s time, and ONNX Runtime's
kernels (fused attention and LayerNorm after its graph optimiser, VNNI int8 matrix products)
are a lever torch's eager mode does not have. The torch path stays the default and the
fallback; a runtime is offered (``model.runtimes.RUNTIMES``) only after it gave the torch
path's labels on ≥ 97% of the test split (``tests/model/test_runtime_onnx_parity.py``,
numbers in ``reports/benchmark-predict.md``).

Nothing here is committed or shipped: the ONNX files are built from ``model.safetensors`` on
first use and cached per user (:func:`cache_dir`), keyed by the weights file, so the shipped
model stays as it is. Builds:

- ``onnx``: the plain-torch :class:`~risklens.model.encoder.BertClassifier` exported in fp32
  (opset 17, dynamic batch and sequence axes);
- ``onnx-int8`` (benchmark only: 95% label agreement without headings, under the 97% bar):
  that graph with int8 weights (per output channel) and activations quantised per batch at
  run time (``quantize_dynamic``);
- ``onnx-int8-static`` (benchmark only, it needs calibration paragraphs): QDQ int8 with
  activation ranges calibrated on real paragraphs, the FFN output projections (whose inputs
  carry BERT's activation outliers) left in fp32; see :func:`quantize_static_int8`.

onnxruntime and onnx are optional (``pip install risklens[onnx]``); importing this module
does not need them, building or running does, and says so.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Literal

import numpy as np
import torch
from torch import nn

from risklens.model.encoder import BertClassifier

BUILDS: tuple[str, ...] = ("onnx", "onnx-int8", "onnx-int8-static")
"""Every ONNX build this module makes (the static one needs calibration paragraphs)."""
OPSET = 17
EXPORT_VERSION = "2"  # bump when the export or quantisation changes, so caches rebuild
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
FFN_OUTPUT = "/output/dense/"  # node-name part of the FFN output projections (not attention/output)


class RuntimeUnavailable(ValueError):
    """onnxruntime (or onnx, for building) is not installed (a ValueError: commands print it as their one error line)."""


def require(module: str, extra: str = "onnx") -> Any:
    """Import ``module`` or raise :class:`RuntimeUnavailable` saying how to install it (``risklens[extra]``)."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise RuntimeUnavailable(
            f"the {extra} runtime needs the '{module.split('.')[0]}' package, which is not installed; "
            f"`pip install 'risklens[{extra}]'` or use --runtime torch."
        ) from None


def cache_dir() -> Path:
    """Where built ONNX files live: ``$RISKLENS_HOME/cache/onnx``, else the user cache dir."""
    from risklens.labels.home import home_is_configured, risklens_home

    if home_is_configured():
        return risklens_home() / "cache" / "onnx"
    from platformdirs import user_cache_path

    return user_cache_path("risklens", appauthor=False) / "onnx"


def model_key(model_dir: Path) -> str:
    """A short key for the weights in ``model_dir``: config, weights size and mtime, export version."""
    weights = model_dir / "model.safetensors"
    stat = weights.stat()
    digest = hashlib.sha256((model_dir / "config.json").read_bytes())
    digest.update(f"{weights.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{EXPORT_VERSION}|{OPSET}".encode())
    return digest.hexdigest()[:16]


class _ExportForward(nn.Module):
    """The encoder's forward with the padding mask always applied (one graph for every batch).

    ``BertClassifier`` drops an all-ones mask, as transformers does; an exported graph cannot
    branch on data, and with no padding the mask changes nothing but rounding.
    """

    def __init__(self, encoder: BertClassifier) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        bert: Any = self.encoder.bert
        hidden = bert.embeddings(input_ids, token_type_ids)
        mask = attention_mask.bool()[:, None, None, :]
        for layer in bert.encoder.layer:
            hidden = layer(hidden, mask)
        pooled = torch.tanh(bert.pooler.dense(hidden[:, 0]))
        return self.encoder.classifier(pooled)


def export_onnx(model_dir: Path, out: Path) -> Path:
    """Export the fp32 encoder of ``model_dir`` to ``out`` (one file, dynamic batch and length)."""
    from risklens.model.encoder import load_encoder

    require("onnx")
    encoder = load_encoder(model_dir)
    ids = torch.ones((2, 16), dtype=torch.long)
    args = (ids, torch.ones_like(ids), torch.zeros_like(ids))
    axes = {name: {0: "batch", 1: "length"} for name in INPUTS} | {"logits": {0: "batch"}}
    tmp = out.with_suffix(".tmp")
    with torch.inference_mode():
        torch.onnx.export(_ExportForward(encoder).eval(), args, str(tmp), input_names=list(INPUTS),
                          output_names=["logits"], dynamic_axes=axes, opset_version=OPSET, dynamo=False)
    tmp.replace(out)
    return out


def _matmuls(src: Path) -> tuple[list[str], list[str], list[str]]:
    """Names of the MatMuls of ``src``: all, those with a weight (an initializer), the FFN outputs.

    Attention's two activation-by-activation products (QKᵀ and the weighted values) have no
    weight; quantising them costs accuracy for little speed, so they stay fp32.
    """
    onnx = require("onnx")
    graph = onnx.load(str(src), load_external_data=False).graph
    weights = {init.name for init in graph.initializer}
    matmuls = [node for node in graph.node if node.op_type == "MatMul"]
    with_weight = [node.name for node in matmuls if any(name in weights for name in node.input)]
    ffn_output = [name for name in with_weight if FFN_OUTPUT in name and "/attention/" not in name]
    return [node.name for node in matmuls], with_weight, ffn_output


def _excluded(src: Path, keep_ffn_output_fp32: bool) -> list[str]:
    """MatMuls to leave in fp32: those without a weight, and the FFN outputs when asked."""
    everything, with_weight, ffn_output = _matmuls(src)
    return [name for name in everything if name not in with_weight] + (ffn_output if keep_ffn_output_fp32 else [])


def quantize_dynamic_int8(src: Path, out: Path, *, keep_ffn_output_fp32: bool = False) -> Path:
    """int8 weights per output channel, activations quantised per batch at run time.

    ``keep_ffn_output_fp32`` leaves the FFN output projections (BERT's outlier inputs) in fp32.
    """
    quantization = require("onnxruntime.quantization")
    tmp = out.with_suffix(".tmp")
    quantization.quantize_dynamic(str(src), str(tmp), per_channel=True, weight_type=quantization.QuantType.QInt8,
                                  op_types_to_quantize=["MatMul"],
                                  nodes_to_exclude=_excluded(src, keep_ffn_output_fp32))
    tmp.replace(out)
    return out


def quantize_static_int8(src: Path, out: Path, batches: Iterable[dict[str, np.ndarray]], *,
                         keep_ffn_output_fp32: bool = True) -> Path:
    """QDQ int8 with activation ranges calibrated on ``batches`` (real paragraphs' windows).

    Per-channel int8 weights, uint8 activations with min/max ranges from the calibration
    batches (the u8×s8 kernels are ORT's fast CPU path). BERT's FFN output projections see
    activations with a few huge channels; ``keep_ffn_output_fp32`` leaves those twelve
    MatMuls unquantised, the known remedy.
    """
    quantization = require("onnxruntime.quantization")

    class Reader(quantization.CalibrationDataReader):  # type: ignore[name-defined]
        def __init__(self) -> None:
            self.items: Iterator[dict[str, np.ndarray]] = iter(batches)

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self.items, None)

    tmp = out.with_suffix(".tmp")
    quantization.quantize_static(
        str(src), str(tmp), Reader(), quant_format=quantization.QuantFormat.QDQ, per_channel=True,
        activation_type=quantization.QuantType.QUInt8, weight_type=quantization.QuantType.QInt8,
        op_types_to_quantize=["MatMul"], nodes_to_exclude=_excluded(src, keep_ffn_output_fp32),
        calibrate_method=quantization.CalibrationMethod.MinMax,
    )
    tmp.replace(out)
    return out


def calibration_batches(classifier: Any, paragraphs: Iterable[object], *, batch_size: int = 16,
                        use_headings: bool = True) -> Iterator[dict[str, np.ndarray]]:
    """The encoder inputs ``classifier`` would feed for ``paragraphs``, as ONNX feeds, batch by batch.

    Every batch is padded to the model's window length and all but a last short batch are
    kept: onnxruntime's histogram calibrators stack the batches, so they must share a shape.
    """
    from risklens.model.inputs import as_paragraphs
    from risklens.model.pooling import collate

    meta = classifier.meta
    windows = classifier.windows(as_paragraphs(paragraphs), use_headings=use_headings)
    windows.sort(key=lambda w: len(w.input_ids))
    full = max(len(windows) // batch_size, 1) * batch_size  # equal batches (histograms stack them); drop the rest
    for start in range(0, min(full, len(windows)), batch_size):
        batch = collate(windows[start : start + batch_size], classifier._pad_id, token_types=True)
        feed = {name: batch[name].numpy().astype(np.int64) for name in INPUTS}
        pad = meta.max_length - feed["input_ids"].shape[1]  # one width: the histogram calibrators need it
        feed["input_ids"] = np.pad(feed["input_ids"], ((0, 0), (0, pad)), constant_values=classifier._pad_id)
        yield {name: np.pad(value, ((0, 0), (0, pad))) if name != "input_ids" else value for name, value in feed.items()}


def build(model_dir: Path, runtime: str, *, directory: Path | None = None) -> Path:
    """The cached ONNX file of ``runtime`` ("onnx" or "onnx-int8") for ``model_dir``, built if missing."""
    if runtime not in ("onnx", "onnx-int8"):
        raise ValueError(f"runtime must be 'onnx' or 'onnx-int8' to build from a model alone; got {runtime!r}.")
    where = (directory or cache_dir()) / model_key(model_dir)
    where.mkdir(parents=True, exist_ok=True)
    fp32 = where / "model.onnx"
    if not fp32.is_file():
        export_onnx(model_dir, fp32)
    if runtime == "onnx":
        return fp32
    int8 = where / "model-int8.onnx"
    return int8 if int8.is_file() else quantize_dynamic_int8(fp32, int8)


def build_static(model_dir: Path, calibration: Sequence[object], calibration_name: str, *,
                 directory: Path | None = None, batch_size: int = 16) -> Path:
    """The cached ``onnx-int8-static`` file of ``model_dir``, calibrated on ``calibration`` paragraphs.

    ``calibration_name`` (e.g. a hash of the calibration file) is part of the cached file's
    name, so other calibration data builds another file.
    """
    from risklens.model.classifier import RiskClassifier

    fp32 = build(model_dir, "onnx", directory=directory)
    out = fp32.parent / f"model-int8-static-{calibration_name}.onnx"
    if out.is_file():
        return out
    classifier = RiskClassifier.from_pretrained(model_dir, runtime="onnx")
    return quantize_static_int8(fp32, out, calibration_batches(classifier, calibration, batch_size=batch_size))


def network_on(model_dir: Path, runtime: str, threads: int | None) -> tuple[OnnxEncoder, Any, Literal["fp32", "int8"]]:
    """``RiskClassifier.from_pretrained``'s encoder, tokenizer and precision under an ONNX ``runtime``."""
    from risklens.model.tokenizer import WindowTokenizer

    if not (model_dir / "tokenizer.json").is_file():
        raise ValueError(f"{model_dir}: runtime {runtime!r} needs tokenizer.json; use runtime='torch'.")
    encoder = load_onnx_encoder(model_dir, runtime, threads=threads)
    return encoder, WindowTokenizer(model_dir), "int8" if runtime.endswith("int8") else "fp32"


def classifier_on(model_dir: Path, onnx_file: Path, *, threads: int = 2) -> Any:
    """A ``RiskClassifier`` of ``model_dir`` whose encoder is the ONNX file ``onnx_file`` (any build),
    or the OpenVINO IR ``onnx_file`` when it is a ``.xml`` (``runtime_openvino.build_int8``)."""
    import json

    from risklens.model.classifier import RiskClassifier
    from risklens.model.meta import ModelMeta
    from risklens.model.tokenizer import WindowTokenizer

    meta = ModelMeta.load(model_dir)
    fusion = None
    if meta.fusion:
        from risklens.model.fusion import FusionHead

        fusion = FusionHead.load(model_dir)
    config = json.loads((model_dir / "config.json").read_text("utf-8"))
    encoder: ExportedEncoder
    if onnx_file.suffix == ".xml":
        from risklens.model.runtime_openvino import OpenVinoEncoder

        encoder = OpenVinoEncoder(onnx_file, config, threads=threads)
    else:
        encoder = OnnxEncoder(onnx_file, config, threads=threads)
    classifier = RiskClassifier(encoder, WindowTokenizer(model_dir), meta, fusion)
    classifier.path, classifier.runtime, classifier.precision = model_dir, onnx_file.stem, "int8"
    return classifier


class ExportedEncoder:
    """An encoder run from the ONNX export that answers ``encoder(**batch).logits`` like
    ``BertClassifier``; subclasses say which engine runs the graph (:meth:`run`)."""

    training = False
    engine = "an exported"

    def __init__(self, path: Path, config: dict[str, Any]) -> None:
        self.path = path
        self.config = SimpleNamespace(**config)
        self.config.id2label = {int(i): label for i, label in config["id2label"].items()}
        self.config.num_labels = len(self.config.id2label)

    def run(self, feed: dict[str, np.ndarray]) -> np.ndarray:
        """The logits of one batch of int64 inputs."""
        raise NotImplementedError

    def __call__(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                 token_type_ids: torch.Tensor | None = None) -> SimpleNamespace:
        types = token_type_ids if token_type_ids is not None else torch.zeros_like(input_ids)
        feed = {"input_ids": input_ids.numpy(), "attention_mask": attention_mask.numpy(), "token_type_ids": types.numpy()}
        logits = self.run({k: v.astype(np.int64, copy=False) for k, v in feed.items()})
        return SimpleNamespace(logits=torch.from_numpy(np.asarray(logits, dtype=np.float32)))

    def eval(self) -> ExportedEncoder:
        return self

    def train(self, mode: bool = True) -> ExportedEncoder:
        if mode:
            raise ValueError(f"{self.path}: {self.engine} encoder runs inference only; train the torch model.")
        return self


class OnnxEncoder(ExportedEncoder):
    """The export run by an ONNX Runtime session."""

    engine = "an ONNX"

    def __init__(self, path: Path, config: dict[str, Any], *, threads: int = 2) -> None:
        ort = require("onnxruntime")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        super().__init__(path, config)

    def run(self, feed: dict[str, np.ndarray]) -> np.ndarray:
        (logits,) = self.session.run(["logits"], feed)
        return np.asarray(logits)


def load_onnx_encoder(model_dir: Path, runtime: str, *, threads: int | None = None,
                      path: Path | None = None) -> OnnxEncoder:
    """The encoder of ``model_dir`` under ``runtime``, from ``path`` or the cache (built on first use)."""
    import json

    config = json.loads((model_dir / "config.json").read_text("utf-8"))
    onnx_file = path or build(model_dir, runtime)
    return OnnxEncoder(onnx_file, config, threads=threads or torch.get_num_threads())
