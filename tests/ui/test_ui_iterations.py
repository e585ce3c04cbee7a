"""The run page of a real for-each run lists its iterations and none of the scheduler's bookkeeping.

Nothing is mocked: the run is submitted over HTTP to the UI tests' workspace, whose scheduler runs it.
"""

from __future__ import annotations

import time

import httpx

from prefect_databricks.local import LocalWorkspace


def test_a_for_each_task_lists_its_iterations(ui_workspace: LocalWorkspace) -> None:
    nested = {"task_key": "item", "condition_task": {"op": "EQUAL_TO", "left": "{{input}}", "right": "b"}}
    loop = {"task_key": "loop", "for_each_task": {"inputs": '["a", "b", "c"]', "task": nested}}
    headers = {"Authorization": f"Bearer {ui_workspace.token}"}
    with httpx.Client(base_url=ui_workspace.host, headers=headers, timeout=10) as http:
        run_id = http.post("/api/2.2/jobs/runs/submit", json={"tasks": [loop]}).json()["run_id"]
        deadline = time.monotonic() + 10
        while (run := http.get("/api/2.2/jobs/runs/get", params={"run_id": run_id}).json())["state"][
                "life_cycle_state"] != "TERMINATED":
            assert time.monotonic() < deadline, run["state"]
            time.sleep(0.05)
        html = http.get(f"/ui/runs/{run_id}").text
    stats = run["tasks"][0]["for_each_task"]["stats"]["task_run_stats"]
    assert stats["total_iterations"] == stats["succeeded_iterations"] == 3
    assert "Iterations (3)" in html and html.count("<li>") >= 3
    assert "_local" not in html and "child_run_id" not in html
