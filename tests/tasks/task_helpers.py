"""Helpers of the task tests: a recording transport and deadline-bound polling."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

__all__ = ["RecordingTransport", "await_until", "is_terminal", "wait_until"]


class RecordingTransport(httpx.AsyncBaseTransport):
    """Sends through a real HTTP transport and keeps every request, to assert what went out."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self._inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()

    def bodies(self) -> list[dict[str, Any]]:
        """The JSON bodies sent (empty dict for a request without one)."""
        return [json.loads(request.content or b"{}") for request in self.requests]


def wait_until(
    read: Callable[[], dict[str, Any]], done: Callable[[dict[str, Any]], bool], deadline: float = 60
) -> dict[str, Any]:
    """Poll `read` until `done`; on timeout fail with the last value seen."""
    end = time.monotonic() + deadline
    last = read()
    while not done(last):
        if time.monotonic() > end:
            raise AssertionError(f"gave up after {deadline} s; last seen: {last}")
        time.sleep(0.1)
        last = read()
    return last


def is_terminal(run: dict[str, Any]) -> bool:
    """A run (or task run) has finished, read from the 2.2 `status` or the legacy `state`."""
    status = (run.get("status") or {}).get("state")
    legacy = (run.get("state") or {}).get("life_cycle_state")
    return status == "TERMINATED" or legacy in {"TERMINATED", "SKIPPED", "INTERNAL_ERROR"}


async def await_until(
    read: Callable[[], Awaitable[dict[str, Any]]],
    done: Callable[[dict[str, Any]], bool],
    deadline: float = 60,
) -> dict[str, Any]:
    """Async `wait_until`."""
    end = time.monotonic() + deadline
    last = await read()
    while not done(last):
        if time.monotonic() > end:
            raise AssertionError(f"gave up after {deadline} s; last seen: {last}")
        await asyncio.sleep(0.1)
        last = await read()
    return last
