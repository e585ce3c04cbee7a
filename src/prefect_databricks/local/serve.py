"""`prefect-databricks workspace serve`: the local workspace in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

import uvicorn

from .api.faults import parse_spec
from .server import build_app, listen, open_workspace
from .state import FederationPolicy

__all__ = ["parse_federation_policy", "parse_service_principals", "serve_forever"]

_POLICY_KEYS = ("issuer", "subject", "audience", "client_id", "subject_claim")


def parse_service_principals(pairs: Sequence[str]) -> dict[str, str]:
    """`ID:SECRET` pairs as a mapping; ValueError on a malformed pair, never echoing it (secrets)."""
    principals = {}
    for pair in pairs:
        client_id, sep, secret = pair.partition(":")
        if not sep or not client_id or not secret:
            raise ValueError("--service-principal expects ID:SECRET (a value lacks its ID or SECRET).")
        principals[client_id] = secret
    return principals


def parse_federation_policy(spec: str) -> FederationPolicy:
    """`issuer=URL,subject=SUB[,audience=AUD ...][,client_id=ID][,subject_claim=CLAIM]` as a policy."""
    values: dict[str, list[str]] = {}
    for item in filter(None, spec.split(",")):
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or key not in _POLICY_KEYS or not value.strip():
            raise ValueError(
                f"--federation-policy: {item!r} is not KEY=VALUE with KEY one of {', '.join(_POLICY_KEYS)}."
            )
        values.setdefault(key, []).append(value.strip())
    missing = [key for key in ("issuer", "subject") if key not in values]
    if missing:
        raise ValueError(f"--federation-policy: {' and '.join(missing)} must be given.")
    return FederationPolicy(
        issuer=values["issuer"][-1],
        subject=values["subject"][-1],
        audiences=tuple(values.get("audience", [])),
        client_id=values.get("client_id", [""])[-1],
        subject_claim=values.get("subject_claim", ["sub"])[-1],
    )


def serve_forever(
    *,
    host: str,
    port: int,
    data_dir: Path | None,
    token: str | None,
    faults: str | None,
    service_principals: Sequence[str],
    max_task_processes: int | None = None,
    federation_policies: Sequence[str] = (),
) -> None:
    """Open the workspace under `data_dir`, print how to reach it, serve until a signal stops uvicorn."""
    try:
        principals = parse_service_principals(service_principals)
        policies = [parse_federation_policy(spec) for spec in federation_policies]
        if faults:
            parse_spec(faults)
        ws = open_workspace(data_dir, token=token, service_principals=principals, faults=faults,
                            max_task_processes=max_task_processes, federation_policies=policies)
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from None
    sock = _bind(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    ws.config.host = f"http://{bound_host}:{bound_port}"
    _announce(ws.config.host, ws.config.token, ws.config.data_dir)
    config = uvicorn.Config(build_app(ws), log_level="warning", access_log=False, lifespan="on")
    try:
        _Server(config).run(sockets=[sock])
    finally:
        ws.store.close()
    print("Stopped.", flush=True)


class _Server(uvicorn.Server):
    """uvicorn, but a Ctrl-C or SIGTERM is a clean stop (exit code 0), not re-raised after shutdown."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        self.should_exit = True


def _bind(host: str, port: int) -> socket.socket:
    try:
        return listen(host, port)
    except OSError as exc:
        raise SystemExit(f"error: cannot listen on {host}:{port}: {exc.strerror}") from None


def _announce(url: str, token: str, data_dir: Path) -> None:
    lines = [
        f"Local Databricks workspace serving at {url}",
        f"Token: {token}",
        f"Data: {data_dir}",
        "",
        f"export DATABRICKS_HOST={url}",
        f"export DATABRICKS_TOKEN={token}",
        "",
        "Press Ctrl-C to stop.",
    ]
    print("\n".join(lines), flush=True)
    sys.stdout.flush()
