"""``train(config)``: fine-tune the encoder, pick the best epoch on gold dev, calibrate, save.

Steps: load the DatasetDict; build ``AutoModelForSequenceClassification`` from the base
model (multi-label, 30 leaves); train on gold (+ synthetic) rows and a rotating sample of
silver rows weighted below gold, with heading dropout and frozen word embeddings; after each
epoch score gold dev with and without headings and keep the best macro-F1 as
``model-best/`` (``model-last/`` is the final epoch); then fit temperature, thresholds and
the fusion head on dev, save both, and evaluate ``model-best`` on the test split.
"""

from __future__ import annotations

import logging
import math
import random
import re
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from risklens.labels.taxonomy import LABELS
from risklens.model.classifier import RiskClassifier, bf16_supported
from risklens.model.fusion import FusionHead
from risklens.model.inputs import Paragraph, make_windows
from risklens.model.meta import META_FILE, ModelMeta
from risklens.model.pooling import collate, pool_tensor
from risklens.training.baselines import fit_tfidf_baseline
from risklens.training.calibrate import calibrate, tune_thresholds
from risklens.training.config import ConfigError, TrainConfig
from risklens.training.data import Example, Splits, load_dataset_dir, targets_of
from risklens.training.metrics import multilabel_metrics

log = logging.getLogger("risklens.train")
StepCallback = Callable[[int, int], None]


@dataclass
class TrainResult:
    """Where the run wrote its models and how it went."""

    out_dir: Path
    best_dir: Path
    last_dir: Path
    best_epoch: int
    epochs_run: int
    seconds: float
    dev_history: list[dict[str, Any]] = field(default_factory=list)
    test_metrics: dict[str, Any] = field(default_factory=dict)


def train(config: TrainConfig, progress: bool | StepCallback = True) -> TrainResult:
    """Run a whole training job described by ``config``; see the module docstring.

    ``progress=True`` shows a progress bar on stderr, ``False`` none, and a callable gets
    ``(step, total_steps)`` after every optimiser step.
    """
    started = time.monotonic()
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    handler = _log_to(out / "train.log")
    try:
        splits = load_dataset_dir(config.data)
        _check_base(Path(config.base_model))
        config.save(out)
        log.info("run %s: base %s, data %s", out, config.base_model, config.data)
        log.info("data: %s", splits.summary())
        return _run(config, splits, out, progress, started)
    finally:
        logging.getLogger("risklens").removeHandler(handler)
        handler.close()


