"""``corpus build``: score many filings into the store, with both cores busy.

Worker processes ingest files (PDF parsing, clean-up, paragraphs, metadata) while this
process runs the encoder over the paragraphs of several filings at once: one call of
``predict_proba`` on ~1,000 paragraphs sorts their windows by length for the whole batch,
so little of each encoder batch is padding, and the model is loaded once. Each filing is
then written in its own transaction (``store.write_filing``), so a kill loses at most the
filings not yet committed and a re-run picks them up.

Before a file is ingested its bytes are hashed: a content already stored with the same
model is skipped (unless ``rescore``), and a content seen under another path is recorded
as a duplicate instead of being scored twice.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np

from risklens.corpus.ingest import Ingested, IngestFailure, ingest_file, read_and_hash
from risklens.corpus.store import CorpusStore, FilingRecord, ModelStamp
from risklens.filings.limits import DEFAULT_LIMITS, ParseLimits
from risklens.model.memory import release_freed_memory
from risklens.scoring.profile import DocumentInfo, build_profile
from risklens.scoring.score import ClassifierLike, ScoredFiling, classifier_inputs, model_summary

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BuildOptions:
    """How a build runs; the defaults suit a 2-core laptop."""

    workers: int = 1
    """Ingestion processes; 0 ingests in this process (tests, debugging)."""
    batch_paragraphs: int = 256
    """Paragraphs gathered from several filings before one encoder pass."""
    batch_size: int = 32
    """Windows per encoder batch."""
    rescore: bool = False
    """Score again filings already stored with the same model."""
    limits: ParseLimits = DEFAULT_LIMITS

    def __post_init__(self) -> None:
        if self.workers < 0 or self.batch_paragraphs < 1 or self.batch_size < 1:
            raise ValueError(
                f"workers must be >= 0 and batch sizes >= 1; got workers={self.workers}, "
                f"batch_paragraphs={self.batch_paragraphs}, batch_size={self.batch_size}."
            )


@dataclass
class Failure:
    """A file that could not be scored, as the summary lists it."""

    path: str
    stage: str
    code: str
    error: str


@dataclass
class BuildSummary:
    """What a build did; updated while it runs (the progress bar reads it)."""

    total: int = 0
    scored: int = 0
    skipped: int = 0
    duplicates: int = 0
    failures: list[Failure] = field(default_factory=list)
    paragraphs: int = 0
    seconds: float = 0.0

    @property
    def done(self) -> int:
        return self.scored + self.skipped + self.duplicates + len(self.failures)

    @property
    def failed(self) -> int:
        return len(self.failures)

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total, "scored": self.scored, "skipped": self.skipped,
            "duplicates": self.duplicates, "failed": self.failed, "paragraphs": self.paragraphs,
            "seconds": round(self.seconds, 2),
            "failures": [f.__dict__ for f in self.failures],
        }


def model_stamp(classifier: ClassifierLike) -> ModelStamp:
    """The (name, version) a filing is stored under."""
    return stamp_of(classifier.info())


def stamp_of(info: Mapping[str, Any]) -> ModelStamp:
    """The stamp of a model from its ``info()`` (or its ``risklens.json``) fields."""
    return ModelStamp(str(info.get("name") or "unknown"), str(info.get("version") or "unknown"))


def exit_with_parent(parent: int, interval: float = 1.0) -> None:
    """Pool-worker initializer: exit when the build process is gone (killed with SIGKILL,
    it cannot shut its pool down, and an idle worker would otherwise wait forever)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def start_worker(parent: int) -> None:
    """Pool-worker initializer: exit with the build (``exit_with_parent``), and send the
    worker's standard output to standard error, so that nothing a reader library prints
    can end up inside ``corpus build --format json``."""
    os.dup2(2, 1)
    exit_with_parent(parent)


