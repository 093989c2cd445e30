"""Server settings and the model holder that swaps models without dropping requests.

A request takes ``holder.current`` once, at its start, and uses that object to the end;
a reload builds the new classifier beside the old one and then replaces the single
reference (an atomic assignment). Requests in flight finish on the old model, new ones
see the new model, and the old one is freed when the last request holding it ends.
"""

from __future__ import annotations

import concurrent.futures
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from risklens.filings.limits import ParseLimits
from risklens.scoring.score import ClassifierLike, model_summary
from risklens.serving.admission import Admission, SpeedMeter
from risklens.serving.coalesce import Coalescer
from risklens.serving.limits import MAX_BODY_BYTES, MAX_PDF_PAGES, REQUEST_TIMEOUT_S

if TYPE_CHECKING:
    from risklens.model.registry import ResolvedModel

TOKEN_ENV = "RISKLENS_API_TOKEN"

Loader = Callable[[Path], ClassifierLike]
SpeedProbe = Callable[[ClassifierLike, int], float | None]
Resolver = Callable[[Path | None], "ResolvedModel"]


def default_loader(path: Path) -> ClassifierLike:
    """Load a saved ``RiskClassifier`` (imported here: torch is heavy)."""
    from risklens.model import RiskClassifier

    return RiskClassifier.from_pretrained(path)


def default_resolver(explicit: Path | None) -> ResolvedModel:
    """``model.registry.resolve_model``: --model > $RISKLENS_MODEL > registry > shipped."""
    from risklens.model.registry import resolve_model

    return resolve_model(explicit)


@dataclass
class ServerSettings:
    """Everything ``create_app`` needs; the ``serve`` command fills it from flags and env."""

    model: Path | None = None  # --model; None = resolve (env, registry, shipped) at each load
    token: str | None = None  # RISKLENS_API_TOKEN; None = no auth on /v1
    allow_feedback: bool = False  # accept POST /v1/feedback without a token
    store: Path | None = None  # label store for feedback (None = $RISKLENS_STORE or default)
    db: Path | None = None  # corpus database for /v1/corpus (read-only; None = routes answer 404)
    batch_size: int = 32
    timeout_s: float = REQUEST_TIMEOUT_S
    max_body_bytes: int = MAX_BODY_BYTES
    workers: int = 2  # threads running inference and ingestion off the event loop (the encoder runs one batch at a time)
    queue: int = 32  # jobs admitted at once (running or waiting); one more gets 503 overloaded
    coalesce: int = 256  # paragraphs one merged classify pass may hold (serving.coalesce); 0 = each request alone
    header_timeout_s: float = 10.0  # a client must send its request line and headers within this
    body_timeout_s: float = 30.0  # and each part of its body within this after the previous one
    max_connections: int = 512  # open connections at once; more are refused by the server
    background_load: bool = True  # serve /healthz while the model loads; /readyz says when ready
    install_sighup: bool = False  # reload on SIGHUP (only in the main thread of a real server)
    loader: Loader = field(default=default_loader)
    speed_probe: SpeedProbe | None = None  # measures chars/s at load (None: measure_speed)
    resolver: Resolver = field(default=default_resolver)

    def parse_limits(self) -> ParseLimits:
        """How far reading one uploaded filing may go: the request timeout bounds it too."""
        return ParseLimits(max_pages=MAX_PDF_PAGES, wall_seconds=self.timeout_s)

    @classmethod
    def from_env(cls, **overrides: Any) -> ServerSettings:
        """Settings with the API token read from ``$RISKLENS_API_TOKEN``."""
        token = os.environ.get(TOKEN_ENV) or None
        return cls(token=token, **overrides)


@dataclass(frozen=True)
class LoadedModel:
    """A classifier with what the API reports about it."""

    classifier: ClassifierLike
    info: dict[str, Any]
    path: Path
    loaded_at: str
    speed: SpeedMeter = field(default_factory=lambda: SpeedMeter(None))  # chars/s: bounds a request's cost (413 too_costly)

    @property
    def chars_per_second(self) -> float | None:
        return self.speed.chars_per_second

    @property
    def summary(self) -> dict[str, Any]:
        return model_summary(self.info)


# Made-up risk text for the speed probe at load time (no filing text is copied).
_PROBE_SENTENCE = "若主要客户经营状况恶化或行业政策发生变化，公司应收账款可能无法按期收回，经营业绩存在下滑的风险。"


def measure_speed(classifier: ClassifierLike, batch_size: int, paragraphs: int = 16) -> float:
    """Characters per second the classifier runs at here, timed on a second pass (warm)."""
    items = [{"id": f"probe-{i}", "text": _PROBE_SENTENCE * (6 + i % 4)} for i in range(paragraphs)]
    chars = sum(len(item["text"]) for item in items)
    classifier.predict_proba(items, batch_size)
    started = time.perf_counter()
    classifier.predict_proba(items, batch_size)
    return chars / max(time.perf_counter() - started, 1e-6)


class ModelHolder:
    """The current model, loaded and reloaded from the resolved path."""

    def __init__(self, settings: ServerSettings) -> None:
        self._settings = settings
        self._current: LoadedModel | None = None
        self._reload_lock = threading.Lock()  # one load at a time; requests never take it
        self.error: str | None = None
        self.loading = False

    @property
    def current(self) -> LoadedModel | None:
        """The model new requests use (None before the first load finishes)."""
        return self._current

    def load(self) -> LoadedModel:
        """Resolve the model path, load it and swap it in; raises on failure (old model kept)."""
        with self._reload_lock:
            self.loading = True
            try:
                resolved = self._settings.resolver(self._settings.model)
                classifier = self._settings.loader(resolved.path)
                loaded = LoadedModel(
                    classifier=classifier,
                    info={**classifier.info(), "resolved": resolved.to_json()},  # GET /v1/model says which rule chose it
                    path=Path(resolved.path),
                    loaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
                    speed=SpeedMeter((self._settings.speed_probe or measure_speed)(classifier, self._settings.batch_size)),
                )
            except Exception as exc:
                self.error = f"{type(exc).__name__}: {exc}"
                raise
            finally:
                self.loading = False
            self._current = loaded  # the atomic swap
            self.error = None
            return loaded


class ServerState:
    """Per-app state: settings, the model holder, the worker pool and the label store."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.holder = ModelHolder(settings)
        self.admission = Admission(settings.queue)
        self.coalescer = Coalescer(settings.coalesce, settings.workers) if settings.coalesce > 0 else None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._store: Any = None
        self._lock = threading.Lock()
        self.background: set[Any] = set()  # keeps background tasks referenced

    @property
    def executor(self) -> concurrent.futures.ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = concurrent.futures.ThreadPoolExecutor(
                    max_workers=self.settings.workers, thread_name_prefix="risklens-worker"
                )
            return self._executor

    def label_store(self) -> Any:
        """The ``labels.store.LabelStore`` feedback goes to (opened on first use)."""
        with self._lock:
            if self._store is None:
                from risklens.labels.store import LabelStore, default_store_path

                self._store = LabelStore(self.settings.store or default_store_path())
            return self._store

    def close(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None
            if self._store is not None:
                self._store.close()
                self._store = None
