"""TF-IDF character n-grams + one-vs-rest logistic regression, as a real scikit-learn estimator.

Two roles: the lexical baseline every evaluation reports, and the lexical part of the fusion
head. It saves to JSON + safetensors (vocabulary, idf, coefficients), not pickle, so a model
directory never executes code when it is loaded.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from risklens.model.calibration import sigmoid

NO_POSITIVE_INTERCEPT = -8.0
"""Intercept of a label with no positive training example: probability ≈ 0.0003."""


class TfidfOvR(ClassifierMixin, BaseEstimator):
    """Char n-gram TF-IDF and one binary logistic regression per column of ``Y``.

    ``fit(texts, Y)`` takes a multi-hot matrix (n, L); ``predict_proba`` returns (n, L)
    probabilities and ``predict`` the 0/1 matrix at ``threshold``. Learned attributes end
    in ``_`` (``vocabulary_``, ``idf_``, ``coef_``, ``intercept_``, ``n_labels_``).
    """

    def __init__(
        self,
        ngram_range: tuple[int, int] = (1, 3),
        max_features: int | None = 100_000,
        min_df: int = 2,
        sublinear_tf: bool = True,
        C: float = 10.0,
        class_weight: str | None = None,
        max_iter: int = 2000,
        threshold: float = 0.5,
    ) -> None:
        self.ngram_range = ngram_range
        self.max_features = max_features
        self.min_df = min_df
        self.sublinear_tf = sublinear_tf
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.threshold = threshold

    # ------------------------------------------------------------------ fitting
    def fit(self, X: Sequence[str], y: Any, sample_weight: Any = None) -> TfidfOvR:
        """Fit the vectoriser on ``X`` and one logistic regression per label column."""
        self._validate_params_()
        texts = _texts(X)
        vectorizer = self._vectorizer()
        matrix = vectorizer.fit_transform(texts)
        self._set_vectorizer(vectorizer)
        return self._fit_heads(matrix, y, sample_weight)

    def refit_heads(self, fitted: TfidfOvR, X: Sequence[str], y: Any, sample_weight: Any = None) -> TfidfOvR:
        """Fit only the regressions, reusing ``fitted``'s vocabulary (same texts, other C).

        Lets a hyper-parameter search over C / class_weight vectorise the corpus once; the
        result is the same as ``fit`` with these parameters on the same texts.
        """
        self._validate_params_()
        check_is_fitted(fitted, "coef_")
        if (tuple(fitted.ngram_range), fitted.max_features, fitted.min_df, fitted.sublinear_tf) != (
            tuple(self.ngram_range), self.max_features, self.min_df, self.sublinear_tf
        ):
            raise ValueError("refit_heads needs an estimator with the same vectoriser parameters.")
        self._set_vectorizer(fitted._vectorizer_)
        return self._fit_heads(self._vectorizer_.transform(_texts(X)), y, sample_weight)

    def _set_vectorizer(self, vectorizer: TfidfVectorizer) -> None:
        self.vocabulary_ = [term for term, _ in sorted(vectorizer.vocabulary_.items(), key=lambda kv: kv[1])]
        self.idf_ = np.asarray(vectorizer.idf_, dtype=np.float64)
        self._vectorizer_ = vectorizer

    def _fit_heads(self, matrix: Any, y: Any, sample_weight: Any) -> TfidfOvR:
        Y = np.asarray(y, dtype=np.float64)
        if Y.ndim != 2 or Y.shape[0] != matrix.shape[0]:
            raise ValueError(
                f"TfidfOvR.fit expects y as a (n_samples, n_labels) multi-hot matrix with "
                f"{matrix.shape[0]} rows; got shape {Y.shape}."
            )
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        self.n_labels_ = Y.shape[1]
        self.coef_ = np.zeros((self.n_labels_, matrix.shape[1]))
        self.intercept_ = np.full(self.n_labels_, NO_POSITIVE_INTERCEPT)
        for j in range(self.n_labels_):
            target = (Y[:, j] >= 0.5).astype(int)
            if target.min() == target.max():  # a label never (or always) seen: a constant
                self.intercept_[j] = NO_POSITIVE_INTERCEPT if target.max() == 0 else -NO_POSITIVE_INTERCEPT
                continue
            lr = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=self.max_iter)
            lr.fit(matrix, target, sample_weight=weights)
            self.coef_[j] = lr.coef_[0]
            self.intercept_[j] = lr.intercept_[0]
        if hasattr(self, "class_thresholds_"):
            del self.class_thresholds_  # thresholds belong to the previous fit
        return self

    def _validate_params_(self) -> None:
        lo, hi = self.ngram_range
        if not 1 <= lo <= hi:
            raise ValueError(f"The 'ngram_range' parameter of TfidfOvR must satisfy 1 <= lo <= hi. Got {self.ngram_range} instead.")
        if not self.C > 0:
            raise ValueError(f"The 'C' parameter of TfidfOvR must be a float in (0, inf). Got {self.C} instead.")
        if not 0 < self.threshold < 1:
            raise ValueError(f"The 'threshold' parameter of TfidfOvR must be in (0, 1). Got {self.threshold} instead.")

    def _vectorizer(self, vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
        return TfidfVectorizer(
            analyzer="char",
            ngram_range=tuple(self.ngram_range),
            max_features=self.max_features,
            min_df=self.min_df,
            sublinear_tf=self.sublinear_tf,
            vocabulary=vocabulary,
            dtype=np.float32,
        )

    # --------------------------------------------------------------- inference
    def decision_function(self, X: Sequence[str]) -> np.ndarray:
        """Logits (n, L)."""
        check_is_fitted(self, "coef_")
        matrix = self._vectorizer_.transform(_texts(X))
        return np.asarray(matrix @ self.coef_.T) + self.intercept_[None, :]

    def predict_proba(self, X: Sequence[str]) -> np.ndarray:
        """Probabilities (n, L), one independent sigmoid per label."""
        return sigmoid(self.decision_function(X))

    def predict(self, X: Sequence[str]) -> np.ndarray:
        """0/1 matrix (n, L): per-label ``class_thresholds_`` when tuned, else ``threshold``."""
        return (self.predict_proba(X) >= self.cutoffs()[None, :]).astype(int)

    def cutoffs(self) -> np.ndarray:
        """The decision threshold of every label column."""
        check_is_fitted(self, "coef_")
        tuned = getattr(self, "class_thresholds_", None)
        if tuned is not None:
            return np.asarray(tuned, dtype=np.float64)
        return np.full(self.n_labels_, self.threshold)

    def set_class_thresholds(self, thresholds: Sequence[float] | np.ndarray) -> TfidfOvR:
        """Store per-label thresholds tuned on held-out data (a fitted attribute)."""
        check_is_fitted(self, "coef_")
        values = np.asarray(thresholds, dtype=np.float64)
        if values.shape != (self.n_labels_,) or not ((values > 0) & (values < 1)).all():
            raise ValueError(f"expected {self.n_labels_} thresholds in (0, 1), got shape {values.shape}.")
        self.class_thresholds_ = values
        return self

    # -------------------------------------------------------------- persistence
    def save(self, directory: Path, prefix: str = "tfidf") -> None:
        """Write ``<prefix>.json`` (parameters, vocabulary) and ``<prefix>.safetensors``."""
        from safetensors.numpy import save_file

        check_is_fitted(self, "coef_")
        params = self.get_params()
        params["ngram_range"] = list(params["ngram_range"])
        doc: dict[str, Any] = {"params": params, "vocabulary": self.vocabulary_}
        tuned = getattr(self, "class_thresholds_", None)
        if tuned is not None:
            doc["class_thresholds"] = [float(t) for t in tuned]
        (Path(directory) / f"{prefix}.json").write_text(json.dumps(doc, ensure_ascii=False), "utf-8")
        save_file(
            {
                "idf": self.idf_.astype(np.float32),
                "coef": self.coef_.astype(np.float16),
                "intercept": self.intercept_.astype(np.float32),
            },
            str(Path(directory) / f"{prefix}.safetensors"),
        )

    @classmethod
    def load(cls, directory: Path, prefix: str = "tfidf") -> TfidfOvR:
        """Rebuild a fitted estimator from :meth:`save` output (no pickle involved)."""
        from safetensors.numpy import load_file

        doc = json.loads((Path(directory) / f"{prefix}.json").read_text("utf-8"))
        params = dict(doc["params"])
        params["ngram_range"] = tuple(params["ngram_range"])
        est = cls(**params)
        arrays = load_file(str(Path(directory) / f"{prefix}.safetensors"))
        est.vocabulary_ = list(doc["vocabulary"])
        est.idf_ = arrays["idf"].astype(np.float64)
        est.coef_ = arrays["coef"].astype(np.float64)
        est.intercept_ = arrays["intercept"].astype(np.float64)
        est.n_labels_ = est.coef_.shape[0]
        if doc.get("class_thresholds") is not None:
            est.class_thresholds_ = np.asarray(doc["class_thresholds"], dtype=np.float64)
        vectorizer = est._vectorizer({term: i for i, term in enumerate(est.vocabulary_)})
        vectorizer.idf_ = est.idf_
        est._vectorizer_ = vectorizer
        return est


def _texts(X: Sequence[str]) -> list[str]:
    if isinstance(X, str):
        raise ValueError("TfidfOvR expects a sequence of texts, got a single string; wrap it in a list.")
    texts = list(X)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise ValueError(f"TfidfOvR expects texts; item {i} is {type(text).__name__}.")
    return texts
