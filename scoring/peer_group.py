"""Which peers a profile was measured against (``scoring.peers`` chooses them).

Its own module so that ``scoring.profile`` can carry it without importing the peer arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from risklens.scoring.apidoc import openapi_config


@dataclass(frozen=True)
class PeerGroup:
    """Which peers a profile was measured against, stated in every report."""

    __pydantic_config__: ClassVar[dict[str, Any]] = openapi_config()

    kinds: list[str] = field(metadata={"description": "filing kinds of the peers"})
    industry: str | None = field(metadata={"description": "CSRC industry of the peers, null = any"})
    since: int | None = field(metadata={"description": "first year of the peers, null = any"})
    until: int | None = field(metadata={"description": "last year of the peers, null = any"})
    n: int = field(metadata={"description": "number of peers (this filing excluded)"})
    too_small: bool = field(metadata={"description": "fewer than min_peers peers: no flags raised"})
    source: str = field(metadata={"description": '"shipped" baseline of the model or the "database" of --db'})
    options: dict[str, float] = field(default_factory=dict)

    def describe(self) -> str:
        """"prospectus, refinancing_prospectus · industry C39 · 2021–2025 · n = 57"."""
        years = f"{self.since}–{self.until}" if self.since is not None else "all years"
        industry = f"industry {self.industry}" if self.industry else "all industries"
        small = f" — too few to judge (< {self.options.get('min_peers', 20):.0f})" if self.too_small else ""
        return f"{', '.join(self.kinds) or 'any kind'} · {industry} · {years} · n = {self.n} ({self.source} peers){small}"
