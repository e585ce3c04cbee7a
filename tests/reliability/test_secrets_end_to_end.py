"""A known token and a known service-principal secret never leave the credentials, end to end.

Waiting flows (a success, a task failure, a refused token) and tasks run with each kind of
credentials while results are persisted; then every place Prefect or this package may write is
searched for the secrets (and for the OAuth access token the secret was exchanged for): log
records, console output, exception texts, reprs, the Prefect API's logs, artifacts, flow and
task runs, and every file written under PREFECT_HOME, the result storage and the Prefect
database, including base64-encoded (pickled) payloads.
"""

from __future__ import annotations

import base64
import binascii
import inspect
import logging
import re
import socket
import time
import traceback
from pathlib import Path
from typing import Any

import httpx
import pytest
from reliability_helpers import KNOWN_TOKEN, SP_ID, SP_SECRET, echo_task, py_task

from prefect_databricks import DatabricksCredentials
from prefect_databricks.client import ClientValidationError, DatabricksClient, DatabricksError, PatAuth
from prefect_databricks.local import LocalWorkspace

_BASE64 = re.compile(rb"[A-Za-z0-9+/=_-]{24,}")
_LINE_BREAKS = re.compile(rb"\\n|\n")  # base64 payloads are wrapped, raw or inside JSON strings


async def _exercise(creds: DatabricksCredentials, sources: Path, texts: list[str]) -> None:
    """A successful flow, a failing one, and tasks in a flow; every exception's full text is kept."""
    from prefect import flow

    from prefect_databricks.flows import jobs_runs_submit_and_wait_for_completion
    from prefect_databricks.jobs import ajobs_create, ajobs_get, ajobs_runs_list

    await jobs_runs_submit_and_wait_for_completion(
        creds, [echo_task("t", sources / "echo.py", 1)], poll_frequency_seconds=1, return_metadata=True
    )
    try:
        await jobs_runs_submit_and_wait_for_completion(
            creds, [py_task("f", sources / "fail.py", "x")], poll_frequency_seconds=1
        )
    except Exception as exc:
        texts.append("".join(traceback.format_exception(exc)) + repr(exc))

    @flow
    async def tasks_flow() -> None:
        job = await ajobs_create(creds, name="secret-check")
        await ajobs_get(job["job_id"], creds)
        await ajobs_runs_list(creds, limit=5)

    await tasks_flow()
    texts += [repr(creds), str(creds), repr(creds.get_jobs_client()), repr(creds.auth_provider())]


async def _refused(creds: DatabricksCredentials, sources: Path, texts: list[str]) -> None:
    from prefect_databricks.flows import jobs_runs_submit_and_wait_for_completion

    with pytest.raises(DatabricksError) as caught:
        await jobs_runs_submit_and_wait_for_completion(creds, [echo_task("t", sources / "echo.py", 2)])
    texts.append("".join(traceback.format_exception(caught.value)) + repr(caught.value))


async def _prefect_records() -> list[str]:
    """What the Prefect API holds: logs, artifacts, flow runs (with parameters), task runs."""
    from prefect.client.orchestration import get_client
    from prefect.logging.handlers import APILogWorker

    drained = APILogWorker.drain_all(timeout=10)
    if inspect.isawaitable(drained):
        await drained
    async with get_client() as client:
        groups = [
            await client.read_logs(),
            await client.read_artifacts(),
            await client.read_flow_runs(),
            await client.read_task_runs(),
        ]
    return [item.model_dump_json() for group in groups for item in group]


def _files_since(roots: list[Path], since: float) -> list[bytes]:
    """The content of every file under `roots` written since `since`, with its base64 runs decoded."""
    contents = []
    for root in roots:
        for path in root.rglob("*") if root.is_dir() else [root]:
            if path.is_file() and path.stat().st_mtime >= since:
                data = path.read_bytes()
                joined = _LINE_BREAKS.sub(b"", data)
                contents += [data, *(_decoded(run) for run in _BASE64.findall(joined))]
    return contents


def _decoded(run: bytes) -> bytes:
    for decode in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            return decode(run + b"=" * (-len(run) % 4))
        except (binascii.Error, ValueError):
            continue
    return b""