def _run(
    config: TrainConfig, splits: Splits, out: Path, progress: bool | StepCallback, started: float
) -> TrainResult:
    _seed_everything(config.seed)
    torch.set_num_threads(config.num_threads)
    classifier = build_classifier(config)
    model = classifier.model
    if config.train_precision == "bf16" and not bf16_supported():
        log.warning("train_precision bf16: this CPU has no native bf16 (AVX512-BF16/AMX); steps will be slower, not faster")
    gold = [e for e in splits.train if e.kind != "silver"]
    silver = [e for e in splits.train if e.kind == "silver"]
    dev = [e for e in splits.dev if e.kind == "gold"] or list(splits.dev)
    if not gold and not silver:
        raise ConfigError(f"{config.data}: the train split is empty.")
    if not dev:
        raise ConfigError(f"{config.data}: the dev split is empty; checkpoints and thresholds need gold dev data.")
    silver_n = len(silver) if config.silver_per_epoch == -1 else min(config.silver_per_epoch, len(silver))
    if not (Path(config.base_model) / META_FILE).is_file():  # a warm start keeps its trained head
        init_bias_from_prior(model, gold + silver, config)
    steps_per_epoch = math.ceil((len(gold) + silver_n) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    optimizer, scheduler = _optimiser(model, config, total_steps)
    rng = random.Random(config.seed)
    silver_order = list(range(len(silver)))
    rng.shuffle(silver_order)
    bar = _progress_bar(progress, total_steps)
    best_dir, last_dir = out / "model-best", out / "model-last"
    best_score, best_epoch, since_best = -1.0, 0, 0
    history: list[dict[str, Any]] = []
    step = 0
    budget = config.time_budget_minutes * 60
    epochs_run = 0
    recent: deque[dict[str, torch.Tensor]] = deque(maxlen=max(config.average_last, 1))
    for epoch in range(1, config.epochs + 1):
        epoch_start = time.monotonic()
        take = [silver[silver_order[(i + (epoch - 1) * silver_n) % len(silver)]] for i in range(silver_n)] if silver else []
        rows = gold + take
        batches = _length_bucketed_batches(rows, config.batch_size, rng)
        model.train()
        losses = []
        for batch in batches:
            loss = _train_step(classifier, batch, config, rng)
            losses.append(loss)
            torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], config.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            if callable(bar):
                bar(step, total_steps)
            elif bar is not None:
                bar.update(1)
                bar.set_postfix(epoch=epoch, loss=f"{np.mean(losses[-20:]):.4f}")
            if step % 10 == 0:
                log.info("epoch %d step %d/%d loss %.4f (%.2f s/step)", epoch, step, total_steps,
                         float(np.mean(losses[-10:])), (time.monotonic() - epoch_start) / len(losses))
        epochs_run = epoch
        if config.average_last:
            recent.append(_float_state(model))
        scores = dev_scores(classifier, dev, config)
        scores.update(epoch=epoch, loss=round(float(np.mean(losses)), 4),
                      seconds=round(time.monotonic() - epoch_start, 1))
        history.append(scores)
        log.info("epoch %d dev: %s", epoch, {k: v for k, v in scores.items() if k != "per_mode"})
        if scores["score"] > best_score + 1e-6:
            best_score, best_epoch, since_best = scores["score"], epoch, 0
            classifier.save_pretrained(best_dir, dtype=_dtype(config))
            log.info("epoch %d: new best dev macro-F1 %.4f -> %s", epoch, best_score, best_dir)
        else:
            since_best += 1
        elapsed = time.monotonic() - started
        epoch_seconds = time.monotonic() - epoch_start
        if since_best >= config.patience:
            log.info("early stop: no dev gain for %d epochs", since_best)
            break
        if elapsed + epoch_seconds > budget and epoch < config.epochs:
            log.info("time budget: %.0f s used, next epoch (~%.0f s) would exceed %.0f s", elapsed, epoch_seconds, budget)
            break
    if bar is not None and not callable(bar):
        bar.close()
    classifier.save_pretrained(last_dir, dtype=_dtype(config))
    averaged = _try_weight_average(classifier, list(recent), dev, config, best_score, epochs_run)
    if averaged is not None and averaged["kept"]:
        classifier.save_pretrained(best_dir, dtype=_dtype(config))
        best_epoch = epochs_run
    finalize(config, splits, [best_dir, last_dir], history, best_epoch, averaged)
    test_metrics: dict[str, Any] = {}
    if splits.test:
        from risklens.training.evaluate import evaluate_examples, write_report

        test = [e for e in splits.test if e.kind == "gold"] or splits.test
        report = evaluate_examples(RiskClassifier.from_pretrained(best_dir), test, batch_size=config.eval_batch_size,
                                   data_name=f"{config.data} (test)")
        write_report(report, out / "test-report")
        test_metrics = report
        _store_metrics(best_dir, history, best_epoch, report)
        log.info("test: %s", _headline(report))
    from risklens.training.card import render_card, training_command, write_card

    write_card(best_dir, render_card(ModelMeta.load(best_dir), config, splits, test_metrics or None,
                                     training_command(config)))
    seconds = time.monotonic() - started
    log.info("done in %.0f s; best epoch %d", seconds, best_epoch)
    return TrainResult(out, best_dir, last_dir, best_epoch, epochs_run, seconds, history, test_metrics)


def _float_state(model: Any) -> dict[str, torch.Tensor]:
    """A detached copy of the model's floating-point weights (what weight averaging needs)."""
    return {name: t.detach().clone() for name, t in model.state_dict().items() if t.is_floating_point()}


