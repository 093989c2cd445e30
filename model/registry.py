"""A per-user model registry: numbered versions under ``models/``, one of them the default.

The registry is ``$RISKLENS_MODELS`` when set, else ``models/`` in the RiskLens home:
``$RISKLENS_HOME``, else the per-user data directory (``~/.local/share/risklens`` on
Linux; see ``labels.home``). Never the current folder, so every command finds the same
registry wherever it runs. Layout::

    <home>/models/
      v1/              a saved classifier (``RiskClassifier.save_pretrained``) + registry.json
      v2/
      DEFAULT.json     {"version": "v2", "promoted": "…", "previous": "v1", "forced": false}
      promotions.jsonl one line per promotion (who replaced what, with which scores)

``registry.json`` records the version, creation time, metrics (incl. test macro-F1), the
training config, a hash of the training data and the parent model. Versions are written
to a hidden temporary folder and renamed into place, so a crash never leaves a half
copied version, and two concurrent ``register`` calls get different numbers.

``promote`` refuses a model whose test macro-F1 is more than ``MAX_DROP`` (0.5 point)
below the current default — the promoted version, or the shipped ``model/default`` with
the metrics in its ``risklens.json`` when nothing was promoted yet — unless forced.

``resolve_model`` is the one rule every command and the server use to pick a model:
explicit path > ``$RISKLENS_MODEL`` > registry default > shipped ``model/default``. It
says which rule chose the model (``ResolvedModel.describe()`` is the line every command
prints on stderr); ``resolve_model_path`` returns just the directory.
"""

from __future__ import annotations

import builtins
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from risklens.labels.home import risklens_home
from risklens.labels.taxonomy import TAXONOMY_VERSION

REGISTRY_FILE = "registry.json"
DEFAULT_FILE = "DEFAULT.json"
PROMOTIONS_FILE = "promotions.jsonl"
MODELS_ENV = "RISKLENS_MODELS"
MODEL_ENV = "RISKLENS_MODEL"
SHIPPED_MODEL = Path(__file__).resolve().parent / "default"
MAX_DROP = 0.005
"""Largest test macro-F1 drop (0.5 percentage point, on the 0–1 scale) promote accepts."""


class RegistryError(RuntimeError):
    """A registry operation that cannot be done; ``str()`` is one line saying what to do."""


class PromotionRefused(RegistryError):
    """The candidate is worse than the current default by more than ``MAX_DROP``."""


class ModelNotFoundError(FileNotFoundError):
    """No model directory in any of the places ``resolve_model_path`` looks."""


