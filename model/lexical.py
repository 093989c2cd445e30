"""A saved TF-IDF model's logits in numpy alone: what the fusion head needs at inference.

``model.tfidf.TfidfOvR`` is a scikit-learn estimator, and importing scikit-learn (with the
parts of scipy it pulls in) costs more than a second of every CLI call, while inference only
maps texts to character n-gram TF-IDF vectors and multiplies them by 30 coefficient rows.
:class:`TfidfScorer` reads the same files (``tfidf.json``: parameters and vocabulary;
``tfidf.safetensors``: idf, coefficients, intercepts) and repeats scikit-learn's arithmetic
step for step — float32 counts, ``log`` + 1, idf multiplied in float64 and rounded to float32,
the row's L2 norm of float32 squares accumulated left to right in float64, then a float64 product accumulated
column by column in index order as scipy's CSR kernel does — so its logits equal
``TfidfOvR.decision_function``'s bit for bit (``tests/model/test_load_lexical.py``). Training
still uses ``TfidfOvR``; a model saved from a scorer writes the files it was read from.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

WHITE_SPACES = re.compile(r"\s\s+")  # scikit-learn's CountVectorizer._white_spaces


class TfidfScorer:
    """Logits of a saved ``TfidfOvR`` (char n-grams, sublinear tf, l2 norm), without scikit-learn."""

    def __init__(self, doc: dict[str, Any], arrays: dict[str, np.ndarray], where: Path) -> None:
        params = doc["params"]
        if params.get("sublinear_tf") is not True or len(params.get("ngram_range", ())) != 2:
            raise ValueError(f"{where}: TfidfScorer reproduces sublinear-tf char n-gram models only; "
                             f"got {params}. Load it with model.tfidf.TfidfOvR instead.")
        self.doc = doc
        self.arrays = arrays
        self.min_n, self.max_n = (int(n) for n in params["ngram_range"])
        self.vocabulary: dict[str, int] = {term: i for i, term in enumerate(doc["vocabulary"])}
        self.idf = arrays["idf"].astype(np.float64)
        self.coef_t = np.ascontiguousarray(arrays["coef"].astype(np.float64).T)  # (features, labels)
        self.intercept = arrays["intercept"].astype(np.float64)

    @classmethod
    def load(cls, directory: Path, prefix: str = "tfidf") -> TfidfScorer:
        """Read ``<prefix>.json`` and ``<prefix>.safetensors`` as ``TfidfOvR.save`` wrote them."""
        from safetensors.numpy import load_file

        path = Path(directory) / f"{prefix}.json"
        doc = json.loads(path.read_text("utf-8"))
        return cls(doc, load_file(str(Path(directory) / f"{prefix}.safetensors")), path)

    def save(self, directory: Path, prefix: str = "tfidf") -> None:
        """Write the files this scorer was loaded from (same content, same dtypes)."""
        from safetensors.numpy import save_file

        (Path(directory) / f"{prefix}.json").write_text(json.dumps(self.doc, ensure_ascii=False), "utf-8")
        save_file(dict(self.arrays), str(Path(directory) / f"{prefix}.safetensors"))

    def ngrams(self, text: str) -> list[str]:
        """scikit-learn's char analyzer: lower-cased, whitespace runs collapsed, n-grams by n then position."""
        doc = WHITE_SPACES.sub(" ", text.lower())
        return [doc[i : i + n] for n in range(self.min_n, min(self.max_n + 1, len(doc) + 1))
                for i in range(len(doc) - n + 1)]

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """Logits (n, L), equal to ``TfidfOvR.decision_function`` on the same texts."""
        if isinstance(texts, str):
            raise ValueError("TfidfScorer expects a sequence of texts, got a single string; wrap it in a list.")
        out = np.zeros((len(texts), self.coef_t.shape[1]))
        for row, text in enumerate(texts):
            counts: dict[int, int] = {}
            for gram in self.ngrams(text):
                index = self.vocabulary.get(gram)
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
            if counts:
                columns = np.array(sorted(counts), dtype=np.int64)
                values = self._weights(columns, np.array([counts[c] for c in columns], dtype=np.float32))
                contributions = values.astype(np.float64)[:, None] * self.coef_t[columns]
                out[row] = np.cumsum(contributions, axis=0)[-1]  # left to right, as scipy's kernel adds
        return out + self.intercept[None, :]

    def _weights(self, columns: np.ndarray, counts: np.ndarray) -> np.ndarray:
        """float32 tf-idf of one row, L2-normalised exactly as scikit-learn does it."""
        data = np.log(counts, dtype=np.float32)
        data += np.float32(1.0)
        data = (data.astype(np.float64) * self.idf[columns]).astype(np.float32)
        # sparsefuncs_fast._inplace_csr_row_normalize_l2: float32 squares summed left to right in a
        # double, its square root in double, each value divided in double and stored as float32
        total = float(np.cumsum((data * data).astype(np.float64))[-1])
        if total == 0.0:
            return data
        return (data.astype(np.float64) / np.sqrt(total)).astype(np.float32)
