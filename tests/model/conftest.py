"""Tiny random-weight classifiers shared by the model tests (built once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from risklens.model.testing import make_tiny_classifier


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_classifier(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="session")
def tiny_fused_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_classifier(tmp_path_factory.mktemp("tiny-fused") / "model", fusion=True)
