"""The transport over `httpx.MockTransport`: encoding, headers, host rules and retry decisions.

A mock answers here because these cases need exact status sequences (500, 502, 504, read
errors after the server acted) that no real workspace can be made to produce on demand; the
same rules are exercised against the local workspace's fault switch in test_faults.py.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from client_helpers import FAKE_TOKEN, mock_client

from prefect_databricks.client import (
    ApiError,
    ClientValidationError,
    DatabricksClient,
    InternalError,
    PatAuth,
    RetryPolicy,
    TemporarilyUnavailable,
    TransportError,
)
from prefect_databricks.client import transport as transport_module


class Script:
    """Answers requests from a list of outcomes (a status, a (status, headers) pair or an exception)."""

    def __init__(self, *outcomes: Any, final: Any = 200) -> None:
        self.outcomes = list(outcomes)
        self.final = final
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        outcome = self.outcomes.pop(0) if self.outcomes else self.final
        if isinstance(outcome, Exception):
            raise outcome
        status, headers = outcome if isinstance(outcome, tuple) else (outcome, {})
        body = {"ok": True} if status < 400 else {"error_code": "X", "message": f"status {status}"}
        return httpx.Response(status, json=body, headers=headers)

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Record the transport's backoff waits instead of sleeping."""
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr(transport_module, "_sleep", record)
    yield waits


async def test_get_encodes_the_query_string() -> None:
    script = Script()
    async with mock_client(script) as client:
        await client.call(
            "jobs/runs/list",
            params={
                "job_id": 5,
                "active_only": True,
                "expand_tasks": False,
                "page_token": None,
                "views": ["A", "B"],
            },
        )
    request = script.requests[0]
    assert request.method == "GET"
    assert request.url.path == "/api/2.2/jobs/runs/list"
    assert request.url.query == b"job_id=5&active_only=true&expand_tasks=false&views=A&views=B"
    assert not request.content


async def test_post_sends_json_dropping_top_level_none_only() -> None:
    script = Script()
    async with mock_client(script) as client:
        result = await client.call(
            "jobs/create",
            params={
                "name": "n",
                "description": None,
                "tags": {},
                "tasks": [{"task_key": "a", "depends_on": None}],
            },
        )
    assert result == {"ok": True}
    assert script.requests[0].headers["content-type"] == "application/json"
    assert script.bodies() == [{"name": "n", "tags": {}, "tasks": [{"task_key": "a", "depends_on": None}]}]


async def test_headers_user_agent_and_auth() -> None:
    script = Script()
    client = DatabricksClient(
        "dbc-test.cloud.databricks.com/",
        PatAuth(FAKE_TOKEN),
        transport=httpx.MockTransport(script),
        client_kwargs={"headers": {"User-Agent": "my-app/1.0", "X-Extra": "1"}},
    )
    async with client:
        await client.call("jobs/list")
    headers = script.requests[0].headers
    from prefect_databricks import __version__

    assert headers["user-agent"] == f"prefect-databricks/{__version__} my-app/1.0"
    assert headers["authorization"] == f"Bearer {FAKE_TOKEN}"
    assert headers["x-extra"] == "1"
    assert str(script.requests[0].url).startswith("https://dbc-test.cloud.databricks.com/api/2.2/")
    assert FAKE_TOKEN not in repr(client)
    assert FAKE_TOKEN not in repr(headers)


async def test_empty_answer_is_an_empty_dict() -> None:
    async with mock_client(lambda r: httpx.Response(200)) as client:
        assert await client.call("jobs/delete", params={"job_id": 1}) == {}


async def test_a_non_object_answer_is_an_error() -> None:
    async with mock_client(lambda r: httpx.Response(200, text="<html>login</html>")) as client:
        with pytest.raises(ApiError, match="not a JSON object"):
            await client.call("jobs/list")


