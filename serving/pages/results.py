"""Scored uploads kept in memory for the browser session that sent them.

Uploads are not stored: the profile or comparison of an upload lives here, in the
server's memory, only so its page and downloads can be opened — for at most
``TTL_S`` seconds, at most ``MAX_RESULTS`` at once (the oldest goes first), and only for
the session that uploaded it (another session gets "not found", the same answer as for an
id that never existed). Nothing is written to disk; a restart forgets them all.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

TTL_S = 3600.0
MAX_RESULTS = 32


@dataclass
class Result:
    """One kept result: whose it is, what it is ("profile" or "compare") and the object."""

    owner: str
    kind: str
    value: Any
    created: float = field(default_factory=time.monotonic)


class ResultCache:
    """A small LRU of results with an expiry, safe to use from several threads."""

    def __init__(self, ttl_s: float = TTL_S, capacity: int = MAX_RESULTS) -> None:
        self.ttl_s = ttl_s
        self.capacity = capacity
        self._items: OrderedDict[str, Result] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, owner: str, kind: str, value: Any) -> str:
        """Keep ``value`` for ``owner``; returns its unguessable id."""
        rid = secrets.token_urlsafe(12)
        with self._lock:
            self._expire()
            self._items[rid] = Result(owner, kind, value)
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return rid

    def get(self, owner: str, kind: str, rid: str) -> Any | None:
        """The value of ``rid`` if it is ``owner``'s, of ``kind`` and not expired, else None."""
        with self._lock:
            self._expire()
            item = self._items.get(rid)
            if item is None or item.kind != kind or not secrets.compare_digest(item.owner, owner):
                return None
            self._items.move_to_end(rid)
            return item.value

    def __len__(self) -> int:
        return len(self._items)

    def _expire(self) -> None:
        now = time.monotonic()
        for rid in [rid for rid, item in self._items.items() if now - item.created > self.ttl_s]:
            del self._items[rid]
