"""Random and malformed bodies and query strings on every route of the local workspace.

The route list is read from the workspace itself, so a new endpoint is fuzzed without editing
this file. For each request: never a 5xx; an API 4xx carries `error_code` and `message` (the
OAuth token endpoint answers in the OAuth format, `error` and `error_description`); and a
rejected request leaves every job and run exactly as it was. The jobs/create and jobs/update
bodies are fuzzed in depth by tests/local/test_jobs_fuzz.py; here the breadth is every route.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from reliability_helpers import KNOWN_TOKEN, echo_task, snapshot, wait_until

from prefect_databricks.local import LocalWorkspace
from prefect_databricks.local.api.routes import ROUTES

_SKIPPED = {"/local-api/reset"}  # its documented purpose is to forget every job and run
_PLACEHOLDER = re.compile(r"\{(\w+)(?::\w+)?\}")
_FIELDS = [
    "job_id", "run_id", "limit", "offset", "page_token", "expand_tasks", "name", "tasks", "active_only",
    "completed_only", "run_type", "start_time_from", "new_settings", "fields_to_remove", "job_parameters",
    "idempotency_token", "rerun_tasks", "rerun_all_failed_tasks", "latest_repair_id", "all_queued_runs",
    "views_to_export", "include_history", "include_resolved_values", "path", "format", "content",
    "language", "overwrite", "recursive", "access_control_list", "spec", "queue", "notebook_params",
    "python_params", "run_name", "task_key", "grant_type", "scope",
]  # fmt: skip
_WORDS = [
    "",
    "abc",
    "-1",
    "0",
    "1",
    "25",
    "1e400",
    "99999999999999999999999",
    "true",
    "null",
    "%",
    "/",
    "\x00",
]
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(_WORDS)
    | st.text(max_size=12)
)
_JSON = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(_FIELDS), inner, max_size=3),
    max_leaves=12,
)
_OBJECT = st.dictionaries(st.sampled_from(_FIELDS) | st.text(max_size=5), _JSON, max_size=5)
_RAW_BODY = st.sampled_from([b"{", b"[1,2]", b'"text"', b"42", b"\xff\xfe\x00", b'{"job_id": }', b"null"])
_QUERY = st.dictionaries(
    st.sampled_from(_FIELDS) | st.text(max_size=5), st.sampled_from(_WORDS) | st.text(max_size=8), max_size=4
)
_RAW_QUERY = st.text(alphabet="%&=+;?#ab1_- ", max_size=16)
_PATH_VALUES = st.sampled_from(["1", "0", "-5", "abc", "99999999999999999999999", "%20", "x.y"])
_FUZZ = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _routes() -> list[tuple[str, str]]:
    pairs = {
        (method, route.path)
        for route in ROUTES
        for method in getattr(route, "methods", None) or ()
        if method != "HEAD" and route.path not in _SKIPPED
    }
    return sorted(pairs, key=lambda pair: (pair[1], pair[0]))


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, sources: Path) -> Iterator[httpx.Client]:
    """A workspace holding a job, a finished run of it and a notebook, and a client of it."""
    data_dir = tmp_path_factory.mktemp("fuzz-ws")
    with (
        LocalWorkspace(data_dir, token=KNOWN_TOKEN) as ws,
        httpx.Client(
            base_url=ws.host, headers={"Authorization": f"Bearer {KNOWN_TOKEN}"}, timeout=30
        ) as http,
    ):
        job = http.post(
            "/api/2.2/jobs/create", json={"name": "seed", "tasks": [echo_task("t", sources / "echo.py", 1)]}
        )
        http.post("/api/2.2/jobs/run-now", json={"job_id": job.json()["job_id"]}).raise_for_status()
        http.post("/api/2.0/workspace/mkdirs", json={"path": "/Users/me"}).raise_for_status()
        body = {"path": "/Users/me/nb", "format": "SOURCE", "language": "PYTHON", "content": "cHJpbnQoMSk="}
        http.post("/api/2.0/workspace/import", json=body).raise_for_status()
        _settle(http)
        yield http


def _settle(http: httpx.Client) -> None:
    """Wait until no run is active, so the next snapshot cannot change under the request."""

    def idle() -> bool:
        page = http.get("/api/2.2/jobs/runs/list", params={"active_only": "true"}).json()
        return not page.get("runs")

    wait_until(idle, "every run to end", timeout=30)


def _fill(path: str, value: str) -> str:
    return _PLACEHOLDER.sub(value, path)


def _assert_well_formed(path: str, response: httpx.Response) -> None:
    assert response.status_code < 500, f"{response.request.method} {response.request.url}: {response.text}"
    if response.status_code < 400 or path.startswith("/ui") or path == "/":
        return
    body = response.json()
    keys = ("error", "error_description") if path.startswith("/oidc/") else ("error_code", "message")
    for key in keys:
        assert isinstance(body.get(key), str) and body[key], f"{path} answered {response.status_code}: {body}"


def _send(http: httpx.Client, method: str, path: str, body: Any, query: Any) -> httpx.Response:
    options: dict[str, Any] = {}
    if isinstance(body, bytes):
        options["content"] = body
    elif body is not None:
        options["json"] = body
    if isinstance(query, str):
        return http.request(method, f"{path}?{query}", **options)
    return http.request(method, path, params=query, **options)


@pytest.mark.parametrize(("method", "path"), _routes())
@_FUZZ
@given(
    body=st.none() | _OBJECT | _RAW_BODY | _JSON,
    query=_QUERY | _RAW_QUERY,
    path_value=_PATH_VALUES,
)
@example(body=None, query={"offset": "99999999999999999999999"}, path_value="99999999999999999999999")
def test_every_route_answers_well(
    seeded: httpx.Client, method: str, path: str, body: Any, query: Any, path_value: str
) -> None:
    url = _fill(path, path_value)
    before = snapshot(seeded)
    response = _send(seeded, method, url, body, query)
    _assert_well_formed(path, response)
    if 400 <= response.status_code < 500:
        after = snapshot(seeded)
        assert after == before, f"{method} {response.request.url} was refused but changed the state"
    elif path == "/local-api/faults" and method == "POST":
        seeded.post("/local-api/faults", json={"spec": None}).raise_for_status()
    else:
        _settle(seeded)


@pytest.mark.parametrize("null_field", ["notebook_task", "python_wheel_task", "libraries", "depends_on"])
def test_explicit_null_is_absent_not_a_crash(seeded: httpx.Client, sources: Path, null_field: str) -> None:
    """JSON `null` means "not set" in the Jobs API; prefect-databricks 0.4.2 sends a dozen of them per task.

    The submit is refused with a 400, or the run goes as if the field were absent: never a run that
    fails inside the workspace.
    """
    task = {**echo_task("t", sources / "echo.py", 3), null_field: None}
    if null_field in ("notebook_task", "python_wheel_task"):
        pid_file = str(sources.parent / f"null-{null_field}.pid")
        python = {"python_file": str(sources / "sleeper.py"), "parameters": [pid_file, "0"]}
        task = {"task_key": "t", "spark_python_task": python, null_field: None}
    response = seeded.post("/api/2.2/jobs/runs/submit", json={"run_name": "nulls", "tasks": [task]})
    _assert_well_formed("/api/2.2/jobs/runs/submit", response)
    if response.status_code == 200:
        run_id = response.json()["run_id"]
        _settle(seeded)
        state = seeded.get("/api/2.2/jobs/runs/get", params={"run_id": run_id}).json()["state"]
        assert state.get("result_state") == "SUCCESS", state
