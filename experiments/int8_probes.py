"""Dynamic int8 variants of the shipped encoder: speed and F1 on dev and test, in one run.

    python experiments/int8_probes.py --dev runs/data/dev.jsonl --test runs/data/test.jsonl
        [--train runs/data/train.jsonl] [--model model/default] [--repeats 4]

The benchmark allows int8 if accuracy drops at most 0.5 point. ``--precision int8``
(per-tensor dynamic quantisation of every linear layer) is the fastest variant but loses
more than that, so this script measures the usual remedies side by side with the shipped
bf16 path, each scored through the full ``predict`` (temperature, fusion, thresholds):

- ``int8-per-tensor``: what ``--precision int8`` does;
- ``int8-per-channel``: int8 weights with one scale per output channel;
- ``int8-pc, FFN-out fp32`` / ``bf16``: every linear layer in int8 except the twelve FFN
  output projections, whose GELU inputs carry the outlier channels that one activation
  scale per batch cannot hold; the kept layers run in fp32 or under bf16 autocast;
- ``smoothquant 0.8``: per-input-channel scales (activation max^0.8 / weight max^0.2,
  measured on 400 ``--train`` paragraphs) move activation outliers into the weights before
  per-channel quantisation (Xiao et al. 2023). BERT's LayerNorms feed the residual stream,
  so the scales cannot be folded into them and run as an extra multiply.

Speed is the median of ``--repeats`` interleaved passes of the encoder alone over the test
windows (length-sorted batches of 32, as ``predict`` does). Dev is where thresholds and the
fusion head were fitted, so a drop there is the cleaner measure of what quantisation costs;
test (256 paragraphs) moves by about a point from one or two flips.
Measured 2026-11-30: see the "Speed" section of ``model/default/README.md``.
"""

from __future__ import annotations

import argparse
import copy
import json
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from speed_probes import interleaved_medians, window_runner
from torch.ao.quantization import (
    default_dynamic_qconfig,
    per_channel_dynamic_qconfig,
    quantize_dynamic,
)

from risklens.labels.taxonomy import LABEL_INDEX
from risklens.model.benchmark import micro_macro
from risklens.model.classifier import RiskClassifier
from risklens.model.inputs import as_paragraphs

FFN_OUT = tuple(f"layer.{i}.output.dense" for i in range(64))


class FloatInput(torch.nn.Module):
    """A quantised linear layer that accepts bf16 input (autocast) and optional input scales."""

    def __init__(self, inner: torch.nn.Module, inverse_scale: torch.Tensor | None = None) -> None:
        super().__init__()
        self.inner = inner
        self.inverse_scale = inverse_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float()
        return self.inner(x if self.inverse_scale is None else x * self.inverse_scale)


def encoder_linears(model: torch.nn.Module, keep: Iterable[str] = ()) -> list[str]:
    """Names of the encoder's linear layers, minus those ending in one of ``keep``."""
    keep = tuple(keep)
    return [name for name, module in model.named_modules()
            if isinstance(module, torch.nn.Linear) and ".encoder." in name and not name.endswith(keep)]


def linear(model: torch.nn.Module, name: str) -> torch.nn.Linear:
    """The ``torch.nn.Linear`` called ``name`` inside ``model`` (typed, for its weight)."""
    module = model.get_submodule(name)
    assert isinstance(module, torch.nn.Linear), name
    return module


def quantised(model: torch.nn.Module, *, per_channel: bool, keep: Iterable[str] = (), wrap: bool = False,
              scales: dict[str, torch.Tensor] | None = None) -> torch.nn.Module:
    """A copy of ``model`` with its encoder linears (minus ``keep``) dynamically quantised to int8."""
    model = copy.deepcopy(model)
    names = encoder_linears(model, keep)
    if scales:
        with torch.no_grad():
            for name in names:
                linear(model, name).weight.mul_(scales[name])
    qconfig = per_channel_dynamic_qconfig if per_channel else default_dynamic_qconfig
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = quantize_dynamic(model, dict.fromkeys(names, qconfig), dtype=torch.qint8)
    if wrap or scales:
        for name in names:
            parent_name, _, leaf = name.rpartition(".")
            parent = model.get_submodule(parent_name)
            inverse = 1.0 / scales[name] if scales else None
            setattr(parent, leaf, FloatInput(getattr(parent, leaf), inverse))
    return model


