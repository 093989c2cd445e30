"""The model card (``README.md`` inside a saved model): data, command, metrics, weaknesses.

Written at the end of a training run from the config, the dataset summary, the dev history
and the test report, so the numbers in the card are the numbers the run measured.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from risklens.model.meta import ModelMeta
from risklens.training.config import TrainConfig
from risklens.training.data import Splits
from risklens.training.evaluate import MODE_TITLES, SYSTEM_TITLES, uncertainty_lines
from risklens.training.filing_level import filing_level_lines
from risklens.training.near_miss import near_miss_lines

CARD_FILE = "README.md"


def training_command(config: TrainConfig) -> str:
    """The ``risklens train`` command that reproduces ``config``.

    Options that differ from the defaults are named; they are all in the
    ``training_config.json`` saved beside the model, which ``--config`` reads back. The
    folders appear by name only: the card travels with the model, machine paths do not.
    """
    defaults = TrainConfig(data=config.data, base_model=config.base_model, out=config.out).to_dict()
    changed = {k: v for k, v in config.to_dict().items() if defaults.get(k) != v}
    data, base, out = (Path(p).name for p in (config.data, config.base_model, config.out))
    command = f"risklens train --data {data} --base-model {base} --out {out}"
    if changed:
        command += " --config training_config.json\n# non-default options: " + json.dumps(changed, ensure_ascii=False)
    return command


def render_card(
    meta: ModelMeta,
    config: TrainConfig,
    splits: Splits,
    report: dict[str, Any] | None,
    command: str,
    benchmark: dict[str, Any] | None = None,
) -> str:
    """Markdown model card."""
    lines = [
        f"# {meta.name} {meta.version}",
        "",
        "Multi-label tagger of Chinese risk-disclosure paragraphs (A-share filings) for the 30 leaves "
        f"of {meta.taxonomy_version}. Input: a paragraph's heading path and text (text alone works too); "
        "output: calibrated probabilities for every leaf and the leaves above their tuned thresholds.",
        "",
        "## Model",
        "",
        f"- Encoder: fine-tuned `{meta.base_model}`, windows of {meta.max_length} tokens with "
        f"{meta.stride}-token overlap, {meta.window_pooling}-pooled per paragraph"
        + ("; a paragraph that only lists named risks is also read item by item (`item_windows`)" if meta.item_windows else "")
        + "; weights stored as "
        f"{meta.weights_dtype} safetensors (upcast to fp32 at load). Plain "
        "`AutoModelForSequenceClassification.from_pretrained(dir)` loads it (multi-label, id2label = the 30 leaves).",
        f"- Calibration on dev: temperature {meta.temperature:.3f}; per-leaf thresholds shrunk toward 0.5.",
    ]
    fusion = meta.metrics.get("fusion_weights") or {}
    if meta.fusion:
        weights = ", ".join(f"{k} {v:+.2f}" for k, v in fusion.items())
        lines.append(
            "- Fusion head (`fusion.json`, `tfidf.*`): a logistic regression over the encoder logit, a "
            "TF-IDF char 1-3-gram logit and the heading rule table, fitted on dev; weights: " + weights + "."
        )
    lines += ["", "## Data", "", "| split | " + " | ".join(("gold", "silver", "synthetic")) + " |", "|---|---|---|---|"]
    summary = splits.summary()
    for split in ("train", "dev", "test"):
        counts = summary.get(split, {})
        lines.append(f"| {split} | " + " | ".join(str(counts.get(k, 0)) for k in ("gold", "silver", "synthetic")) + " |")
    lines += [
        "",
        "Gold: paragraphs labelled by hand with TAXONOMY.md, split by filing. Silver: heading-rule labels "
        f"(train only, loss weight {config.silver_weight}, {config.silver_per_epoch} sampled per epoch). "
        "Synthetic: hand-written paragraphs for leaves the corpus barely has (never in test).",
        "",
        "## Training",
        "",
        "```",
        command,
        "```",
        "",
        f"Best epoch {meta.metrics.get('best_epoch')} (gold dev macro-F1, mean of with/without headings). "
        "Full options: `training_config.json`.",
    ]
    history = meta.metrics.get("dev_history") or []
    if history:
        minutes = sum(float(h.get("seconds") or 0) for h in history) / 60
        lines += ["", f"Fine-tuning took {minutes:.0f} minutes over {len(history)} epochs on this 2-core "
                      "machine (calibration, the TF-IDF baseline and the test report add a few more)."]
        lines += ["", "| epoch | loss | dev macro-F1 heading | dev macro-F1 text | dev micro-F1 heading | dev micro-F1 text | s |",
                  "|---|---|---|---|---|---|---|"]
        for h in history:
            lines.append(f"| {h['epoch']} | {h['loss']} | {h['macro_heading']} | {h['macro_text']} | "
                         f"{h['micro_heading']} | {h['micro_text']} | {h['seconds']} |")
    if report:
        lines += ["", f"## Test metrics ({report['n']} gold paragraphs)", "",
                  "| mode | system | micro-F1 | macro-F1 | samples-F1 | exact | ECE |", "|---|---|---|---|---|---|---|"]
        for mode, systems in report["modes"].items():
            for name, m in systems.items():
                ece = f"{m['ece']:.3f}" if "ece" in m else "—"
                lines.append(f"| {MODE_TITLES[mode]} | {SYSTEM_TITLES.get(name, name)} | {m['micro_f1']:.3f} | "
                             f"{m['macro_f1']:.3f} | {m['samples_f1']:.3f} | {m['exact_match']:.3f} | {ece} |")
        lines += ["", report["conventions"]]
        lines += uncertainty_lines(report)
        lines += [line.replace("## ", "### ", 1) if line.startswith("## ") else line
                  for line in filing_level_lines(report.get("filing_level") or {}, MODE_TITLES)]
        if report.get("near_miss"):
            lines += near_miss_lines(report["near_miss"], MODE_TITLES)
        lines += ["", "## Weaknesses", ""]
        lines += weaknesses(report)
    if benchmark:
        lines += ["", "## Speed", "", f"`risklens benchmark predict` on {benchmark.get('paragraphs')} real paragraphs "
                  f"({benchmark.get('threads')} threads):", "",
                  "| variant | paragraphs/s | × pipeline | peak RSS MB | micro-F1 | macro-F1 |", "|---|---|---|---|---|---|"]
        for name, r in benchmark.get("results", {}).items():
            lines.append(f"| {name} | {r['paragraphs_per_s']:.1f} | {r.get('speedup_vs_pipeline', 1.0):.2f} | "
                         f"{r['peak_rss_mb']:.0f} | {r.get('micro_f1', float('nan')):.3f} | {r.get('macro_f1', float('nan')):.3f} |")
    lines += [
        "",
        "## Limits",
        "",
        "- Trained on A-share prospectus-style risk factors; other document types (annual reports, bond "
        "prospectuses) are closer to out of domain.",
        "- Leaves with few gold examples (trial goods, data privacy, security terms) rely partly on "
        "synthetic paragraphs; their scores are less reliable than those of common leaves.",
        "- Headings help: text-only input is measurably weaker (see the table).",
    ]
    return "\n".join(lines) + "\n"


def weaknesses(report: dict[str, Any], count: int = 6) -> list[str]:
    """The weakest leaves on test (by F1, with support) in both modes."""
    out = []
    for mode, systems in report["modes"].items():
        per = systems["risklens"]["per_label"]
        present = [(label, m) for label, m in per.items() if m["support"] > 0]
        worst = sorted(present, key=lambda item: item[1]["f1"])[:count]
        items = ", ".join(f"`{label}` F1 {m['f1']:.2f} (support {m['support']})" for label, m in worst)
        out.append(f"- {MODE_TITLES[mode]}: weakest leaves {items}.")
        fp = systems["risklens"]["fp"]
        fn = systems["risklens"]["fn"]
        out.append(f"  {fp} false positives and {fn} misses over the whole test set.")
    return out


def write_card(directory: Path, text: str) -> Path:
    path = Path(directory) / CARD_FILE
    path.write_text(text, "utf-8")
    return path
