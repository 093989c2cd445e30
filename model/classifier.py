"""``RiskClassifier``: the fine-tuned encoder, calibrated and thresholded, behind one API.

A saved classifier is a plain Hugging Face directory (``AutoModelForSequenceClassification``
loads it: multi-label, ``id2label`` = the 30 leaves in taxonomy order) plus
``risklens.json`` (thresholds, temperature, windowing, versions, metrics) and, when the
model was trained with fusion, a small stacked head over the encoder, a TF-IDF model and
the heading rules (``fusion.json``, ``tfidf.*``). Inference is offline: it sorts windows by
length, batches them, runs the encoder under ``torch.inference_mode`` and pools windows
back into paragraphs. One lock serialises encoder calls, so a server may share one instance
between threads.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

import numpy as np
import torch

from risklens.labels.taxonomy import LABELS
from risklens.model.calibration import apply_thresholds, sigmoid
from risklens.model.cpu import bf16_supported as bf16_supported
from risklens.model.encoder import BertClassifier
from risklens.model.inputs import Paragraph, Window, as_paragraphs, distinct, make_windows
from risklens.model.meta import PRECISIONS, ModelMeta, Precision
from risklens.model.pooling import collate, pool_numpy
from risklens.model.runtimes import check_runtime

# Inference pads every batch to a multiple of this many tokens, so the encoder sees at most
# max_length / 16 widths and torch's per-shape kernel cache stays bounded (model.pooling.collate).
PAD_TO_MULTIPLE_OF = 16

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` in encoder windows after every batch."""

Component = Literal["full", "encoder"]
WEIGHTS_FILE = "model.safetensors"


@dataclass
class Prediction:
    """Labels at or above their thresholds and calibrated scores for all 30 leaves."""

    id: str | None
    labels: list[str]
    scores: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """The TAXONOMY.md prediction record (``id`` omitted when the input had none)."""
        out: dict[str, Any] = {} if self.id is None else {"id": self.id}
        out["labels"] = list(self.labels)
        out["scores"] = {label: round(float(score), 6) for label, score in self.scores.items()}
        return out


