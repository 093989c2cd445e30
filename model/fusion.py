"""Fusion head: the encoder's logits stacked with lexical (TF-IDF) and heading-rule evidence.

FINDINGS.md showed a fine-tuned encoder alone losing to TF-IDF on small data. The fusion
head keeps the encoder as the core and lets a tiny logistic regression decide, from held-out
(dev) data, how much to trust each source per (paragraph, leaf) cell:

    logit = a·z_enc·h + b·z_enc·(1-h) + c·z_tfidf·h + d·z_tfidf·(1-h) + e·rule·h + f·h + bias_leaf

where ``h`` says whether a heading was given, ``z_enc`` is the temperature-scaled encoder
logit, ``z_tfidf`` the TF-IDF logit and ``rule`` whether the heading rule table fires for the
leaf. Slopes are shared across leaves (6 numbers), so a dev set of a few hundred paragraphs
fits it without memorising; each leaf only gets its own (L2-shrunk) bias. Saved as JSON
plus the TF-IDF arrays, never pickle.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression

from risklens.labels.taxonomy import LABEL_INDEX, LABELS
from risklens.model.calibration import sigmoid
from risklens.model.inputs import Paragraph, as_paragraphs
from risklens.model.tfidf import TfidfOvR

FUSION_FILE = "fusion.json"
FEATURES = ("enc_heading", "enc_text", "tfidf_heading", "tfidf_text", "rule", "has_heading")


def lexical_text(paragraph: Paragraph, use_headings: bool = True) -> str:
    """What the TF-IDF model reads: heading path and text, or text alone."""
    if use_headings and paragraph.heading:
        return f"{paragraph.heading}\n{paragraph.text}"
    return paragraph.text


def rule_matrix(paragraphs: Sequence[Paragraph], use_headings: Sequence[bool] | bool = True) -> np.ndarray:
    """(n, L) 0/1: leaves the heading rule table assigns to each paragraph's heading."""
    from risklens.labels.silver import RuleLabeller

    labeller = RuleLabeller(mode="heading")
    flags = _flags(use_headings, len(paragraphs))
    out = np.zeros((len(paragraphs), len(LABELS)))
    for i, (para, flag) in enumerate(zip(paragraphs, flags, strict=True)):
        if flag and para.heading:
            for label in labeller.predict(para.heading, ""):
                out[i, LABEL_INDEX[label]] = 1.0
    return out


