"""Pieces of the training recipe that are easy to get silently wrong."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch

from risklens.labels.taxonomy import LABELS
from risklens.training.build import (
    build_classifier,
    init_bias_from_prior,
    linear_schedule,
    make_optimiser,
)
from risklens.training.card import render_card, training_command
from risklens.training.config import TrainConfig
from risklens.training.data import load_dataset_dir
from risklens.training.loop import train_step


def test_freezing_keeps_embeddings_and_lower_layers_fixed(tiny_base: Path) -> None:
    config = TrainConfig(data="d", base_model=str(tiny_base), out="o", freeze_layers=1)
    model = build_classifier(config).model
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    assert not any("embeddings" in name for name in trainable)
    assert not any(".layer.0." in name for name in trainable)
    assert any(".layer.1." in name for name in trainable)
    assert {"classifier.weight", "classifier.bias"} <= trainable


def test_the_head_trains_at_its_own_rate_and_biases_and_norms_skip_weight_decay(tiny_base: Path) -> None:
    config = TrainConfig(data="d", base_model=str(tiny_base), out="o", freeze_layers=0,
                         freeze_word_embeddings=False, learning_rate=8e-5, head_learning_rate=1e-3)
    model = build_classifier(config).model
    optimizer, scheduler = make_optimiser(model, config, total_steps=100)
    group_of = {id(p): g for g in optimizer.param_groups for p in g["params"]}
    named = dict(model.named_parameters())
    for name in ("classifier.weight", "bert.pooler.dense.weight"):
        assert group_of[id(named[name])]["initial_lr"] == 1e-3
    for name in ("bert.encoder.layer.0.output.dense.weight", "bert.encoder.layer.1.attention.self.query.weight"):
        assert group_of[id(named[name])]["initial_lr"] == 8e-5
        assert group_of[id(named[name])]["weight_decay"] == config.weight_decay
    assert scheduler.get_last_lr()[0] < 8e-5  # the schedule starts in its warm-up
    assert group_of[id(named["bert.encoder.layer.0.output.dense.bias"])]["weight_decay"] == 0.0
    assert group_of[id(named["bert.encoder.layer.0.output.LayerNorm.weight"])]["weight_decay"] == 0.0
    assert sum(len(g["params"]) for g in optimizer.param_groups) == sum(p.requires_grad for p in model.parameters())


def test_learning_rate_warms_up_linearly_then_decays_to_zero() -> None:
    factor = linear_schedule(TrainConfig(data="d", base_model="b", out="o", warmup_ratio=0.1), total_steps=100)
    assert [factor(s) for s in (0, 4, 9)] == pytest.approx([0.1, 0.5, 1.0])
    assert factor(10) == pytest.approx(1.0) and factor(55) == pytest.approx(0.5) and factor(100) == 0.0


def test_output_bias_starts_at_the_label_prior(tiny_base: Path, tiny_dataset: Path) -> None:
    config = TrainConfig(data=str(tiny_dataset), base_model=str(tiny_base), out="o", silver_weight=0.0)
    model = build_classifier(config).model
    gold = [e for e in load_dataset_dir(tiny_dataset).train if e.kind == "gold"]
    init_bias_from_prior(model, gold, config)
    bias = model.classifier.bias.detach().numpy()
    prior = 1 / (1 + np.exp(-bias))
    # receivables_credit is 1 of 12 gold rows; a leaf never seen sits at the 0.001 floor
    assert abs(prior[LABELS.index("receivables_credit")] - 1 / 12) < 1e-4
    assert abs(prior[LABELS.index("trial_goods")] - 0.001) < 1e-5
    assert model.classifier.bias.dtype == torch.float32


def test_bf16_training_step_runs_under_autocast_but_keeps_fp32_weights(tiny_base: Path, tiny_dataset: Path) -> None:
    rows = [e for e in load_dataset_dir(tiny_dataset).train if e.kind == "gold"][:4]
    losses: dict[str, float] = {}
    grads: dict[str, torch.Tensor] = {}
    for precision in ("fp32", "bf16"):
        config = TrainConfig(data=str(tiny_dataset), base_model=str(tiny_base), out="o", heading_dropout=0.0,
                             max_length=48, stride=8, train_precision=precision)
        classifier = build_classifier(config)
        losses[precision] = train_step(classifier, rows, config, random.Random(0))
        head = classifier.model.classifier.weight
        assert head.dtype == torch.float32 and head.grad is not None and head.grad.dtype == torch.float32
        grads[precision] = head.grad.flatten().clone()
    assert losses["bf16"] != losses["fp32"]  # bf16 rounding shows the autocast really ran
    assert abs(losses["bf16"] - losses["fp32"]) < 0.02 * losses["fp32"]
    assert float(torch.nn.functional.cosine_similarity(grads["bf16"], grads["fp32"], dim=0)) > 0.99


def test_model_card_names_command_data_and_both_baselines(tiny_dataset: Path) -> None:
    from risklens.model.meta import ModelMeta

    config = TrainConfig(data=str(tiny_dataset), base_model="base", out="runs/x", epochs=3)
    command = training_command(config)
    assert command.startswith(f"risklens train --data {tiny_dataset.name} --base-model base --out x")
    assert str(tiny_dataset.parent) not in command  # the card travels: no machine paths
    assert '"epochs": 3' in command
    system = {"micro_f1": 0.9, "macro_f1": 0.8, "samples_f1": 0.9, "exact_match": 0.7, "ece": 0.01,
              "tp": 9, "fp": 1, "fn": 1,
              "per_label": {label: {"f1": 0.5, "support": 1} for label in LABELS}}
    report = {"n": 12, "conventions": "macro over present leaves",
              "modes": {mode: {name: system for name in ("risklens", "encoder", "tfidf", "rules")}
                        for mode in ("heading", "text")}}
    card = render_card(ModelMeta(name="m", version="1"), config, load_dataset_dir(tiny_dataset), report, command)
    for needle in ("## Data", "## Training", "## Test metrics (12 gold paragraphs)", "TF-IDF", "silver rule table",
                   "## Weaknesses", "| train | 12 | 6 | 0 |"):
        assert needle in card


def test_tfidf_baseline_is_tuned_on_dev(tiny_dataset: Path) -> None:
    from risklens.training.baselines import fit_tfidf_baseline

    splits = load_dataset_dir(tiny_dataset)
    model, report = fit_tfidf_baseline(splits.train, splits.dev, max_features=500,
                                       grid=((4.0, None), (4.0, "balanced")))
    assert len(report["candidates"]) == 2 and report["chosen"]["C"] == 4.0
    assert model.class_thresholds_.shape == (len(LABELS),)
    untuned, _ = fit_tfidf_baseline(splits.train, None, max_features=500)
    assert not hasattr(untuned, "class_thresholds_")


def test_a_row_without_its_heading_learns_its_text_only_targets(tiny_base: Path, tiny_dataset: Path) -> None:
    from dataclasses import replace

    row = next(e for e in load_dataset_dir(tiny_dataset).train if e.kind == "gold")
    ones, zeros = np.ones(len(LABELS)), np.zeros(len(LABELS))
    assert row.target_for(False) is row.targets  # no text-only targets: the same in both modes

    def loss(example: object, dropout: float) -> float:
        config = TrainConfig(data=str(tiny_dataset), base_model=str(tiny_base), out="o", heading_dropout=dropout,
                             max_length=48, stride=8, train_precision="fp32")
        torch.manual_seed(0)
        classifier = build_classifier(config)
        classifier.model.eval()  # no dropout: the same logits in every call
        return train_step(classifier, [example], config, random.Random(0))  # type: ignore[list-item]

    split = replace(row, kind="silver", targets=ones, text_targets=zeros)
    assert loss(split, 1.0) == pytest.approx(loss(replace(row, targets=zeros), 1.0))
    assert loss(split, 0.0) == pytest.approx(loss(replace(row, targets=ones), 0.0))
    assert loss(split, 1.0) != pytest.approx(loss(split, 0.0))