class RiskClassifier:
    """Multi-label risk tagger: heading path + text in, leaves and probabilities out."""

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        meta: ModelMeta | None = None,
        fusion: Any | None = None,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.meta = meta if meta is not None else ModelMeta()
        self.fusion = fusion  # model.fusion.FusionHead, or None for the encoder alone
        self.precision = "fp32"  # how the encoder runs: "fp32", "bf16" (autocast) or "int8"
        self.runtime = "torch"  # what runs the encoder: torch, or ONNX Runtime ("onnx")
        self.path: Path | None = None  # the directory it was loaded from, if any
        self._lock = threading.Lock()
        config = getattr(model, "config", None)
        self._token_types = int(getattr(config, "type_vocab_size", 2) or 0) >= 2
        pad = getattr(tokenizer, "pad_token_id", None)
        self._pad_id = int(pad) if pad is not None else 0

    # ----------------------------------------------------------------- properties
    @property
    def labels(self) -> tuple[str, ...]:
        """The 30 leaf ids in taxonomy order (the column order of ``predict_proba``)."""
        return tuple(self.meta.labels)

    @property
    def thresholds(self) -> dict[str, float]:
        """Per-leaf decision thresholds on the calibrated (fused) probabilities."""
        return dict(self.meta.thresholds)

    @property
    def temperature(self) -> float:
        return self.meta.temperature

    def info(self) -> dict[str, Any]:
        """A JSON-ready summary for ``risklens models`` and the HTTP ``/info`` endpoint."""
        meta = self.meta
        return {
            "name": meta.name,
            "version": meta.version,
            "taxonomy_version": meta.taxonomy_version,
            "base_model": meta.base_model,
            "labels": list(meta.labels),
            "thresholds": dict(meta.thresholds),
            "temperature": meta.temperature,
            "metrics": meta.metrics,
            "created": meta.created,
            "package_version": meta.package_version,
            "fusion": self.fusion is not None,
            "precision": self.precision,
            "runtime": self.runtime,
            "max_length": meta.max_length,
            "item_windows": meta.item_windows,
        }

    # ------------------------------------------------------------- load and save
    @classmethod
    def from_pretrained(
        cls,
        path: str | Path,
        *,
        precision: Precision = "auto",
        num_threads: int | None = None,
        runtime: str = "torch",
    ) -> RiskClassifier:
        """Load a saved classifier from a local directory (never from the network).

        ``precision`` picks how the encoder runs; the directory itself is untouched:
        ``"fp32"``; ``"bf16"`` (autocast, about 2.5x faster on CPUs with AVX512-BF16/AMX);
        ``"int8"`` (dynamic quantisation of the linear layers); ``"auto"`` uses the model's
        saved setting, where "auto" means bf16 when the CPU supports it and fp32 otherwise.
        ``num_threads`` sets torch's intra-op threads. BERT classifiers load through the
        plain-torch path (``model.encoder``, ``model.tokenizer``, ``model.lexical``: same
        outputs, no transformers or scikit-learn import); other directories through transformers.
        ``runtime="onnx"`` runs the encoder with ONNX Runtime instead (``model.runtime_onnx``:
        exported from the weights and cached per user on first use; ``precision`` is then fp32);
        ``runtime="openvino"`` compiles that export with OpenVINO (bf16 where the CPU has it).
        """
        directory = Path(path)
        if not directory.is_dir():
            raise FileNotFoundError(
                f"{directory}: model directory not found; pass a directory written by "
                f"`risklens train` (or omit --model to use the shipped default)."
            )
        meta = ModelMeta.load(directory)
        if num_threads:
            torch.set_num_threads(num_threads)
        wanted = cast(Precision, meta.precision) if precision == "auto" else precision
        resolved = ("bf16" if bf16_supported() else "fp32") if wanted == "auto" else wanted
        engine = check_runtime(runtime)
        model: Any
        if engine == "openvino":
            from risklens.model import runtime_openvino

            model, tokenizer, resolved = runtime_openvino.network_on(directory, num_threads)
        elif engine != "torch":
            from risklens.model.runtime_onnx import network_on

            model, tokenizer, resolved = network_on(directory, engine, num_threads)
        else:
            model, tokenizer = _load_network(directory, bf16_linear=resolved == "bf16")
        id2label = [model.config.id2label[i] for i in range(model.config.num_labels)]
        if tuple(id2label) != LABELS:
            raise ValueError(
                f"{directory}: config.json id2label is not the 30 taxonomy leaves in order; "
                f"retrain the model with `risklens train`."
            )
        fusion = None
        if meta.fusion:
            from risklens.model.fusion import FusionHead

            fusion = FusionHead.load(directory)
        classifier = cls(model, tokenizer, meta, fusion)
        classifier.path = directory
        classifier.runtime = engine
        if engine == "torch":
            classifier.set_precision(cast(Precision, resolved))
        else:
            classifier.precision = resolved
        return classifier

    def set_precision(self, precision: Precision) -> None:
        """Switch how the encoder runs (see ``from_pretrained``); int8 cannot be undone."""
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}.")
        if self.runtime != "torch":
            raise ValueError(f"this classifier runs on {self.runtime}; load it with runtime='torch' to change precision.")
        if precision == "auto":
            precision = "bf16" if bf16_supported() else "fp32"
        if self.precision == "int8" and precision != "int8":
            raise ValueError("this classifier was quantised to int8; load it again for another precision.")
        if precision != "bf16" and isinstance(self.model, BertClassifier):
            self.model.restore_fp32()  # linear weights kept in bf16 for autocast: back to the file's values
        if precision == "int8" and self.precision != "int8":
            from torch.ao.quantization import quantize_dynamic

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.model = quantize_dynamic(self.model, {torch.nn.Linear}, dtype=torch.qint8)
        self.precision = precision

    def save_pretrained(self, path: str | Path, *, dtype: Literal["float16", "float32"] = "float16") -> Path:
        """Write the HF directory (config, safetensors, tokenizer) plus ``risklens.json``.

        Weights are stored as ``dtype`` (fp16 halves the size); loading upcasts them to fp32,
        or straight to bf16 for the linear layers of an encoder that runs under bf16 autocast.
        """
        from safetensors.torch import save_file

        if self.precision == "int8" or self.runtime != "torch":
            raise ValueError(f"cannot save a {self.runtime} {self.precision} classifier; load it with "
                             f"runtime='torch' and precision='fp32' and save that.")
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        torch_dtype = torch.float16 if dtype == "float16" else torch.float32
        if isinstance(self.model, BertClassifier):
            self.model.restore_fp32()  # save the file's weights, not their bf16 inference copy
            self.model.save_config(directory, self.labels)
        else:
            config: Any = self.model.config
            config.problem_type = "multi_label_classification"
            config.id2label = dict(enumerate(self.labels))
            config.label2id = {label: i for i, label in enumerate(self.labels)}
            config.save_pretrained(str(directory))
        state = {
            name: tensor.detach().to(torch_dtype).contiguous()
            if tensor.is_floating_point()
            else tensor.detach().contiguous()
            for name, tensor in self.model.state_dict().items()
        }
        save_file(state, str(directory / WEIGHTS_FILE), metadata={"format": "pt"})
        self.tokenizer.save_pretrained(str(directory))
        self.meta.weights_dtype = dtype
        self.meta.fusion = self.fusion is not None
        if self.fusion is not None:
            self.fusion.save(directory)
        else:
            from risklens.model.fusion import FUSION_FILE

            (directory / FUSION_FILE).unlink(missing_ok=True)  # a stale head must not linger
        self.meta.save(directory)
        return directory

    # ---------------------------------------------------------------- inference
    def encoder_logits(
        self,
        paragraphs: Iterable[object],
        *,
        batch_size: int = 32,
        use_headings: bool = True,
        progress: Progress | None = None,
    ) -> np.ndarray:
        """Raw pooled encoder logits (n, 30), before temperature scaling."""
        items = as_paragraphs(paragraphs)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}.")
        if not items:
            return np.zeros((0, len(self.labels)))
        windows = self.windows(items, use_headings=use_headings)

        def forward(batch: dict[str, torch.Tensor]) -> np.ndarray:
            return self.model(**batch).logits.float().numpy()

        bf16 = self.precision == "bf16"
        with self._lock, torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            was_training = self.model.training
            self.model.eval()
            try:
                window_logits = self.window_logits(windows, forward, batch_size=batch_size, progress=progress)
            finally:
                self.model.train(was_training)
        owners = np.array([w.paragraph for w in windows], dtype=np.int64)
        return pool_numpy(window_logits, owners, len(items), self.meta.window_pooling)

    def windows(self, paragraphs: Sequence[Paragraph], *, use_headings: bool = True) -> list[Window]:
        """The encoder windows of ``paragraphs`` as this model reads them: the window length,
        stride, heading length and item windows of its ``risklens.json``, in one place."""
        meta = self.meta
        return make_windows(self.tokenizer, paragraphs, max_length=meta.max_length, stride=meta.stride,
                            max_heading_chars=meta.max_heading_chars, use_headings=use_headings,
                            item_windows=meta.item_windows)

    def window_logits(
        self,
        windows: Sequence[Window],
        forward: Callable[[dict[str, torch.Tensor]], np.ndarray],
        *,
        batch_size: int = 32,
        progress: Progress | None = None,
    ) -> np.ndarray:
        """What ``forward`` returns for each of ``windows`` (w, k; the 30 logits for the encoder's
        own forward), run in length-sorted padded batches.

        This is how ``encoder_logits`` runs the encoder (short windows batch together, so little
        is padding); ``experiments/speed_probes.py`` passes other forwards (ONNX, int8) to time them
        on exactly the same batches, and ``experiments/nonrisk_gate.py`` one that also returns the
        pooled vector the classifier reads.
        """
        order = sorted(range(len(windows)), key=lambda i: len(windows[i].input_ids))
        logits = np.zeros((len(windows), len(self.labels)), dtype=np.float64)
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            batch = collate([windows[i] for i in chunk], self._pad_id, token_types=self._token_types,
                            pad_to_multiple_of=PAD_TO_MULTIPLE_OF)
            out = forward(batch)
            if out.shape[1] != logits.shape[1]:  # a wider forward: the same batches, more columns
                logits = np.zeros((len(windows), out.shape[1]), dtype=np.float64)
            logits[chunk] = out
            if progress is not None:
                progress(min(start + batch_size, len(order)), len(order))
        return logits

    def predict_proba(
        self,
        paragraphs: Iterable[object],
        batch_size: int = 32,
        progress: Progress | None = None,
        *,
        use_headings: bool = True,
        component: Component = "full",
    ) -> np.ndarray:
        """Calibrated probabilities (n, 30) in ``self.labels`` order.

        ``component="encoder"`` skips the fusion head (the temperature-scaled encoder
        alone), which the evaluation uses to show what fusion adds. Identical paragraphs
        (same heading path and text) are scored once and share their row
        (``inputs.distinct``); ``progress`` counts the windows of distinct ones.
        """
        unique, rows = distinct(as_paragraphs(paragraphs))
        logits = self.encoder_logits(
            unique, batch_size=batch_size, use_headings=use_headings, progress=progress
        )
        probs = self.proba_from_logits(logits, unique, use_headings=use_headings, component=component)
        return probs[np.asarray(rows, dtype=np.int64)] if len(rows) else probs

    def proba_from_logits(
        self,
        logits: np.ndarray,
        paragraphs: Sequence[Paragraph],
        *,
        use_headings: bool = True,
        component: Component = "full",
    ) -> np.ndarray:
        """Turn raw encoder logits into calibrated probabilities (temperature, fusion)."""
        scaled = np.asarray(logits, dtype=np.float64) / self.meta.temperature
        if len(scaled) == 0:  # no paragraphs: nothing to fuse (TF-IDF refuses empty input)
            return np.zeros((0, len(self.labels)))
        if component == "encoder" or self.fusion is None:
            return sigmoid(scaled)
        if component != "full":
            raise ValueError(f"component must be 'full' or 'encoder', got {component!r}.")
        return np.asarray(self.fusion.predict_proba(scaled, paragraphs, use_headings=use_headings))

    def decide(self, probs: np.ndarray, component: Component = "full") -> list[list[str]]:
        """Labels per row: leaves at or above the thresholds of ``component``."""
        table = self.meta.encoder_thresholds if component == "encoder" or self.fusion is None else self.meta.thresholds
        return apply_thresholds(probs, self.labels, table)

    def predict(
        self,
        paragraphs: Iterable[object],
        batch_size: int = 32,
        progress: Progress | None = None,
        *,
        use_headings: bool = True,
    ) -> list[Prediction]:
        """Labels and per-leaf scores for each paragraph (str or mapping with "text").

        Mappings may carry "heading" (the heading path) and "id", which is echoed back.
        """
        items = as_paragraphs(paragraphs)
        probs = self.predict_proba(items, batch_size, progress, use_headings=use_headings)
        decided = self.decide(probs)
        return [
            Prediction(
                id=item.id,
                labels=labels,
                scores={label: float(p) for label, p in zip(self.labels, row, strict=True)},
            )
            for item, labels, row in zip(items, decided, probs, strict=True)
        ]


def _load_network(directory: Path, *, bf16_linear: bool) -> tuple[Any, Any]:
    """Encoder and tokenizer: plain torch and ``tokenizers`` (fast to import), else transformers.

    The plain path (``model.encoder``, ``model.tokenizer``) gives the same logits and windows
    as transformers for the BERT classifiers RiskLens trains; anything else it refuses and
    transformers loads it.
    """
    from risklens.model.encoder import UnsupportedEncoder, load_encoder
    from risklens.model.tokenizer import WindowTokenizer

    if (directory / "tokenizer.json").is_file():
        try:
            return load_encoder(directory, bf16_linear=bf16_linear), WindowTokenizer(directory)
        except UnsupportedEncoder:
            pass
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(directory), local_files_only=True)
    model = _load_hf_model(AutoModelForSequenceClassification, directory)
    return model.float().eval(), tokenizer


def _load_hf_model(auto_class: Any, directory: Path) -> Any:
    """Load fp32 weights quietly: no progress bar, no network, warnings kept out of logs."""
    from transformers.utils import logging as hf_logging

    bar_was_on = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return auto_class.from_pretrained(str(directory), local_files_only=True, dtype=torch.float32)
    finally:
        if bar_was_on:
            hf_logging.enable_progress_bar()