def average_states(states: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Element-wise mean of state dicts with the same keys and shapes."""
    if not states:
        raise ValueError("average_states needs at least one state dict.")
    keys = set(states[0])
    for i, state in enumerate(states[1:], start=1):
        if set(state) != keys:
            raise ValueError(f"state dict {i} has other keys than state dict 0: {sorted(keys ^ set(state))[:5]}.")
    return {name: torch.stack([s[name].float() for s in states]).mean(dim=0) for name in states[0]}


def _try_weight_average(
    classifier: RiskClassifier, states: list[dict[str, torch.Tensor]], dev: list[Example],
    config: TrainConfig, best_score: float, last_epoch: int,
) -> dict[str, Any] | None:
    """Score the mean weights of the last epochs on dev; keep them loaded only if they win.

    Averaging the weights of consecutive checkpoints (as in stochastic weight averaging and
    model soups) often lands in a flatter, better-generalising point at no inference cost.
    Dev decides, with the same selection score as the epochs, so it is never assumed.
    """
    if len(states) < 2:
        return None
    last = _float_state(classifier.model)
    classifier.model.load_state_dict(average_states(states), strict=False)
    scores = dev_scores(classifier, dev, config)
    epochs = list(range(last_epoch - len(states) + 1, last_epoch + 1))
    kept = scores["score"] > best_score + 1e-6
    log.info("mean weights of epochs %s: dev %s -> %s", epochs, scores["score"],
             "kept as model-best" if kept else f"not kept (best epoch scored {best_score})")
    if not kept:
        classifier.model.load_state_dict(last, strict=False)
    return {"epochs": epochs, "score": scores["score"], "best_single_epoch_score": best_score, "kept": kept,
            "micro_heading": scores["micro_heading"], "micro_text": scores["micro_text"],
            "macro_heading": scores["macro_heading"], "macro_text": scores["macro_text"]}


def build_classifier(config: TrainConfig) -> RiskClassifier:
    """The base encoder with a fresh 30-leaf multi-label head, wrapped for inference."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    base = Path(config.base_model)
    tokenizer = AutoTokenizer.from_pretrained(str(base), local_files_only=True)
    hf_logging.disable_progress_bar()
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the "classifier.* newly initialised" report is expected here
    try:
        model = AutoModelForSequenceClassification.from_pretrained(
            str(base),
            local_files_only=True,
            num_labels=len(LABELS),
            id2label=dict(enumerate(LABELS)),
            label2id={label: i for i, label in enumerate(LABELS)},
            problem_type="multi_label_classification",
            dtype=torch.float32,
        )
    finally:
        hf_logging.set_verbosity(verbosity)
    log.info("base model %s: %d parameters", base, sum(p.numel() for p in model.parameters()))
    model.float()
    if config.freeze_word_embeddings:
        model.get_input_embeddings().weight.requires_grad_(False)
    freeze_lower_layers(model, config.freeze_layers)
    meta = ModelMeta(
        name=config.name,
        version=config.version,
        base_model=_base_id(base),
        max_length=config.max_length,
        stride=config.stride,
        max_heading_chars=config.max_heading_chars,
        window_pooling=config.window_pooling,
        training_config=config.to_dict(),
    )
    classifier = RiskClassifier(model, tokenizer, meta)
    classifier.set_precision("auto")  # dev scoring as the shipped model will run (bf16 where native)
    return classifier


def freeze_lower_layers(model: Any, count: int) -> None:
    """Freeze all embeddings and the lowest ``count`` encoder layers.

    Backpropagation then stops above them, which saves a fifth of a step for four of twelve
    layers; with a few hundred gold paragraphs the lower layers' general features are
    worth keeping anyway.
    """
    if count <= 0:
        return
    base = model.base_model
    embeddings = getattr(base, "embeddings", None)
    layers = getattr(getattr(base, "encoder", None), "layer", None)
    if embeddings is None or layers is None:
        log.warning("freeze_layers=%d ignored: %s has no embeddings/encoder.layer", count, type(base).__name__)
        return
    for param in embeddings.parameters():
        param.requires_grad_(False)
    for layer in list(layers)[:count]:
        for param in layer.parameters():
            param.requires_grad_(False)


def init_bias_from_prior(model: Any, rows: list[Example], config: TrainConfig) -> None:
    """Start each leaf's output bias at the log-odds of its training frequency.

    With 30 mostly-negative leaves a zero bias spends the first hundred steps learning
    "predict nothing"; starting from the prior skips that phase.
    """
    head = None
    for module in model.modules():
        if isinstance(module, torch.nn.Linear) and module.out_features == len(LABELS):
            head = module  # the last such layer is the output layer
    if head is None or head.bias is None or not rows:
        return
    weights = np.array([_row_weight(e, config) for e in rows])
    freq = (targets_of(rows) * weights[:, None]).sum(axis=0) / max(weights.sum(), 1e-6)
    freq = np.clip(freq, 1e-3, 0.5)
    with torch.no_grad():
        head.bias.copy_(torch.tensor(np.log(freq / (1 - freq)), dtype=head.bias.dtype))


def _train_step(classifier: RiskClassifier, batch: list[Example], config: TrainConfig, rng: random.Random) -> float:
    paragraphs = [
        Paragraph(text=e.text, heading="" if rng.random() < config.heading_dropout else e.heading)
        for e in batch
    ]
    windows = make_windows(
        classifier.tokenizer, paragraphs, max_length=config.max_length, stride=config.stride,
        max_heading_chars=config.max_heading_chars,
    )
    inputs = collate(windows, classifier._pad_id, token_types=classifier._token_types)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.train_precision == "bf16"):
        logits = classifier.model(**inputs).logits
    pooled = pool_tensor(logits.float(), [w.paragraph for w in windows], config.window_pooling)
    targets = torch.tensor(targets_of(batch), dtype=torch.float32)
    weights = torch.tensor([_row_weight(e, config) for e in batch], dtype=torch.float32)
    pos_weight = torch.full((len(LABELS),), config.pos_weight)
    cell = torch.nn.functional.binary_cross_entropy_with_logits(
        pooled, targets, reduction="none", pos_weight=pos_weight
    )
    loss = (cell.mean(dim=1) * weights).sum() / weights.sum().clamp(min=1e-6)
    loss.backward()
    return float(loss.item())


