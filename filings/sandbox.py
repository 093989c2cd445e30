"""Read untrusted documents in a worker process with a memory and CPU cap.

A PDF is parsed by native code (PDFium, qpdf). Whatever the byte and character checks of
the readers miss — a content stream that inflates to gigabytes, a page that takes minutes —
must not take the caller with it: the server holds a loaded model and other users' work.
So ``run_limited`` sends the reading to a worker process whose address space is capped
(RLIMIT_AS) and whose CPU time per document is capped (RLIMIT_CPU), and waits at most
``wall_seconds``. A worker that breaches a cap dies or is killed, its memory goes back to
the system, and the caller gets a one-line ``DocumentTooComplex``; the next call starts a
fresh worker. Workers are kept between calls (a start costs ~0.3 s), at most ``size`` at a
time; a worker whose caller goes away reads end-of-file and exits.
"""

from __future__ import annotations

import logging
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from risklens.filings.errors import DocumentTooComplex, FilingError
from risklens.filings.limits import MIB, ParseLimits

log = logging.getLogger(__name__)

T = TypeVar("T")
_HEADER = struct.Struct("!Q")
# A fresh interpreter, not a fork: the caller may hold torch's threads and a loaded model.
_WORKER_CODE = "from risklens.filings.sandbox import serve_stdio; serve_stdio()"


def _write_message(stream: Any, message: object) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(payload)))
    stream.write(payload)
    stream.flush()


def _read_exactly(stream: Any, size: int) -> bytes:
    chunks: list[bytes] = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            raise EOFError("the other end closed the pipe")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _read_message(stream: Any) -> Any:
    (size,) = _HEADER.unpack(_read_exactly(stream, _HEADER.size))
    return pickle.loads(_read_exactly(stream, size))


def serve_stdio() -> None:
    """The worker's main: caps its memory, then answers one request per message on stdin.

    Arguments (``sys.argv[1:]``): the address-space cap in bytes and the CPU seconds per
    document. Replies go to the original stdout; ``print`` inside a reader goes to stderr.
    """
    import resource

    memory_bytes, cpu_seconds = int(sys.argv[1]), int(sys.argv[2])
    requests, replies = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    while True:
        try:
            function, args, name = _read_message(requests)
        except EOFError:
            return  # the caller went away
        used = resource.getrusage(resource.RUSAGE_SELF)
        budget = int(used.ru_utime + used.ru_stime) + cpu_seconds
        resource.setrlimit(resource.RLIMIT_CPU, (budget if hard == resource.RLIM_INFINITY else min(budget, hard), hard))
        try:
            reply: tuple[str, Any] = ("ok", function(*args))
        except FilingError as exc:
            reply = ("error", exc)
        except MemoryError:
            reply = ("error", _too_much_memory(name, memory_bytes))
        except Exception as exc:  # a reader bug or a native error class we do not know
            reply = ("error", FilingError(name, f"could not be read ({type(exc).__name__}: {_one_line(exc)})"))
        try:
            _write_message(replies, reply)
        except MemoryError:
            _write_message(replies, ("error", _too_much_memory(name, memory_bytes)))


def _too_much_memory(name: str, memory_bytes: int) -> DocumentTooComplex:
    return DocumentTooComplex(
        name, f"needs more than {memory_bytes // MIB:,} MiB of memory to read; this is not a normal filing"
    )


def _one_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:160] if lines else ""


class _Worker:
    """One worker process and the parent's ends of its pipes."""

    def __init__(self, limits: ParseLimits) -> None:
        # The caller's import path, as multiprocessing's spawn passes it: a notebook or a test
        # that put risklens on sys.path by hand gets a worker that finds it too.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)}
        self.process = subprocess.Popen(
            [sys.executable, "-c", _WORKER_CODE, str(limits.memory_bytes), str(limits.cpu_seconds)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True, env=env,
        )

    def call(self, function: Callable[..., T], args: tuple[Any, ...], name: str, limits: ParseLimits) -> T:
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            _write_message(self.process.stdin, (function, args, name))
            ready, _, _ = select.select([self.process.stdout], [], [], limits.wall_seconds)
            if not ready:
                self.kill()
                raise DocumentTooComplex(name, f"took longer than {limits.wall_seconds:g} s to read; stopped")
            status, value = _read_message(self.process.stdout)
        except (EOFError, BrokenPipeError):
            raise self._death(name, limits) from None
        if status == "error":
            raise value
        return value

    def _death(self, name: str, limits: ParseLimits) -> Exception:
        try:
            code = self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.kill()
            code = self.process.returncode
        log.warning("reader worker for %s ended with exit code %s", name, code)
        if code == -signal.SIGXCPU:
            return DocumentTooComplex(name, f"needs more than {limits.cpu_seconds} s of CPU to read; stopped")
        if code is not None and code < 0:  # killed by a signal: native code out of memory
            return _too_much_memory(name, limits.memory_bytes)
        return RuntimeError(
            f"the document reader process ended with exit code {code} before reading {name}; "
            "its error is printed above — check that risklens is installed in this Python"
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


class SandboxPool:
    """Up to ``size`` reusable workers for one set of limits; safe to share between threads."""

    def __init__(self, limits: ParseLimits, size: int = 2) -> None:
        self.limits = limits
        self._slots = threading.BoundedSemaphore(size)
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()

    def run(self, function: Callable[..., T], *args: Any, name: str) -> T:
        """``function(*args)`` in a worker; raises what it raises, or ``DocumentTooComplex``."""
        with self._slots:
            worker = self._take()
            try:
                result = worker.call(function, args, name, self.limits)
            except (DocumentTooComplex, RuntimeError):
                worker.kill()  # its state is unknown: never reuse it
                raise
            except BaseException:
                self._give_back(worker)
                raise
            self._give_back(worker)
            return result

    def _take(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                if worker.alive():
                    return worker
                worker.kill()
        return _Worker(self.limits)

    def _give_back(self, worker: _Worker) -> None:
        if not worker.alive():
            worker.kill()
            return
        with self._lock:
            self._idle.append(worker)

    def close(self) -> None:
        """End every idle worker (busy ones end when their call returns and the pool is gone)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.kill()


_POOLS: dict[ParseLimits, SandboxPool] = {}
_POOLS_LOCK = threading.Lock()


def run_limited(function: Callable[..., T], *args: Any, name: str, limits: ParseLimits) -> T:
    """Run a reader under ``limits``: in a worker process when ``limits.sandbox``, else here."""
    if not limits.sandbox:
        return function(*args)
    with _POOLS_LOCK:
        pool = _POOLS.get(limits)
        if pool is None:
            pool = _POOLS[limits] = SandboxPool(limits)
    return pool.run(function, *args, name=name)