def _prefect_roots(storage: Path) -> list[Path]:
    from prefect.settings import get_current_settings

    current = get_current_settings()
    url = str(current.server.database.connection_url.get_secret_value())
    database = Path(url.split("///", 1)[1]) if url.startswith("sqlite") else None
    roots = [Path(current.home), storage]
    return roots + ([database.parent] if database is not None else [])


@pytest.mark.usefixtures("prefect_harness")
async def test_no_secret_anywhere(
    fresh_workspace: LocalWorkspace,
    sources: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    from prefect.settings import (
        PREFECT_LOCAL_STORAGE_PATH,
        PREFECT_RESULTS_PERSIST_BY_DEFAULT,
        temporary_settings,
    )

    caplog.set_level(logging.DEBUG)
    host, since, texts = fresh_workspace.host, time.time() - 1, []
    pat = DatabricksCredentials(databricks_instance=host, token=KNOWN_TOKEN)
    oauth = DatabricksCredentials(databricks_instance=host, client_id=SP_ID, client_secret=SP_SECRET)
    storage = tmp_path / "results"
    with temporary_settings({PREFECT_RESULTS_PERSIST_BY_DEFAULT: True, PREFECT_LOCAL_STORAGE_PATH: storage}):
        for creds in (pat, oauth):
            await _exercise(creds, sources, texts)
        await _refused(
            DatabricksCredentials(databricks_instance=host, token=KNOWN_TOKEN + "x"), sources, texts
        )
        wrong_sp = DatabricksCredentials(
            databricks_instance=host, client_id=SP_ID, client_secret=SP_SECRET + "x"
        )
        await _refused(wrong_sp, sources, texts)
        texts += await _prefect_records()
    access_token = oauth.auth_provider().cached_token()
    assert access_token, "the OAuth flow never obtained an access token"
    texts += [record.getMessage() for record in caplog.records] + [caplog.text, *capfd.readouterr()]
    blobs = [text.encode() for text in texts] + _files_since(_prefect_roots(storage), since)
    persisted = _files_since([storage], since)
    assert any(b"out-1" in blob for blob in persisted), "no flow result was persisted, so none was searched"
    assert any(b"DatabricksRunFailed" in blob for blob in persisted), "no failure was persisted"
    for secret in (KNOWN_TOKEN, SP_SECRET, access_token):
        leaks = [blob[:300] for blob in blobs if secret.encode() in blob]
        assert not leaks, f"a secret appears in: {leaks[:3]}"


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/2.2/jobs/list"), ("POST", "/api/2.2/jobs/runs/submit"), ("GET", "/local-api/requests")],
)
@pytest.mark.parametrize(("header", "status"), [(None, 401), ("Bearer wrong-token", 403), ("Basic abc", 403)])
def test_workspace_refuses_missing_and_wrong_tokens(
    fresh_workspace: LocalWorkspace, method: str, path: str, header: str | None, status: int
) -> None:
    headers = {"Authorization": header} if header else {}
    before = fresh_workspace.workspace.store.count_runs()
    response = httpx.request(method, fresh_workspace.host + path, headers=headers, json={"tasks": []})
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error_code", "message"}
    assert fresh_workspace.workspace.store.count_runs() == before


@pytest.mark.parametrize("host", ["http://10.1.2.3", "http://example.com:8080", "http://[2001:db8::1]"])
async def test_client_refuses_plain_http_to_a_remote_host(host: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Refused when the client or the block is built: no connection is even attempted."""
    attempts: list[Any] = []
    monkeypatch.setattr(socket.socket, "connect", lambda *args: attempts.append(args))
    monkeypatch.setattr(socket, "create_connection", lambda *args, **kw: attempts.append(args))
    sent: list[httpx.Request] = []
    transport = httpx.MockTransport(lambda request: sent.append(request) or httpx.Response(200))
    with pytest.raises(ClientValidationError) as caught:
        DatabricksClient(host, PatAuth(KNOWN_TOKEN), transport=transport)
    assert caught.value.field == "host" and "https" in caught.value.rule
    with pytest.raises(ValueError) as invalid:
        DatabricksCredentials(databricks_instance=host, token=KNOWN_TOKEN)
    assert KNOWN_TOKEN not in str(invalid.value) + str(caught.value)
    assert not sent and not attempts
