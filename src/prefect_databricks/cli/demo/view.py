"""What the demo prints: the CLI's progress view while the run goes, then each task's result."""

from __future__ import annotations

import asyncio
from typing import Any

from rich.table import Table

from prefect_databricks.cli.progress import ProgressView, follow
from prefect_databricks.cli.view import console
from prefect_databricks.credentials import DatabricksCredentials
from prefect_databricks.waiting.states import state_name

__all__ = ["print_result", "show_progress"]

_INTERVAL = 0.5


async def show_progress(credentials: DatabricksCredentials, started: asyncio.Queue[int]) -> None:
    """Once the run has started, show it as `runs watch` does until it ends."""
    run_id = await started.get()
    with ProgressView(console(), run_id) as view:
        await follow(credentials.get_jobs_client(), run_id, view, _INTERVAL)


def _output_text(entry: dict[str, Any]) -> str:
    output = entry.get("output") or {}
    if entry.get("iterations"):
        return "; ".join(_output_text(it) for it in entry["iterations"])
    if "condition_task" in entry:
        return f"outcome: {entry['condition_task'].get('outcome', '')}"
    notebook = (output.get("notebook_output") or {}).get("result")
    text = notebook or output.get("error") or output.get("logs") or ""
    return str(text).strip().replace("\n", " ")[:120]


def print_result(run: dict[str, Any]) -> None:
    """A table of every task: state, duration and output; then the run page URL."""
    table = Table(title=f"Run {run['run_id']}: {state_name(run)}")
    for column in ("task", "state", "seconds", "output"):
        table.add_column(column)
    for entry in run.get("tasks") or ():
        seconds = max(0, (entry.get("end_time") or 0) - (entry.get("start_time") or 0)) / 1000
        table.add_row(entry["task_key"], state_name(entry), f"{seconds:.1f}", _output_text(entry))
    out = console()
    out.print(table)
    out.print(f"Run page: {run.get('run_page_url', '')}", soft_wrap=True)
