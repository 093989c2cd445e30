"""What a saved RiskLens model carries besides its Hugging Face weights: ``risklens.json``.

The model directory stays a plain Hugging Face directory (``config.json``, safetensors
weights, tokenizer files). ``risklens.json`` adds what plain transformers does not know:
the taxonomy version, per-label thresholds, the temperature, the windowing settings, the
base model, the package version that wrote it, the training config and the metrics.
Loading warns when the package or taxonomy version differs from the running one.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args

from risklens.labels.taxonomy import LABELS, TAXONOMY_VERSION

META_FILE = "risklens.json"
Precision = Literal["auto", "fp32", "bf16", "int8"]
"""How the encoder runs: see ``RiskClassifier.from_pretrained``."""
PRECISIONS: tuple[str, ...] = get_args(Precision)
FORMAT = "risklens-classifier.v1"


def package_version() -> str:
    """The installed RiskLens version ("0.0.0+source" when running from a bare checkout)."""
    from importlib import metadata

    try:
        return metadata.version("risklens")
    except metadata.PackageNotFoundError:
        return "0.0.0+source"


class ModelVersionWarning(UserWarning):
    """A saved model was written by another RiskLens or taxonomy version."""


@dataclass
class ModelMeta:
    """Contents of ``risklens.json``: everything inference needs beyond the HF weights."""

    name: str = "risklens-classifier"
    version: str = ""  # model version; defaults to the creation time
    base_model: str = ""  # where the encoder came from (a local dir or a hub-style id)
    labels: list[str] = field(default_factory=lambda: list(LABELS))
    thresholds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(LABELS, 0.5))
    encoder_thresholds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(LABELS, 0.5))
    temperature: float = 1.0  # encoder logits are divided by this before the sigmoid
    max_length: int = 256  # tokens per encoder window
    stride: int = 64  # tokens shared by consecutive windows of one paragraph
    max_heading_chars: int = 64  # innermost characters of the heading path kept
    window_pooling: str = "max"  # how window logits combine into one paragraph score
    item_windows: bool = False  # also read each item of a list of named risks as a window (model.enumerations)
    fusion: bool = False  # a stacked head (fusion.json + tfidf.*) sits beside the weights
    precision: str = "auto"  # inference default: "auto" (bf16 where the CPU has it), "fp32", "bf16", "int8"
    weights_dtype: str = "float32"  # dtype the safetensors were stored in
    taxonomy_version: str = TAXONOMY_VERSION
    package_version: str = field(default_factory=package_version)
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    training_config: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    format: str = FORMAT

    def __post_init__(self) -> None:
        if not self.version:
            self.version = self.created.replace(":", "").replace("-", "")[:13]
        if self.window_pooling not in ("max", "mean"):
            raise ValueError(
                f"window_pooling must be 'max' or 'mean', got {self.window_pooling!r}."
            )
        if self.item_windows and self.window_pooling != "max":
            raise ValueError("item_windows needs window_pooling 'max': a list gets the union of its items' leaves.")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}.")
        if not self.temperature > 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature}.")
        for name in ("thresholds", "encoder_thresholds"):
            table = getattr(self, name)
            missing = [label for label in self.labels if label not in table]
            if missing:
                raise ValueError(f"{name} lack a value for {missing[:3]} (and maybe more).")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelMeta:
        """Build from a parsed ``risklens.json``, ignoring keys a newer version may add."""
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})

    def save(self, directory: Path) -> Path:
        path = Path(directory) / META_FILE
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n", "utf-8")
        return path

    @classmethod
    def load(cls, directory: Path) -> ModelMeta:
        """Read ``risklens.json`` and warn when it was written by another version."""
        path = Path(directory) / META_FILE
        if not path.is_file():
            raise FileNotFoundError(
                f"{directory}: no {META_FILE}; expected a model directory written by "
                f"`risklens train` (a Hugging Face directory plus {META_FILE})."
            )
        try:
            data = json.loads(path.read_text("utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}).") from exc
        meta = cls.from_dict(data)
        meta.check_versions(str(directory))
        return meta

    def check_versions(self, where: str) -> None:
        """Refuse foreign label sets; warn on other package or taxonomy versions."""
        if tuple(self.labels) != LABELS:
            raise ValueError(
                f"{where}: the model predicts {len(self.labels)} labels that are not the "
                f"{len(LABELS)} leaves of {TAXONOMY_VERSION} in order; retrain it with "
                f"`risklens train`."
            )
        if self.taxonomy_version != TAXONOMY_VERSION:
            warnings.warn(
                f"{where}: model was trained for {self.taxonomy_version}, this RiskLens uses "
                f"{TAXONOMY_VERSION}.",
                ModelVersionWarning,
                stacklevel=3,
            )
        running = package_version()
        if _release(self.package_version) != _release(running):
            warnings.warn(
                f"{where}: model was written by RiskLens {self.package_version}, running "
                f"{running}; predictions may differ slightly.",
                ModelVersionWarning,
                stacklevel=3,
            )


def _release(version: str) -> str:
    """The public part of a version ("0.1.0+source" -> "0.1.0")."""
    return version.split("+", 1)[0]
