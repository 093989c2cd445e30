"""Encoder speed tricks that were measured and not adopted, re-measurable with one command.

    python experiments/speed_probes.py --data runs/data/test.jsonl [--model model/default]
        [--repeats 4] [--onnx-dir runs/onnx]

The shipped path (``RiskClassifier.encoder_logits`` under bf16 autocast) is timed against
variants on the same windows, interleaved in one process so that drift of a shared host
hits every variant alike; the median of ``--repeats`` passes is reported with each
variant's largest deviation in logits from fp32:

- ``bf16-weights``: weights cast to bf16 instead of autocast over fp32 weights;
- ``eager-attention``: the plain attention implementation instead of SDPA;
- ``torch-compile``: ``torch.compile(dynamic=True)`` (its compile time reported apart);
- ``onnx-fp32``, ``onnx-optimized``, ``onnx-int8``: ONNX Runtime on the exported model,
  after its BERT graph fusions, and dynamically quantised (per-channel int8 weights).
  These need ``pip install onnxruntime onnx`` (not project dependencies); without them the
  ONNX rows are skipped with a note.

Measured 2026-11-30 (AMD EPYC, AVX512-BF16, no AMX, 2 threads, 256 test paragraphs): see
the "Speed" section of ``model/default/README.md``. None beat the shipped path by enough to
pay for its cost (compile time, accuracy or a new runtime), so ``predict`` stays as it is.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from risklens.model.classifier import RiskClassifier
from risklens.model.inputs import as_paragraphs

Runner = Callable[[], np.ndarray]


def batched_runner(clf: RiskClassifier, windows: list, forward: Callable[[dict[str, torch.Tensor]], np.ndarray]) -> Runner:
    """Logits of every window through ``forward``, batched exactly as ``predict`` does."""
    return lambda: clf.window_logits(windows, forward)


def window_runner(clf: RiskClassifier, model: object, windows: list, *, autocast: bool) -> Runner:
    """A torch module (plain or compiled) under inference mode, with or without bf16 autocast."""

    def forward(batch: dict[str, torch.Tensor]) -> np.ndarray:
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            return model(**batch).logits.float().numpy()  # type: ignore[operator]

    return batched_runner(clf, windows, forward)


def interleaved_medians(runners: dict[str, Runner], repeats: int) -> dict[str, float]:
    """Median seconds of each runner over ``repeats`` rounds that run every variant in turn.

    Interleaving spreads the drift of a shared host over all variants alike.
    """
    times: dict[str, list[float]] = {name: [] for name in runners}
    for _ in range(repeats):
        for name, run in runners.items():
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def onnx_runners(clf: RiskClassifier, windows: list, directory: Path) -> dict[str, Runner]:
    """ONNX Runtime sessions for the exported model (fp32, fused graph, int8); {} without ORT."""
    try:
        import onnxruntime as ort
        from onnxruntime.quantization import QuantType, quantize_dynamic
        from onnxruntime.transformers import optimizer
    except ImportError:
        print("onnxruntime is not installed: ONNX variants skipped (pip install onnxruntime onnx)")
        return {}
    directory.mkdir(parents=True, exist_ok=True)
    plain = directory / "model.onnx"
    dummy = {name: torch.ones(2, 16, dtype=torch.long) for name in ("input_ids", "attention_mask", "token_type_ids")}
    axes = {name: {0: "batch", 1: "sequence"} for name in dummy}
    torch.onnx.export(clf.model, (), str(plain), kwargs=dummy, input_names=list(dummy), output_names=["logits"],
                      dynamic_axes=axes, opset_version=17, dynamo=False)
    fused = directory / "model-optimized.onnx"
    config = clf.model.config
    optimizer.optimize_model(str(plain), model_type="bert", num_heads=config.num_attention_heads,
                             hidden_size=config.hidden_size).save_model_to_file(str(fused))
    int8 = directory / "model-int8.onnx"
    quantize_dynamic(str(plain), str(int8), weight_type=QuantType.QInt8, per_channel=True)
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()

    def runner(path: Path) -> Runner:
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        return batched_runner(clf, windows, lambda batch: session.run(None, {k: v.numpy() for k, v in batch.items()})[0])

    return {"onnx-fp32": runner(plain), "onnx-optimized": runner(fused), "onnx-int8": runner(int8)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="TAXONOMY.md JSONL paragraphs")
    parser.add_argument("--model", type=Path, default=Path("model/default"))
    parser.add_argument("--limit", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--onnx-dir", type=Path, default=Path("runs/onnx"))
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.data.read_text("utf-8").splitlines() if line.strip()][: args.limit]
    paragraphs = as_paragraphs([{"text": r["text"], "heading": r.get("heading", "")} for r in rows])
    torch.set_num_threads(2)

    def load() -> RiskClassifier:
        return RiskClassifier.from_pretrained(args.model, precision="fp32")

    base = load()
    windows = base.windows(paragraphs)
    runners: dict[str, Runner] = {"shipped (bf16 autocast)": window_runner(base, base.model, windows, autocast=True)}
    reference = window_runner(base, base.model, windows, autocast=False)()
    cast = load()
    cast.model.to(torch.bfloat16)
    runners["bf16-weights"] = window_runner(cast, cast.model, windows, autocast=False)
    eager = load()
    eager.model.set_attn_implementation("eager")
    runners["eager-attention"] = window_runner(eager, eager.model, windows, autocast=True)
    compiled = load()
    graph = torch.compile(compiled.model, dynamic=True)
    started = time.perf_counter()
    window_runner(compiled, graph, windows, autocast=True)()
    compile_seconds = time.perf_counter() - started
    runners["torch-compile"] = window_runner(compiled, graph, windows, autocast=True)
    runners.update(onnx_runners(base, windows, args.onnx_dir))

    deviation: dict[str, float] = {}
    for name, run in runners.items():  # warm-up, and the deviation from fp32
        deviation[name] = float(np.abs(run() - reference).max())
    medians = interleaved_medians(runners, args.repeats)
    shipped = medians["shipped (bf16 autocast)"]
    print(f"{len(paragraphs)} paragraphs, {len(windows)} windows, {sum(len(w.input_ids) for w in windows)} tokens; "
          f"median of {args.repeats} interleaved passes; torch.compile took {compile_seconds:.0f} s before its first pass")
    print("| variant | median s | paragraphs/s | vs shipped | max |logit − fp32| |")
    print("|---|---|---|---|---|")
    for name, median in medians.items():
        print(f"| {name} | {median:.2f} | {len(paragraphs) / median:.1f} | {shipped / median:.2f}× | {deviation[name]:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
