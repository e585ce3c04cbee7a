"""How the CLI prints jobs, runs and task outputs for people: rich tables, one row per item."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

from prefect_databricks.waiting.states import state_name

__all__ = [
    "console",
    "duration",
    "output_text",
    "print_job",
    "print_jobs",
    "print_outputs",
    "print_run",
    "print_runs",
    "when",
]

_WIDE = 160


def console() -> Console:
    """A console on stdout; not a terminal (a pipe, a file, a test), it is wide and plain."""
    out = Console(highlight=False, soft_wrap=False)
    if not out.is_terminal:
        out = Console(highlight=False, width=_WIDE, no_color=True)
    return out


def when(millis: int | None) -> str:
    """Epoch milliseconds as local time, `-` when unset."""
    if not millis:
        return "-"
    return datetime.fromtimestamp(millis / 1000).strftime("%Y-%m-%d %H:%M:%S")


def duration(entry: Mapping[str, Any]) -> str:
    """Seconds the run took (or has taken so far), one decimal; `-` before it starts."""
    start, end = entry.get("start_time") or 0, entry.get("end_time") or 0
    if entry.get("run_duration"):
        return f"{entry['run_duration'] / 1000:.1f}s"
    if not start:
        return "-"
    end = end or int(datetime.now().timestamp() * 1000)
    return f"{max(0, end - start) / 1000:.1f}s"


def output_text(entry: Mapping[str, Any], limit: int = 100) -> str:
    """The short story of a finished task: its notebook result, error, condition outcome or last log line."""
    if "condition_task" in entry:
        return f"outcome: {entry['condition_task'].get('outcome', '-')}"
    output = entry.get("output") or {}
    logs = str(output.get("logs") or "").strip().splitlines()
    text = (
        (output.get("notebook_output") or {}).get("result")
        or output.get("error")
        or (logs[-1] if logs else "")
        or (entry.get("state") or {}).get("state_message")
        or ""
    )
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _table(title: str | None, *columns: str) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def print_jobs(out: Console, jobs: Iterable[Mapping[str, Any]]) -> None:
    """One row per job: id, name, creator and creation time."""
    table = _table(None, "job_id", "name", "creator", "created")
    for job in jobs:
        settings = job.get("settings") or {}
        table.add_row(
            str(job.get("job_id")),
            str(settings.get("name", "")),
            str(job.get("creator_user_name", "-")),
            when(job.get("created_time")),
        )
    out.print(table)


def print_job(out: Console, job: Mapping[str, Any]) -> None:
    """A job's name and id, then one row per task: its key, kind and dependencies."""
    settings = job.get("settings") or {}
    table = _table(f"Job {job.get('job_id')}: {settings.get('name', '')}", "task", "kind", "depends on")
    for task in settings.get("tasks") or ():
        kind = next((key for key in task if key.endswith("_task")), "-")
        after = ", ".join(dep.get("task_key", "") for dep in task.get("depends_on") or ())
        table.add_row(str(task.get("task_key")), kind, after or "-")
    out.print(table)


def print_runs(out: Console, runs: Iterable[Mapping[str, Any]]) -> None:
    """One row per run: ids, name, state, start time and duration."""
    table = _table(None, "run_id", "job_id", "name", "state", "started", "duration")
    for run in runs:
        table.add_row(
            str(run.get("run_id")),
            str(run.get("job_id", "-")),
            str(run.get("run_name", "")),
            state_name(run),
            when(run.get("start_time")),
            duration(run),
        )
    out.print(table)


def print_run(out: Console, run: Mapping[str, Any]) -> None:
    """Every task's state, attempt, duration and output, then the run's state and page."""
    title = f"Run {run.get('run_id')}: {state_name(run)}"
    table = _table(title, "task", "state", "attempt", "time", "output")
    for entry in run.get("tasks") or ():
        table.add_row(
            str(entry.get("task_key")),
            state_name(entry),
            str(entry.get("attempt_number", 0)),
            duration(entry),
            output_text(entry),
        )
    out.print(table)
    message = (run.get("state") or {}).get("state_message")
    if message:
        out.print(f"Message: {message}", soft_wrap=True)
    out.print(f"Run page: {run.get('run_page_url', '-')}", soft_wrap=True)


def print_outputs(out: Console, run: Mapping[str, Any]) -> None:
    """Each task run's full output: notebook result, logs, error and trace."""
    for entry in run.get("tasks") or ():
        output = entry.get("output") or {}
        out.rule(f"{entry.get('task_key')} (run {entry.get('run_id')}): {state_name(entry)}", align="left")
        result = (output.get("notebook_output") or {}).get("result")
        for label, text in (("result", result), ("logs", output.get("logs")), ("error", output.get("error"))):
            if text:
                out.print(f"[bold]{label}:[/bold]")
                out.out(str(text).rstrip("\n"), highlight=False)
        if output.get("logs_truncated"):
            out.print("(logs truncated)")
