"""Evaluate a classifier against gold labels, beside its baselines, with and without headings.

Rows of the report, per input mode:
- ``risklens``: the shipped pipeline (encoder + fusion head when present, tuned thresholds);
- ``encoder``: the fine-tuned encoder alone (temperature-scaled, its own thresholds), which
  shows what fusion adds;
- ``tfidf``: TF-IDF char 1-3-grams + one-vs-rest LR trained on the same rows, C, class
  weights and per-leaf thresholds tuned on dev (saved beside the model as ``tfidf.*``);
- ``rules``: the silver rule table applied directly (heading alone with headings; body
  text in text-only mode, the only thing it can read there).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from risklens.labels.nearmiss import NearMiss
from risklens.labels.taxonomy import GROUPS, LABEL_INDEX, LABELS, TAXONOMY_VERSION
from risklens.model.classifier import RiskClassifier
from risklens.model.fusion import lexical_text
from risklens.model.tfidf import TfidfOvR
from risklens.training.data import Example, targets_of
from risklens.training.filing_level import filing_level, filing_level_lines
from risklens.training.metrics import (
    bootstrap_indices,
    compare_resampled,
    interval_of,
    multilabel_metrics,
    resampled_f1,
)

MODES = ("heading", "text")
MODE_TITLES = {"heading": "heading + text", "text": "text only"}
SYSTEM_TITLES = {
    "risklens": "RiskLens (shipped pipeline)",
    "encoder": "fine-tuned encoder alone",
    "tfidf": "TF-IDF char 1-3 + OvR LR (tuned on dev)",
    "rules": "silver rule table",
}
CONVENTIONS = (
    "macro-F1 averages leaves with at least one gold positive in the evaluated set; "
    "samples-F1 scores a paragraph with no gold and no predicted label as 1; ECE uses 10 "
    "equal-width bins over all (paragraph, leaf) cells; 95% intervals are percentile bootstraps "
    "over paragraphs (systems compared on the same resamples)."
)


def rule_predictions(examples: Sequence[Example], use_headings: bool) -> np.ndarray:
    """The rule baseline: heading rules with headings, body-text rules without."""
    from risklens.labels.silver import RuleLabeller

    out = np.zeros((len(examples), len(LABELS)))
    if use_headings:
        labeller = RuleLabeller(mode="heading")
        found = [labeller.predict(e.heading, "") for e in examples]
    else:
        labeller = RuleLabeller(mode="heading+text")
        found = [labeller.predict("", e.text) for e in examples]
    for i, labels in enumerate(found):
        for label in labels:
            out[i, LABEL_INDEX[label]] = 1.0
    return out


def evaluate_examples(
    classifier: RiskClassifier,
    examples: Sequence[Example],
    *,
    batch_size: int = 32,
    tfidf: TfidfOvR | None = None,
    data_name: str = "",
    resamples: int = 1000,
    compare: Mapping[str, RiskClassifier] | None = None,
    near_miss: Sequence[NearMiss] | None = None,
) -> dict[str, Any]:
    """Metrics of the classifier, the encoder alone and both baselines, in both modes.

    With ``resamples`` > 0 every system gets a bootstrap interval (``ci95``) and the shipped
    pipeline a paired comparison with each other system (``vs``), so a gap of a point or
    two on a small test split is not read as a win it may not be. ``compare`` adds other
    models' full pipelines as systems ``model:NAME`` — the paired bootstrap then says how
    often the candidate beats them on the same resamples, which is what a decision to
    replace a shipped model needs.

    ``filing_level`` (per mode) scores the set of leaves each filing discloses, over the
    paragraphs of whole documents (``training.filing_level``); ``near_miss`` paragraphs
    (``labels.nearmiss``) add a per-group confusion report (``training.near_miss``).
    """
    if not examples:
        raise ValueError("evaluation needs at least one labelled paragraph.")
    if resamples < 0:
        raise ValueError(f"resamples must be >= 0 (0 turns the bootstrap off), got {resamples}.")
    targets = targets_of(examples)
    indices = bootstrap_indices(len(examples), resamples) if resamples else None
    lexical = tfidf if tfidf is not None else saved_baseline(classifier)
    modes: dict[str, dict[str, Any]] = {}
    predictions: dict[str, list[list[str]]] = {}
    for mode in MODES:
        use = mode == "heading"
        paragraphs = [e.paragraph(use) for e in examples]
        logits = classifier.encoder_logits(paragraphs, batch_size=batch_size, use_headings=use)
        results: dict[str, Any] = {}
        decided: dict[str, np.ndarray] = {}
        full = classifier.proba_from_logits(logits, paragraphs, use_headings=use)
        full_labels = classifier.decide(full)
        decided["risklens"] = _hot(full_labels)
        results["risklens"] = multilabel_metrics(targets, decided["risklens"], full)
        predictions[mode] = full_labels
        if classifier.fusion is not None:
            enc = classifier.proba_from_logits(logits, paragraphs, use_headings=use, component="encoder")
            decided["encoder"] = _hot(classifier.decide(enc, "encoder"))
            results["encoder"] = multilabel_metrics(targets, decided["encoder"], enc)
        if lexical is not None:
            probs = lexical.predict_proba([lexical_text(p, use) for p in paragraphs])
            decided["tfidf"] = (probs >= lexical.cutoffs()[None, :]).astype(float)
            results["tfidf"] = multilabel_metrics(targets, decided["tfidf"], probs)
        decided["rules"] = rule_predictions(examples, use)
        results["rules"] = multilabel_metrics(targets, decided["rules"])
        for name, other in (compare or {}).items():
            probs = other.predict_proba(paragraphs, batch_size=batch_size, use_headings=use)
            decided[f"model:{name}"] = _hot(other.decide(probs))
            results[f"model:{name}"] = multilabel_metrics(targets, decided[f"model:{name}"], probs)
        if indices is not None:
            resampled = {name: resampled_f1(targets, hot, indices) for name, hot in decided.items()}
            for name, scores in resampled.items():
                results[name]["ci95"] = interval_of(scores)
            results["risklens"]["vs"] = {
                name: compare_resampled(resampled["risklens"], scores)
                for name, scores in resampled.items() if name != "risklens"
            }
        modes[mode] = results
    info = classifier.info()
    filings = {mode: filing_level(examples, labels) for mode, labels in predictions.items()}
    report: dict[str, Any] = {
        "taxonomy_version": TAXONOMY_VERSION,
        "data": data_name,
        "n": len(examples),
        "model": {k: info[k] for k in ("name", "version", "base_model", "created", "fusion", "precision")},
        "conventions": CONVENTIONS,
        "modes": modes,
        "errors": _errors(examples, predictions),
    }
    if any(f["filings"] for f in filings.values()):
        report["filing_level"] = filings
    if near_miss:
        from risklens.training.near_miss import predict_near_miss, summarize

        report["near_miss"] = summarize(near_miss, predict_near_miss(classifier, near_miss, batch_size=batch_size))
    return report


def saved_baseline(classifier: RiskClassifier) -> TfidfOvR | None:
    """The TF-IDF baseline saved beside the model (or the fusion head's lexical part)."""
    if classifier.path is not None and (classifier.path / "tfidf.json").is_file():
        return TfidfOvR.load(classifier.path)
    return classifier.fusion.tfidf if classifier.fusion is not None else None


def _hot(labels: list[list[str]]) -> np.ndarray:
    out = np.zeros((len(labels), len(LABELS)))
    for i, row in enumerate(labels):
        for label in row:
            out[i, LABEL_INDEX[label]] = 1.0
    return out


def _errors(examples: Sequence[Example], predictions: dict[str, list[list[str]]], limit: int = 40) -> list[dict[str, Any]]:
    """The paragraphs the shipped pipeline gets wrong with headings (ids and label sets only)."""
    out = []
    for example, predicted in zip(examples, predictions.get("heading", []), strict=False):
        if set(predicted) != set(example.labels):
            out.append({"id": example.id, "gold": list(example.labels), "predicted": predicted})
    return out[:limit]


def write_report(report: dict[str, Any], stem: Path) -> tuple[Path, Path]:
    """Write ``<stem>.json`` and ``<stem>.md``; returns both paths."""
    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    json_path = stem.with_name(stem.name + ".json")
    md_path = stem.with_name(stem.name + ".md")
    json_path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", "utf-8")
    md_path.write_text(to_markdown(report), "utf-8")
    return json_path, md_path


def to_markdown(report: dict[str, Any]) -> str:
    """Headline table, per-leaf and per-group tables for a report of ``evaluate_examples``."""
    lines = [f"# Evaluation: {report['model']['name']} {report['model']['version']}", ""]
    lines.append(f"{report['n']} labelled paragraphs{' from ' + report['data'] if report['data'] else ''}; "
                 f"{report['taxonomy_version']}. {report['conventions']}")
    lines += ["", "## Headline", "",
              "| mode | system | micro-F1 | macro-F1 | samples-F1 | exact match | group micro-F1 | ECE | TP / FP / FN |",
              "|---|---|---|---|---|---|---|---|---|"]
    for mode, systems in report["modes"].items():
        for name, m in systems.items():
            ece = f"{m['ece']:.3f}" if "ece" in m else "—"
            lines.append(
                f"| {MODE_TITLES[mode]} | {SYSTEM_TITLES.get(name, name)} | {m['micro_f1']:.3f} | {m['macro_f1']:.3f} | "
                f"{m['samples_f1']:.3f} | {m['exact_match']:.3f} | {m['group_micro_f1']:.3f} | {ece} | "
                f"{m['tp']} / {m['fp']} / {m['fn']} |"
            )
    lines += uncertainty_lines(report)
    for mode, systems in report["modes"].items():
        names = list(systems)
        lines += ["", f"## Per leaf, {MODE_TITLES[mode]}", "",
                  "| leaf | support | P | R | F1 | " + " | ".join(f"F1 {n}" for n in names[1:]) + " |",
                  "|---|---|---|---|---|" + "---|" * (len(names) - 1)]
        main = systems[names[0]]["per_label"]
        for label in LABELS:
            row = main[label]
            others = " | ".join(f"{systems[n]['per_label'][label]['f1']:.2f}" for n in names[1:])
            lines.append(f"| {label} | {row['support']} | {row['precision']:.2f} | {row['recall']:.2f} | "
                         f"{row['f1']:.2f} | {others} |")
        lines += ["", f"### Per group, {MODE_TITLES[mode]}", "",
                  "| group | support | " + " | ".join(f"F1 {n}" for n in names) + " |",
                  "|---|---|" + "---|" * len(names)]
        for group in GROUPS:
            support = systems[names[0]]["per_group"][group]["support"]
            cells = " | ".join(f"{systems[n]['per_group'][group]['f1']:.2f}" for n in names)
            lines.append(f"| {group} | {support} | {cells} |")
    lines += filing_level_lines(report.get("filing_level") or {}, MODE_TITLES)
    if report.get("near_miss"):
        from risklens.training.near_miss import near_miss_lines

        lines += near_miss_lines(report["near_miss"], MODE_TITLES)
    return "\n".join(lines) + "\n"


def uncertainty_lines(report: dict[str, Any]) -> list[str]:
    """Markdown: bootstrap intervals per system and the paired comparisons of the pipeline."""
    first = next(iter(report["modes"].values()))
    if "ci95" not in first.get("risklens", {}):
        return []
    lines = ["", "## How sure", "", "| mode | system | micro-F1 (95% CI) | macro-F1 (95% CI) | "
             "RiskLens − system, micro (95% CI) | share of resamples RiskLens is ahead, micro / macro |",
             "|---|---|---|---|---|---|"]
    for mode, systems in report["modes"].items():
        vs = systems["risklens"].get("vs", {})
        for name, m in systems.items():
            lo, hi = m["ci95"]["micro_f1"]
            mlo, mhi = m["ci95"]["macro_f1"]
            cmp = vs.get(name)
            diff = f"{cmp['micro_f1_diff'][0]:+.3f} … {cmp['micro_f1_diff'][1]:+.3f}" if cmp else "—"
            share = f"{cmp['micro_f1_share_better']:.2f} / {cmp['macro_f1_share_better']:.2f}" if cmp else "—"
            lines.append(f"| {MODE_TITLES[mode]} | {SYSTEM_TITLES.get(name, name)} | {m['micro_f1']:.3f} "
                         f"({lo:.3f}–{hi:.3f}) | {m['macro_f1']:.3f} ({mlo:.3f}–{mhi:.3f}) | {diff} | {share} |")
    return lines
