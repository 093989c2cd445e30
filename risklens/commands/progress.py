"""The one progress bar of the command line.

Packages never draw: long work takes a ``progress(done, total)`` callback (the
``Progress`` type of ``risklens.model.classifier``) and the shell passes the callback of a
``ProgressBar``. The bar goes to stderr, so stdout stays clean for JSON and tables, and it
is silent when stderr is not a terminal (``disable=None``), so logs and CI output carry no
control characters.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any


class ProgressBar:
    """A tqdm bar on stderr driven by ``bar(done, total)`` calls; a context manager.

    ``total`` may change between calls (the number of windows is known only once the
    paragraphs are tokenised); ``done`` is absolute, not an increment. The bar is created on
    the first call, so a command that never reports progress prints nothing.
    """

    def __init__(self, desc: str, unit: str = "it", *, leave: bool = False) -> None:
        self.desc = desc
        self.unit = unit
        self.leave = leave
        self._bar: Any = None

    def __call__(self, done: int, total: int) -> None:
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=self.desc, unit=self.unit, leave=self.leave,
                             file=sys.stderr, dynamic_ncols=True, disable=None)
        self._bar.total = total
        self._bar.n = done
        self._bar.refresh()

    def close(self) -> None:
        """Remove the bar (or leave it when ``leave``); calling it twice is harmless."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