class Builder:
    """One build run: triage of the files, the ingestion pool, batching and writing."""

    def __init__(
        self, store: CorpusStore, classifier: ClassifierLike | None, options: BuildOptions | None = None,
        progress: Progress | None = None, *, model: ModelStamp | None = None,
    ) -> None:
        """``classifier`` runs the encoder in this process; an engine that classifies elsewhere
        (Ray) passes None and the ``model`` stamp instead, so the model is not loaded here."""
        if model is None:
            if classifier is None:
                raise TypeError("Builder needs a classifier, or the stamp of a model that scores elsewhere")
            model = model_stamp(classifier)
        self.store = store
        self.classifier = classifier
        self.options = options or BuildOptions()
        self.progress = progress
        self.model = model
        self.summary = BuildSummary()
        self._seen: dict[str, str] = {}  # content hash -> first path in this run
        self._copies: list[tuple[str, str]] = []  # (path, content hash) of later copies in this run
        self._failed: dict[str, IngestFailure] = {}  # content hash -> why its first copy failed

    def run(self, files: Sequence[Path]) -> BuildSummary:
        """Score ``files`` into the store; returns the summary (failures do not raise)."""
        start = time.perf_counter()
        self.summary.total = len(files)
        self._report()
        todo = [path for path in files if self._needs_scoring(path)]
        for result in self.results(todo):
            if isinstance(result, IngestFailure):
                self._fail(result)
            else:
                self._write(*result)
        self._settle_copies()
        self.summary.seconds = time.perf_counter() - start
        return self.summary

    # ------------------------------------------------------------------ triage
    def _needs_scoring(self, path: Path) -> bool:
        read = read_and_hash(path)
        if isinstance(read, IngestFailure):
            self._fail(read)
            return False
        digest = read[1]
        key = str(path)
        first = self._seen.setdefault(digest, key)
        if first != key:  # same bytes earlier in this run: settled once the first is done
            self._copies.append((key, digest))
            return False
        stored = self.store.stored(digest)
        if stored is None or self.options.rescore or stored.model != self.model:
            return True
        if stored.path == key:
            self.summary.skipped += 1
        else:
            self.store.record_duplicate(key, digest)
            self.summary.duplicates += 1
        self._report()
        return False

    # ------------------------------------------------------------------ the engine
    def results(self, paths: Sequence[Path]) -> Iterator[IngestFailure | tuple[FilingRecord, ScoredFiling]]:
        """Ingest and score ``paths``: the local engine (a worker pool for ingestion, this
        process for the encoder, several filings per encoder pass). Engines override this."""
        classifier = self.classifier
        if classifier is None:
            raise TypeError("the local engine classifies in this process: give Builder a classifier")
        for batch in paragraph_batches(self._ingested(paths), self.options.batch_paragraphs):
            if isinstance(batch, IngestFailure):
                yield batch
            else:
                yield from score_batch(classifier, batch, self.options.batch_size)

    def _ingested(self, paths: Sequence[Path]) -> Iterator[Ingested | IngestFailure]:
        """Ingest ``paths`` in the worker pool, yielding results as they complete."""
        limits = self.options.limits
        if self.options.workers == 0:
            for path in paths:
                yield ingest_file(str(path), limits)
            return
        queue = list(reversed(paths))
        while queue:
            yield from self._pool_run(queue, limits)

    def _pool_run(self, queue: list[Path], limits: ParseLimits) -> Iterator[Ingested | IngestFailure]:
        """Drain ``queue`` through one pool; if a worker dies (out of memory, a native
        crash), the files in flight are reported as failed and the caller starts a new pool."""
        ahead = 2 * self.options.workers + 2  # files queued so workers never wait on the encoder
        with ProcessPoolExecutor(self.options.workers, mp_context=get_context("spawn"),
                                 initializer=start_worker, initargs=(os.getpid(),)) as pool:
            running: dict[Future[Ingested | IngestFailure], str] = {}
            while queue or running:
                while queue and len(running) < ahead:
                    path = str(queue.pop())
                    running[pool.submit(ingest_file, path, limits)] = path
                finished, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    path = running.pop(future)
                    try:
                        yield future.result()
                    except BrokenProcessPool:
                        for lost in [path, *running.values()]:
                            yield IngestFailure(lost, "ingest", "worker_died",
                                                f"{lost}: the ingestion worker died while reading it (or a file beside it)")
                        return

    # ------------------------------------------------------------------ writing
    def _write(self, record: FilingRecord, scored: ScoredFiling) -> None:
        self.store.write_filing(record, scored, self.model)
        self.summary.scored += 1
        self.summary.paragraphs += len(scored.paragraphs)
        self._report()

    def _settle_copies(self) -> None:
        """A later copy of a content is a duplicate when the content is stored, else it
        failed like the first copy (five empty files are five failures, not four duplicates)."""
        for path, digest in self._copies:
            first = self._failed.get(digest)
            if first is not None or self.store.stored(digest) is None:
                code = first.code if first else "not_scored"
                error = f"{path}: same content as {self._seen[digest]}, which could not be scored ({code})"
                self._fail(IngestFailure(path, first.stage if first else "ingest", code, error, digest))
                continue
            self.store.record_duplicate(path, digest)
            self.summary.duplicates += 1
            self._report()

    def _fail(self, failure: IngestFailure) -> None:
        if failure.content_hash is not None:
            self._failed.setdefault(failure.content_hash, failure)
        self.store.record_failure(failure.path, failure.stage, failure.code, failure.error, failure.content_hash)
        self.summary.failures.append(Failure(failure.path, failure.stage, failure.code, failure.error))
        self._report()

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self.summary.done, self.summary.total)


