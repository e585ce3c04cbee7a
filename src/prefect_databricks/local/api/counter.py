"""Counts the API requests the workspace answers, so tests and benchmarks can measure a client's load."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["OTHER", "RequestCounter", "count_requests"]


OTHER = "(other)"
"""Where requests to paths no route declares are counted, so no client can grow the counter."""


class RequestCounter:
    """Per-endpoint counts of `/api/` requests (the version prefix dropped), one key per declared endpoint
    (`permissions/jobs/{job_id}` for every job id) and OTHER for the rest, so the counts stay bounded."""

    def __init__(self, endpoints: Iterable[str] = ()) -> None:
        self.by_endpoint: Counter[str] = Counter()
        self._static = {e for e in endpoints if "{" not in e}
        self._templates = [(re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(e)) + "$"), e)
                           for e in endpoints if "{" in e]

    def add(self, path: str) -> None:
        """Count one request to `/api/<version>/<endpoint>`."""
        parts = path.split("/", 3)
        if len(parts) == 4 and parts[1] == "api":
            self.by_endpoint[self._endpoint(parts[3])] += 1

    def _endpoint(self, path: str) -> str:
        if path in self._static:
            return path
        return next((name for pattern, name in self._templates if pattern.match(path)), OTHER)

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
