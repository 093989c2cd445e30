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

Optionally (``cues=``) the head also reads lexical boundary cues (``model.cues``: a
negation / non-risk cue on every leaf, a "sanction regime named" cue on
``entity_list_sanctions``), one more shared slope each; their patterns are frozen into
``fusion.json`` like the rule table. Heads without cues save and load exactly as before.

Prefit stacking, as scikit-learn's ``StackingClassifier(cv="prefit")``: the TF-IDF model
is fitted on training rows elsewhere and handed to the constructor; ``fit`` fits only the
stack, on held-out rows. The heading rule table the head was fitted with is frozen into
``fusion.json`` (``RuleSnapshot``), so editing ``labels.silver.RULES`` later never changes
what a saved model outputs.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from risklens.labels import silver
from risklens.labels.taxonomy import LABEL_INDEX, LABELS
from risklens.model.calibration import sigmoid
from risklens.model.cues import CueSnapshot
from risklens.model.inputs import Paragraph, as_paragraphs
from risklens.model.lexical import TfidfScorer

if TYPE_CHECKING:  # scikit-learn is imported only to fit; a loaded head scores with numpy alone
    from risklens.model.tfidf import TfidfOvR

FUSION_FILE = "fusion.json"
FEATURES = ("enc_heading", "enc_text", "tfidf_heading", "tfidf_text", "rule", "has_heading")
RULES_FORMAT = "risklens-heading-rules.v1"
LEGACY_RULES_SHA256 = "6c23712cbbe9ba092f380c18e2444579818bfcac767fb152b570c059716dfd43"
"""``RuleSnapshot.sha256`` of the rule table of risklens 0.1.0, the one that fusion heads
saved without a snapshot were fitted with: such a head loads only while the live table
still has this hash."""


@dataclass(frozen=True)
class RuleSnapshot:
    """The heading rule table a fusion head uses: (pattern, leaves) rows and the generic-heading pattern."""

    table: tuple[tuple[str, tuple[str, ...]], ...]
    generic: str

    @classmethod
    def current(cls) -> RuleSnapshot:
        """The live table of ``risklens.labels.silver`` (read at call time)."""
        return cls(tuple((rule.pattern, tuple(rule.leaves)) for rule in silver.RULES),
                   silver.RuleLabeller().generic.pattern)

    def sha256(self) -> str:
        """Content hash of the table (canonical JSON), independent of how it is stored."""
        doc = {"generic": self.generic, "table": [{"pattern": p, "leaves": list(leaves)} for p, leaves in self.table]}
        canonical = json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def labeller(self) -> silver.RuleLabeller:
        """A heading-mode ``RuleLabeller`` over this table."""
        rules = [silver.Rule(p, leaves) for p, leaves in self.table]
        return silver.RuleLabeller(rules, mode="heading", generic=self.generic)

    def to_dict(self) -> dict[str, Any]:
        return {"format": RULES_FORMAT, "sha256": self.sha256(), "generic": self.generic,
                "table": [{"pattern": p, "leaves": list(leaves)} for p, leaves in self.table]}

    @classmethod
    def from_dict(cls, doc: dict[str, Any], where: Path) -> RuleSnapshot:
        """Rebuild a saved snapshot; its stored hash must match its content."""
        if doc.get("format") != RULES_FORMAT:
            raise ValueError(f"{where}: rule snapshot format {doc.get('format')!r} is not {RULES_FORMAT!r}; "
                             f"this model needs a newer risklens.")
        snapshot = cls(tuple((row["pattern"], tuple(row["leaves"])) for row in doc["table"]), doc["generic"])
        if snapshot.sha256() != doc.get("sha256"):
            raise ValueError(f"{where}: the rule table stored in it does not match its sha256 (edited by hand?); "
                             f"restore the file from the model's original copy.")
        return snapshot


def lexical_text(paragraph: Paragraph, use_headings: bool = True) -> str:
    """What the TF-IDF model reads: heading path and text, or text alone."""
    if use_headings and paragraph.heading:
        return f"{paragraph.heading}\n{paragraph.text}"
    return paragraph.text


def lexical_texts(paragraphs: Sequence[Paragraph]) -> list[str]:
    """Every paragraph with its heading, then every paragraph without: how the TF-IDF part is fitted."""
    return [lexical_text(p, True) for p in paragraphs] + [lexical_text(p, False) for p in paragraphs]


def fit_lexical(
    paragraphs: Sequence[object], targets: np.ndarray, weights: np.ndarray | None = None, **params: Any
) -> TfidfOvR:
    """A ``TfidfOvR`` (``params``) fitted on training paragraphs, each seen with and without heading."""
    from risklens.model.tfidf import TfidfOvR

    texts = lexical_texts(as_paragraphs(paragraphs))
    w = None if weights is None else np.concatenate([weights, weights])
    return TfidfOvR(**params).fit(texts, np.vstack([targets, targets]), sample_weight=w)