def score_batch(
    classifier: ClassifierLike, batch: Sequence[Ingested], batch_size: int = 32
) -> list[tuple[FilingRecord, ScoredFiling]]:
    """One encoder pass over the paragraphs of several filings, then each filing's profile.

    Sorting the windows of the whole batch by length (inside ``predict_proba``) pads less
    than scoring filing by filing. Used by every engine, so they give the same rows.
    """
    items = [p for filing in batch for p in filing.paragraphs]
    probs = np.asarray(
        classifier.predict_proba(classifier_inputs(items), batch_size), dtype=np.float64
    ).reshape(len(items), len(classifier.labels))
    release_freed_memory()
    model = model_summary(classifier.info())
    out: list[tuple[FilingRecord, ScoredFiling]] = []
    offset = 0
    for filing in batch:
        rows = probs[offset : offset + len(filing.paragraphs)]
        offset += len(filing.paragraphs)
        record = filing.record
        document = DocumentInfo(name=record.path, doc_id=record.id, reader=record.reader, pages=record.pages)
        profile = build_profile(
            filing.paragraphs, rows, classifier.thresholds,
            document=document, model=model, labels=classifier.labels,
        )
        out.append((record, ScoredFiling(list(filing.paragraphs), rows, tuple(classifier.labels), profile)))
    return out


def paragraph_batches(
    results: Iterable[Ingested | IngestFailure], paragraphs: int
) -> Iterator[list[Ingested] | IngestFailure]:
    """The ingested filings of ``results`` in order, cut into runs of at least ``paragraphs``
    paragraphs (the last run may hold fewer): one encoder pass each, so its temporaries stay
    bounded whatever arrives. Failures pass straight through, as soon as they come."""
    run: list[Ingested] = []
    count = 0
    for result in results:
        if isinstance(result, IngestFailure):
            yield result
            continue
        run.append(result)
        count += len(result.paragraphs)
        if count >= paragraphs:
            yield run
            run, count = [], 0
    if run:
        yield run


def build_corpus(
    files: Sequence[Path],
    store: CorpusStore,
    classifier: ClassifierLike,
    options: BuildOptions | None = None,
    progress: Progress | None = None,
) -> BuildSummary:
    """Score ``files`` into ``store`` with ``classifier``; see ``Builder``."""
    return Builder(store, classifier, options, progress).run(files)
