"""Issue 14, items 1 (the shared poller) and 6 (OAuth after a restart).

The poller: one run it cannot read never delays the others, and gets its error on its own waiter. The
workspace no longer has input that breaks a listing, so "a run the server cannot serve" is made at the
client's transport (a wrapper answering 500 for that run; everything else is the real workspace).
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from reliability_helpers import KNOWN_TOKEN, SP_ID, SP_SECRET, ServedWorkspace, free_port

from prefect_databricks.client import DatabricksClient, OAuthM2MAuth, PatAuth
from prefect_databricks.client.errors import ApiError, PermissionDenied
from prefect_databricks.client.retry import RetryPolicy
from prefect_databricks.local import LocalWorkspace
from prefect_databricks.waiting.watcher import RunWatcher

_FAST = RetryPolicy(attempts=2, timeout=5, wait_initial=0.01, wait_jitter=0)
_CHECK = {"task_key": "c", "condition_task": {"op": "EQUAL_TO", "left": "1", "right": "1"}}


class _OneRunBroken(httpx.AsyncBaseTransport):
    """The real workspace, except that runs/list and runs/get of `bad` answer 500, as in the issue."""

    def __init__(self, bad: int) -> None:
        self.bad = bad
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path, query = request.url.path, request.url.params
        unreadable = path.endswith("/runs/get") and query.get("run_id") == str(self.bad)
        if path.endswith("/jobs/runs/list") or unreadable:
            return httpx.Response(500, json={"error_code": "INTERNAL_ERROR", "message": "Internal error."})
        return await self.inner.handle_async_request(request)


async def _submit(ws: LocalWorkspace, name: str, tasks: list[dict[str, object]]) -> int:
    async with DatabricksClient(ws.host, PatAuth(KNOWN_TOKEN)) as client:
        run = await client.call("jobs/runs/submit", params={"run_name": name, "tasks": tasks})
    return int(run["run_id"])


async def test_a_run_the_poller_cannot_read_delays_no_other(
    fresh_workspace: LocalWorkspace, sources: Path, tmp_path: Path
) -> None:
    script = {"python_file": str(sources / "sleeper.py"), "parameters": [str(tmp_path / "pid"), "30"]}
    sleeper = {"task_key": "s", "spark_python_task": script}
    bad = await _submit(fresh_workspace, "unreadable", [sleeper])
    good = await _submit(fresh_workspace, "quick", [_CHECK])

    def client() -> DatabricksClient:
        transport = _OneRunBroken(bad)
        return DatabricksClient(fresh_workspace.host, PatAuth(KNOWN_TOKEN), transport=transport, retry=_FAST)

    watcher = RunWatcher(client, initial_interval=0.2)
    started = time.monotonic()
    bad_wait = asyncio.ensure_future(watcher.wait(bad, poll_frequency_seconds=0.5))
    finished = await asyncio.wait_for(watcher.wait(good, poll_frequency_seconds=0.5), timeout=20)
    assert finished["state"]["result_state"] == "SUCCESS"
    assert time.monotonic() - started < 15, "the quick run's result was held back"
    with pytest.raises(ApiError) as failed:
        await asyncio.wait_for(bad_wait, timeout=30)
    assert failed.value.status == 500
    async with DatabricksClient(fresh_workspace.host, PatAuth(KNOWN_TOKEN)) as plain:
        await plain.call("jobs/runs/cancel", params={"run_id": bad})


async def test_an_oauth_client_survives_a_restart(tmp_path: Path) -> None:
    """The restarted workspace forgot the token it issued: 401 (RFC 6750 invalid_token); the client
    fetches a new token once and the call succeeds."""
    principals = tmp_path / "principals"
    principals.write_text(f"{SP_ID}:{SP_SECRET}\n")
    args = ("--service-principal-file", str(principals))
    served = ServedWorkspace(tmp_path / "ws", free_port(), KNOWN_TOKEN, *args)
    with served:
        auth = OAuthM2MAuth(served.host, SP_ID, SP_SECRET)
        async with DatabricksClient(served.host, auth) as client:
            await client.call("jobs/list")
            old = auth.cached_token()
            served.kill9()
            served.start()
            stale = httpx.get(f"{served.host}/api/2.2/jobs/list", headers={"Authorization": f"Bearer {old}"})
            assert stale.status_code == 401 and "invalid_token" in stale.headers["www-authenticate"]
            assert set(stale.json()) == {"error_code", "message"}
            await client.call("jobs/list")
            assert auth.cached_token() not in (None, old)


async def test_the_client_refreshes_once_on_403_then_raises() -> None:
    """A server that answers a token it does not know with 403 "Invalid access token." (the real service's
    answer to a wrong token, databricks-sdk-go#873) is emulated by a mock transport: no such server here."""
    issued: list[str] = []
    seen: list[str] = []

    def serve(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oidc/v1/token":
            issued.append(f"tok-{len(issued)}")
            return httpx.Response(200, json={"access_token": issued[-1], "expires_in": 3600})
        seen.append(request.headers["authorization"])
        if request.headers["authorization"] == "Bearer tok-1" and len(issued) < 3:
            return httpx.Response(200, json={"jobs": []})
        return httpx.Response(403, json={"error_code": "403", "message": "Invalid access token."})

    auth = OAuthM2MAuth("https://dbc-x.cloud.databricks.com", "id", "secret")
    transport = httpx.MockTransport(serve)
    async with DatabricksClient("https://dbc-x.cloud.databricks.com", auth, transport=transport) as client:
        assert await client.call("jobs/list") == {"jobs": []}
        assert seen == ["Bearer tok-0", "Bearer tok-1"]
        issued.append("tok-2")  # from now on every token is refused
        seen.clear()
        auth.invalidate()
        with pytest.raises(PermissionDenied):
            await client.call("jobs/list")
        assert len(seen) == 2, "refreshed once, then raised"
