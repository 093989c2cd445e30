"""``corpus build --engine ray``: the same pipeline on Ray Data, for more than one machine.

read (the paths the driver's triage kept) → ``map`` ingest over files (any node, no model)
→ ``map_batches`` classify + profile on an actor pool whose actors each load the model once
→ write, in the driver, one transaction per filing (DuckDB has one writer). Rows travel as
pickled ``Ingested`` / ``IngestFailure`` / (record, scored) values in a bytes column: Ray
only moves them. ``score_batch`` is the local engine's, so both engines give the same rows.

Without an address, a local Ray instance is started (and stopped at the end); with
``address`` (``--ray-address`` or ``RAY_ADDRESS``) the build joins that cluster, whose
workers need RiskLens installed and the model directory at the same path.
Ray is an optional extra (``pip install risklens[ray]``), imported only here.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from risklens.corpus.build import (
    Builder,
    BuildOptions,
    Progress,
    paragraph_batches,
    score_batch,
    stamp_of,
)
from risklens.corpus.ingest import Ingested, IngestFailure, ingest_file
from risklens.corpus.store import CorpusStore, FilingRecord
from risklens.filings.limits import ParseLimits
from risklens.model.meta import ModelMeta
from risklens.scoring.score import ScoredFiling

OBJECT_STORE_BYTES = 256 * 2**20
"""The local instance's object store: ingested filings pass through it a batch at a time,
so a quarter GiB is plenty (Ray's default is 30% of the machine's memory)."""
INGEST_CALLS_PER_WORKER = 16
"""An ingestion worker process is replaced after this many files, so the memory a large
filing's clean-up leaves behind goes back to the system. It also keeps ingestion out of the
model actor: Ray Data fuses a map into the next one only when their remote arguments match."""
WORKER_ENV = {"MALLOC_ARENA_MAX": "2"}
"""As ``serve`` and the local build do: freed memory goes back to the system instead of
staying in one glibc arena per thread of the encoder."""


class RayUnavailable(RuntimeError):
    """Ray is not installed, or the cluster cannot be reached."""


def _ingest_row(row: dict[str, Any], limits: ParseLimits) -> dict[str, Any]:
    return {"path": row["path"], "payload": pickle.dumps(ingest_file(row["path"], limits))}


class ClassifyActor:
    """Holds one loaded model; classifies and profiles a batch of ingested filings."""

    def __init__(self, model_dir: str, batch_size: int, batch_paragraphs: int) -> None:
        from risklens.model import RiskClassifier

        self.classifier = RiskClassifier.from_pretrained(model_dir)
        self.batch_size = batch_size
        self.batch_paragraphs = batch_paragraphs

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list[Any]]:
        values = [pickle.loads(payload) for payload in batch["payload"]]
        ingested = [v for v in values if isinstance(v, Ingested)]
        scored = iter([
            result
            for chunk in paragraph_batches(ingested, self.batch_paragraphs) if not isinstance(chunk, IngestFailure)
            for result in score_batch(self.classifier, chunk, self.batch_size)
        ])
        out = [pickle.dumps(next(scored) if isinstance(v, Ingested) else v) for v in values]
        return {"path": list(batch["path"]), "payload": out}


class RayBuilder(Builder):
    """A ``Builder`` whose ingest and classify stages run on Ray Data."""

    def __init__(
        self, store: CorpusStore, model_dir: Path, options: BuildOptions | None = None,
        progress: Progress | None = None, *, address: str | None = None, actors: int = 1, filings_per_batch: int = 8,
    ) -> None:
        """The driver reads only the model's ``risklens.json`` (its stamp); the weights are
        loaded by the actors, so the model is in memory once per actor, not once more here."""
        super().__init__(store, None, options, progress, model=stamp_of(ModelMeta.load(model_dir).to_dict()))
        self.model_dir = model_dir
        self.address = address or os.environ.get("RAY_ADDRESS") or None
        self.actors = actors
        self.filings_per_batch = filings_per_batch

    def results(self, paths: Sequence[Path]) -> Iterator[IngestFailure | tuple[FilingRecord, ScoredFiling]]:
        if not paths:
            return
        try:
            import ray
        except ImportError:
            raise RayUnavailable("--engine ray needs Ray: pip install 'risklens[ray]' (or ray[data]==2.60.0)") from None
        started = not ray.is_initialized()
        if started:
            if self.address:
                ray.init(address=self.address, log_to_driver=False)
            else:
                cpus = max(1, self.options.workers) + self.actors
                ray.init(num_cpus=cpus, include_dashboard=False, log_to_driver=False,
                         object_store_memory=OBJECT_STORE_BYTES, runtime_env={"env_vars": WORKER_ENV})
        try:
            yield from self._run_dataset(ray, paths)
        finally:
            if started:
                ray.shutdown()

    def _run_dataset(self, ray: Any, paths: Sequence[Path]) -> Iterator[IngestFailure | tuple[FilingRecord, ScoredFiling]]:
        limits = self.options.limits
        dataset = (
            ray.data.from_items([{"path": str(p)} for p in paths], override_num_blocks=max(1, len(paths)))
            .map(_ingest_row, fn_kwargs={"limits": limits}, max_calls=INGEST_CALLS_PER_WORKER)
            .map_batches(
                ClassifyActor,
                fn_constructor_kwargs={"model_dir": str(self.model_dir), "batch_size": self.options.batch_size,
                                       "batch_paragraphs": self.options.batch_paragraphs},
                batch_size=self.filings_per_batch,
                batch_format="numpy",
                concurrency=self.actors,
            )
        )
        for row in dataset.iter_rows():
            yield pickle.loads(row["payload"])
