"""Issue 14, items 2, 7 and 8: one server per data dir, and nothing of it readable by other users.

Servers here are real `prefect-databricks workspace serve` processes (or LocalWorkspace threads where a
setting must be changed in-process, said at each test).
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from reliability_helpers import KNOWN_TOKEN, SP_ID, SP_SECRET, ServedWorkspace, free_port, py_task, wait_until

from prefect_databricks.local import LocalWorkspace
from prefect_databricks.local.store import DataDirInUse

_AUTH = {"Authorization": f"Bearer {KNOWN_TOKEN}"}


def test_a_second_server_on_the_same_data_dir_refuses_to_start(tmp_path: Path) -> None:
    data_dir = tmp_path / "ws"
    with ServedWorkspace(data_dir, free_port(), KNOWN_TOKEN) as first:
        second = ServedWorkspace(data_dir, free_port(), KNOWN_TOKEN)
        done = subprocess.run(second.command(), capture_output=True, text=True, timeout=60)
        assert done.returncode != 0
        assert first.proc is not None
        assert f"pid {first.proc.pid}" in done.stderr and first.host in done.stderr, done.stderr
        with pytest.raises(DataDirInUse, match=f"pid {first.proc.pid}"):
            LocalWorkspace(data_dir, token=KNOWN_TOKEN)
        assert httpx.get(f"{first.host}/api/2.2/jobs/list", headers=_AUTH).status_code == 200
    with LocalWorkspace(data_dir, token=KNOWN_TOKEN) as again:  # released when the first one stopped
        assert httpx.get(f"{again.host}/api/2.2/jobs/list", headers=_AUTH).status_code == 200


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_dir_and_files_are_private_whatever_the_umask(tmp_path: Path) -> None:
    data_dir = tmp_path / "ws"
    old = os.umask(0o022)  # inherited by the server process
    try:
        served = ServedWorkspace(data_dir, free_port(), KNOWN_TOKEN).start()
    finally:
        os.umask(old)
    try:
        httpx.post(f"{served.host}/api/2.2/jobs/create", headers=_AUTH, json={"name": "w"}).raise_for_status()
        files = {p.name: _mode(p) for p in data_dir.iterdir() if p.is_file()}
        assert _mode(data_dir) == 0o700
        assert {"workspace.db", "workspace.db-wal", "workspace.db-shm", "workspace.lock"} <= set(files)
        assert files == dict.fromkeys(files, 0o600), files
        assert KNOWN_TOKEN.encode() in b"".join(p.read_bytes() for p in data_dir.iterdir() if p.is_file())
    finally:
        served.stop()


def test_secrets_come_from_files_or_the_environment_never_argv(tmp_path: Path) -> None:
    principals = tmp_path / "principals"
    principals.write_text(f"# id:secret\n{SP_ID}:{SP_SECRET}\n")
    env = {"PREFECT_DATABRICKS_WORKSPACE_SERVICE_PRINCIPALS": f"env-sp:{SP_SECRET}-env"}
    served = ServedWorkspace(
        tmp_path / "ws", free_port(), KNOWN_TOKEN, "--service-principal-file", str(principals), env=env
    )
    with served:
        assert served.proc is not None
        argv = Path(f"/proc/{served.proc.pid}/cmdline").read_bytes()
        for secret in (KNOWN_TOKEN, SP_SECRET):
            assert secret.encode() not in argv
        assert httpx.get(f"{served.host}/api/2.2/jobs/list", headers=_AUTH).status_code == 200
        for client_id, secret in ((SP_ID, SP_SECRET), ("env-sp", f"{SP_SECRET}-env")):
            answer = httpx.post(f"{served.host}/oidc/v1/token", auth=(client_id, secret),
                                data={"grant_type": "client_credentials", "scope": "all-apis"})
            assert answer.status_code == 200, answer.text


def test_task_processes_get_a_scrubbed_environment(
    fresh_workspace: LocalWorkspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's own environment holds Databricks credentials (set in-process: the server is a thread)."""
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-server-own-token")
    monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", "server-own-client-secret")
    monkeypatch.setenv("SOME_COPY_OF_THE_TOKEN", f"x{KNOWN_TOKEN}x")
    script = tmp_path / "dump_env.py"
    script.write_text("import json, os, sys\nopen(sys.argv[1], 'w').write(json.dumps(dict(os.environ)))\n")
    out = tmp_path / "env.json"
    body = {"run_name": "env", "tasks": [py_task("e", script, out)]}
    run_id = httpx.post(f"{fresh_workspace.host}/api/2.2/jobs/runs/submit", headers=_AUTH, json=body).json()
    wait_until(out.exists, "the task to write its environment", timeout=60)
    env = json.loads(wait_until(lambda: out.read_text(), "the environment file", timeout=10))
    assert run_id
    blob = json.dumps(env)
    for secret in ("dapi-server-own-token", "server-own-client-secret", KNOWN_TOKEN, SP_SECRET):
        assert secret not in blob
    assert env["DATABRICKS_HOST"] == fresh_workspace.host and env["DATABRICKS_TASK_KEY"] == "e"


