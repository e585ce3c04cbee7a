"""Starting the local workspace: in a background thread (`LocalWorkspace`) or in the foreground (`serve`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import socket
import ssl
import threading
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import h11
import uvicorn
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol

from .api.app import Surface, create_app
from .api.counter import count_requests
from .api.faults import with_faults
from .api.federation import unverified_signatures_warning
from .api.routes import ROUTES
from .engine.scheduler import run_scheduler
from .state import FederationPolicy, Workspace, WorkspaceSettings, default_data_dir
from .store import DataDirLock, Store
from .tls import TlsFiles, ensure_certificate

if TYPE_CHECKING:
    from prefect_databricks.credentials import DatabricksCredentials

__all__ = [
    "HEADER_TIMEOUT", "LocalWorkspace", "build_app", "listen", "open_workspace", "server_config", "tls_files",
]

HEADER_TIMEOUT = 10.0
_DB_FILE = "workspace.db"
_GRACE_SECONDS = 2
_log = logging.getLogger("prefect_databricks.local")


def open_workspace(
    data_dir: Path | None,
    *,
    token: str | None = None,
    service_principals: Mapping[str, str] | None = None,
    faults: str | None = None,
    max_task_processes: int | None = None,
    federation_policies: Sequence[FederationPolicy] = (),
    oauth_token_ttl_seconds: int = 3600,
    admins: Sequence[str] = (),
) -> Workspace:
    """Open (or create) the workspace state under `data_dir`; the token is generated once and kept.

    The data dir is held until `Workspace.close()`: DataDirInUse names the server already holding it.
    `max_task_processes` bounds the task processes running at once (None: cores × 2);
    `federation_policies` accept identity-provider tokens at `/oidc/v1/token` (token exchange);
    `admins` makes those identities workspace admins (the workspace token's user always is one).
    """
    if max_task_processes is not None and max_task_processes < 1:
        raise ValueError("max_task_processes must be at least 1.")
    if oauth_token_ttl_seconds < 1:
        raise ValueError("oauth_token_ttl_seconds must be at least 1.")
    warning = unverified_signatures_warning(tuple(federation_policies))
    if warning:
        _log.warning(warning)
    data_dir = Path(data_dir) if data_dir is not None else default_data_dir()
    lock = DataDirLock(data_dir)
    try:
        store = Store(data_dir / _DB_FILE)
    except BaseException:
        lock.release()
        raise
    token = token or store.meta("token") or "dapi" + secrets.token_hex(16)
    store.set_meta("token", token)
    config = WorkspaceSettings(
        data_dir, token, dict(service_principals or {}), faults, max_task_processes=max_task_processes,
        federation_policies=tuple(federation_policies), oauth_token_ttl_seconds=oauth_token_ttl_seconds,
        admins=tuple(admins),
    )
    return Workspace(config, store, lock)


def build_app(ws: Workspace) -> ASGIApp:
    """The ASGI app of `ws`: routes, request counting, and a lifespan running the background loops."""
    surface = Surface.of(ws, ROUTES)
    app = create_app(ws, ROUTES, surface)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        scheduler = asyncio.create_task(run_scheduler(ws))
        try:
            yield
        finally:
            scheduler.cancel()
            await asyncio.gather(scheduler, return_exceptions=True)
            surface.spark.stop()

    app.router.lifespan_context = lifespan
    return count_requests(with_faults(app, surface.faults), surface.counter)


class _TimedH11(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a header read timeout: a connection that has not sent a whole
    request head `HEADER_TIMEOUT` seconds after it opened (or after its last answer) is closed, so
    half-open connections cannot pile up."""

    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
        self._header_timer = self.loop.call_later(HEADER_TIMEOUT, self._headers_late)

    def _headers_late(self) -> None:
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def server_config(app: ASGIApp, files: TlsFiles | None = None) -> uvicorn.Config:
    """How uvicorn serves `app`: the header read timeout above, keep-alive 5 s, lifespan on, over TLS
    when `files` are given."""
    ssl: dict[str, Any] = {}
    if files is not None:
        ssl = {"ssl_certfile": str(files.cert), "ssl_keyfile": str(files.key)}
    return uvicorn.Config(
        app, http=_TimedH11, log_level="warning", access_log=False, lifespan="on", timeout_keep_alive=5, **ssl
    )


def tls_files(data_dir: Path, *, tls: bool, cert: Path | None, key: Path | None) -> TlsFiles | None:
    """The TLS files to serve with: `cert`/`key` when given (the cert is then what clients trust),
    else with `tls` the ones generated into the data dir, else None (plain HTTP)."""
    if (cert is None) != (key is None):
        raise ValueError("--cert and --key go together: give both or neither.")
    if cert is not None and key is not None:
        for path in (cert, key):
            if not Path(path).is_file():
                raise ValueError(f"No such file: {path}")
        return TlsFiles(Path(cert), Path(cert), Path(key))
    return ensure_certificate(data_dir) if tls else None


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket, so clients that connect as soon as the URL is known are queued.

    `IPPROTO_TCP` matters: asyncio sets TCP_NODELAY only on sockets created with it, and without
    it every response waits ~40 ms on delayed ACKs.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


class LocalWorkspace:
    """A local workspace served on loopback in a background thread.

    `with LocalWorkspace(data_dir=..., port=0) as ws:` gives `ws.host`, `ws.token` and
    `ws.credentials()`; the state stays in `data_dir` (a temporary one if omitted). At most
    `max_task_processes` task processes run at once (default: cores × 2). `tls=True` serves https with
    a certificate generated into the data dir (`cert`/`key` to bring one); `ws.ca_file` is what to trust.
    `federation_policies`
    enable the token exchange of workload identity federation; OAuth tokens it issues live
    `oauth_token_ttl_seconds`. `admins` names the identities besides the token's user that are
    workspace admins; the others see and change only the jobs their permissions allow.
    """

    def __init__(
        self,
        data_dir: Path | str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str | None = None,
        service_principals: Mapping[str, str] | None = None,
        faults: str | None = None,
        max_task_processes: int | None = None,
        tls: bool = False,
        cert: Path | str | None = None,
        key: Path | str | None = None,
        federation_policies: Sequence[FederationPolicy] = (),
        oauth_token_ttl_seconds: int = 3600,
        admins: Sequence[str] = (),
    ) -> None:
        self._tmp: Any = None
        if data_dir is None:
            import tempfile

            self._tmp = tempfile.TemporaryDirectory(prefix="dbx-local-")
            data_dir = self._tmp.name
        self.workspace = open_workspace(
            Path(data_dir), token=token, service_principals=service_principals, faults=faults,
            max_task_processes=max_task_processes, federation_policies=federation_policies,
            oauth_token_ttl_seconds=oauth_token_ttl_seconds, admins=admins,
        )
        self.tls = tls_files(
            self.workspace.config.data_dir, tls=tls, cert=Path(cert) if cert else None,
            key=Path(key) if key else None,
        )
        self._bind = (host, port)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:8080`."""
        return self.workspace.config.host

    @property
    def token(self) -> str:
        """The personal access token this workspace accepts."""
        return self.workspace.config.token

    @property
    def ca_file(self) -> Path | None:
        """The CA certificate clients trust to reach this workspace over TLS (None without TLS)."""
        return self.tls.ca if self.tls is not None else None

    @property
    def data_dir(self) -> Path:
        """Where the state is kept."""
        return self.workspace.config.data_dir

    def credentials(self) -> DatabricksCredentials:
        """A `DatabricksCredentials` block pointing at this workspace."""
        from prefect_databricks.credentials import DatabricksCredentials

        extra: dict[str, Any] = {}
        if self.tls is not None:
            extra["client_kwargs"] = {"verify": ssl.create_default_context(cafile=str(self.tls.ca))}
        return DatabricksCredentials(databricks_instance=self.host, token=SecretStr(self.token), **extra)

    def start(self) -> LocalWorkspace:
        """Bind the port and serve in a background thread; returns once requests are answered."""
        sock = listen(*self._bind)
        bound_host, bound_port = sock.getsockname()[:2]
        scheme = "https" if self.tls is not None else "http"
        self.workspace.config.host = f"{scheme}://{bound_host}:{bound_port}"
        self.workspace.lock_url()
        self._server = uvicorn.Server(server_config(build_app(self.workspace), self.tls))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True, name="dbx-local"
        )
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("The local workspace failed to start.")
            threading.Event().wait(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and close the store."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=_GRACE_SECONDS)
            # Idle keep-alive TLS connections wait for a close_notify their client may never send.
            self._server.force_exit = True
            self._thread.join(timeout=10)
        self.workspace.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> LocalWorkspace:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
