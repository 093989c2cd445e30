from __future__ import annotations

import numpy as np

from risklens.model.calibration import (
    apply_thresholds,
    expected_calibration_error,
    fit_temperature,
    logit,
    sigmoid,
)


def test_sigmoid_is_stable_and_inverted_by_logit() -> None:
    x = np.array([-1000.0, -2.0, 0.0, 3.0, 1000.0])
    p = sigmoid(x)
    assert np.all(np.isfinite(p)) and p[2] == 0.5
    np.testing.assert_allclose(logit(sigmoid(np.array([-2.0, 3.0]))), [-2.0, 3.0], atol=1e-6)


def test_fit_temperature_recovers_an_overconfident_scale() -> None:
    rng = np.random.default_rng(0)
    true_logits = rng.normal(0, 2, size=(4000, 3))
    targets = (rng.random(true_logits.shape) < sigmoid(true_logits)).astype(float)
    temperature = fit_temperature(true_logits * 3.0, targets)  # a model 3x too confident
    assert 2.6 < temperature < 3.4


def test_ece_is_zero_when_calibrated_and_large_when_not() -> None:
    probs = np.array([0.0, 0.0, 1.0, 1.0])
    assert expected_calibration_error(probs, np.array([0, 0, 1, 1])) == 0.0
    assert expected_calibration_error(probs, np.array([1, 1, 0, 0])) == 1.0


def test_apply_thresholds_uses_each_label_cut() -> None:
    probs = np.array([[0.6, 0.6], [0.2, 0.9]])
    assert apply_thresholds(probs, ("a", "b"), {"a": 0.5, "b": 0.7}) == [["a"], ["b"]]
