"""The epoch loop: steps, dev scoring after every epoch, best-epoch selection, stopping.

Each epoch trains on every gold (and synthetic) training row plus a rotating sample of
silver rows weighted below gold, in length-bucketed batches; a training paragraph loses
its heading with probability ``heading_dropout`` so text-only input works too (a distillation
row then learns the teacher's text-only probabilities, ``Example.text_targets``). Forward
and backward run under bf16 autocast when ``train_precision="bf16"`` (weights, gradients
and loss stay fp32). After each epoch gold dev is scored with and without headings; the
best mean macro-F1 is saved as ``model-best/``, the final epoch as ``model-last/``. The
run stops early after ``patience`` epochs without gain, before an epoch that would
overrun ``time_budget_minutes``, or — checked after every optimiser step, so one long
epoch cannot overrun it — as soon as the budget or ``max_steps`` is used up. A cut-short
epoch is still scored on dev and saved, so a quick run (``--max-steps 20``) ends with a
usable ``model-best/``.

Why not the ``transformers`` ``Trainer``: it would keep the bf16 step time (its CPU bf16
is the same autocast over fp32 weights) and could carry heading dropout in a collator and
the time budget in a callback, but this loop also needs per-row loss weights, window
pooling of several windows into one paragraph logit, a silver sample that changes every
epoch, a selection score computed over two input modes with thresholds tuned on dev, and
our own save format. Each of those is an override or callback on the Trainer, which would
add code rather than remove it and change the random stream (so results would no longer
match earlier runs). The loop stays a plain PyTorch loop of about a hundred lines.
"""

from __future__ import annotations

import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from risklens.labels.taxonomy import LABELS
from risklens.model.classifier import RiskClassifier
from risklens.model.inputs import Paragraph
from risklens.model.pooling import collate, pool_tensor
from risklens.training.build import row_weight
from risklens.training.calibrate import tune_thresholds
from risklens.training.config import ConfigError, TrainConfig
from risklens.training.data import Example, Splits, targets_of
from risklens.training.metrics import multilabel_metrics

log = logging.getLogger("risklens.train")
StepCallback = Callable[[int, int], None]
"""``progress(step, total_steps)``, called after every optimiser step."""


@dataclass
class Rows:
    """The rows a run trains and selects on, and how many silver rows each epoch samples."""

    gold: list[Example]  # gold and synthetic training rows: every epoch sees all of them
    silver: list[Example]
    dev: list[Example]  # gold dev rows: the selection score
    silver_per_epoch: int

    @classmethod
    def from_splits(cls, splits: Splits, config: TrainConfig) -> Rows:
        gold = [e for e in splits.train if e.kind != "silver"]
        silver = [e for e in splits.train if e.kind == "silver"]
        dev = [e for e in splits.dev if e.kind == "gold"] or list(splits.dev)
        if not gold and not silver:
            raise ConfigError(f"{config.data}: the train split is empty.")
        if not dev:
            raise ConfigError(f"{config.data}: the dev split is empty; checkpoints and thresholds need gold dev data.")
        per_epoch = len(silver) if config.silver_per_epoch == -1 else min(config.silver_per_epoch, len(silver))
        return cls(gold, silver, dev, per_epoch)

    def steps_per_epoch(self, batch_size: int) -> int:
        return math.ceil((len(self.gold) + self.silver_per_epoch) / batch_size)

    def for_epoch(self, epoch: int, silver_order: list[int]) -> list[Example]:
        """All gold rows and the next ``silver_per_epoch`` silver rows of the shuffled order."""
        n, start = self.silver_per_epoch, (epoch - 1) * self.silver_per_epoch
        take = [self.silver[silver_order[(start + i) % len(self.silver)]] for i in range(n)] if self.silver else []
        return self.gold + take


@dataclass
class Epochs:
    """How the epoch loop went."""

    best_epoch: int
    epochs_run: int
    history: list[dict[str, Any]] = field(default_factory=list)  # dev scores per epoch
    steps: int = 0  # optimiser steps taken
    stopped_by: str = ""  # "max_steps", "time_budget" or "patience" when the run ended early


@dataclass(frozen=True)
class StepLimit:
    """When to stop inside an epoch: after ``max_steps`` steps (0 = never) or past ``deadline`` (monotonic s)."""

    max_steps: int
    deadline: float

    def reached(self, step: int) -> str:
        """Why step ``step`` (1-based, just taken) must be the last one, or ``""``."""
        if self.max_steps and step >= self.max_steps:
            return "max_steps"
        if time.monotonic() >= self.deadline:
            return "time_budget"
        return ""


