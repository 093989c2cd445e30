"""RiskLens: find, tag and score the risk disclosures of Chinese A-share filings."""

from importlib import metadata

try:
    __version__ = metadata.version("risklens")
except metadata.PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0+source"

__all__ = ["__version__"]