def default_registry_root() -> Path:
    """``$RISKLENS_MODELS``, else ``models/`` in the RiskLens home (never the current folder)."""
    configured = os.environ.get(MODELS_ENV)
    if configured:
        return Path(configured).expanduser()
    return risklens_home() / "models"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _as_fraction(value: object) -> float | None:
    """A score on the 0–1 scale (percentages such as 62.5 are divided by 100)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number / 100.0 if number > 1.0 else number


def find_metric(metrics: Mapping[str, Any], name: str, split: str = "test") -> float | None:
    """Look up a score such as ``macro_f1`` of ``split`` in a metrics dict (0–1 scale).

    Accepts the shapes RiskLens writes: ``{"test": {"macro_f1": …}}`` (registry.json),
    ``{"test_macro_f1": …}``, and ``{"test": {"heading": {"risklens": {"macro_f1": …}}}}``
    (``risklens.json`` of ``risklens train``: the shipped pipeline, headings given).
    """
    paths: tuple[tuple[str, ...], ...] = (
        (f"{split}_{name}",),
        (split, name),
        (split, "heading", "risklens", name),
        (split, "full", name),
    )
    for path in paths:
        node: object = metrics
        for key in path:
            node = node.get(key) if isinstance(node, Mapping) else None
        value = _as_fraction(node)
        if value is not None:
            return value
    return None


@dataclass(frozen=True)
class VersionInfo:
    """One registered model: where it is and what ``registry.json`` says about it."""

    version: str
    path: Path
    created: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    data_hash: str = ""
    parent: str | None = None

    @property
    def test_macro_f1(self) -> float | None:
        return find_metric(self.metrics, "macro_f1")

    @property
    def test_micro_f1(self) -> float | None:
        return find_metric(self.metrics, "micro_f1")

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "created": self.created,
            "metrics": self.metrics,
            "config": self.config,
            "data_hash": self.data_hash,
            "parent": self.parent,
            "taxonomy_version": TAXONOMY_VERSION,
        }


@dataclass(frozen=True)
class Promotion:
    """What ``promote`` did: the new default, what it replaced and the scores compared."""

    version: str
    previous: str
    candidate_macro_f1: float | None
    baseline_macro_f1: float | None
    forced: bool
    changed: bool

    def summary(self) -> str:
        def pct(value: float | None) -> str:
            return "n/a" if value is None else f"{100 * value:.1f}"

        if not self.changed:
            return f"{self.version} is already the default."
        forced = " (forced)" if self.forced else ""
        return (
            f"{self.version} is now the default{forced}: test macro-F1 {pct(self.candidate_macro_f1)} "
            f"vs {pct(self.baseline_macro_f1)} for {self.previous}."
        )


def _version_number(name: str) -> int | None:
    if name.startswith("v") and name[1:].isdigit():
        return int(name[1:])
    return None


def _shipped_info() -> VersionInfo | None:
    """The shipped ``model/default`` as a pseudo-version (metrics from its risklens.json)."""
    meta_path = SHIPPED_MODEL / "risklens.json"
    if not meta_path.is_file():
        return None
    try:
        meta = json.loads(meta_path.read_text("utf-8"))
    except (OSError, json.JSONDecodeError):
        meta = {}
    return VersionInfo(
        version="shipped",
        path=SHIPPED_MODEL,
        created=str(meta.get("created", "")),
        metrics=dict(meta.get("metrics") or {}),
        config=dict(meta.get("training_config") or {}),
    )


class Registry:
    """Versions under ``root`` (``default_registry_root()`` by default), the promoted default and its history."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_registry_root()

    # ------------------------------------------------------------------ reading
    def list(self) -> list[VersionInfo]:
        """Registered versions, oldest first (folders without registry.json are ignored)."""
        if not self.root.is_dir():
            return []
        found: list[tuple[int, VersionInfo]] = []
        for child in self.root.iterdir():
            number = _version_number(child.name)
            if number is None or not (child / REGISTRY_FILE).is_file():
                continue
            found.append((number, self._read(child)))
        return [info for _, info in sorted(found, key=lambda pair: pair[0])]

    def _read(self, directory: Path) -> VersionInfo:
        path = directory / REGISTRY_FILE
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise RegistryError(f"{path}: unreadable registry entry ({exc}); remove or repair that version.") from None
        return VersionInfo(
            version=directory.name,
            path=directory,
            created=str(data.get("created", "")),
            metrics=dict(data.get("metrics") or {}),
            config=dict(data.get("config") or {}),
            data_hash=str(data.get("data_hash", "")),
            parent=data.get("parent"),
        )

    def get(self, version: str) -> VersionInfo:
        """The entry of ``version``; ``RegistryError`` lists the known versions otherwise."""
        directory = self.root / version
        if _version_number(version) is None or not (directory / REGISTRY_FILE).is_file():
            known = ", ".join(info.version for info in self.list()) or "none"
            raise RegistryError(f"unknown model version {version!r} in {self.root} (known: {known}).")
        return self._read(directory)

    def default_version(self) -> str | None:
        """The promoted version, or None when nothing was promoted yet."""
        marker = self.root / DEFAULT_FILE
        if not marker.is_file():
            return None
        try:
            version = json.loads(marker.read_text("utf-8"))["version"]
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
            raise RegistryError(f"{marker}: unreadable ({exc}); promote a version again to rewrite it.") from None
        return str(version)

    def default_path(self) -> Path | None:
        """Directory of the promoted version, or None when nothing was promoted."""
        version = self.default_version()
        if version is None:
            return None
        directory = self.root / version
        if not (directory / REGISTRY_FILE).is_file():
            raise RegistryError(
                f"{self.root / DEFAULT_FILE} names {version}, but {directory} is missing; "
                "promote an existing version."
            )
        return directory

    def current_default(self) -> VersionInfo | None:
        """The model promote compares against: the promoted version, else the shipped one."""
        version = self.default_version()
        if version is not None:
            return self.get(version)
        return _shipped_info()

    def overview(self) -> builtins.list[dict[str, Any]]:
        """One row per version (plus the shipped model when present) for ``models list``."""
        default = self.default_version()
        rows: builtins.list[dict[str, Any]] = []
        shipped = _shipped_info()
        entries = ([shipped] if shipped is not None else []) + self.list()
        for info in entries:
            is_default = info.version == default if default else info.version == "shipped"
            rows.append(
                {
                    "version": info.version,
                    "created": info.created,
                    "test_micro_f1": info.test_micro_f1,
                    "test_macro_f1": info.test_macro_f1,
                    "data_hash": info.data_hash,
                    "parent": info.parent,
                    "default": is_default,
                    "path": str(info.path),
                }
            )
        return rows

    # ------------------------------------------------------------------ writing
    def next_version(self) -> str:
        numbers = [_version_number(child.name) for child in self.root.iterdir()] if self.root.is_dir() else []
        return f"v{max([n for n in numbers if n is not None], default=0) + 1}"

    def register(
        self,
        model_dir: Path,
        *,
        metrics: Mapping[str, Any],
        config: Mapping[str, Any],
        data_hash: str,
        parent: str | None = None,
        move: bool = False,
    ) -> str:
        """Copy (or move) a saved classifier into the registry; return its new version."""
        model_dir = Path(model_dir)
        for needed in ("config.json", "risklens.json"):
            if not (model_dir / needed).is_file():
                raise RegistryError(
                    f"{model_dir}: not a saved RiskLens classifier (no {needed}); register a "
                    "directory written by `risklens train` or `risklens retrain`."
                )
        self.root.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".incoming-", dir=self.root))
        try:
            payload = staging / "model"
            if move:
                shutil.move(str(model_dir), payload)
            else:
                shutil.copytree(model_dir, payload)
            for _ in range(1000):
                version = self.next_version()
                info = VersionInfo(
                    version=version,
                    path=self.root / version,
                    created=_now(),
                    metrics=dict(metrics),
                    config=dict(config),
                    data_hash=data_hash,
                    parent=parent,
                )
                (payload / REGISTRY_FILE).write_text(
                    json.dumps(info.to_json(), ensure_ascii=False, indent=2) + "\n", "utf-8"
                )
                try:
                    os.rename(payload, self.root / version)  # atomic; fails if taken meanwhile
                except OSError:
                    if (self.root / version).exists():
                        continue
                    raise
                return version
            raise RegistryError(f"{self.root}: could not claim a free version number.")
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def promote(self, version: str, *, force: bool = False) -> Promotion:
        """Make ``version`` the default unless it is worse than the current one.

        Refuses (``PromotionRefused``) when its test macro-F1 is more than 0.5 point below
        the current default's, or when it has no test macro-F1 while the default has one;
        ``force=True`` promotes anyway and records that it was forced.
        """
        candidate = self.get(version)
        current = self.current_default()
        previous = current.version if current is not None else "none"
        if current is not None and current.version == version:
            return Promotion(version, previous, candidate.test_macro_f1, candidate.test_macro_f1, False, False)
        new = candidate.test_macro_f1
        old = current.test_macro_f1 if current is not None else None
        problem = None
        ours, theirs = candidate.metrics.get("test_hash"), current.metrics.get("test_hash") if current else None
        if ours and theirs and ours != theirs:
            problem = (
                f"{version} was scored on another test split than {previous} (test hash {ours} vs "
                f"{theirs}), so their scores are not comparable"
            )
        elif old is not None and new is None:
            problem = f"{version} has no test macro-F1 to compare with {previous} ({100 * old:.1f})"
        elif old is not None and new is not None and new < old - MAX_DROP - 1e-12:
            problem = (
                f"{version} has test macro-F1 {100 * new:.1f}, {100 * (old - new):.1f} points below "
                f"the current default {previous} ({100 * old:.1f}); the limit is {100 * MAX_DROP:.1f} point"
            )
        if problem and not force:
            raise PromotionRefused(f"{problem}. Pass --force to promote it anyway.")
        forced = bool(problem)
        record = {
            "version": version,
            "promoted": _now(),
            "previous": previous,
            "forced": forced,
            "candidate_macro_f1": new,
            "baseline_macro_f1": old,
        }
        self._write_default(record)
        with (self.root / PROMOTIONS_FILE).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")
        return Promotion(version, previous, new, old, forced, True)

    def _write_default(self, record: Mapping[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{DEFAULT_FILE}.{os.getpid()}.tmp"
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(json.dumps(record, indent=2) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.root / DEFAULT_FILE)  # readers see the old or the new default


def format_table(registry: Registry) -> str:
    """The ``risklens models list`` table (``*`` marks the default)."""
    rows = registry.overview()
    if not rows:
        return f"no models registered in {registry.root} and no shipped model; run `risklens retrain`."

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{100 * value:.1f}"

    def short(parent: str | None) -> str:
        if not parent:
            return "-"
        kind, sep, where = parent.rpartition(":") if parent.startswith("base:") else ("", "", parent)
        name = Path(where).name if "/" in where else where
        return f"{kind}{sep}{name}"[:15]

    lines = [f"  {'version':<9}{'micro-F1':>9}{'macro-F1':>9}  {'data hash':<17}{'parent':<16}created"]
    for row in rows:
        mark = "*" if row["default"] else " "
        lines.append(
            f"{mark} {row['version']:<9}{pct(row['test_micro_f1']):>9}{pct(row['test_macro_f1']):>9}  "
            f"{(row['data_hash'] or '-')[:16]:<17}{short(row['parent']):<16}{row['created']}"
        )
    lines.append(f"(* = default; scores are on the fixed test split; registry: {registry.root})")
    return "\n".join(lines)


ModelSource = Literal["explicit", "env", "registry", "shipped"]
"""Which rule chose the model: ``--model``/an argument, ``$RISKLENS_MODEL``, the registry, the shipped one."""


@dataclass(frozen=True)
class ResolvedModel:
    """The model directory ``resolve_model`` chose, and why (``version`` is set for the registry)."""

    path: Path
    source: ModelSource
    version: str | None = None

    @property
    def origin(self) -> str:
        """``explicit``, ``$RISKLENS_MODEL``, ``registry v3`` or ``shipped``."""
        if self.source == "env":
            return f"${MODEL_ENV}"
        if self.source == "registry":
            return f"registry {self.version}"
        return self.source

    def describe(self) -> str:
        """The one line every command prints on stderr: ``model /abs/path (registry v3)``."""
        return f"model {self.path.absolute()} ({self.origin})"

    def to_json(self) -> dict[str, Any]:
        """What the server reports about the choice (no path: clients need not see the disk)."""
        return {"source": self.source, "version": self.version, "origin": self.origin}


def _model_dir(path: Path, problem: str) -> Path:
    """``path`` when it holds a saved model (config.json); else ``ModelNotFoundError(problem)``."""
    if not (path / "config.json").is_file():
        raise ModelNotFoundError(problem)
    return path


def resolve_model(explicit: Path | None = None, *, registry_root: Path | None = None) -> ResolvedModel:
    """The model to load, and which rule chose it: explicit > ``$RISKLENS_MODEL`` > registry > shipped.

    An explicit path or ``$RISKLENS_MODEL`` that points nowhere is an error (silently
    loading another model would be worse). Raises ``ModelNotFoundError`` naming every
    place tried when no model is found.
    """
    if explicit is not None:
        path = Path(explicit).expanduser()
        problem = (
            f"{path}: not a model directory (no config.json); pass --model with a directory "
            "written by `risklens train` or `risklens retrain`."
        )
        return ResolvedModel(_model_dir(path, problem), "explicit")
    env = os.environ.get(MODEL_ENV)
    if env:
        problem = f"${MODEL_ENV}={env}: not a model directory (no config.json); fix or unset {MODEL_ENV}."
        return ResolvedModel(_model_dir(Path(env).expanduser(), problem), "env")
    registry = Registry(registry_root)
    try:
        promoted = registry.default_path()  # <root>/<version>: one read of DEFAULT.json
    except RegistryError as exc:
        raise ModelNotFoundError(str(exc)) from None
    if promoted is not None:
        return ResolvedModel(promoted, "registry", promoted.name)
    if (SHIPPED_MODEL / "config.json").is_file():
        return ResolvedModel(SHIPPED_MODEL, "shipped")
    raise ModelNotFoundError(
        f"no model found: no --model given, ${MODEL_ENV} not set, nothing promoted in the registry "
        f"{registry.root} (${MODELS_ENV} or $RISKLENS_HOME), and no shipped model at {SHIPPED_MODEL}; "
        "pass --model DIR or build one with `risklens train`."
    )


def resolve_model_path(explicit: Path | None = None, *, registry_root: Path | None = None) -> Path:
    """The model directory ``resolve_model`` chooses (explicit > env > registry > shipped)."""
    return resolve_model(explicit, registry_root=registry_root).path