class FusionHead:
    """Stacked logistic regression over encoder, TF-IDF and heading-rule evidence."""

    def __init__(
        self,
        *,
        max_features: int = 100_000,
        min_df: int = 2,
        tfidf_C: float = 10.0,
        stack_C: float = 1.0,
        use_rules: bool = True,
    ) -> None:
        self.max_features = max_features
        self.min_df = min_df
        self.tfidf_C = tfidf_C
        self.stack_C = stack_C
        self.use_rules = use_rules
        self.tfidf: TfidfOvR | None = None
        self.coef_: np.ndarray | None = None  # (len(FEATURES),)
        self.intercept_: float = 0.0
        self.label_bias_: np.ndarray | None = None  # (L,)

    # ------------------------------------------------------------------ fitting
    def fit_lexical(
        self, paragraphs: Sequence[object], targets: np.ndarray, weights: np.ndarray | None = None
    ) -> FusionHead:
        """Fit the TF-IDF part on training paragraphs, each seen with and without heading."""
        items = as_paragraphs(paragraphs)
        texts = [lexical_text(p, True) for p in items] + [lexical_text(p, False) for p in items]
        y = np.vstack([targets, targets])
        w = None if weights is None else np.concatenate([weights, weights])
        self.tfidf = TfidfOvR(max_features=self.max_features, min_df=self.min_df, C=self.tfidf_C)
        self.tfidf.fit(texts, y, sample_weight=w)
        return self

    def features(
        self, scaled_logits: np.ndarray, paragraphs: Sequence[Paragraph], use_headings: Sequence[bool] | bool
    ) -> np.ndarray:
        """(n, L, len(FEATURES)) evidence per (paragraph, leaf) cell."""
        if self.tfidf is None:
            raise ValueError("FusionHead: call fit_lexical (or load a fitted head) first.")
        flags = _flags(use_headings, len(paragraphs))
        z_enc = np.asarray(scaled_logits, dtype=np.float64)
        texts = [lexical_text(p, f) for p, f in zip(paragraphs, flags, strict=True)]
        z_lex = np.clip(self.tfidf.decision_function(texts), -20, 20)
        rules = rule_matrix(paragraphs, flags) if self.use_rules else np.zeros_like(z_enc)
        h = np.array([1.0 if f and p.heading else 0.0 for p, f in zip(paragraphs, flags, strict=True)])
        h2 = np.repeat(h[:, None], z_enc.shape[1], axis=1)
        return np.stack([z_enc * h2, z_enc * (1 - h2), z_lex * h2, z_lex * (1 - h2), rules, h2], axis=-1)

    def fit_stack(
        self,
        scaled_logits: np.ndarray,
        paragraphs: Sequence[object],
        targets: np.ndarray,
        use_headings: Sequence[bool] | bool = True,
    ) -> FusionHead:
        """Fit the stacking weights on held-out rows (encoder logits already temperature-scaled)."""
        items = as_paragraphs(paragraphs)
        feats = self.features(scaled_logits, items, use_headings)
        n, n_labels, n_feats = feats.shape
        design = np.concatenate(
            [feats.reshape(n * n_labels, n_feats), np.tile(np.eye(n_labels), (n, 1))], axis=1
        )
        y = (np.asarray(targets).reshape(n * n_labels) >= 0.5).astype(int)
        if y.min() == y.max():
            raise ValueError("FusionHead.fit_stack needs both positive and negative cells in targets.")
        lr = LogisticRegression(C=self.stack_C, max_iter=5000)
        lr.fit(design, y)
        self.coef_ = lr.coef_[0, :n_feats].copy()
        self.label_bias_ = lr.coef_[0, n_feats:].copy()
        self.intercept_ = float(lr.intercept_[0])
        return self

    def fit(
        self,
        scaled_logits: np.ndarray,
        paragraphs: Sequence[object],
        targets: np.ndarray,
        *,
        train_paragraphs: Sequence[object],
        train_targets: np.ndarray,
        train_weights: np.ndarray | None = None,
        use_headings: Sequence[bool] | bool = True,
    ) -> FusionHead:
        """``fit_lexical`` on the training rows, then ``fit_stack`` on the held-out rows."""
        self.fit_lexical(train_paragraphs, train_targets, train_weights)
        return self.fit_stack(scaled_logits, paragraphs, targets, use_headings)

    # --------------------------------------------------------------- inference
    def decision_function(
        self, scaled_logits: np.ndarray, paragraphs: Sequence[object], use_headings: Sequence[bool] | bool = True
    ) -> np.ndarray:
        """Fused logits (n, L)."""
        if self.coef_ is None or self.label_bias_ is None:
            raise ValueError("FusionHead: not fitted; call fit_stack first.")
        feats = self.features(scaled_logits, as_paragraphs(paragraphs), use_headings)
        return feats @ self.coef_ + self.label_bias_[None, :] + self.intercept_

    def predict_proba(
        self, scaled_logits: np.ndarray, paragraphs: Sequence[object], use_headings: Sequence[bool] | bool = True
    ) -> np.ndarray:
        """Fused probabilities (n, L)."""
        return sigmoid(self.decision_function(scaled_logits, paragraphs, use_headings))

    def describe(self) -> dict[str, Any]:
        """Stacking weights by name: how much each evidence source counts."""
        if self.coef_ is None:
            return {}
        return {name: round(float(w), 4) for name, w in zip(FEATURES, self.coef_, strict=True)}

    # -------------------------------------------------------------- persistence
    def save(self, directory: Path) -> None:
        if self.tfidf is None or self.coef_ is None or self.label_bias_ is None:
            raise ValueError("FusionHead: nothing to save, the head is not fitted.")
        doc = {
            "format": "risklens-fusion.v1",
            "features": list(FEATURES),
            "coef": [float(x) for x in self.coef_],
            "intercept": self.intercept_,
            "label_bias": {label: float(b) for label, b in zip(LABELS, self.label_bias_, strict=True)},
            "params": {
                "max_features": self.max_features,
                "min_df": self.min_df,
                "tfidf_C": self.tfidf_C,
                "stack_C": self.stack_C,
                "use_rules": self.use_rules,
            },
        }
        (Path(directory) / FUSION_FILE).write_text(json.dumps(doc, indent=2) + "\n", "utf-8")
        self.tfidf.save(Path(directory))

    @classmethod
    def load(cls, directory: Path) -> FusionHead:
        path = Path(directory) / FUSION_FILE
        doc = json.loads(path.read_text("utf-8"))
        if tuple(doc.get("features", ())) != FEATURES:
            raise ValueError(f"{path}: fusion features {doc.get('features')} are not {list(FEATURES)}.")
        head = cls(**doc["params"])
        head.coef_ = np.array(doc["coef"], dtype=np.float64)
        head.intercept_ = float(doc["intercept"])
        head.label_bias_ = np.array([doc["label_bias"][label] for label in LABELS], dtype=np.float64)
        head.tfidf = TfidfOvR.load(Path(directory))
        return head


