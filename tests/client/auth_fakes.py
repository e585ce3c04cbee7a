"""Fakes of what signs a user in outside Databricks: CLIs on PATH, token endpoints, identity-provider JWTs.

Each is a stand-in for a service or program that cannot run here (Azure's `az`, the Go `databricks`
CLI, a metadata service, GitHub's token endpoint); the tests that use them say so.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


def jwt(**claims: Any) -> str:
    """A compact JWT with these claims (and an expiry an hour out unless given); the signature is a dummy."""
    claims.setdefault("exp", int(time.time()) + 3600)

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def write_cli(directory: Path, name: str, body: str, *, min_size: int = 0) -> Path:
    """An executable Python script `directory/name` running `body` (padded to `min_size` bytes)."""
    path = directory / name
    text = f"#!{sys.executable}\nimport json, sys\n{body}\n"
    if len(text) < min_size:
        text += "#" + "x" * (min_size - len(text)) + "\n"
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def on_path(monkeypatch: Any, directory: Path) -> None:
    """Put `directory` first on PATH."""
    monkeypatch.setenv("PATH", f"{directory}{os.pathsep}{os.environ.get('PATH', '')}")


class TokenServer:
    """A loopback HTTP server answering every GET/POST with `answer(path, headers)`; it records requests."""

    def __init__(self, answer: Callable[[str, dict[str, str]], dict[str, Any]]) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                owner.requests.append((self.command, self.path, headers))
                body = json.dumps(answer(self.path, headers)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _reply

            def log_message(self, *args: Any) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    @contextmanager
    def running(self) -> Iterator[TokenServer]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join(5)
