"""The task table of a run page: one row per task (latest attempt) and a folding panel with its output
(and, for a for-each task, its iterations)."""

from __future__ import annotations

from typing import Any

from ..state import Workspace
from .html import Safe, duration, join, state_badge, state_of, tag, timestamp

__all__ = ["task_table"]

_HEADS = ["Task", "State", "Started", "Duration", "Attempts", "Depends on", "Output"]
_PREVIEW_CHARS = 80
_MAX_ITERATIONS_SHOWN = 200


def task_table(
    ws: Workspace, tasks: list[dict[str, Any]], now_ms: int,
    iterations: dict[int, list[dict[str, Any]]] | None = None,
) -> Safe:
    """Rows for each task key in first-seen order; `tasks` holds every attempt of every task (public
    documents), `iterations` the iteration task runs of for-each task runs by their run id."""
    attempts: dict[str, list[dict[str, Any]]] = {}
    for entry in tasks:
        attempts.setdefault(str(entry["task_key"]), []).append(entry)
    if not attempts:
        return tag("p", "This run has no tasks.", class_="muted")
    found = iterations or {}
    rows = join(_rows(ws, key, tries, now_ms, found.get(tries[-1].get("run_id", -1), []))
                for key, tries in attempts.items())
    head = tag("thead", tag("tr", join(tag("th", h) for h in _HEADS)))
    return tag("table", head, tag("tbody", rows), class_="tasks")


def _rows(
    ws: Workspace, key: str, tries: list[dict[str, Any]], now_ms: int, iterations: list[dict[str, Any]]
) -> Safe:
    task = tries[-1]
    output = _output(ws, task)
    cells = [
        tag("a", key, href=f"#task-{key}"), state_badge(task), timestamp(task.get("start_time")),
        duration(task, now_ms), len(tries), _depends_on(task), _summary(task, output),
    ]
    row = tag("tr", join(tag("td", c) for c in cells), id=f"task-{key}", class_="task")
    panel = tag("details", tag("summary", "Output and logs"),
                _panel(ws, task, tries, output, now_ms), _iterations(ws, iterations, now_ms),
                id=f"details-{key}")
    return join([row, tag("tr", tag("td", panel, colspan=len(_HEADS)), class_="task-detail")])


def _output(ws: Workspace, entry: dict[str, Any]) -> dict[str, Any]:
    return (ws.store.get_output(entry["run_id"]) if "run_id" in entry else None) or {}


def _depends_on(task: dict[str, Any]) -> str:
    deps = task.get("depends_on") or []
    return ", ".join(str(d["task_key"]) + (f" ({d['outcome']})" if d.get("outcome") else "") for d in deps)


def _summary(task: dict[str, Any], output: dict[str, Any]) -> str:
    """One line: the error, the condition outcome, the for-each progress, the result or the last log line."""
    if output.get("error"):
        return _preview(output["error"])
    if (outcome := (task.get("condition_task") or {}).get("outcome")) is not None:
        return f"outcome: {outcome}"
    if stats := _iteration_stats(task):
        return f"iterations: {stats}"
    result = (output.get("notebook_output") or {}).get("result")
    if result:
        return _preview(result)
    lines = str(output.get("logs") or "").strip().splitlines()
    return _preview(lines[-1]) if lines else ""


def _iteration_stats(task: dict[str, Any]) -> str:
    stats = ((task.get("for_each_task") or {}).get("stats") or {}).get("task_run_stats") or {}
    if not stats:
        return ""
    done = stats.get("succeeded_iterations", 0)
    failed = stats.get("failed_iterations", 0)
    return f"{done} succeeded, {failed} failed of {stats.get('total_iterations', 0)}"


def _preview(text: Any) -> str:
    line = str(text).strip().splitlines()[0] if str(text).strip() else ""
    return line if len(line) <= _PREVIEW_CHARS else line[: _PREVIEW_CHARS - 1] + "…"


def _panel(
    ws: Workspace, task: dict[str, Any], tries: list[dict[str, Any]], output: dict[str, Any], now_ms: int
) -> Safe:
    notebook = output.get("notebook_output") or {}
    blocks = [
        ("Result", notebook.get("result"), ""), ("Error", output.get("error"), "error"),
        ("Error trace", output.get("error_trace"), "error"), ("Logs", output.get("logs"), ""),
    ]
    parts = [join([tag("h4", name), tag("pre", text, class_=c or None)]) for name, text, c in blocks if text]
    if notebook.get("truncated") or output.get("logs_truncated"):
        parts.append(tag("p", "Output truncated.", class_="muted"))
    if len(tries) > 1:
        parts.append(join([tag("h4", "Attempts"), _attempts(ws, tries, now_ms)]))
    parts.append(tag("p", f"Task run {task.get('run_id', '')} · {_what(task)}", class_="muted"))
    if len(parts) > 1:
        return join(parts)
    return join([tag("p", "No output yet." if state_of(task)[1] else "No output.", class_="muted"), *parts])


def _what(task: dict[str, Any]) -> str:
    """The task's type and what it runs, e.g. `spark_python_task /tmp/step.py`."""
    kind = next((k for k in task if k.endswith("_task")), "")
    spec = task.get(kind) or {}
    target = spec.get("python_file") or spec.get("notebook_path") or spec.get("entry_point") or ""
    return f"{kind} {target}".strip()


def _iterations(ws: Workspace, iterations: list[dict[str, Any]], now_ms: int) -> Safe:
    """The iteration task runs of a for-each task: state, task run id, duration and error of each."""
    if not iterations:
        return Safe("")
    items = []
    for entry in iterations[:_MAX_ITERATIONS_SHOWN]:
        failed = entry.get("state", {}).get("result_state") not in (None, "SUCCESS")
        error = _preview(_output(ws, entry).get("error") or "") if failed else ""
        label = f"task run {entry.get('run_id', '')} · try {entry.get('attempt_number', 0) + 1} · "
        note = tag("span", error, class_="error") if error else ""
        items.append(tag("li", state_badge(entry), " ", label, duration(entry, now_ms), " ", note))
    more = len(iterations) - _MAX_ITERATIONS_SHOWN
    tail = tag("p", f"… and {more} more iterations.", class_="muted") if more > 0 else Safe("")
    return join([tag("h4", f"Iterations ({len(iterations)})"), tag("ul", join(items), class_="iterations"),
                 tail])


def _attempts(ws: Workspace, tries: list[dict[str, Any]], now_ms: int) -> Safe:
    items = []
    for number, entry in enumerate(tries, start=1):
        error = _preview(_output(ws, entry).get("error") or "")
        label = f"try {number} · task run {entry.get('run_id', '')} · {duration(entry, now_ms)} "
        note = tag("span", error, class_="error") if error else ""
        items.append(tag("li", state_badge(entry), " ", label, note))
    return tag("ul", join(items), class_="attempts")
