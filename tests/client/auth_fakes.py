"""Fakes of what signs a user in outside Databricks: CLIs on PATH, token endpoints, identity-provider JWTs.

Each is a stand-in for a service or program that cannot run here (Azure's `az`, the Go `databricks`
CLI, a metadata service, GitHub's token endpoint); the tests that use them say so.
"""

from __future__ import annotations

import asyncio
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

import httpx


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


Answer = Callable[[str, dict[str, str]], dict[str, Any]]


class Refused(Exception):
    """Raised by an `Answer` to reply with an error: `status` and the JSON `body`."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(status, body)
        self.status, self.body = status, body


class JsonHandler(BaseHTTPRequestHandler):
    """Answers every GET/POST with `answer(path, headers)` as JSON; `headers` has the lower-cased
    request headers plus the body under the key `""`. Each request is passed to `record`."""

    protocol_version = "HTTP/1.1"
    answer: Answer
    record: Callable[[tuple[str, str, dict[str, str]]], None]

    def _reply(self) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        headers[""] = self.rfile.read(int(headers.get("content-length", "0") or 0)).decode()
        self.record((self.command, self.path, headers))
        try:
            status, body = 200, json.dumps(type(self).answer(self.path, headers)).encode()
        except Refused as refusal:
            status, body = refusal.status, json.dumps(refusal.body).encode()
        except Exception as exc:  # a failed check of the fake: an answer the test's failure shows
            failure = {"error": "fake_check_failed", "error_description": repr(exc)}
            status, body = 500, json.dumps(failure).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _reply

    def log_message(self, *args: Any) -> None:
        """Quiet."""


def json_handler(answer: Answer, requests: list[tuple[str, str, dict[str, str]]]) -> type[JsonHandler]:
    """A `JsonHandler` class answering with `answer` and appending each request to `requests`."""
    return type("Handler", (JsonHandler,), {"answer": staticmethod(answer),
                                             "record": staticmethod(requests.append)})


class TokenServer:
    """A loopback HTTP server answering every GET/POST with `answer(path, headers)`; it records requests."""

    def __init__(self, answer: Answer) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), json_handler(answer, self.requests))
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    @contextmanager
    def running(self) -> Iterator[TokenServer]:
        with serving(self._server):
            yield self


@contextmanager
def serving(server: ThreadingHTTPServer) -> Iterator[None]:
    """Serve `server` from a thread for the block's duration, then shut it down and close it."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def sent_headers(creds: Any, calls: int = 1, pause: float = 0.0) -> list[dict[str, str]]:
    """Call jobs/list `calls` times through the pooled client of `creds` (a `DatabricksCredentials`),
    `pause` seconds apart in one event loop, as a waiting flow does; the headers of each API request."""
    sent: list[dict[str, str]] = []

    async def record(request: httpx.Request) -> None:
        if "/api/" in request.url.path:
            sent.append(dict(request.headers))

    creds.client_kwargs = {"event_hooks": {"request": [record]}}

    async def main() -> None:
        client = creds.get_jobs_client()
        for n in range(calls):
            if n:
                await asyncio.sleep(pause)
            await client.call("jobs/list")

    asyncio.run(main())
    return sent


def rejected(host: str, token: str) -> bool:
    """Whether the workspace at `host` refuses `token` now (401 or 403 on jobs/list)."""
    answer = httpx.get(f"{host}/api/2.2/jobs/list", headers={"Authorization": f"Bearer {token}"})
    return answer.status_code in (401, 403)


def trust(ws: Any, token: str, caller: str, expiry: float) -> None:
    """Make the local workspace `ws` accept an identity token it did not issue, until `expiry`:
    a stand-in for Databricks checking Google's or Entra's signature, which the local workspace does not."""
    from prefect_databricks.local.state import IssuedToken

    ws.workspace.oauth_tokens[token] = IssuedToken(caller, expiry)
