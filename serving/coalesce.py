"""Concurrent classify requests share one encoder pass.

Why: the encoder runs one batch at a time, and eight clients sending sixteen paragraphs each
used to get eight small passes, each padded to its own longest paragraph. ``Coalescer``
keeps at most ``max_passes`` passes in flight (the worker threads: a long request does not
hold up a short one more than before): requests that arrive while they run wait on the
event loop (holding no worker thread) and go together into the next pass, up to
``max_paragraphs``; ``RiskClassifier.predict`` sorts the merged windows by length, so the
padding shrinks too.

Every request keeps its own deadline and admission place (``serving.admission``): a pass
stops early only when all of its requests have given up, a request that times out answers
504 at once, and its place is freed when the pass it is in has really ended.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from risklens.serving.admission import Cancelled, Deadline

if TYPE_CHECKING:
    from risklens.serving.state import LoadedModel, ServerState


@dataclass
class _Request:
    loaded: LoadedModel
    items: list[dict[str, Any]]
    deadline: Deadline
    future: asyncio.Future[Sequence[Any]]


class Coalescer:
    """Merges the classify requests that wait for the encoder into one ``predict`` call."""

    def __init__(self, max_paragraphs: int, max_passes: int = 1) -> None:
        if max_paragraphs < 1 or max_passes < 1:
            raise ValueError(f"a merged pass holds at least 1 paragraph and at least 1 pass runs; "
                             f"got {max_paragraphs} and {max_passes}.")
        self.max_paragraphs = max_paragraphs
        self.max_passes = max_passes
        self._waiting: list[_Request] = []
        self._in_flight = 0
        self.passes = 0  # merged passes run so far (for tests and logs)

    def submit(self, state: ServerState, loaded: LoadedModel, items: list[dict[str, Any]],
               deadline: Deadline) -> asyncio.Future[Sequence[Any]]:
        """Queue one request's paragraphs; the future resolves to its predictions (or ``Cancelled``)."""
        request = _Request(loaded, items, deadline, asyncio.get_running_loop().create_future())
        self._waiting.append(request)
        self._start_next(state)
        return request.future

    def _start_next(self, state: ServerState) -> None:
        """Start passes with the waiting requests while fewer than ``max_passes`` run."""
        self._waiting = [r for r in self._waiting if not _settle_if_expired(r)]
        while self._waiting and self._in_flight < self.max_passes:
            self._start_pass(state)

    def _start_pass(self, state: ServerState) -> None:
        """One pass: the first waiting request and those after it with the same model, up to ``max_paragraphs``."""
        first = self._waiting[0]
        group: list[_Request] = []
        size = 0
        for request in self._waiting:
            if request.loaded is not first.loaded or (group and size + len(request.items) > self.max_paragraphs):
                continue
            group.append(request)
            size += len(request.items)
        self._waiting = [r for r in self._waiting if r not in group]
        self._in_flight += 1
        self.passes += 1
        loop = asyncio.get_running_loop()
        work = loop.run_in_executor(state.executor, _classify, first.loaded, group, state.settings.batch_size)
        work.add_done_callback(lambda done: self._finished(state, group, done))

    def _finished(self, state: ServerState, group: list[_Request], done: asyncio.Future[list[Sequence[Any]]]) -> None:
        self._in_flight -= 1
        error = Cancelled("the server is shutting down") if done.cancelled() else done.exception()
        for i, request in enumerate(group):
            if request.future.done():
                continue
            if error is not None:
                request.future.set_exception(error)
            else:
                request.future.set_result(done.result()[i])
        self._start_next(state)


def _settle_if_expired(request: _Request) -> bool:
    """Fail a waiting request whose deadline passed before its pass began; True if it did."""
    if request.future.done() or request.deadline.expired:
        if not request.future.done():
            request.future.set_exception(Cancelled("the request gave up before the encoder reached it"))
        return True
    return False


def _classify(loaded: LoadedModel, group: list[_Request], batch_size: int) -> list[Sequence[Any]]:
    """One ``predict`` over every request of ``group`` (in a worker thread); predictions per request.

    The pass stops (``Cancelled``) only when every request in it has expired: one impatient
    client does not throw away the others' work.
    """
    items = [item for request in group for item in request.items]

    def progress(done: int = 0, total: int = 0) -> None:
        if all(request.deadline.expired for request in group):
            raise Cancelled(f"stopped after {done} of {total} batches: every request of the pass gave up")

    predictions = classify_observed(loaded, items, batch_size, progress)
    out: list[Sequence[Any]] = []
    start = 0
    for request in group:
        out.append(predictions[start : start + len(request.items)])
        start += len(request.items)
    return out


def classify_observed(loaded: LoadedModel, items: list[dict[str, Any]], batch_size: int,
                      progress: Callable[..., None]) -> Sequence[Any]:
    """``predict`` of ``items`` (``progress`` is called first and after every batch; it stops the
    work by raising) that also feeds the model's speed meter, which bounds what a request may cost."""
    progress()
    started = time.perf_counter()
    predictions = loaded.classifier.predict(items, batch_size, progress)
    loaded.speed.observe(sum(len(item["text"]) for item in items), time.perf_counter() - started)
    return predictions
