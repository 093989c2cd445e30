"""Run the app under uvicorn: logging to stderr as JSON lines, SIGHUP reloads the model."""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import sys
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from risklens.model.memory import limit_malloc_arenas
from risklens.serving.state import ServerSettings


class HeaderTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request headers take too long.

    uvicorn times out idle keep-alive connections but not a request whose line and headers
    trickle in (a slowloris: 300 such connections held the server's sockets for as long as
    the clients liked). Here every connection must deliver a complete request head within
    ``header_timeout_s`` of opening, or of its previous response; otherwise it is closed.
    """

    header_timeout_s = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._cycle_when_armed: object = None

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._cycle_when_armed = self.cycle
        self._head_timer = self.loop.call_later(self.header_timeout_s, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.cycle is self._cycle_when_armed and not self.transport.is_closing():
            self.transport.close()  # no new request head arrived in time

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._head_timer is not None and self.cycle is not self._cycle_when_armed:
            self._cancel_head_timer()  # a request head was parsed: the body timeout takes over

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)


def protocol_with_header_timeout(seconds: float) -> type[HeaderTimeoutProtocol]:
    """The protocol class uvicorn instantiates per connection, with this header timeout."""
    return type("RiskLensH11Protocol", (HeaderTimeoutProtocol,), {"header_timeout_s": seconds})


def configure_logging(level: str = "info") -> None:
    """Plain message lines on stderr (the access log lines are JSON already)."""
    logging.basicConfig(stream=sys.stderr, format="%(message)s", level=level.upper(), force=True)


def port_problem(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be bound (None when it can)."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return f"{host}:{port} is already in use; pick another --port."
        return f"cannot listen on {host}:{port} ({exc.strerror or exc}); check --host and --port."
    return None


def serve(settings: ServerSettings, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info") -> int:
    """Serve until SIGINT/SIGTERM; returns the exit code."""
    import uvicorn

    from risklens.serving.app import create_app

    configure_logging(log_level)
    limit_malloc_arenas()
    settings.install_sighup = True
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,
        access_log=False,  # serving.accesslog writes one JSON line per request instead
        log_level=log_level,
        lifespan="on",
        timeout_graceful_shutdown=10,
        http=protocol_with_header_timeout(settings.header_timeout_s),
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=5,
    )
    server = uvicorn.Server(config)
    server.run()
    return 0 if server.started else 1
