from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone

from risklens.model.tfidf import TfidfOvR

TEXTS = ["应收账款坏账", "应收账款回收", "存货跌价准备", "存货减值", "汇率波动", "汇率变化"]
Y = np.array([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 0, 0], [0, 0, 0]])


def test_follows_the_scikit_learn_estimator_contract() -> None:
    est = TfidfOvR(min_df=1, max_features=None)
    assert not hasattr(est, "coef_")
    assert est.fit(TEXTS, Y) is est
    assert est.coef_.shape == (3, len(est.vocabulary_)) and est.n_labels_ == 3
    assert clone(est).get_params() == est.get_params()
    assert not hasattr(clone(est), "coef_")


def test_learns_the_labels_and_handles_a_label_never_seen() -> None:
    est = TfidfOvR(min_df=1, C=100.0).fit(TEXTS, Y)
    probs = est.predict_proba(["应收账款", "存货跌价"])
    assert probs[0, 0] > probs[0, 1] and probs[1, 1] > probs[1, 0]
    assert probs[:, 2].max() < 0.01  # no positive example: (almost) never predicted
    assert est.predict(["应收账款坏账"]).tolist() == [[1, 0, 0]]


def test_save_and_load_give_the_same_scores_without_pickle(tmp_path: Path) -> None:
    est = TfidfOvR(min_df=1).fit(TEXTS, Y)
    est.save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tfidf.json", "tfidf.safetensors"]
    again = TfidfOvR.load(tmp_path)
    np.testing.assert_allclose(again.decision_function(TEXTS), est.decision_function(TEXTS), atol=1e-2)


@pytest.mark.parametrize(
    ("params", "message"),
    [({"C": -1.0}, "The 'C' parameter of TfidfOvR must be a float in \\(0, inf\\). Got -1.0 instead."),
     ({"ngram_range": (3, 1)}, "ngram_range"), ({"threshold": 1.5}, "threshold")],
)
def test_invalid_parameters_are_reported_at_fit(params: dict[str, object], message: str) -> None:
    est = TfidfOvR(**params)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        est.fit(TEXTS, Y)


def test_bad_inputs_name_the_problem() -> None:
    with pytest.raises(ValueError, match="single string"):
        TfidfOvR().fit("应收账款", Y)
    with pytest.raises(ValueError, match="multi-hot matrix with 6 rows"):
        TfidfOvR(min_df=1).fit(TEXTS, Y[:3])


def test_per_label_thresholds_are_a_fitted_attribute_that_survives_saving(tmp_path: Path) -> None:
    est = TfidfOvR(min_df=1, C=100.0).fit(TEXTS, Y)
    np.testing.assert_allclose(est.cutoffs(), [0.5, 0.5, 0.5])
    est.set_class_thresholds([0.9, 0.99, 0.5])
    assert est.predict(["应收账款坏账"])[0, 0] == int(est.predict_proba(["应收账款坏账"])[0, 0] >= 0.9)
    est.save(tmp_path)
    np.testing.assert_allclose(TfidfOvR.load(tmp_path).cutoffs(), [0.9, 0.99, 0.5])
    with pytest.raises(ValueError, match="3 thresholds in \\(0, 1\\)"):
        est.set_class_thresholds([0.5, 1.5, 0.5])


def test_refit_heads_equals_a_full_fit_with_the_same_parameters() -> None:
    first = TfidfOvR(min_df=1, C=1.0).fit(TEXTS, Y)
    refit = TfidfOvR(min_df=1, C=50.0).refit_heads(first, TEXTS, Y)
    full = TfidfOvR(min_df=1, C=50.0).fit(TEXTS, Y)
    np.testing.assert_allclose(refit.decision_function(TEXTS), full.decision_function(TEXTS), atol=1e-4)
    with pytest.raises(ValueError, match="same vectoriser parameters"):
        TfidfOvR(min_df=2).refit_heads(first, TEXTS, Y)
