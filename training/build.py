"""Everything a run sets up before its first step: seeds, the classifier, its optimiser.

``build_classifier`` puts a fresh 30-leaf multi-label head on the base encoder and freezes
what the recipe keeps fixed; ``init_bias_from_prior`` starts the head at the label
frequencies; ``make_optimiser`` gives the head its own learning rate, exempts biases and
norms from weight decay and warms up linearly before a linear decay.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from risklens.labels.taxonomy import LABELS
from risklens.model.classifier import RiskClassifier
from risklens.model.meta import ModelMeta
from risklens.training.config import ConfigError, TrainConfig
from risklens.training.data import Example, targets_of
from risklens.training.provenance import base_id

log = logging.getLogger("risklens.train")
HEAD_PARTS = ("classifier.", "pooler.")  # parameter names trained at head_learning_rate


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch: the same config gives the same weights."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def check_base(base: Path) -> None:
    """Refuse early a base model folder that transformers cannot load."""
    if not (Path(base) / "config.json").is_file():
        raise ConfigError(
            f"{base}: not a Hugging Face model directory (no config.json); pass a local BERT-family "
            f"checkpoint, e.g. one made by `risklens base-model`."
        )


def build_classifier(config: TrainConfig, training_config: dict[str, Any] | None = None) -> RiskClassifier:
    """The base encoder with a fresh 30-leaf multi-label head, wrapped for inference.

    ``training_config`` is what the saved model records of the recipe (default
    ``config.to_dict()``; a run passes the portable form, without machine paths).
    """
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
        base_model=base_id(base),
        max_length=config.max_length,
        stride=config.stride,
        max_heading_chars=config.max_heading_chars,
        window_pooling=config.window_pooling,
        item_windows=config.uses_item_windows,
        training_config=training_config if training_config is not None else config.to_dict(),
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


def row_weight(example: Example, config: TrainConfig) -> float:
    """Loss weight of one training row: gold 1, silver and synthetic as configured."""
    if example.kind == "silver":
        return config.silver_weight
    if example.kind == "synthetic":
        return config.synthetic_weight
    return 1.0


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
    weights = np.array([row_weight(e, config) for e in rows])
    freq = (targets_of(rows) * weights[:, None]).sum(axis=0) / max(weights.sum(), 1e-6)
    freq = np.clip(freq, 1e-3, 0.5)
    with torch.no_grad():
        head.bias.copy_(torch.tensor(np.log(freq / (1 - freq)), dtype=head.bias.dtype))


def make_optimiser(model: Any, config: TrainConfig, total_steps: int) -> tuple[Any, Any]:
    """AdamW over the trainable parameters and a warm-up-then-linear-decay schedule.

    The pooler and classification layer train at ``head_learning_rate``, the encoder at
    ``learning_rate``; biases and norms get no weight decay.
    """
    groups: dict[tuple[float, bool], list[torch.nn.Parameter]] = {}
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        lr = config.head_learning_rate if any(part in name for part in HEAD_PARTS) else config.learning_rate
        no_decay = name.endswith("bias") or "LayerNorm" in name or "layer_norm" in name
        groups.setdefault((lr, no_decay), []).append(param)
    param_groups = [
        {"params": params, "lr": lr, "weight_decay": 0.0 if no_decay else config.weight_decay}
        for (lr, no_decay), params in groups.items()
    ]
    optimizer = torch.optim.AdamW(param_groups)
    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, linear_schedule(config, total_steps))


def linear_schedule(config: TrainConfig, total_steps: int) -> Callable[[int], float]:
    """Learning-rate factor per step: linear warm-up over ``warmup_ratio``, then linear decay to 0."""
    warmup = max(1, int(config.warmup_ratio * total_steps))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    return factor
