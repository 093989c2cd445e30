"""Admission control and cancellation: one request can no longer make the server useless.

Three rules, each measured against the failure it prevents (a 512 × 15,000-character
classify got its 504 but kept the encoder for nine minutes while every other client
timed out behind it):

* **A bounded queue.** At most ``capacity`` jobs are admitted (running in the worker pool
  or waiting for it); one more is refused at once with 503 ``overloaded`` and a
  ``Retry-After`` header, and ``/readyz`` answers 503 while the queue is full, so a load
  balancer routes around the server instead of piling work onto it.
* **Work that stops.** Every job gets a ``Deadline``. The encoder calls the job's
  progress callback after each batch; ``Deadline.check`` raises ``Cancelled`` there once
  the deadline has passed or the request gave up, so a timed-out job leaves the encoder
  within one batch.
* **Cost known before the work.** A ``SpeedMeter`` holds the characters per second the
  loaded model runs at: measured when it loads, then followed on every classification the
  server completes (a load-time probe on a busy machine would otherwise refuse work for
  the model's whole life). A request whose text would take longer than the timeout at that
  rate is refused with 413 ``too_costly`` before any encoder time is spent.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from risklens.serving.errors import ApiError


class Cancelled(Exception):
    """The job's deadline passed or its request gave up; raised inside the worker."""


class Deadline:
    """When a job must stop; ``cancel()`` stops it early (the request timed out)."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.expires = clock() + seconds
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def expired(self) -> bool:
        return self._cancelled.is_set() or self._clock() >= self.expires

    @property
    def remaining(self) -> float:
        """Seconds left (0 once expired)."""
        return 0.0 if self._cancelled.is_set() else max(0.0, self.expires - self._clock())

    def check(self, done: int = 0, total: int = 0) -> None:
        """A ``progress(done, total)`` callback that raises ``Cancelled`` once expired."""
        if self.expired:
            raise Cancelled(f"stopped after {done} of {total} batches")


class Admission:
    """Counts admitted jobs; refuses more than ``capacity`` with 503 ``overloaded``."""

    def __init__(self, capacity: int, retry_after_s: float = 5.0) -> None:
        if capacity < 1:
            raise ValueError(f"Admission capacity must be at least 1; got {capacity}.")
        self.capacity = capacity
        self.retry_after_s = retry_after_s
        self._admitted = 0
        self._lock = threading.Lock()

    @property
    def admitted(self) -> int:
        return self._admitted

    @property
    def saturated(self) -> bool:
        """True while no further job would be admitted (``/readyz`` answers 503)."""
        return self._admitted >= self.capacity

    def admit(self) -> Callable[[], None]:
        """Take one place in the queue, or raise 503; returns the function that frees it.

        The place is freed when the job has really ended (not when its request gave up),
        so the count never hides work that still holds a worker; freeing twice is harmless.
        """
        with self._lock:
            if self._admitted >= self.capacity:
                raise ApiError(
                    503, "overloaded",
                    f"the server is busy ({self._admitted} requests queued or running, the limit is "
                    f"{self.capacity}); retry after {math.ceil(self.retry_after_s)} s.",
                    headers={"Retry-After": str(math.ceil(self.retry_after_s))},
                )
            self._admitted += 1
        freed = threading.Event()

        def release() -> None:
            with self._lock:
                if not freed.is_set():
                    freed.set()
                    self._admitted -= 1

        return release


class SpeedMeter:
    """Characters per second of the encoder here: a start value, then an exponential
    average of what finished jobs took (``weight`` is the share of the newest one)."""

    def __init__(self, initial: float | None, weight: float = 0.3) -> None:
        self._value = initial
        self.weight = weight
        self._lock = threading.Lock()

    @property
    def chars_per_second(self) -> float | None:
        return self._value

    def observe(self, chars: int, seconds: float, min_chars: int = 2_000) -> None:
        """Fold in one finished job (jobs under ``min_chars`` are mostly overhead: skipped)."""
        if chars < min_chars or seconds <= 0:
            return
        rate = chars / seconds
        with self._lock:
            self._value = rate if self._value is None else (1 - self.weight) * self._value + self.weight * rate


def check_cost(chars: int, chars_per_second: float | None, timeout_s: float, what: str) -> None:
    """413 ``too_costly`` when ``chars`` of text cannot be classified within the timeout."""
    if not chars_per_second or chars_per_second <= 0:
        return
    seconds = chars / chars_per_second
    if seconds > timeout_s:
        raise ApiError(
            413, "too_costly",
            f"{what} holds {chars:,} characters, about {seconds:,.0f} s of work at this server's measured "
            f"{chars_per_second:,.0f} characters/s, and the timeout is {timeout_s:g} s; send fewer or "
            "shorter paragraphs, or split the work over several requests.",
        )
