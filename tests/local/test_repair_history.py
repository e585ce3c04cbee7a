"""`runs/get?include_history=true` always starts `repair_history` with the ORIGINAL run.

Source: the Jobs API's `RepairHistoryItem` (databricks-sdk `service/jobs.py`: `type` ORIGINAL or REPAIR,
"The repair history item type. Indicates whether a run is the original run or a repair run"; `id` is
"The ID of the repair. Only returned for the items that represent a repair in `repair_history`"). Airflow's
provider 7.23 reads `response["repair_history"]` and treats one entry as "never repaired"
(`DatabricksHook.get_latest_repair_id`).
"""

from __future__ import annotations

from pathlib import Path

import httpx
from runs_helpers import py_task, script, wait_run


def _history(http: httpx.Client, run_id: int) -> list[dict[str, object]]:
    response = http.get("/api/2.2/jobs/runs/get", params={"run_id": run_id, "include_history": "true"})
    assert response.status_code == 200, response.text
    history: list[dict[str, object]] = response.json()["repair_history"]
    return history


def test_an_unrepaired_run_has_one_original_entry(http: httpx.Client, tmp_path: Path) -> None:
    body = {"tasks": [py_task("a", script(tmp_path, "print(1)")), py_task("b", script(tmp_path, "print(2)"))]}
    run_id = http.post("/api/2.2/jobs/runs/submit", json=body).json()["run_id"]
    run = wait_run(http, run_id)
    [original] = _history(http, run_id)
    assert original["type"] == "ORIGINAL" and "id" not in original
    assert (original["start_time"], original["end_time"]) == (run["start_time"], run["end_time"])
    assert original["end_time"] >= original["start_time"] > 0  # type: ignore[operator]
    assert sorted(original["task_run_ids"]) == sorted(t["run_id"] for t in run["tasks"])  # type: ignore[arg-type]
    assert original["state"] == run["state"] and original["status"] == run["status"]
    plain = http.get("/api/2.2/jobs/runs/get", params={"run_id": run_id}).json()
    assert "repair_history" not in plain


def test_a_repair_adds_a_repair_entry_with_an_id_after_the_original(
    http: httpx.Client, tmp_path: Path
) -> None:
    body = {"tasks": [py_task("a", script(tmp_path, "raise SystemExit(1)"))]}
    run_id = http.post("/api/2.2/jobs/runs/submit", json=body).json()["run_id"]
    first = wait_run(http, run_id)
    repair_id = http.post("/api/2.2/jobs/runs/repair", json={"run_id": run_id, "rerun_tasks": ["a"]}).json()
    wait_run(http, run_id)
    original, repair = _history(http, run_id)
    assert original["type"] == "ORIGINAL" and original["task_run_ids"] == [first["tasks"][0]["run_id"]]
    assert repair["type"] == "REPAIR" and repair["id"] == repair_id["repair_id"]
    assert repair["task_run_ids"] != original["task_run_ids"]
