"""A tiny client of the local workspace's API for the task process (standard library only).

urllib is imported on first call: it costs ~20 ms, which every task would pay at start-up otherwise.

It reads `DATABRICKS_HOST` and the task's own `DATABRICKS_TOKEN` from the environment; errors become
exceptions carrying Databricks' `error_code` and message.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import urllib.error

__all__ = ["WorkspaceError", "call"]


class WorkspaceError(Exception):
    """The workspace answered an error: its `error_code` and message."""

    def __init__(self, error_code: str, message: str) -> None:
        super().__init__(f"{error_code}: {message}")
        self.error_code = error_code


def call(method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    """One request to `/api/<path>` (or to `path` if it starts with "/"): GET sends `body` as the query
    string, other methods as JSON."""
    import urllib.parse
    import urllib.request

    url = os.environ["DATABRICKS_HOST"].rstrip("/") + ("" if path.startswith("/") else "/api/") + path
    data = None
    if method == "GET" and body:
        url += "?" + urllib.parse.urlencode(body)
    elif body is not None:
        data = json.dumps(body).encode()
    token = os.environ["DATABRICKS_TOKEN"]
    headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            answer: dict[str, Any] = json.loads(response.read() or b"{}")
            return answer
    except urllib.request.HTTPError as exc:
        raise _error(exc) from None


def _error(exc: urllib.error.HTTPError) -> WorkspaceError:
    try:
        body = json.loads(exc.read())
    except ValueError:
        body = {}
    return WorkspaceError(str(body.get("error_code", exc.code)), str(body.get("message", exc.reason)))
