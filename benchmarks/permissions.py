"""What enforced permissions cost: jobs/list and runs/list page latency as an admin and as a service principal
that may view 1 job in 50, with 5,000 jobs (and a run of each) stored.

Run: `.venv/bin/python benchmarks/permissions.py` (prints median milliseconds per page and the ratio).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import httpx

from prefect_databricks.local import LocalWorkspace
from prefect_databricks.local.state import LOCAL_USER
from prefect_databricks.local.store import Store

_JOBS = 5000
_EVERY = 50
_SP, _SECRET = "bench-sp", "bench-secret"


def _seed(data_dir: Path) -> None:
    """Store `_JOBS` admin-owned jobs with one finished run each; the SP may view every `_EVERY`th."""
    store = Store(data_dir / "workspace.db")
    with store.transaction():
        for i in range(_JOBS):
            job_id = 10**14 + i
            store.put_job({"job_id": job_id, "created_time": 1_700_000_000_000 + i,
                           "creator_user_name": LOCAL_USER, "settings": {"name": f"job {i}"}})
            acl = [{"user_name": LOCAL_USER, "permission_level": "IS_OWNER"}]
            if i % _EVERY == 0:
                acl.append({"service_principal_name": _SP, "permission_level": "CAN_VIEW"})
            store.put_permissions(job_id, acl)
            run = {"run_id": 10**15 + i, "job_id": job_id, "start_time": 1_700_000_000_000 + i,
                   "run_type": "JOB_RUN", "state": {"life_cycle_state": "TERMINATED"}, "tasks": []}
            store.put_run(run, active=False)
    store.close()


def _median_ms(client: httpx.Client, path: str, headers: dict[str, str], rounds: int = 100) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        client.get(path, params={"limit": 25}, headers=headers).raise_for_status()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> None:
    """Seed, serve, and print the figures."""
    with tempfile.TemporaryDirectory() as tmp:
        _seed(Path(tmp))
        with (
            LocalWorkspace(tmp, service_principals={_SP: _SECRET}) as ws,
            httpx.Client(base_url=ws.host) as client,
        ):
            form = {"grant_type": "client_credentials", "scope": "all-apis"}
            token = client.post("/oidc/v1/token", data=form, auth=(_SP, _SECRET)).json()["access_token"]
            admin = {"Authorization": f"Bearer {ws.token}"}
            sp = {"Authorization": f"Bearer {token}"}
            for path in ("/api/2.2/jobs/list", "/api/2.2/jobs/runs/list"):
                as_admin, as_sp = _median_ms(client, path, admin), _median_ms(client, path, sp)
                print(f"{path}: admin {as_admin:.2f} ms, service principal {as_sp:.2f} ms "
                      f"(×{as_sp / as_admin:.2f}) per page of 25, {_JOBS} jobs, 1 in {_EVERY} visible")


if __name__ == "__main__":
    main()