def _row_weight(example: Example, config: TrainConfig) -> float:
    if example.kind == "silver":
        return config.silver_weight
    if example.kind == "synthetic":
        return config.synthetic_weight
    return 1.0


def dev_scores(classifier: RiskClassifier, dev: list[Example], config: TrainConfig) -> dict[str, Any]:
    """Dev macro/micro-F1 with and without headings at dev-tuned thresholds (selection score)."""
    from risklens.model.calibration import fit_temperature, sigmoid

    targets = targets_of(dev)
    per_mode: dict[str, dict[str, float]] = {}
    logits = {
        mode: classifier.encoder_logits([e.paragraph(mode == "heading") for e in dev],
                                        batch_size=config.eval_batch_size, use_headings=mode == "heading")
        for mode in ("heading", "text")
    }
    both = np.vstack([logits["heading"], logits["text"]])
    t = fit_temperature(both, np.vstack([targets, targets]))
    thresholds = tune_thresholds(sigmoid(both / t), np.vstack([targets, targets]),
                                 prior_weight=config.threshold_prior_weight,
                                 lower=config.threshold_min, upper=config.threshold_max)
    cut = np.array([thresholds[label] for label in LABELS])
    for mode, z in logits.items():
        probs = sigmoid(z / t)
        m = multilabel_metrics(targets, probs >= cut, probs)
        per_mode[mode] = {"micro_f1": m["micro_f1"], "macro_f1": m["macro_f1"], "ece": m["ece"]}
    score = float(np.mean([per_mode[m]["macro_f1"] for m in per_mode]))
    return {"score": round(score, 4), "temperature": round(t, 3), "per_mode": per_mode,
            "macro_heading": per_mode["heading"]["macro_f1"], "macro_text": per_mode["text"]["macro_f1"],
            "micro_heading": per_mode["heading"]["micro_f1"], "micro_text": per_mode["text"]["micro_f1"]}


