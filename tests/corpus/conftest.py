"""Fixtures of the corpus tests: one tiny random-weight model for the whole session."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from risklens.model.testing import make_tiny_classifier

    return make_tiny_classifier(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="session")
def tiny_classifier(tiny_model_dir: Path):  # type: ignore[no-untyped-def]
    from risklens.model import RiskClassifier

    return RiskClassifier.from_pretrained(tiny_model_dir, precision="fp32")