def rule_matrix(
    paragraphs: Sequence[Paragraph], use_headings: Sequence[bool] | bool = True, rules: RuleSnapshot | None = None
) -> np.ndarray:
    """(n, L) 0/1: leaves the heading rule table (``rules``, default the live one) assigns to each heading."""
    labeller = (rules if rules is not None else RuleSnapshot.current()).labeller()
    flags = _flags(use_headings, len(paragraphs))
    out = np.zeros((len(paragraphs), len(LABELS)))
    for i, (para, flag) in enumerate(zip(paragraphs, flags, strict=True)):
        if flag and para.heading:
            for label in labeller.predict(para.heading, ""):
                out[i, LABEL_INDEX[label]] = 1.0
    return out


class FusionHead:
    """Stacked logistic regression over encoder, a prefit TF-IDF model and heading-rule evidence.

    ``__init__`` only stores: ``tfidf`` (already fitted on training rows), the stack's L2
    strength, whether rule evidence is used and, optionally, the rule table to use (default:
    the live table at ``fit`` time). Learned state ends in ``_``: ``coef_`` (one slope per
    feature), ``intercept_``, ``label_bias_`` and ``rules_``, the table the head was fitted
    with, which ``save`` stores.
    """

    def __init__(
        self, tfidf: TfidfOvR | TfidfScorer, *, stack_C: float = 1.0, use_rules: bool = True,
        rules: RuleSnapshot | None = None, cues: Sequence[str] = (),
    ) -> None:
        self.tfidf = tfidf
        self.stack_C = stack_C
        self.use_rules = use_rules
        self.rules = rules
        self.cues = tuple(cues)  # extra features from model.cues, after FEATURES (default: none)
        self.coef_: np.ndarray | None = None  # (len(FEATURES),)
        self.intercept_: float = 0.0
        self.label_bias_: np.ndarray | None = None  # (L,)
        self.rules_: RuleSnapshot | None = None
        self.cues_: CueSnapshot | None = None  # the cue patterns fitted with (None without cues)

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        scaled_logits: np.ndarray,
        paragraphs: Sequence[object],
        targets: np.ndarray,
        use_headings: Sequence[bool] | bool = True,
    ) -> FusionHead:
        """Fit the stacking weights on held-out rows (encoder logits already temperature-scaled)."""
        from sklearn.exceptions import NotFittedError
        from sklearn.linear_model import LogisticRegression
        from sklearn.utils.validation import check_is_fitted

        try:
            if not isinstance(self.tfidf, TfidfScorer):
                check_is_fitted(self.tfidf, "coef_")
        except NotFittedError:
            raise ValueError("FusionHead needs a fitted TfidfOvR (prefit stacking): fit the TF-IDF model on "
                             "training rows first, then pass it to FusionHead(tfidf).") from None
        self.rules_ = self.rules if self.rules is not None else RuleSnapshot.current()
        self.cues_ = CueSnapshot.current(self.cues) if self.cues else None
        items = as_paragraphs(paragraphs)
        feats = self.features(scaled_logits, items, use_headings)
        n, n_labels, n_feats = feats.shape
        design = np.concatenate(
            [feats.reshape(n * n_labels, n_feats), np.tile(np.eye(n_labels), (n, 1))], axis=1
        )
        y = (np.asarray(targets).reshape(n * n_labels) >= 0.5).astype(int)
        if y.min() == y.max():
            raise ValueError("FusionHead.fit needs both positive and negative cells in targets.")
        lr = LogisticRegression(C=self.stack_C, max_iter=5000)
        lr.fit(design, y)
        self.coef_ = lr.coef_[0, :n_feats].copy()
        self.label_bias_ = lr.coef_[0, n_feats:].copy()
        self.intercept_ = float(lr.intercept_[0])
        return self

    def features(
        self, scaled_logits: np.ndarray, paragraphs: Sequence[Paragraph], use_headings: Sequence[bool] | bool
    ) -> np.ndarray:
        """(n, L, len(FEATURES)) evidence per (paragraph, leaf) cell."""
        if self.rules_ is None:
            raise ValueError("FusionHead: not fitted; call fit (or load a saved head) first.")
        flags = _flags(use_headings, len(paragraphs))
        z_enc = np.asarray(scaled_logits, dtype=np.float64)
        texts = [lexical_text(p, f) for p, f in zip(paragraphs, flags, strict=True)]
        z_lex = np.clip(self.tfidf.decision_function(texts), -20, 20)
        rules = rule_matrix(paragraphs, flags, self.rules_) if self.use_rules else np.zeros_like(z_enc)
        h = np.array([1.0 if f and p.heading else 0.0 for p, f in zip(paragraphs, flags, strict=True)])
        h2 = np.repeat(h[:, None], z_enc.shape[1], axis=1)
        base = np.stack([z_enc * h2, z_enc * (1 - h2), z_lex * h2, z_lex * (1 - h2), rules, h2], axis=-1)
        if self.cues_ is None:
            return base
        return np.concatenate([base, self.cues_.matrix([p.text for p in paragraphs])], axis=-1)

    def feature_names(self) -> tuple[str, ...]:
        """``FEATURES`` followed by the cues the head uses."""
        return FEATURES + (self.cues_.names if self.cues_ is not None else tuple(self.cues))

    # --------------------------------------------------------------- inference
    def decision_function(
        self, scaled_logits: np.ndarray, paragraphs: Sequence[object], use_headings: Sequence[bool] | bool = True
    ) -> np.ndarray:
        """Fused logits (n, L)."""
        if self.coef_ is None or self.label_bias_ is None:
            raise ValueError("FusionHead: not fitted; call fit first.")
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
        return {name: round(float(w), 4) for name, w in zip(self.feature_names(), self.coef_, strict=True)}

    # -------------------------------------------------------------- persistence
    def save(self, directory: Path) -> None:
        """Write ``fusion.json`` (weights and the rule snapshot) and the TF-IDF model (``tfidf.*``)."""
        if self.coef_ is None or self.label_bias_ is None or self.rules_ is None:
            raise ValueError("FusionHead: nothing to save, the head is not fitted.")
        doc: dict[str, Any] = {
            "format": "risklens-fusion.v1",
            "features": list(self.feature_names()),
            "coef": [float(x) for x in self.coef_],
            "intercept": self.intercept_,
            "label_bias": {label: float(b) for label, b in zip(LABELS, self.label_bias_, strict=True)},
            "params": {"stack_C": self.stack_C, "use_rules": self.use_rules},
            "rules": self.rules_.to_dict(),
        }
        if self.cues_ is not None:  # heads without cues keep their earlier file, byte for byte
            doc["cues"] = self.cues_.to_dict()
        (Path(directory) / FUSION_FILE).write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", "utf-8")
        self.tfidf.save(Path(directory))

    @classmethod
    def load(cls, directory: Path) -> FusionHead:
        """Rebuild a saved head with the rule table it was fitted with (see ``saved_rules``)."""
        path = Path(directory) / FUSION_FILE
        doc = json.loads(path.read_text("utf-8"))
        cues = CueSnapshot.from_dict(doc["cues"]) if "cues" in doc else None
        expected = FEATURES + (cues.names if cues is not None else ())
        if tuple(doc.get("features", ())) != expected:
            raise ValueError(f"{path}: fusion features {doc.get('features')} are not {list(expected)}.")
        params = doc["params"]  # older files also list the TF-IDF's own parameters: tfidf.json has them
        rules = saved_rules(doc, Path(directory))
        head = cls(TfidfScorer.load(Path(directory)), stack_C=params["stack_C"], use_rules=params["use_rules"],
                   rules=rules, cues=cues.names if cues is not None else ())
        head.coef_ = np.array(doc["coef"], dtype=np.float64)
        head.intercept_ = float(doc["intercept"])
        head.label_bias_ = np.array([doc["label_bias"][label] for label in LABELS], dtype=np.float64)
        head.rules_ = rules
        head.cues_ = cues
        return head


