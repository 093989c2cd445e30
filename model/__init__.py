"""The RiskLens classifier: a fine-tuned encoder with calibrated, thresholded scores.

``RiskClassifier.from_pretrained(dir)`` loads a saved model (a Hugging Face directory plus
``risklens.json``); ``predict`` returns labels and scores for all 30 leaves. This package
never imports ``training`` or ``serving``.

The names below are imported lazily, so ``import risklens.model.<submodule>`` (e.g. from the CLI's
``--help``) does not pay for importing torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from risklens.model.classifier import Prediction, RiskClassifier
    from risklens.model.inputs import Paragraph

__all__ = ["Paragraph", "Prediction", "RiskClassifier"]

_LAZY = {"Prediction": "risklens.model.classifier", "RiskClassifier": "risklens.model.classifier", "Paragraph": "risklens.model.inputs"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'model' has no attribute {name!r}")
