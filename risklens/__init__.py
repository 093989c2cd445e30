"""RiskLens: find, tag and score the risk disclosures of Chinese A-share filings.

    from risklens import load_model, score_filing, compare_filings

The three names come from ``risklens.api`` and are imported on first use, so that
``import risklens.filings`` (which runs this file first) stays as light as it was.
"""

from __future__ import annotations

from importlib import metadata
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from risklens.api import compare_filings, load_model, score_filing

try:
    __version__ = metadata.version("risklens")
except metadata.PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+source"

__all__ = ["__version__", "compare_filings", "load_model", "score_filing"]

_API = {"compare_filings", "load_model", "score_filing"}


def __getattr__(name: str) -> Any:
    if name in _API:
        from risklens import api

        return getattr(api, name)
    raise AttributeError(f"module 'risklens' has no attribute {name!r}")