def _flags(use_headings: Sequence[bool] | bool, n: int) -> list[bool]:
    if isinstance(use_headings, bool | np.bool_):
        return [bool(use_headings)] * n
    flags = [bool(f) for f in use_headings]
    if len(flags) != n:
        raise ValueError(f"use_headings has {len(flags)} flags for {n} paragraphs.")
    return flags


def tiny_fusion_example() -> tuple[list[Paragraph], np.ndarray]:
    """A dozen made-up paragraphs (written for tests) with multi-hot targets."""
    rows = [
        ("（一）应收账款回收风险", "公司应收账款余额较大，若客户付款延迟，可能产生坏账。", ["receivables_credit"]),
        ("（二）存货跌价风险", "公司存货金额较高，若价格下降需计提跌价准备。", ["inventory_impairment"]),
        ("（三）市场竞争风险", "行业竞争加剧，新进入者增多，公司市场份额可能下降。", ["market_competition"]),
        ("（四）税收优惠变化风险", "公司享受高新技术企业所得税优惠，若政策变化将影响利润。", ["tax_and_subsidy"]),
        ("", "公司主要客户集中度较高，若大客户减少采购，收入将下降。", ["customer_concentration"]),
        ("", "募投项目建成后新增折旧较多，若效益不及预期将影响业绩。", ["proceeds_projects"]),
        ("（五）汇率波动风险", "公司出口收入以美元结算，汇率波动产生汇兑损益。", ["fx_and_interest_rate"]),
        ("", "本次发行完成后，公司股本增加，每股收益可能被摊薄。", ["dilution_roe"]),
        ("一、经营风险", "投资者在评价公司本次发行时，应特别考虑下述各项风险。", []),
        ("（六）核心技术人员流失风险", "若核心技术人员离职，公司研发可能受到影响。", ["core_talent_and_know_how"]),
        ("（七）研发失败风险", "公司在研项目可能失败，研发投入无法收回。", ["rd_failure"]),
        ("", "原材料价格波动较大，公司采购成本可能上升。", ["supply_chain", "gross_margin"]),
    ]
    paragraphs = [Paragraph(text=text, heading=heading) for heading, text, _ in rows]
    targets = np.zeros((len(rows), len(LABELS)))
    for i, (_, _, labels) in enumerate(rows):
        for label in labels:
            targets[i, LABEL_INDEX[label]] = 1.0
    return paragraphs, targets
