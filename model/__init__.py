"""The RiskLens classifier: a fine-tuned encoder with calibrated, thresholded scores.

``RiskClassifier.from_pretrained(dir)`` loads a saved model (a Hugging Face directory plus
``risklens.json``); ``predict`` returns labels and scores for all 30 leaves. This package
never imports ``training`` or ``serving``.
"""

from model.classifier import Prediction, RiskClassifier
from model.inputs import Paragraph

__all__ = ["Paragraph", "Prediction", "RiskClassifier"]
