"""What task runs produced: `runs/get-output` and `runs/export` (notebook runs as HTML)."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from ..errors import InvalidParameterValue
from ..executor import export_notebook_html
from ..files.service import read_workspace_object
from ..state import Workspace
from .documents import latest_entries, task_run_view
from .service import locate

__all__ = ["export", "get_output"]

_MULTI_TASK = (
    "Retrieving the output of runs with multiple tasks is not supported. "
    "Please retrieve the output of each individual task run instead."
)
_VIEW_TYPES = ("CODE", "DASHBOARDS", "ALL")


def get_output(ws: Workspace, run_id: int, version: str) -> dict[str, Any]:
    """runs/get-output of a task run (on 2.0, also of a job run that has a single task)."""
    run, entry = locate(ws, run_id)
    if entry is None:
        latest = list(latest_entries(run).values())
        if version != "2.0" or len(latest) != 1:
            raise InvalidParameterValue(_MULTI_TASK)
        entry = latest[0]
    output = ws.store.get_output(entry["run_id"]) or {}
    return {**output, "metadata": task_run_view(run, entry)}


def export(ws: Workspace, run_id: int, views_to_export: str | None) -> dict[str, Any]:
    """runs/export: the notebook of each notebook task run as an HTML view (no dashboards here)."""
    if views_to_export is not None and views_to_export not in _VIEW_TYPES:
        raise InvalidParameterValue(
            f"Invalid value for field views_to_export: must be one of {', '.join(_VIEW_TYPES)}."
        )
    run, entry = locate(ws, run_id)
    if views_to_export == "DASHBOARDS":
        return {"views": []}
    chosen = [entry] if entry is not None else list(latest_entries(run).values())
    views = [_view(ws, task["notebook_task"]["notebook_path"]) for task in chosen if "notebook_task" in task]
    return {"views": views}


def _view(ws: Workspace, path: str) -> dict[str, Any]:
    source = read_workspace_object(ws, path) or b""
    name = PurePosixPath(path).name
    return {"content": export_notebook_html(source, name), "name": name, "type": "NOTEBOOK"}
