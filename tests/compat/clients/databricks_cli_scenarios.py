"""The legacy `databricks-cli` (0.18) against the local workspace; writes its results to COMPAT_RESULTS.

Run by tests/compat in its own venv. The commands run in-process through click, exactly as the
`databricks` executable runs them, on Jobs API 2.0 (the CLI's default) and the 2.0 single-task format.
The CLI drops the port of the host (it builds `scheme://hostname/api/`), so the workspace listens on
port 80 of a loopback address. Repair is not a CLI command: it goes through the CLI's own `JobsService`.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from click.testing import CliRunner
from databricks_cli.cli import cli
from databricks_cli.sdk import ApiClient, JobsService

ECHO, FLAKY, SLEEP = os.environ["COMPAT_ECHO"], os.environ["COMPAT_FLAKY"], os.environ["COMPAT_SLEEP"]
NAME = os.environ["COMPAT_NAME"]
CLUSTER = {"spark_version": "13.3.x-scala2.12", "node_type_id": "i3.xlarge", "num_workers": 1}
runner = CliRunner()
results: dict[str, object] = {}


def databricks(*args: str) -> Any:
    """Run one `databricks ...` command; the JSON it prints, parsed (its Jobs API 2.0 warning skipped)."""
    outcome = runner.invoke(cli, list(args), catch_exceptions=False)
    assert outcome.exit_code == 0, (args, outcome.output)
    text = "\n".join(line for line in outcome.output.splitlines() if not line.startswith("WARN:")).strip()
    return json.loads(text) if text.startswith(("{", "[")) else text


def json_file(name: str, body: dict[str, Any]) -> str:
    path = os.path.join(os.environ["COMPAT_TMP"], name)
    with open(path, "w") as handle:
        json.dump(body, handle)
    return path


def wait(run_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        run: dict[str, Any] = databricks("runs", "get", "--run-id", str(run_id))
        if run["state"]["life_cycle_state"] in ("TERMINATED", "SKIPPED", "INTERNAL_ERROR"):
            return run
        assert time.monotonic() < deadline, run["state"]
        time.sleep(0.3)


def job(name: str, path: str, **parameters: str) -> int:
    body = {
        "name": name,
        "new_cluster": CLUSTER,
        "max_retries": 0,
        "timeout_seconds": 600,
        "notebook_task": {"notebook_path": path, "base_parameters": parameters},
    }
    return int(databricks("jobs", "create", "--json-file", json_file(name + ".json", body))["job_id"])


job_id = job(NAME, ECHO, who="nobody")
settings = databricks("jobs", "get", "--job-id", str(job_id))["settings"]
results["create"] = {
    "format": settings["format"],
    "notebook_path": settings["notebook_task"]["notebook_path"],
    "new_cluster": settings["new_cluster"],
}

started = databricks("jobs", "run-now", "--job-id", str(job_id), "--notebook-params", '{"who": "cli"}')
run = wait(started["run_id"])
output = databricks("runs", "get-output", "--run-id", str(started["run_id"]))
results["run_now"] = {
    "result_state": run["state"]["result_state"],
    "result": output["notebook_output"]["result"],
    "task": sorted(run["task"]),
}
listed = databricks("jobs", "list", "--output", "JSON")["jobs"]
results["list"] = {
    "names": sorted(j["settings"]["name"] for j in listed if j["settings"]["name"] == NAME),
    "runs": [
        r["run_id"] for r in databricks("runs", "list", "--job-id", str(job_id), "--output", "JSON")["runs"]
    ],
}

flaky = job(NAME + "-flaky", FLAKY, marker=os.environ["COMPAT_MARKER"])
failed = databricks("jobs", "run-now", "--job-id", str(flaky))["run_id"]
first = wait(failed)
service = JobsService(ApiClient(host=os.environ["DATABRICKS_HOST"], token=os.environ["DATABRICKS_TOKEN"]))
repair = service.repair(str(failed), rerun_all_failed_tasks=True, version="2.1")
repaired = wait(failed)
history = service.get_run(str(failed), include_history=True, version="2.1")["repair_history"]
results["repair"] = {
    "first": first["state"]["result_state"],
    "after": repaired["state"]["result_state"],
    "repair_id": repair["repair_id"],
    "history": [item["type"] for item in history],
    "result": databricks("runs", "get-output", "--run-id", str(failed))["notebook_output"]["result"],
}

sleeper = job(NAME + "-sleep", SLEEP, seconds="60")
long_run = databricks("jobs", "run-now", "--job-id", str(sleeper))["run_id"]
while databricks("runs", "get", "--run-id", str(long_run))["state"]["life_cycle_state"] in (
    "QUEUED",
    "PENDING",
):
    time.sleep(0.2)
databricks("runs", "cancel", "--run-id", str(long_run))
results["cancel"] = {"result_state": wait(long_run)["state"]["result_state"]}

once = {
    "run_name": NAME + " once",
    "new_cluster": CLUSTER,
    "notebook_task": {"notebook_path": ECHO, "base_parameters": {"who": "submit"}},
}
submitted = databricks("runs", "submit", "--json-file", json_file("once.json", once))["run_id"]
results["submit"] = {
    "result_state": wait(submitted)["state"]["result_state"],
    "result": databricks("runs", "get-output", "--run-id", str(submitted))["notebook_output"]["result"],
}

for gone in (job_id, flaky, sleeper):
    databricks("jobs", "delete", "--job-id", str(gone))
left = databricks("jobs", "list", "--output", "JSON").get("jobs", [])
results["delete"] = {"left": [j["job_id"] for j in left if j["job_id"] in (job_id, flaky, sleeper)]}
with open(os.environ["COMPAT_RESULTS"], "w") as out:
    json.dump(results, out)