def smoothing_scales(clf: RiskClassifier, paragraphs: list[dict[str, Any]], alpha: float) -> dict[str, torch.Tensor]:
    """SmoothQuant's per-input-channel scales for every encoder linear, from ``paragraphs``."""
    names = encoder_linears(clf.model)
    seen: dict[str, torch.Tensor] = {}
    hooks = []
    for name in names:
        def record(module: torch.nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor, name: str = name) -> None:
            peak = inputs[0].detach().abs().reshape(-1, inputs[0].shape[-1]).amax(0).float()
            seen[name] = torch.maximum(seen[name], peak) if name in seen else peak
        hooks.append(clf.model.get_submodule(name).register_forward_hook(record))
    try:
        clf.encoder_logits(paragraphs)
    finally:
        for hook in hooks:
            hook.remove()
    scales = {}
    for name in names:
        weight_peak = linear(clf.model, name).weight.detach().abs().amax(0).clamp(min=1e-5)
        scales[name] = (seen[name].clamp(min=1e-5) ** alpha / weight_peak ** (1 - alpha)).clamp(min=1e-5)
    return scales


def scores(clf: RiskClassifier, rows: list[dict[str, Any]], *, headings: bool) -> dict[str, float]:
    """Micro/macro-F1 of ``clf.predict`` on labelled rows."""
    gold = np.zeros((len(rows), len(clf.labels)))
    pred = np.zeros_like(gold)
    for i, (row, out) in enumerate(zip(rows, clf.predict(rows, use_headings=headings), strict=True)):
        gold[i, [LABEL_INDEX[label] for label in row["labels"]]] = 1
        pred[i, [LABEL_INDEX[label] for label in out.labels]] = 1
    return micro_macro(gold, pred)


def read(path: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return [{"text": r["text"], "heading": r.get("heading", ""), "labels": r.get("labels", [])} for r in rows]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dev", type=Path, required=True, help="labelled dev paragraphs (TAXONOMY.md JSONL)")
    parser.add_argument("--test", type=Path, required=True, help="labelled test paragraphs (TAXONOMY.md JSONL)")
    parser.add_argument("--train", type=Path, default=None,
                        help="paragraphs for SmoothQuant's activation statistics (default: every 2nd dev row)")
    parser.add_argument("--model", type=Path, default=Path("model/default"))
    parser.add_argument("--repeats", type=int, default=4)
    args = parser.parse_args()
    torch.set_num_threads(2)
    dev, test = read(args.dev), read(args.test)
    calibration = read(args.train)[::6][:400] if args.train else dev[::2]
    clf = RiskClassifier.from_pretrained(args.model, precision="fp32")
    fp32 = clf.model
    scales = smoothing_scales(clf, calibration, 0.8)
    variants: dict[str, tuple[torch.nn.Module, str]] = {
        "bf16 autocast (shipped default)": (fp32, "bf16"),
        "int8-per-tensor (--precision int8)": (quantised(fp32, per_channel=False), "fp32"),
        "int8-per-channel": (quantised(fp32, per_channel=True), "fp32"),
        "int8-pc, FFN-out fp32": (quantised(fp32, per_channel=True, keep=FFN_OUT), "fp32"),
        "int8-pc, FFN-out bf16": (quantised(fp32, per_channel=True, keep=FFN_OUT, wrap=True), "bf16"),
        "smoothquant 0.8, bf16 rest": (quantised(fp32, per_channel=True, scales=scales), "bf16"),
    }
    windows = clf.windows(as_paragraphs(test))
    results: dict[str, dict[str, Any]] = {}
    runners: dict[str, Callable[[], np.ndarray]] = {}
    for name, (model, precision) in variants.items():
        clf.model, clf.precision = model, precision
        results[name] = {f"{split} {mode}": scores(clf, rows, headings=mode == "heading")
                         for split, rows in (("dev", dev), ("test", test)) for mode in ("heading", "text")}
        runners[name] = window_runner(clf, model, windows, autocast=precision == "bf16")
        runners[name]()  # warm-up
    medians = interleaved_medians(runners, args.repeats)
    shipped = medians["bf16 autocast (shipped default)"]
    print(f"{len(test)} test paragraphs, {len(windows)} windows; median of {args.repeats} interleaved passes")
    print("| variant | paragraphs/s | vs bf16 | dev micro/macro heading | dev text | test heading | test text |")
    print("|---|---|---|---|---|---|---|")
    for name, median in medians.items():
        cells = [f"{r['micro_f1']:.3f} / {r['macro_f1']:.3f}" for r in results[name].values()]
        print(f"| {name} | {len(test) / median:.1f} | {shipped / median:.2f}× | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
