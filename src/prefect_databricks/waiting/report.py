"""What the user sees while waiting: log lines on each state change and artifacts at the end.

A line at the start (run id and page), one per task state change (never one per poll), one at
the end; a keyed link artifact to the run page when the run starts and a keyed table of the task
results at the end, both on the flow run that owns the wait (the user's).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from prefect_databricks.waiting.outcome import latest_attempts
from prefect_databricks.waiting.outputs import task_rows
from prefect_databricks.waiting.states import message_of, state_text

__all__ = ["StateLog", "artifact_key", "publish_link", "publish_table", "run_logger"]


def run_logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    """Prefect's run logger inside a flow or task run, else this package's logger."""
    from prefect.context import FlowRunContext, TaskRunContext
    from prefect.logging import get_run_logger

    if FlowRunContext.get() or TaskRunContext.get():
        return get_run_logger()
    return logging.getLogger("prefect_databricks.flows")


class StateLog:
    """Logs a run's state changes: the run's and each task's (its latest attempt), keyed by `task_key`."""

    def __init__(self, logger: logging.Logger | logging.LoggerAdapter[logging.Logger], run_id: int) -> None:
        self.logger = logger
        self.run_id = run_id
        self._seen: dict[Any, str] = {}
        self._started = False

    def update(self, run: Mapping[str, Any]) -> None:
        """Log what changed since the last update."""
        if not self._started:
            self._started = True
            self.logger.info("Waiting for Databricks run %s: %s", self.run_id, run.get("run_page_url"))
        self._note("run", f"Databricks run {self.run_id}", run)
        for task in latest_attempts(run.get("tasks") or ()):
            name = f"Task {task.get('task_key')!r} of run {self.run_id}"
            self._note(("task", task.get("task_key")), name, task)

    def _note(self, key: Any, name: str, entry: Mapping[str, Any]) -> None:
        text = state_text(entry)
        if self._seen.get(key) == text:
            return
        self._seen[key] = text
        message = message_of(entry)
        detail = f": {message}" if message else ""
        self.logger.info("%s is %s%s (%s)", name, text, detail, entry.get("run_page_url") or "no page yet")

    def finished(self, run: Mapping[str, Any]) -> None:
        """The last line: how the run ended and where to look."""
        self.logger.info(
            "Databricks run %s finished %s: %s", self.run_id, state_text(run), run.get("run_page_url")
        )


def artifact_key(run_id: Any) -> str:
    """The key of a run's link artifact, `databricks-run-<run_id>` (its table adds `-tasks`)."""
    return f"databricks-run-{run_id}"


async def publish_link(flow_run_id: UUID, run: Mapping[str, Any]) -> None:
    """The link to the run page, keyed, on the owner's flow run (published when the run starts)."""
    run_id = run.get("run_id")
    if run.get("run_page_url"):
        link = f"[Databricks run {run_id}]({run['run_page_url']})"
        await _publish(flow_run_id, artifact_key(run_id), "markdown", link, f"Databricks run {run_id}")


async def publish_table(flow_run_id: UUID, run: Mapping[str, Any]) -> None:
    """The table of task results and outputs, keyed, on the owner's flow run (published at the end)."""
    rows = task_rows(run)
    if rows:
        run_id = run.get("run_id")
        description = f"Tasks of Databricks run {run_id} ({state_text(run)})"
        await _publish(flow_run_id, f"{artifact_key(run_id)}-tasks", "table", json.dumps(rows), description)


async def _publish(flow_run_id: UUID, key: str, kind: str, data: str, description: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import ArtifactCreate

    artifact = ArtifactCreate(key=key, type=kind, data=data, description=description, flow_run_id=flow_run_id)
    try:
        async with get_client() as client:
            await client.create_artifact(artifact)
    except Exception as exc:  # an artifact is a view: the wait must not fail for it
        run_logger().warning("Could not publish artifact %s: %s", key, exc)