def saved_rules(doc: dict[str, Any], directory: Path) -> RuleSnapshot:
    """The rule table of a saved head: its snapshot, or for an older file the live table if unchanged.

    Heads saved before snapshots existed were fitted with the table whose hash is
    ``LEGACY_RULES_SHA256``; the live table stands in for it only while it is that table.
    """
    if "rules" in doc:
        return RuleSnapshot.from_dict(doc["rules"], Path(directory) / FUSION_FILE)
    live = RuleSnapshot.current()
    if live.sha256() == LEGACY_RULES_SHA256:
        return live
    raise ValueError(
        f"{directory}: its fusion head was saved without its heading rule table, and the live table in "
        f"risklens.labels.silver has changed since (sha256 {live.sha256()[:12]}…, expected "
        f"{LEGACY_RULES_SHA256[:12]}…), so the model would score differently from when it was tested. "
        f"Refit its calibration and fusion with the current rules (risklens.training.finish.calibrate_run on "
        f"its training run), or load it with the risklens release it was trained with."
    )


def _flags(use_headings: Sequence[bool] | bool, n: int) -> list[bool]:
    if isinstance(use_headings, bool | np.bool_):
        return [bool(use_headings)] * n
    flags = [bool(f) for f in use_headings]
    if len(flags) != n:
        raise ValueError(f"use_headings has {len(flags)} flags for {n} paragraphs.")
    return flags
