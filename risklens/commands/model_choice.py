"""The model a command runs: chosen by the one rule, named on stderr, then loaded.

Every command that classifies (predict, evaluate, score, compare) goes through
``load_chosen_model``, so they cannot drift apart again: ``--model`` > ``$RISKLENS_MODEL``
> the registry's promoted version > the shipped model (``risklens.model.registry``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from risklens.model.classifier import Precision, RiskClassifier
    from risklens.model.registry import ResolvedModel


def choose_model(command: str, explicit: Path | None) -> ResolvedModel:
    """Resolve by the one rule and print ``risklens COMMAND: model PATH (ORIGIN)`` on stderr."""
    from risklens.model.registry import resolve_model

    model = resolve_model(explicit)
    print(f"risklens {command}: {model.describe()}", file=sys.stderr)
    return model


def load_chosen_model(
    command: str, explicit: Path | None, *, precision: Precision = "auto", num_threads: int | None = None,
    runtime: str = "torch",
) -> RiskClassifier:
    """Resolve, print ``risklens COMMAND: model PATH (ORIGIN)`` on stderr, and load.

    Raises ``FileNotFoundError`` (no such model) or ``ValueError`` (a broken one), whose
    message the command prints as its one error line.
    """
    from risklens.model.classifier import RiskClassifier

    model = choose_model(command, explicit)
    return RiskClassifier.from_pretrained(model.path, precision=precision, num_threads=num_threads, runtime=runtime)
