"""Counts the API requests the workspace answers, so tests and benchmarks can measure a client's load."""

from __future__ import annotations

from collections import Counter

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["RequestCounter", "count_requests"]


class RequestCounter:
    """Per-endpoint counts of `/api/` requests (the version prefix dropped)."""

    def __init__(self) -> None:
        self.by_endpoint: Counter[str] = Counter()

    def add(self, path: str) -> None:
        """Count one request to `/api/<version>/<endpoint>`."""
        parts = path.split("/", 3)
        if len(parts) == 4 and parts[1] == "api":
            self.by_endpoint[parts[3]] += 1

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
