"""Issue 14's reproductions, each run again against a real workspace: never a 500, never a later failure.

Each test names the reproduction it answers. Bodies are sent as raw bytes where a client library would
refuse to encode them (lone surrogates, non-ASCII header values), as hostile callers do.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from reliability_helpers import KNOWN_TOKEN, SP_ID, SP_SECRET, py_task, wait_until

from prefect_databricks.local import LocalWorkspace
from prefect_databricks.local.api.bodies import MAX_DEPTH
from prefect_databricks.local.api.limits import MAX_BODY_BYTES
from prefect_databricks.local.lock import DataDirInUse


@pytest.fixture
def http(fresh_workspace: LocalWorkspace) -> Iterator[httpx.Client]:
    """One keep-alive connection to the test's workspace, with the workspace token."""
    headers = {"Authorization": f"Bearer {KNOWN_TOKEN}"}
    with httpx.Client(base_url=fresh_workspace.host, headers=headers, timeout=30) as client:
        yield client


def _ended(http: httpx.Client, run_id: int) -> dict[str, Any] | None:
    run: dict[str, Any] = http.get("/api/2.2/jobs/runs/get", params={"run_id": run_id}).json()
    return run if run["state"]["life_cycle_state"] in ("TERMINATED", "INTERNAL_ERROR", "SKIPPED") else None


def _post_raw(http: httpx.Client, path: str, raw: bytes) -> httpx.Response:
    return http.post(path, content=raw, headers={"Content-Type": "application/json"})


def _job(name: str) -> dict[str, Any]:
    return {"name": name, "tasks": [{"task_key": "t", "spark_python_task": {"python_file": "/tmp/x.py"}}]}


def test_a_lone_surrogate_is_refused_at_the_door_and_listing_keeps_working(http: httpx.Client) -> None:
    """Reproduction 1: `"tags": {"k": "\\udfff"}` was stored, then jobs/list answered 500 for everyone."""
    refused = _post_raw(http, "/api/2.2/jobs/create", b'{"name": "a", "tags": {"k": "\\udfff"}, "tasks": []}')
    assert refused.status_code == 400, refused.text
    assert refused.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "tags.k" in refused.json()["message"] and "surrogate" in refused.json()["message"]
    run = _post_raw(http, "/api/2.2/jobs/runs/submit", b'{"run_name": "\\ud800x", "tasks": []}')
    assert run.status_code == 400 and "run_name" in run.json()["message"]
    assert http.post("/api/2.2/jobs/create", json=_job("after")).status_code == 200
    assert http.get("/api/2.2/jobs/list").status_code == 200
    assert http.get("/api/2.2/jobs/runs/list").status_code == 200
    surrogate_key = _post_raw(http, "/api/2.2/jobs/create", b'{"name": "a", "tags": {"\\udc80": "v"}}')
    assert surrogate_key.status_code == 400


def test_deep_nesting_is_a_400_and_the_connection_stays_usable(http: httpx.Client) -> None:
    """Reproduction 4: JSON nested 500 levels deep raised RecursionError (500) and reset keep-alive."""
    for depth in (500, 100_000, MAX_DEPTH + 2):
        raw = b'{"name": "x", "tags": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"
        response = _post_raw(http, "/api/2.2/jobs/create", raw)
        assert response.status_code == 400, (depth, response.text)
        assert response.json()["error_code"] == "MALFORMED_REQUEST"
        assert http.get("/api/2.2/jobs/list").status_code == 200


def _forge(token: str, **changes: Any) -> str:
    data = json.loads(base64.urlsafe_b64decode(token))
    data.update(changes)
    for key in [k for k, v in changes.items() if v is None]:
        del data[key]
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


@pytest.mark.parametrize(
    "changes", [{"a": "x"}, {"b": None}, {"d": "sideways"}, {"a": 2**70}, {"b": -1}, {"a": True}]
)
def test_a_forged_list_page_token_is_a_400(http: httpx.Client, changes: dict[str, Any]) -> None:
    """Reproduction 4: valid base64 JSON with the right kind and scope but wrong fields was a 500."""
    for name in ("p1", "p2"):
        http.post("/api/2.2/jobs/create", json=_job(name)).raise_for_status()
    token = http.get("/api/2.2/jobs/list", params={"limit": 1}).json()["next_page_token"]
    response = http.get("/api/2.2/jobs/list", params={"limit": 1, "page_token": _forge(token, **changes)})
    assert response.status_code == 400, response.text
    assert "page_token" in response.json()["message"]