def test_run_pages_check_the_host_header(fresh_workspace: LocalWorkspace) -> None:
    """A DNS-rebinding page reaches 127.0.0.1 under its own name; the pages refuse any non-loopback name."""
    port = fresh_workspace.host.rsplit(":", 1)[1]
    for host, status in ((f"evil.example:{port}", 403), ("evil.example", 403), (f"localhost:{port}", 200),
                         (f"127.0.0.1:{port}", 200), (f"[::1]:{port}", 200)):
        answer = httpx.get(f"{fresh_workspace.host}/ui/jobs", headers={"Host": host})
        assert answer.status_code == status, (host, answer.text)
    with_token = httpx.get(f"{fresh_workspace.host}/ui/jobs", headers={"Host": "evil.example", **_AUTH})
    assert with_token.status_code == 200


def test_control_routes_take_the_workspace_token_only(fresh_workspace: LocalWorkspace) -> None:
    token = httpx.post(f"{fresh_workspace.host}/oidc/v1/token", auth=(SP_ID, SP_SECRET),
                       data={"grant_type": "client_credentials"}).json()["access_token"]
    oauth = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{fresh_workspace.host}/api/2.2/jobs/list", headers=oauth).status_code == 200
    for method, path in (("POST", "reset"), ("GET", "faults"), ("POST", "faults"), ("GET", "requests")):
        answer = httpx.request(method, f"{fresh_workspace.host}/local-api/{path}", headers=oauth, json={})
        assert answer.status_code == 403 and "workspace token" in answer.json()["message"]
    assert httpx.get(f"{fresh_workspace.host}/local-api/faults", headers=_AUTH).status_code == 200


def test_half_open_connections_are_closed(
    fresh_workspace: LocalWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A partial request head is dropped after the header timeout (10 s, shortened in-process to 1 s), and a
    body that stops coming gets 408 after the body read timeout (10 s, shortened to 1 s)."""
    monkeypatch.setattr("prefect_databricks.local.server.HEADER_TIMEOUT", 1.0)
    monkeypatch.setattr("prefect_databricks.local.api.body.BODY_READ_TIMEOUT", 1.0)
    address = fresh_workspace.host.removeprefix("http://").rsplit(":", 1)
    held = []
    for _ in range(20):
        sock = socket.create_connection((address[0], int(address[1])), timeout=10)
        sock.sendall(b"GET /api/2.2/jobs/list HTTP/1.1\r\nHost: localhost\r\n")
        held.append(sock)
    started = time.monotonic()
    assert all(sock.recv(1) == b"" for sock in held), "a half-open connection was kept"
    assert time.monotonic() - started < 8
    with socket.create_connection((address[0], int(address[1])), timeout=10) as sock:
        head = "POST /api/2.2/jobs/create HTTP/1.1\r\nHost: localhost\r\n"
        head += f"Authorization: Bearer {KNOWN_TOKEN}\r\n"
        sock.sendall(head.encode() + b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"na")
        answer = b""
        while b"REQUEST_TIMEOUT" not in answer and (chunk := sock.recv(65536)):
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 408") and b"REQUEST_TIMEOUT" in answer
    for sock in held:
        sock.close()
