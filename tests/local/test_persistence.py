"""State survives a restart, a `kill -9` of `workspace serve`, and is forgotten only by `/local-api/reset`."""

from __future__ import annotations

import base64
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from prefect_databricks.local import LocalWorkspace

_CLI = "from prefect_databricks.cli import main; main()"


@contextmanager
def _serve(data_dir: Path, *extra: str) -> Iterator[tuple[subprocess.Popen[str], httpx.Client]]:
    """`prefect-databricks workspace serve` in a subprocess, with a client built from what it prints."""
    command = [
        sys.executable,
        "-c",
        _CLI,
        "workspace",
        "serve",
        "--port",
        "0",
        "--data-dir",
        str(data_dir),
        *extra,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        printed = _read_until(process, "export DATABRICKS_TOKEN=")
        host = printed["export DATABRICKS_HOST="]
        token = printed["export DATABRICKS_TOKEN="]
        with httpx.Client(base_url=host, headers={"Authorization": f"Bearer {token}"}, timeout=10) as client:
            yield process, client
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def _read_until(process: subprocess.Popen[str], last: str) -> dict[str, str]:
    """Lines printed at start, keyed by their prefix up to `=`, `at ` or `: `."""
    assert process.stdout is not None
    printed: dict[str, str] = {}
    for line in process.stdout:
        for prefix in ("export DATABRICKS_HOST=", "export DATABRICKS_TOKEN=", "Token: "):
            if line.startswith(prefix):
                printed[prefix] = line[len(prefix) :].strip()
        if "serving at" in line:
            printed["url"] = line.rsplit(" ", 1)[-1].strip()
        if line.startswith(last):
            return printed
    raise AssertionError(f"workspace serve exited early with {process.wait()}")


def _seed(client: httpx.Client) -> int:
    task = {"task_key": "a", "notebook_task": {"notebook_path": "/Shared/nb"}}
    job_id = client.post("/api/2.2/jobs/create", json={"name": "kept", "tasks": [task]}).json()["job_id"]
    content = base64.b64encode(b"print('kept')").decode()
    body = {"path": "/Shared/nb.py", "content": content, "language": "PYTHON"}
    assert client.post("/api/2.0/workspace/import", json=body).status_code == 200
    return job_id


def _assert_kept(client: httpx.Client, job_id: int) -> None:
    job = client.get("/api/2.2/jobs/get", params={"job_id": job_id}).json()
    assert job["settings"]["name"] == "kept" and job["settings"]["tasks"][0]["task_key"] == "a"
    exported = client.get(
        "/api/2.0/workspace/export", params={"path": "/Shared/nb.py", "direct_download": "true"}
    )
    assert exported.content.endswith(b"print('kept')")
    owner = client.get(f"/api/2.0/permissions/jobs/{job_id}").json()["access_control_list"][0]
    assert owner["all_permissions"][0]["permission_level"] == "IS_OWNER"


def test_restart_on_the_same_data_dir_keeps_everything(tmp_path: Path) -> None:
    with (
        LocalWorkspace(tmp_path) as first,
        httpx.Client(base_url=first.host, headers={"Authorization": f"Bearer {first.token}"}) as client,
    ):
        job_id = _seed(client)
        token, workspace_id, link_key = first.token, first.workspace.workspace_id, first.workspace.link_key
    with (
        LocalWorkspace(tmp_path) as second,
        httpx.Client(base_url=second.host, headers={"Authorization": f"Bearer {second.token}"}) as client,
    ):
        assert second.token == token and second.workspace.workspace_id == workspace_id
        assert second.workspace.link_key == link_key, "pre-signed links handed out before stay good"
        _assert_kept(client, job_id)


def test_kill_9_of_workspace_serve_loses_nothing(tmp_path: Path) -> None:
    with _serve(tmp_path) as (process, client):
        job_id = _seed(client)
        process.send_signal(signal.SIGKILL)
        assert process.wait(timeout=10) == -signal.SIGKILL
    with _serve(tmp_path) as (_, client):
        _assert_kept(client, job_id)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_serve_prints_how_to_connect_and_stops_cleanly(tmp_path: Path, stop: signal.Signals) -> None:
    with _serve(tmp_path, "--token", "dapi-given") as (process, client):
        assert client.headers["Authorization"] == "Bearer dapi-given"
        assert client.get("/api/2.2/jobs/list").status_code == 200
        process.send_signal(stop)
        assert process.wait(timeout=15) == 0


def test_serve_refuses_a_malformed_service_principal(tmp_path: Path) -> None:
    command = [sys.executable, "-c", _CLI, "workspace", "serve", "--data-dir", str(tmp_path)]
    result = subprocess.run(
        [*command, "--service-principal", "no-secret"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "ID:SECRET" in result.stderr


def test_serve_accepts_service_principals_for_oauth_and_admins(tmp_path: Path) -> None:
    args = ("--service-principal", "cli-sp:cli-secret", "--service-principal", "cli-adm:s2")
    args += ("--admin", "cli-adm")
    with _serve(tmp_path, *args) as (_, client):
        form = {"grant_type": "client_credentials", "scope": "all-apis"}
        groups: dict[str, list[str]] = {}
        for client_id, secret in (("cli-sp", "cli-secret"), ("cli-adm", "s2")):
            token = client.post("/oidc/v1/token", data=form, auth=(client_id, secret)).json()["access_token"]
            as_sp = {"Authorization": f"Bearer {token}"}
            assert client.get("/api/2.2/jobs/list", headers=as_sp).status_code == 200
            me = client.get("/api/2.0/preview/scim/v2/Me", headers=as_sp).json()
            groups[client_id] = [group["display"] for group in me["groups"]]
        assert groups == {"cli-sp": ["users"], "cli-adm": ["users", "admins"]}


def test_serve_refuses_a_bad_fault_spec(tmp_path: Path) -> None:
    command = [sys.executable, "-c", _CLI, "workspace", "serve", "--data-dir", str(tmp_path)]
    result = subprocess.run([*command, "--faults", "429=7"], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "429=7" in result.stderr


def test_reset_forgets_jobs_and_objects_but_keeps_the_token(tmp_path: Path) -> None:
    with (
        LocalWorkspace(tmp_path) as ws,
        httpx.Client(base_url=ws.host, headers={"Authorization": f"Bearer {ws.token}"}) as client,
    ):
        job_id = _seed(client)
        assert client.post("/local-api/reset").json() == {}
        assert client.get("/api/2.2/jobs/get", params={"job_id": job_id}).status_code == 400
        assert client.get("/api/2.2/jobs/list").json() == {}
        missing = client.get("/api/2.0/workspace/get-status", params={"path": "/Shared/nb.py"})
        assert missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
        assert client.get("/api/2.0/workspace/get-status", params={"path": "/Shared"}).status_code == 200
