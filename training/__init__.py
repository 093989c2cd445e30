"""Training: fine-tune the encoder, calibrate it on gold dev data, evaluate it beside baselines.

``train(TrainConfig(...))`` runs a whole job; ``evaluate_examples`` scores a classifier, the
encoder alone, TF-IDF and the rule table on labelled paragraphs. Training imports ``model``;
``model`` and ``serving`` never import training.
"""

from risklens.training.config import ConfigError, TrainConfig
from risklens.training.data import DataError, Example, Splits, load_dataset_dir, read_jsonl
from risklens.training.evaluate import evaluate_examples, to_markdown, write_report
from risklens.training.run import TrainResult, calibrate_run, train

__all__ = [
    "ConfigError",
    "DataError",
    "Example",
    "Splits",
    "TrainConfig",
    "TrainResult",
    "calibrate_run",
    "evaluate_examples",
    "load_dataset_dir",
    "read_jsonl",
    "to_markdown",
    "train",
    "write_report",
]
