"""Pieces of the training recipe that are easy to get silently wrong."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch

from risklens.labels.taxonomy import LABELS
from risklens.training.card import render_card, training_command
from risklens.training.config import ConfigError, TrainConfig
from risklens.training.data import load_dataset_dir
from risklens.training.loop import (
    _float_state,
    _optimiser,
    _train_step,
    _try_weight_average,
    average_states,
    build_classifier,
    init_bias_from_prior,
    parameter_learning_rate,
)


def test_freezing_keeps_embeddings_and_lower_layers_fixed(tiny_base: Path) -> None:
    config = TrainConfig(data="d", base_model=str(tiny_base), out="o", freeze_layers=1)
    model = build_classifier(config).model
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    assert not any("embeddings" in name for name in trainable)
    assert not any(".layer.0." in name for name in trainable)
    assert any(".layer.1." in name for name in trainable)
    assert {"classifier.weight", "classifier.bias"} <= trainable


def test_layer_lr_decay_slows_lower_layers_and_leaves_the_head_alone(tiny_base: Path) -> None:
    config = TrainConfig(data="d", base_model=str(tiny_base), out="o", freeze_layers=0,
                         freeze_word_embeddings=False, layer_lr_decay=0.5, learning_rate=8e-5)
    n = 4
    rate = lambda name: parameter_learning_rate(name, config, n)  # noqa: E731
    assert rate("bert.encoder.layer.3.output.dense.weight") == pytest.approx(8e-5)
    assert rate("bert.encoder.layer.1.attention.self.query.weight") == pytest.approx(2e-5)
    assert rate("bert.embeddings.position_embeddings.weight") == pytest.approx(8e-5 * 0.5**4)
    assert rate("classifier.weight") == config.head_learning_rate == rate("bert.pooler.dense.bias")
    flat = TrainConfig(data="d", base_model=str(tiny_base), out="o")
    assert parameter_learning_rate("bert.encoder.layer.0.output.dense.weight", flat, n) == flat.learning_rate
    model = build_classifier(config).model
    optimizer, _ = _optimiser(model, config, total_steps=10)
    layers = model.config.num_hidden_layers
    by_param = {id(p): g["lr"] for g in optimizer.param_groups for p in g["params"]}
    named = dict(model.named_parameters())
    top = by_param[id(named[f"bert.encoder.layer.{layers - 1}.output.dense.weight"])]
    bottom = by_param[id(named["bert.encoder.layer.0.output.dense.weight"])]
    assert top == pytest.approx(8e-5) and bottom == pytest.approx(8e-5 * 0.5 ** (layers - 1))
    assert sum(len(g["params"]) for g in optimizer.param_groups) == sum(p.requires_grad for p in model.parameters())


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
        losses[precision] = _train_step(classifier, rows, config, random.Random(0))
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
    assert command.startswith(f"risklens train --data {tiny_dataset} --base-model base --out runs/x")
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


def test_average_states_is_the_elementwise_mean_and_checks_keys() -> None:
    a = {"w": torch.tensor([1.0, 2.0]), "b": torch.tensor([0.0])}
    b = {"w": torch.tensor([3.0, 6.0]), "b": torch.tensor([1.0])}
    mean = average_states([a, b])
    assert torch.equal(mean["w"], torch.tensor([2.0, 4.0])) and torch.equal(mean["b"], torch.tensor([0.5]))
    with pytest.raises(ValueError, match="other keys"):
        average_states([a, {"w": torch.tensor([1.0, 1.0])}])
    with pytest.raises(ConfigError, match="average_last"):
        TrainConfig(data="d", base_model="b", out="o", average_last=1)


def test_weight_average_is_kept_only_when_dev_prefers_it(tiny_base: Path, tiny_dataset: Path) -> None:
    config = TrainConfig(data=str(tiny_dataset), base_model=str(tiny_base), out="o", max_length=48, stride=8,
                         average_last=2)
    classifier = build_classifier(config)
    dev = load_dataset_dir(tiny_dataset).dev
    earlier = _float_state(classifier.model)
    with torch.no_grad():
        classifier.model.classifier.weight.add_(0.5)  # "the last epoch" moved the head
    last = _float_state(classifier.model)
    expected = (earlier["classifier.weight"] + last["classifier.weight"]) / 2

    refused = _try_weight_average(classifier, [earlier, last], dev, config, best_score=2.0, last_epoch=5)
    assert refused is not None and refused["kept"] is False and refused["epochs"] == [4, 5]
    assert torch.equal(classifier.model.classifier.weight, last["classifier.weight"])  # last weights restored

    kept = _try_weight_average(classifier, [earlier, last], dev, config, best_score=-1.0, last_epoch=5)
    assert kept is not None and kept["kept"] is True
    assert torch.allclose(classifier.model.classifier.weight, expected)
    assert _try_weight_average(classifier, [last], dev, config, best_score=-1.0, last_epoch=5) is None
