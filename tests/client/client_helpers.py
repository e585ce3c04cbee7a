"""Shared helpers of the client tests (a client over `httpx.MockTransport`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from prefect_databricks.client import DatabricksClient, PatAuth, RetryPolicy

FAKE_HOST = "https://dbc-test.cloud.databricks.com"
FAKE_TOKEN = "dapi-fake-token-0123456789"
FAST = RetryPolicy(attempts=6, timeout=30, wait_initial=0, wait_max=0, wait_jitter=0)

Handler = Callable[[httpx.Request], httpx.Response]


def mock_client(handler: Handler, **kwargs: Any) -> DatabricksClient:
    """A client whose requests go to `handler` (for answers a real workspace cannot be made to give)."""
    kwargs.setdefault("retry", FAST)
    return DatabricksClient(FAKE_HOST, PatAuth(FAKE_TOKEN), transport=httpx.MockTransport(handler), **kwargs)


class CountingTransport(httpx.AsyncHTTPTransport):
    """Real HTTP, counting requests per path."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        return await super().handle_async_request(request)