def test_a_forged_array_page_token_is_a_400(http: httpx.Client) -> None:
    tasks = [{"task_key": f"t{i}", "spark_python_task": {"python_file": "/tmp/x.py"}} for i in range(101)]
    job_id = http.post("/api/2.2/jobs/create", json={"name": "big", "tasks": tasks}).json()["job_id"]
    token = http.get("/api/2.2/jobs/get", params={"job_id": job_id}).json()["next_page_token"]
    for changes in ({"p": "1"}, {"p": None}, {"p": -3}):
        forged = _forge(token, **changes)
        response = http.get("/api/2.2/jobs/get", params={"job_id": job_id, "page_token": forged})
        assert response.status_code == 400, response.text


def test_non_ascii_credentials_are_refused_not_a_500(fresh_workspace: LocalWorkspace) -> None:
    """Reproduction 4: `Bearer dapié` and a non-ASCII OAuth client_secret were 500s (no token needed)."""
    with httpx.Client(base_url=fresh_workspace.host, timeout=30) as raw:
        bearer = raw.get("/api/2.2/jobs/list", headers={"Authorization": "Bearer dapi\xe9".encode("latin-1")})
        assert bearer.status_code == 403 and bearer.json()["error_code"] == "PERMISSION_DENIED"
        page = raw.get("/ui/jobs", headers={"Authorization": "Bearer \xe9t\xe9".encode("latin-1")})
        assert page.status_code == 200
        form = {"grant_type": "client_credentials", "client_id": SP_ID, "client_secret": "s\xe9cret"}
        token = raw.post("/oidc/v1/token", data=form)
        assert token.status_code == 401 and token.json()["error"] == "invalid_client"
        basic = base64.b64encode(f"{SP_ID}:s\xe9cret".encode()).decode()
        by_basic = raw.post("/oidc/v1/token", data={"grant_type": "client_credentials"},
                            headers={"Authorization": f"Basic {basic}"})
        assert by_basic.status_code == 401
        owner = {"Authorization": f"Bearer {KNOWN_TOKEN}"}
        assert raw.get("/api/2.2/jobs/list", headers=owner).status_code == 200


def test_control_routes_take_the_workspace_token_only(fresh_workspace: LocalWorkspace) -> None:
    """Reproduction 7: a service principal's OAuth token could reset the workspace and switch faults."""
    with httpx.Client(base_url=fresh_workspace.host, timeout=30) as raw:
        form = {"grant_type": "client_credentials", "client_id": SP_ID, "client_secret": SP_SECRET}
        sp = {"Authorization": "Bearer " + raw.post("/oidc/v1/token", data=form).json()["access_token"]}
        assert raw.get("/api/2.2/jobs/list", headers=sp).status_code == 200
        for method, path in (("POST", "reset"), ("GET", "faults"), ("POST", "faults"), ("GET", "requests")):
            refused = raw.request(method, f"/local-api/{path}", headers=sp, json={"spec": None})
            assert refused.status_code == 403, (path, refused.text)
        owner = {"Authorization": f"Bearer {KNOWN_TOKEN}"}
        assert raw.get("/local-api/faults", headers=owner).status_code == 200


