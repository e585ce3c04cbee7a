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
from .server import build_app, listen, open_workspace, server_config, tls_files
from .state import FederationPolicy
from .store import DataDirInUse
from .tls import TlsFiles

__all__ = ["parse_federation_policy", "parse_service_principals", "read_secret_files", "serve_forever"]

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


def read_secret_files(token_file: Path | None, principals_file: Path | None) -> tuple[str | None, list[str]]:
    """The token (first line of `token_file`) and the ID:SECRET lines of `principals_file`.

    Exits with an error naming the file (never its content) if one cannot be read or is empty.
    """
    token = None
    if token_file is not None:
        token = _lines(token_file, "--token-file")[0]
    principals = _lines(principals_file, "--service-principal-file") if principals_file is not None else []
    return token, principals


def _lines(path: Path, option: str) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SystemExit(f"error: {option}: cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise SystemExit(f"error: {option}: {path} is not UTF-8 text.") from None
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    if not lines:
        raise SystemExit(f"error: {option}: {path} holds no value.")
    return lines
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
    tls: bool = False,
    cert: Path | None = None,
    key: Path | None = None,
    federation_policies: Sequence[str] = (),
    admins: Sequence[str] = (),
) -> None:
    """Open the workspace under `data_dir`, print how to reach it, serve until a signal stops uvicorn.

    With `tls` (or `cert`/`key`) it serves https, and prints the CA file for clients to trust; `admins`
    are the identities made workspace admins besides the token's user.
    """
    try:
        principals = parse_service_principals(service_principals)
        policies = [parse_federation_policy(spec) for spec in federation_policies]
        if faults:
            parse_spec(faults)
        ws = open_workspace(data_dir, token=token, service_principals=principals, faults=faults,
                            max_task_processes=max_task_processes, federation_policies=policies,
                            admins=admins)
        files = tls_files(ws.config.data_dir, tls=tls, cert=cert, key=key)
    except (ValueError, DataDirInUse) as exc:
        raise SystemExit(f"error: {exc}") from None
    try:
        sock = _bind(host, port)
        bound_host, bound_port = sock.getsockname()[:2]
        ws.config.host = f"{'https' if files else 'http'}://{bound_host}:{bound_port}"
        ws.lock_url()
        _announce(ws.config.host, ws.config.token, ws.config.data_dir, files)
        _Server(server_config(build_app(ws), files)).run(sockets=[sock])
    finally:
        ws.close()
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


def _announce(url: str, token: str, data_dir: Path, files: TlsFiles | None) -> None:
    lines = [
        f"Local Databricks workspace serving at {url}",
        f"Token: {token}",
        f"Data: {data_dir}",
        *([f"CA: {files.ca}"] if files else []),
        "",
        f"export DATABRICKS_HOST={url}",
        f"export DATABRICKS_TOKEN={token}",
        *([f"export SSL_CERT_FILE={files.ca} REQUESTS_CA_BUNDLE={files.ca}"] if files else []),
        "",
        "Press Ctrl-C to stop.",
    ]
    print("\n".join(lines), flush=True)
    sys.stdout.flush()