def run_epochs(
    classifier: RiskClassifier, rows: Rows, optimizer: Any, scheduler: Any, config: TrainConfig, out: Path,
    progress: StepCallback | None, started: float,
) -> Epochs:
    """Train epoch after epoch; save ``out/model-best`` at every dev gain and ``out/model-last`` at the end."""
    rng = random.Random(config.seed)
    silver_order = list(range(len(rows.silver)))
    rng.shuffle(silver_order)
    total_steps = config.planned_steps(rows.steps_per_epoch(config.batch_size))
    limit = StepLimit(config.max_steps, started + config.time_budget_minutes * 60)
    best_score, since_best, step, result = -1.0, 0, 0, Epochs(best_epoch=0, epochs_run=0)
    for epoch in range(1, config.epochs + 1):
        epoch_start = time.monotonic()
        batches = length_bucketed_batches(rows.for_epoch(epoch, silver_order), config.batch_size, rng)
        losses, result.stopped_by = train_epoch(classifier, batches, optimizer, scheduler, config, rng,
                                                first_step=step, total_steps=total_steps, progress=progress,
                                                limit=limit)
        step += len(losses)
        result.steps = step
        result.epochs_run = epoch
        scores = dev_scores(classifier, rows.dev, config)
        scores.update(epoch=epoch, loss=round(float(np.mean(losses)), 4),
                      seconds=round(time.monotonic() - epoch_start, 1))
        result.history.append(scores)
        log.info("epoch %d dev: %s", epoch, {k: v for k, v in scores.items() if k != "per_mode"})
        if scores["score"] > best_score + 1e-6:
            best_score, result.best_epoch, since_best = scores["score"], epoch, 0
            classifier.save_pretrained(out / "model-best", dtype=config.save_dtype)
            log.info("epoch %d: new best dev macro-F1 %.4f -> %s", epoch, best_score, out / "model-best")
        else:
            since_best += 1
        if result.stopped_by:
            log.info("%s reached after step %d (%.0f s): stopping in epoch %d", result.stopped_by, step,
                     time.monotonic() - started, epoch)
            break
        if should_stop(config, epoch, since_best, time.monotonic() - started, time.monotonic() - epoch_start):
            result.stopped_by = "patience" if since_best >= config.patience else "time_budget"
            break
    classifier.save_pretrained(out / "model-last", dtype=config.save_dtype)
    return result


def should_stop(config: TrainConfig, epoch: int, since_best: int, elapsed: float, epoch_seconds: float) -> bool:
    """Early stopping (``patience`` epochs without dev gain) or the time budget."""
    if since_best >= config.patience:
        log.info("early stop: no dev gain for %d epochs", since_best)
        return True
    budget = config.time_budget_minutes * 60
    if elapsed + epoch_seconds > budget and epoch < config.epochs:
        log.info("time budget: %.0f s used, next epoch (~%.0f s) would exceed %.0f s", elapsed, epoch_seconds, budget)
        return True
    return False


def train_epoch(
    classifier: RiskClassifier, batches: list[list[Example]], optimizer: Any, scheduler: Any, config: TrainConfig,
    rng: random.Random, *, first_step: int, total_steps: int, progress: StepCallback | None,
    limit: StepLimit | None = None,
) -> tuple[list[float], str]:
    """One pass over ``batches``: step, clip, schedule; returns the loss of every step and why it
    stopped early (``""`` after the whole pass; else ``StepLimit.reached``'s reason)."""
    model = classifier.model
    model.train()
    trainable = [p for p in model.parameters() if p.requires_grad]
    losses: list[float] = []
    epoch_start = time.monotonic()
    for step, batch in enumerate(batches, start=first_step + 1):
        losses.append(train_step(classifier, batch, config, rng))
        torch.nn.utils.clip_grad_norm_(trainable, config.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        if progress is not None:
            progress(step, total_steps)
        if step % 10 == 0:
            log.info("step %d/%d loss %.4f (%.2f s/step)", step, total_steps, float(np.mean(losses[-10:])),
                     (time.monotonic() - epoch_start) / len(losses))
        reason = limit.reached(step) if limit is not None else ""
        if reason:
            return losses, reason
    return losses, ""


def train_step(classifier: RiskClassifier, batch: list[Example], config: TrainConfig, rng: random.Random) -> float:
    """Forward (with heading dropout, under bf16 autocast if asked) and backward of one batch."""
    kept = [rng.random() >= config.heading_dropout for _ in batch]
    paragraphs = [Paragraph(text=e.text, heading=e.heading if keep else "") for e, keep in zip(batch, kept, strict=True)]
    windows = classifier.windows(paragraphs)  # as the model will read them (build_classifier set its meta from config)
    inputs = collate(windows, classifier._pad_id, token_types=classifier._token_types)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.train_precision == "bf16"):
        logits = classifier.model(**inputs).logits
    pooled = pool_tensor(logits.float(), [w.paragraph for w in windows], classifier.meta.window_pooling)
    targets = torch.tensor(np.vstack([e.target_for(keep) for e, keep in zip(batch, kept, strict=True)]),
                           dtype=torch.float32)
    weights = torch.tensor([row_weight(e, config) for e in batch], dtype=torch.float32)
    cell = torch.nn.functional.binary_cross_entropy_with_logits(pooled, targets, reduction="none")
    loss = (cell.mean(dim=1) * weights).sum() / weights.sum().clamp(min=1e-6)
    loss.backward()
    return float(loss.item())


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


def length_bucketed_batches(rows: list[Example], batch_size: int, rng: random.Random) -> list[list[Example]]:
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