def finalize(
    config: TrainConfig, splits: Splits, directories: list[Path], history: list[dict[str, Any]], best_epoch: int,
    averaged: dict[str, Any] | None = None,
) -> None:
    """Fit the TF-IDF baseline, then temperature, thresholds and fusion on dev per saved model.

    The saved (fp16-rounded) weights are reloaded first, so calibration sees exactly the
    logits the shipped model will produce. The tuned TF-IDF baseline is saved beside each
    model (``tfidf.*``): evaluation compares against it and the fusion head reads it.
    """
    # Calibration uses every dev row: synthetic dev paragraphs are the only dev positives of
    # the rarest leaves (trial goods, data privacy). Checkpoints were chosen on gold alone.
    dev = list(splits.dev)
    targets = targets_of(dev)
    log.info("fitting the TF-IDF baseline on %d training rows (C and thresholds tuned on dev)", len(splits.train))
    baseline, selection = fit_tfidf_baseline(
        splits.train, dev, silver_weight=config.silver_weight, max_features=config.tfidf_max_features,
        prior_weight=config.threshold_prior_weight, lower=config.threshold_min, upper=config.threshold_max,
    )
    log.info("TF-IDF baseline: %s", selection)
    for directory in directories:
        if not directory.exists():
            continue
        classifier = RiskClassifier.from_pretrained(directory)
        paragraphs = [e.paragraph() for e in dev]
        z_head = classifier.encoder_logits(paragraphs, batch_size=config.eval_batch_size, use_headings=True)
        z_text = classifier.encoder_logits(paragraphs, batch_size=config.eval_batch_size, use_headings=False)
        fusion = None
        if config.fusion:
            fusion = FusionHead(baseline, stack_C=config.stack_C)
        result = calibrate(z_head, z_text, paragraphs, targets, fusion=fusion,
                           prior_weight=config.threshold_prior_weight, lower=config.threshold_min,
                           upper=config.threshold_max, seed=config.seed)
        classifier.meta.temperature = result.temperature
        classifier.meta.encoder_thresholds = result.encoder_thresholds
        classifier.meta.thresholds = result.thresholds
        classifier.fusion = result.fusion
        classifier.meta.training_config = config.to_dict()
        classifier.meta.metrics = {
            "best_epoch": best_epoch,
            "dev_history": [{k: v for k, v in h.items() if k != "per_mode"} for h in history],
            "fusion_weights": result.fusion.describe() if result.fusion is not None else {},
            "fusion_dev_check": result.dev_scores,
            "tfidf_baseline": selection,
        }
        if averaged is not None and directory == directories[0]:  # it concerns model-best only
            classifier.meta.metrics["weight_average"] = averaged
        classifier.save_pretrained(directory, dtype=_dtype(config))
        baseline.save(directory)
        config.save(directory)
        log.info("%s: temperature %.3f, dev check %s, fusion %s", directory.name, result.temperature,
                 result.dev_scores, result.fusion.describe() if result.fusion else "off (encoder alone)")


def calibrate_run(run_dir: Path, data: str | None = None) -> dict[str, Any]:
    """Redo the post-training steps of a finished run: calibration, fusion, test report, card.

    For when calibration or evaluation code changed after the (expensive) fine-tuning: the
    weights in ``model-best``/``model-last`` are kept, everything fitted on dev is refitted.
    """
    from risklens.training.card import render_card, training_command, write_card
    from risklens.training.evaluate import evaluate_examples, write_report

    run = Path(run_dir)
    config = TrainConfig.load(run / "training_config.json")
    if data is not None:
        config.data = data
    splits = load_dataset_dir(config.data)
    meta = ModelMeta.load(run / "model-best")
    history = list(meta.metrics.get("dev_history") or [])
    best_epoch = int(meta.metrics.get("best_epoch") or 0)
    handler = _log_to(run / "train.log")
    try:
        log.info("recalibrating %s", run)
        finalize(config, splits, [run / "model-best", run / "model-last"], history, best_epoch,
                 meta.metrics.get("weight_average"))
        report: dict[str, Any] = {}
        if splits.test:
            best = RiskClassifier.from_pretrained(run / "model-best")
            test = [e for e in splits.test if e.kind == "gold"] or splits.test
            report = evaluate_examples(best, test, batch_size=config.eval_batch_size, data_name=f"{config.data} (test)")
            write_report(report, run / "test-report")
            _store_metrics(run / "model-best", history, best_epoch, report)
            log.info("test: %s", _headline(report))
        write_card(run / "model-best", render_card(ModelMeta.load(run / "model-best"), config, splits,
                                                   report or None, training_command(config)))
        return report
    finally:
        logging.getLogger("risklens").removeHandler(handler)
        handler.close()