def test_bodies_over_the_limit_are_refused_before_auth(fresh_workspace: LocalWorkspace) -> None:
    """Reproduction 5: a 50 MB unauthenticated multipart import was parsed (629 MB peak) before the 401."""
    big = b"x" * (MAX_BODY_BYTES + 1)
    with httpx.Client(base_url=fresh_workspace.host, timeout=60) as raw:
        started = time.monotonic()
        declared = raw.post("/api/2.0/workspace/import", content=big,
                            headers={"Content-Type": "multipart/form-data; boundary=b"})
        assert declared.status_code == 413 and declared.json()["error_code"] == "REQUEST_ENTITY_TOO_LARGE"

        def chunks() -> Iterator[bytes]:
            for _ in range(MAX_BODY_BYTES // 2**20 + 2):
                yield b"y" * 2**20

        owner = {"Authorization": f"Bearer {KNOWN_TOKEN}"}
        streamed = raw.post("/api/2.2/jobs/create", content=chunks(), headers=owner)
        assert streamed.status_code == 413
        unauthenticated = raw.post("/api/2.2/jobs/create", content=chunks(), headers={"Authorization": "x"})
        assert unauthenticated.status_code == 413
        assert time.monotonic() - started < 20
        small = raw.post("/api/2.0/workspace/import", files={"content": b"print(1)"},
                         data={"path": "/Shared/x.py", "format": "AUTO"})
        assert small.status_code == 401


def test_the_data_dir_and_its_files_are_the_owners_alone_whatever_the_umask(tmp_path: Path) -> None:
    """Reproduction 8: with umask 022 the data dir was 0755 and workspace.db-wal (it holds the token) 0644."""
    previous = os.umask(0o022)
    try:
        with LocalWorkspace(tmp_path / "ws") as ws:
            httpx.post(f"{ws.host}/api/2.2/jobs/create", json=_job("perm"),
                       headers={"Authorization": f"Bearer {ws.token}"}).raise_for_status()
            modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (tmp_path / "ws").iterdir()
                     if p.name.startswith("workspace.db")}
            assert stat.S_IMODE((tmp_path / "ws").stat().st_mode) == 0o700
    finally:
        os.umask(previous)
    assert {"workspace.db", "workspace.db-wal"} <= set(modes)
    assert all(mode & 0o077 == 0 for mode in modes.values()), modes


