"""What the user sees while waiting: log lines on each state change and artifacts at the end.

A line at the start (run id and page), one per task state change (never one per poll), one at
the end; then a link artifact to the run page and a table artifact of the task results.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from prefect_databricks.waiting.outcome import latest_attempts
from prefect_databricks.waiting.outputs import task_rows
from prefect_databricks.waiting.states import message_of, state_text

__all__ = ["StateLog", "publish_artifacts", "run_logger"]


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


async def publish_artifacts(run: Mapping[str, Any]) -> None:
    """A link artifact to the run page and a table of task results (inside a Prefect run only)."""
    from prefect.artifacts import acreate_link_artifact, acreate_table_artifact
    from prefect.context import FlowRunContext, TaskRunContext

    if not (FlowRunContext.get() or TaskRunContext.get()):
        return
    run_id = run.get("run_id")
    if run.get("run_page_url"):
        await acreate_link_artifact(
            link=run["run_page_url"],
            link_text=f"Databricks run {run_id}",
            description=f"Databricks run {run_id} ({state_text(run)})",
        )
    rows = task_rows(run)
    if rows:
        await acreate_table_artifact(table=rows, description=f"Tasks of Databricks run {run_id}")