def _store_metrics(directory: Path, history: list[dict[str, Any]], best_epoch: int, report: dict[str, Any]) -> None:
    meta = ModelMeta.load(directory)
    meta.metrics["test"] = {mode: {name: _headline_of(m) for name, m in models.items()}
                            for mode, models in report["modes"].items()}
    meta.save(directory)


def _headline_of(m: dict[str, Any]) -> dict[str, Any]:
    keys = ("micro_f1", "macro_f1", "samples_f1", "exact_match", "group_micro_f1", "ece")
    return {k: m[k] for k in keys if k in m}


def _headline(report: dict[str, Any]) -> str:
    parts = []
    for mode, models in report["modes"].items():
        for name, m in models.items():
            parts.append(f"{mode}/{name} micro {m['micro_f1']:.3f} macro {m['macro_f1']:.3f}")
    return "; ".join(parts)


def parameter_learning_rate(name: str, config: TrainConfig, num_layers: int) -> float:
    """The learning rate of one named parameter: head, or encoder with layer-wise decay.

    With ``layer_lr_decay = d < 1`` the top encoder layer trains at ``learning_rate``, layer
    ``i`` at ``learning_rate * d**(num_layers - 1 - i)`` and the embeddings one step below
    layer 0, so the lower, more general layers move less than the task-specific top ones.
    Names without a layer number (other encoders' extra parts) get the top rate.
    """
    if any(part in name for part in ("classifier.", "pooler.")):
        return config.head_learning_rate
    decay = config.layer_lr_decay
    if decay >= 1.0 or num_layers <= 0:
        return config.learning_rate
    match = re.search(r"\.layer\.(\d+)\.", name)
    if match:
        depth = num_layers - 1 - min(int(match.group(1)), num_layers - 1)
    elif "embeddings" in name:
        depth = num_layers
    else:
        depth = 0
    return config.learning_rate * decay**depth


def _optimiser(model: Any, config: TrainConfig, total_steps: int) -> tuple[Any, Any]:
    num_layers = int(getattr(model.config, "num_hidden_layers", 0) or 0)
    groups: dict[tuple[float, bool], list[torch.nn.Parameter]] = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        no_decay = name.endswith("bias") or "LayerNorm" in name or "layer_norm" in name
        groups.setdefault((parameter_learning_rate(name, config, num_layers), no_decay), []).append(param)
    param_groups = [
        {"params": params, "lr": lr, "weight_decay": 0.0 if no_decay else config.weight_decay}
        for (lr, no_decay), params in groups.items()
    ]
    optimizer = torch.optim.AdamW(param_groups)
    warmup = max(1, int(config.warmup_ratio * total_steps))

    def schedule(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)


def _length_bucketed_batches(rows: list[Example], batch_size: int, rng: random.Random) -> list[list[Example]]:
    """Shuffle, then sort within chunks of 50 batches by length: little padding, still random."""
    order = list(rows)
    rng.shuffle(order)
    chunk = batch_size * 50
    batches: list[list[Example]] = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda e: len(e.text) + len(e.heading))
        batches.extend(part[i : i + batch_size] for i in range(0, len(part), batch_size))
    rng.shuffle(batches)
    return batches


def _progress_bar(progress: bool | StepCallback, total: int) -> Any:
    if callable(progress):
        return progress
    if not progress:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="train", unit="step", file=sys.stderr, dynamic_ncols=True)


def _log_to(path: Path) -> logging.Handler:
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger("risklens")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return handler


def _check_base(base: Path) -> None:
    if not (base / "config.json").is_file():
        raise ConfigError(
            f"{base}: not a Hugging Face model directory (no config.json); pass a local BERT-family "
            f"checkpoint, e.g. one made by `risklens base-model`."
        )


def _base_id(base: Path) -> str:
    """A readable id for the base model: its recorded name, else the directory name."""
    import json

    for name in ("risklens_base.json", "config.json"):
        path = base / name
        if path.is_file():
            try:
                data = json.loads(path.read_text("utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue
            for key in ("name_or_path", "_name_or_path"):
                if isinstance(data.get(key), str) and data[key]:
                    return f"{data[key]} [{base.name}]"
    return base.name


def _dtype(config: TrainConfig) -> Any:
    return config.save_dtype


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
