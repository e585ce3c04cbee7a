"""Counts the API requests the workspace answers, so tests and benchmarks can measure a client's load.

Counted by declared route (`jobs/runs/get`, `permissions/jobs/{job_id}`), never by raw path, so the
counter holds at most one entry per route plus one for every path no route declares: requests to
random paths cannot grow it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["UNDECLARED", "RequestCounter", "count_requests"]

UNDECLARED = "(no such endpoint)"
_API_PATH = re.compile(r"^/api/[^/]+/(?P<endpoint>.+)$")


class RequestCounter:
    """Per-endpoint counts of `/api/` requests (the version prefix dropped)."""

    def __init__(self, routes: Iterable[BaseRoute] = ()) -> None:
        self.by_endpoint: Counter[str] = Counter()
        self._exact: dict[str, str] = {}
        self._patterns: list[tuple[re.Pattern[str], str]] = []
        for route in routes:
            match = _API_PATH.match(route.path) if isinstance(route, Route) else None
            if match is None or not isinstance(route, Route):
                continue
            if route.param_convertors:
                self._patterns.append((route.path_regex, match["endpoint"]))
            else:
                self._exact[route.path] = match["endpoint"]

    def endpoint_of(self, path: str) -> str | None:
        """The declared endpoint `path` is a request to (UNDECLARED if none); None outside `/api/`."""
        if not path.startswith("/api/"):
            return None
        if path in self._exact:
            return self._exact[path]
        return next((name for pattern, name in self._patterns if pattern.match(path)), UNDECLARED)

    def add(self, path: str) -> None:
        """Count one request to `path` under its declared endpoint."""
        endpoint = self.endpoint_of(path)
        if endpoint is not None:
            self.by_endpoint[endpoint] += 1

    def snapshot(self) -> dict[str, object]:
        """The total and the counts by endpoint."""
        return {"total": sum(self.by_endpoint.values()), "by_endpoint": dict(self.by_endpoint)}


def count_requests(app: ASGIApp, counter: RequestCounter) -> ASGIApp:
    """Wrap `app` so every HTTP request to `/api/` is counted by `counter`."""

    async def counted(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            counter.add(scope["path"])
        await app(scope, receive, send)

    return counted