async def test_path_parameters_and_old_api_versions() -> None:
    script = Script()
    async with mock_client(script, api_version="2.1") as client:
        await client.call("permissions/jobs/set", path={"job_id": 9}, params={"access_control_list": []})
        await client.call("jobs/get", params={"job_id": 9})
    assert [r.url.path for r in script.requests] == ["/api/2.0/permissions/jobs/9", "/api/2.1/jobs/get"]
    assert script.requests[0].method == "PUT"


@pytest.mark.parametrize("host", ["http://dbc.example.com", "http://10.0.0.1:8080", "ftp://x"])
def test_plain_http_is_refused_off_loopback(host: str) -> None:
    with pytest.raises(ClientValidationError, match="host"):
        DatabricksClient(host, PatAuth("t"))


@pytest.mark.parametrize(
    "host", ["http://127.0.0.1:8000", "http://127.5.5.5", "http://[::1]:9", "http://localhost"]
)
def test_plain_http_is_allowed_on_loopback(host: str) -> None:
    assert DatabricksClient(host, PatAuth("t")).host == host


def test_bad_api_version_and_reserved_client_kwargs() -> None:
    with pytest.raises(ClientValidationError, match="api_version"):
        DatabricksClient("https://h", PatAuth("t"), api_version="3.0")
    with pytest.raises(ClientValidationError, match="client_kwargs: must not set base_url"):
        DatabricksClient("https://h", PatAuth("t"), client_kwargs={"base_url": "https://other"})


async def test_submit_and_run_now_get_an_idempotency_token() -> None:
    script = Script()
    async with mock_client(script) as client:
        await client.call("jobs/runs/submit", params={"run_name": "r"})
        await client.call("jobs/run-now", params={"job_id": 1})
        await client.call("jobs/run-now", params={"job_id": 1, "idempotency_token": "mine"})
        await client.call("jobs/create", params={"name": "n"})
    tokens = [body.get("idempotency_token") for body in script.bodies()]
    assert len(tokens[0]) == 32 and len(tokens[1]) == 32 and tokens[0] != tokens[1]
    assert tokens[2:] == ["mine", None]


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
async def test_idempotent_calls_retry_transient_statuses(status: int, sleeps: list[float]) -> None:
    script = Script(status, status)
    async with mock_client(script) as client:
        assert await client.call("jobs/get", params={"job_id": 1}) == {"ok": True}
    assert len(script.requests) == 3


@pytest.mark.parametrize(
    ("status", "retried"), [(429, True), (503, True), (500, False), (502, False), (504, False)]
)
async def test_non_idempotent_post_retries_only_when_the_server_cannot_have_acted(
    status: int, retried: bool, sleeps: list[float]
) -> None:
    script = Script(status)
    async with mock_client(script) as client:
        if retried:
            await client.call("jobs/create", params={"name": "n"})
        else:
            with pytest.raises(ApiError) as info:
                await client.call("jobs/create", params={"name": "n"})
            assert info.value.status == status
    assert len(script.requests) == (2 if retried else 1)


