"""Helpers of the runtime tests: notebooks imported and run through the official SDK, outputs read back."""

from __future__ import annotations

import base64
import time
from typing import Any

from databricks.sdk import WorkspaceClient
from databricks.sdk.service import jobs, workspace
from runs_helpers import unique

__all__ = ["import_notebook", "run_tasks", "submit_notebook", "wait_for_run"]

_ENDED = (jobs.RunLifeCycleState.TERMINATED, jobs.RunLifeCycleState.SKIPPED,
          jobs.RunLifeCycleState.INTERNAL_ERROR)
_ACTIVE = ("QUEUED", "PENDING", "RUNNING", "TERMINATING", "BLOCKED", "WAITING_FOR_RETRY")


def import_notebook(sdk: WorkspaceClient, source: str, folder: str = "/Shared", name: str = "") -> str:
    """Import `source` (a `.py` source notebook) under `folder` and return its workspace path."""
    sdk.workspace.mkdirs(folder)
    path = f"{folder}/{name or unique('nb')}"
    content = base64.b64encode(source.encode()).decode()
    sdk.workspace.import_(path, content=content, format=workspace.ImportFormat.SOURCE,
                          language=workspace.Language.PYTHON, overwrite=True)
    return path


def wait_for_run(sdk: WorkspaceClient, run_id: int, timeout: float = 30, **params: Any) -> jobs.Run:
    """Poll get_run until the run ends (the SDK's own waiter raises on INTERNAL_ERROR)."""
    deadline = time.monotonic() + timeout
    while True:
        run = sdk.jobs.get_run(run_id, **params)
        if run.state is not None and run.state.life_cycle_state is not None \
                and run.state.life_cycle_state.value not in _ACTIVE:
            return run
        assert time.monotonic() < deadline, f"run {run_id} stuck in {run.state}"
        time.sleep(0.05)


def run_tasks(sdk: WorkspaceClient, *tasks: jobs.SubmitTask, timeout: float = 120) -> list[jobs.RunOutput]:
    """Submit a run of `tasks`, wait for it to end (whatever the result), and return each task's output."""
    run_id = sdk.jobs.submit(run_name=unique("rt"), tasks=list(tasks)).run_id
    deadline = time.monotonic() + timeout
    run = sdk.jobs.get_run(run_id)
    while run.state.life_cycle_state not in _ENDED:
        assert time.monotonic() < deadline, f"run {run_id} did not end; last state {run.state}"
        time.sleep(0.1)
        run = sdk.jobs.get_run(run_id)
    by_key = {task.task_key: task.run_id for task in run.tasks or []}
    return [sdk.jobs.get_run_output(by_key[task.task_key]) for task in tasks]


def submit_notebook(
    sdk: WorkspaceClient, source: str, *, params: dict[str, str] | None = None, timeout: float = 120
) -> jobs.RunOutput:
    """Import and run one notebook as a one-task run; its output (whatever the result)."""
    path = import_notebook(sdk, source)
    task = jobs.SubmitTask(task_key="nb", notebook_task=jobs.NotebookTask(path, base_parameters=params))
    return run_tasks(sdk, task, timeout=timeout)[0]