def test_task_processes_do_not_inherit_the_servers_databricks_secrets(
    http: httpx.Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reproduction 8: task processes inherited the server's environment, so a notebook read its secrets.

    The workspace runs in this process, so the server's environment is this process's.
    """
    monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", "server-secret-never-in-tasks")
    monkeypatch.setenv("DATABRICKS_TOKEN", "server-token-never-in-tasks")
    script = tmp_path / "env.py"
    script.write_text("import os\nprint(sorted(kv for kv in os.environ.items() if 'DATABRICKS' in kv[0]))\n")
    body = {"run_name": "env", "tasks": [py_task("env", script)]}
    run_id = http.post("/api/2.2/jobs/runs/submit", json=body).json()["run_id"]
    run = wait_until(lambda: _ended(http, run_id), "the run to end", 30)
    task_run_id = run["tasks"][0]["run_id"]
    logs = http.get("/api/2.2/jobs/runs/get-output", params={"run_id": task_run_id}).json()["logs"]
    assert "DATABRICKS_HOST" in logs and "DATABRICKS_TASK_KEY" in logs
    assert "never-in-tasks" not in logs and KNOWN_TOKEN not in logs


def test_run_pages_refuse_a_host_header_that_is_not_loopback(fresh_workspace: LocalWorkspace) -> None:
    """Reproduction 8: the tokenless run pages answered any Host header, so a DNS-rebinding page read them."""
    with httpx.Client(base_url=fresh_workspace.host, timeout=30) as raw:
        assert raw.get("/ui/jobs").status_code == 200
        assert raw.get("/ui/jobs", headers={"Host": "localhost"}).status_code == 200
        rebound = raw.get("/ui/jobs", headers={"Host": "attacker.example:8080"})
        assert rebound.status_code == 403
        owner = {"Host": "attacker.example", "Authorization": f"Bearer {KNOWN_TOKEN}"}
        with_token = raw.get("/ui/jobs", headers=owner)
        assert with_token.status_code == 200


def test_a_restart_starts_the_runs_that_were_admitted_but_not_started(tmp_path: Path) -> None:
    """Reproduction 3: runs admitted and waiting for a task-process slot ended INTERNAL_ERROR at restart."""
    sleeper = tmp_path / "sleep.py"
    sleeper.write_text("import sys, time\ntime.sleep(float(sys.argv[1]))\n")
    data_dir = tmp_path / "ws"
    with LocalWorkspace(data_dir, token=KNOWN_TOKEN, max_task_processes=1) as ws:
        http = httpx.Client(base_url=ws.host, headers={"Authorization": f"Bearer {KNOWN_TOKEN}"}, timeout=30)
        first = http.post("/api/2.2/jobs/runs/submit",
                          json={"run_name": "busy", "tasks": [py_task("t", sleeper, "60")]}).json()["run_id"]
        wait_until(lambda: http.get("/api/2.2/jobs/runs/get", params={"run_id": first}).json()["state"]
                   ["life_cycle_state"] == "RUNNING", "the first run to start", 30)
        bodies = [{"run_name": f"w{i}", "tasks": [py_task("t", sleeper, "0")]} for i in range(3)]
        waiting = [http.post("/api/2.2/jobs/runs/submit", json=body).json()["run_id"] for body in bodies]
        states = [http.get("/api/2.2/jobs/runs/get", params={"run_id": r}).json()["state"]["life_cycle_state"]
                  for r in waiting]
        assert states == ["PENDING"] * 3
        http.close()
    with LocalWorkspace(data_dir, token=KNOWN_TOKEN, max_task_processes=1) as ws:
        http = httpx.Client(base_url=ws.host, headers={"Authorization": f"Bearer {KNOWN_TOKEN}"}, timeout=30)
        ended = http.get("/api/2.2/jobs/runs/get", params={"run_id": first}).json()["state"]
        assert ended["life_cycle_state"] == "INTERNAL_ERROR"
        for run_id in waiting:
            done = wait_until(lambda r=run_id: _ended(http, r), "a waiting run to end", 30)
            assert done["state"]["result_state"] == "SUCCESS", done["state"]
        http.close()


def test_a_second_server_on_one_data_dir_refuses_to_start_naming_the_holder(tmp_path: Path) -> None:
    """Reproduction 2: a second `serve --data-dir D` started silently and the first one's runs were lost."""
    data_dir = tmp_path / "shared"
    with LocalWorkspace(data_dir) as first:
        with pytest.raises(DataDirInUse) as info:
            LocalWorkspace(data_dir).start()
        assert str(os.getpid()) in str(info.value) and first.host in str(info.value)
        cli = str(Path(sys.executable).with_name("prefect-databricks"))
        command = [cli, "workspace", "serve", "--port", "0", "--data-dir", str(data_dir)]
        refused = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert refused.returncode != 0
        assert f"in use by the local workspace of pid {os.getpid()} at {first.host}" in refused.stderr
        assert httpx.get(f"{first.host}/api/2.2/jobs/list",
                         headers={"Authorization": f"Bearer {first.token}"}).status_code == 200
    with LocalWorkspace(data_dir) as again:
        assert again.host


def test_unknown_paths_do_not_grow_the_request_counter(http: httpx.Client) -> None:
    """Reproduction 5: 3,000 unauthenticated requests to random unknown paths grew the counter to 24 MB."""
    with httpx.Client(base_url=str(http.base_url), timeout=30) as stranger:
        for i in range(200):
            assert stranger.get(f"/api/2.2/no-such-{i}-" + "x" * 2000).status_code in (401, 404)
        stranger.get("/api/2.0/permissions/jobs/123")
    counts = http.get("/local-api/requests").json()["by_endpoint"]
    assert counts["(other)"] == 200 and counts["permissions/jobs/{job_id}"] == 1
    assert len(counts) <= 3


def test_serve_takes_its_secrets_from_files_not_argv(tmp_path: Path) -> None:
    """Reproduction 8: `--token` and `--service-principal ID:SECRET` were the only ways, visible in `ps`."""
    token_file, sp_file = tmp_path / "token", tmp_path / "principals"
    token_file.write_text("dapi-from-a-file-9c2e\n")
    sp_file.write_text("sp-file:sp-file-secret-77\n")
    cli = str(Path(sys.executable).with_name("prefect-databricks"))
    command = [cli, "workspace", "serve", "--port", "0", "--data-dir", str(tmp_path / "ws"),
               "--token-file", str(token_file), "--service-principal-file", str(sp_file)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        first = server.stdout.readline() if server.stdout else ""
        host = first.rsplit(" ", 1)[-1].strip()
        argv = Path(f"/proc/{server.pid}/cmdline").read_bytes()
        assert b"dapi-from-a-file" not in argv and b"sp-file-secret" not in argv
        owner = {"Authorization": "Bearer dapi-from-a-file-9c2e"}
        assert httpx.get(f"{host}/api/2.2/jobs/list", headers=owner, timeout=30).status_code == 200
        form = {"grant_type": "client_credentials", "client_id": "sp-file"}
        form["client_secret"] = "sp-file-secret-77"
        assert httpx.post(f"{host}/oidc/v1/token", data=form, timeout=30).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