async def test_connect_errors_are_retried_even_for_create(sleeps: list[float]) -> None:
    script = Script(httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"))
    async with mock_client(script) as client:
        await client.call("jobs/create", params={"name": "n"})
    assert len(script.requests) == 3


async def test_a_dropped_answer_is_not_retried_for_create(sleeps: list[float]) -> None:
    script = Script(httpx.RemoteProtocolError("Server disconnected without sending a response."))
    async with mock_client(script) as client:
        with pytest.raises(TransportError, match="POST jobs/create: no answer after 1 attempt") as info:
            await client.call("jobs/create", params={"name": "n"})
    assert isinstance(info.value.__cause__, httpx.RemoteProtocolError)
    assert len(script.requests) == 1


async def test_submit_retries_every_failure_with_the_same_token(sleeps: list[float]) -> None:
    script = Script(httpx.ReadError("reset"), 500, httpx.RemoteProtocolError("dropped"), 502)
    async with mock_client(script) as client:
        await client.call("jobs/runs/submit", params={"run_name": "r"})
    tokens = {body["idempotency_token"] for body in script.bodies()}
    assert len(script.requests) == 5 and len(tokens) == 1


async def test_4xx_are_never_retried(sleeps: list[float]) -> None:
    script = Script(400)
    async with mock_client(script) as client:
        with pytest.raises(ApiError):
            await client.call("jobs/get", params={"job_id": 1})
    assert len(script.requests) == 1 and sleeps == []


async def test_retry_after_is_honoured(sleeps: list[float]) -> None:
    script = Script((429, {"Retry-After": "2"}), (503, {"Retry-After": "0.5"}))
    policy = RetryPolicy(attempts=5, timeout=60, wait_initial=0.1, wait_jitter=0)
    async with mock_client(script, retry=policy) as client:
        await client.call("jobs/runs/get", params={"run_id": 1})
    assert sleeps == [2.0, 0.5]


async def test_backoff_grows_exponentially_up_to_the_cap(sleeps: list[float]) -> None:
    script = Script(500, 500, 500, 500)
    policy = RetryPolicy(
        attempts=10, timeout=60, wait_initial=0.5, wait_max=2.0, wait_jitter=0, wait_exp_base=2
    )
    async with mock_client(script, retry=policy) as client:
        await client.call("jobs/list")
    assert sleeps == [0.5, 1.0, 2.0, 2.0]


async def test_attempts_are_bounded(sleeps: list[float]) -> None:
    script = Script(final=503)
    async with mock_client(script, retry=RetryPolicy(attempts=3, wait_jitter=0)) as client:
        with pytest.raises(TemporarilyUnavailable, match="GET jobs/runs/get \\(run_id=8\\)"):
            await client.call("jobs/runs/get", params={"run_id": 8})
    assert len(script.requests) == 3


async def test_total_time_is_bounded(sleeps: list[float]) -> None:
    """A Retry-After beyond the time budget ends the retries at once instead of overrunning it."""
    script = Script((503, {"Retry-After": "120"}))
    async with mock_client(script, retry=RetryPolicy(timeout=10)) as client:
        with pytest.raises(TemporarilyUnavailable):
            await client.call("jobs/list")
    assert len(script.requests) == 1 and sleeps == []


async def test_testing_switch_zeroes_waits(no_sleep: None) -> None:
    script = Script((429, {"Retry-After": "30"}), 503)
    async with mock_client(script, retry=RetryPolicy()) as client:
        await client.call("jobs/list")
    assert len(script.requests) == 3


async def test_one_debug_line_per_request_without_secrets(
    caplog: pytest.LogCaptureFixture, sleeps: list[float]
) -> None:
    script = Script(500)
    caplog.set_level(logging.DEBUG, logger="prefect_databricks.client")
    async with mock_client(script) as client:
        await client.call("jobs/runs/get", params={"run_id": 3})
    lines = [r.getMessage() for r in caplog.records if r.name == "prefect_databricks.client"]
    requests = [line for line in lines if "->" in line]
    assert requests[0].startswith("GET /api/2.2/jobs/runs/get -> 500 in ")
    assert requests[1].startswith("GET /api/2.2/jobs/runs/get -> 200 in ")
    assert len(requests) == 2
    assert all(FAKE_TOKEN not in line for line in lines)


async def test_internal_error_message_is_typed_and_readable(sleeps: list[float]) -> None:
    async with mock_client(Script(final=500), retry=RetryPolicy(attempts=2, wait_jitter=0)) as client:
        with pytest.raises(InternalError) as info:
            await client.call("jobs/reset", params={"job_id": 4, "new_settings": {}})
    assert str(info.value) == "POST jobs/reset (job_id=4): HTTP 500 X: status 500"


async def test_unserialisable_body_is_a_clear_error() -> None:
    async with mock_client(Script()) as client:
        with pytest.raises(ClientValidationError, match="params: must be JSON-serialisable"):
            await client.call("jobs/create", params={"name": object()})
