"""What the demo shows: a line per task state change while the run goes, then each task's result."""

from __future__ import annotations

import asyncio
from typing import Any

from rich.console import Console
from rich.table import Table

from prefect_databricks.credentials import DatabricksCredentials

__all__ = ["print_result", "show_progress"]

_console = Console(highlight=False)
_TERMINAL = {"TERMINATED", "SKIPPED", "INTERNAL_ERROR"}


def _state(entry: dict[str, Any]) -> str:
    state = entry.get("state") or {}
    return str(state.get("result_state") or state.get("life_cycle_state") or "PENDING")


async def show_progress(credentials: DatabricksCredentials, started: asyncio.Queue[int]) -> None:
    """Print the run page, then one line each time a task's state changes, until the run ends."""
    run_id = await started.get()
    client = credentials.get_jobs_client()
    seen: dict[str, str] = {}
    while True:
        run = await client.get_run(run_id)
        if not seen:
            _console.print(f"Run {run_id} started: {run.get('run_page_url', '')}", soft_wrap=True)
        for entry in run.get("tasks") or ():
            key, state = f"{entry['task_key']}#{entry.get('attempt_number', 0)}", _state(entry)
            if seen.get(key) != state:
                seen[key] = state
                _console.print(f"  {entry['task_key']:<16} {state}")
        if (run.get("state") or {}).get("life_cycle_state") in _TERMINAL:
            return
        await asyncio.sleep(0.5)


def _output_text(entry: dict[str, Any]) -> str:
    output = entry.get("output") or {}
    if entry.get("iterations"):
        return "; ".join(_output_text(it) for it in entry["iterations"])
    if "condition_task" in entry:
        return f"outcome: {entry['condition_task'].get('outcome', '')}"
    notebook = (output.get("notebook_output") or {}).get("result")
    text = notebook or output.get("error") or output.get("logs") or ""
    return str(text).strip().replace("\n", " ")[:120]


def print_result(credentials: DatabricksCredentials, run: dict[str, Any]) -> None:
    """A table of every task: state, duration and output; then the run page URL."""
    table = Table(title=f"Run {run['run_id']}: {_state(run)}")
    for column in ("task", "state", "seconds", "output"):
        table.add_column(column)
    for entry in run.get("tasks") or ():
        seconds = max(0, (entry.get("end_time") or 0) - (entry.get("start_time") or 0)) / 1000
        table.add_row(entry["task_key"], _state(entry), f"{seconds:.1f}", _output_text(entry))
    _console.print(table)
    _console.print(f"Run page: {run.get('run_page_url', '')}", soft_wrap=True)
