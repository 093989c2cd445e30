"""The server's event log lines (JSON on stderr) and the one way a model gets (re)loaded.

Startup, SIGHUP and ``POST /v1/admin/reload`` all load through ``load_and_log``, so every
load — whoever asked for it — leaves one ``model_loaded`` or ``model_load_failed`` line
saying what was loaded, from where, and what triggered it.
"""

from __future__ import annotations

import json
import logging

from risklens.serving.state import LoadedModel, ServerState

log = logging.getLogger("risklens.serve")


def event(name: str, /, **fields: object) -> None:
    """One JSON log line ``{"event": name, …}``."""
    log.info(json.dumps({"event": name, **fields}, ensure_ascii=False, default=str))


def load_and_log(state: ServerState, trigger: str) -> LoadedModel:
    """Load the model (``startup``, ``sighup`` or ``admin``), log the outcome, re-raise a failure."""
    try:
        loaded = state.holder.load()
    except Exception as exc:
        event("model_load_failed", trigger=trigger, error=f"{type(exc).__name__}: {exc}")
        raise
    event("model_loaded", trigger=trigger, path=str(loaded.path), **loaded.summary,
          resolved=loaded.info.get("resolved"), chars_per_second=loaded.chars_per_second)
    return loaded
