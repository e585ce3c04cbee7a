"""`dbutils.notebook`: `exit` ends this notebook, `run` runs another one as a run of the workspace.

`run` submits a one-task run over the Jobs API (as Databricks runs a notebook workflow), waits for it and
returns the child's exit value; a relative path is read from this notebook's folder. The child takes a
task-process slot of its own while the caller waits.
"""

from __future__ import annotations

import posixpath
import time
from typing import Any

from . import _api

__all__ = ["Notebook", "NotebookExit", "NotebookRunFailed"]

_ENDED = ("TERMINATED", "SKIPPED", "INTERNAL_ERROR")


class NotebookExit(BaseException):
    """Ends the notebook from ``dbutils.notebook.exit`` (a BaseException: ``except Exception`` misses it)."""

    def __init__(self, value: str) -> None:
        super().__init__(value)
        self.value = value


class NotebookRunFailed(Exception):
    """The notebook started by ``dbutils.notebook.run`` did not succeed."""

    __module__ = "dbutils"


class Notebook:
    """``exit`` and ``run``; ``path`` is this notebook's own path, for relative ``run`` paths."""

    def __init__(self) -> None:
        self.path = ""

    def exit(self, value: Any) -> None:
        raise NotebookExit(str(value))

    def run(self, path: str, timeout_seconds: int = 0, arguments: dict[str, Any] | None = None) -> str:
        """Run the notebook at `path` with `arguments` as its widgets and return its exit value."""
        folder = posixpath.dirname(self.path) or "/"
        full = posixpath.normpath(posixpath.join(folder, path))
        widgets = {str(k): str(v) for k, v in (arguments or {}).items()}
        task = {"task_key": "notebook", "notebook_task": {"notebook_path": full, "base_parameters": widgets}}
        body: dict[str, Any] = {"run_name": f"dbutils.notebook.run {full}", "tasks": [task]}
        if timeout_seconds:
            body["timeout_seconds"] = int(timeout_seconds)
        run_id = _api.call("POST", "2.1/jobs/runs/submit", body)["run_id"]
        run = _wait(run_id)
        task_run_id = run["tasks"][0]["run_id"]
        output = _api.call("GET", "2.1/jobs/runs/get-output", {"run_id": task_run_id})
        state = run["state"]
        if state.get("result_state") != "SUCCESS":
            reason = output.get("error") or state.get("state_message") or state.get("result_state")
            raise NotebookRunFailed(f"Notebook {full} (run {run_id}) failed: {reason}")
        result: str = (output.get("notebook_output") or {}).get("result", "")
        return result


def _wait(run_id: int) -> dict[str, Any]:
    pause = 0.02
    while True:
        run = _api.call("GET", "2.1/jobs/runs/get", {"run_id": run_id})
        if run["state"]["life_cycle_state"] in _ENDED:
            return run
        time.sleep(pause)
        pause = min(pause * 2, 0.5)
