"""What task runs produced: `runs/get-output`, `runs/export` (notebook runs as HTML), dbt artifacts.

A dbt task's `artifacts_link` is pre-signed as on Databricks: the URL itself carries an expiry and an
HMAC of it under the workspace's link key, so a plain GET fetches the tarball with no token.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import InvalidParameterValue, PermissionDenied, ResourceDoesNotExist
from ..executor import ARTIFACTS_FILE, export_notebook_html
from ..files.service import read_workspace_object
from ..state import Workspace
from .documents import latest_entries, task_run_view
from .service import locate

__all__ = ["ARTIFACTS_PATH", "artifacts_file", "artifacts_link", "export", "get_output"]

ARTIFACTS_PATH = "/presigned/dbt-artifacts"
"""Where pre-signed dbt artifact links point: `<ARTIFACTS_PATH>/<task run id>?expires=…&signature=…`."""
ARTIFACTS_LINK_SECONDS = 30 * 60
"""`DbtOutput.artifacts_link`: "This link is valid for a limited time (30 minutes)"."""

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
    if "dbt_output" in output:
        link = artifacts_link(ws, entry["run_id"], ws.now_ms())
        output = {**output, "dbt_output": {**output["dbt_output"], "artifacts_link": link}}
    return {**output, "metadata": task_run_view(run, entry)}


def artifacts_link(ws: Workspace, task_run_id: int, now_ms: int) -> str:
    """A link to the dbt artifacts of `task_run_id`, valid for 30 minutes from `now_ms`."""
    expires = now_ms // 1000 + ARTIFACTS_LINK_SECONDS
    signature = _signature(ws, task_run_id, expires)
    return f"{ws.config.host}{ARTIFACTS_PATH}/{task_run_id}?expires={expires}&signature={signature}"


def artifacts_file(ws: Workspace, task_run_id: int, expires: str | None, signature: str | None) -> Path:
    """The tarball a pre-signed link names: 403 for a link this workspace did not sign or one that has
    expired (as object stores answer such links [I]), 404 once the run or its artifacts are gone."""
    try:
        until = int(expires or "")
    except ValueError:
        raise PermissionDenied("The link is not signed by this workspace.") from None
    if not hmac.compare_digest(_signature(ws, task_run_id, until), signature or ""):
        raise PermissionDenied("The link is not signed by this workspace.")
    if until * 1000 <= ws.now_ms():
        raise PermissionDenied("The link has expired: get a new one from runs/get-output.")
    try:
        run, _entry = locate(ws, task_run_id)
    except InvalidParameterValue:
        raise ResourceDoesNotExist(f"Run {task_run_id} does not exist.") from None
    path = ws.run_workdir(run["run_id"]) / str(task_run_id) / ARTIFACTS_FILE
    if not path.is_file():
        raise ResourceDoesNotExist(f"Run {task_run_id} has no dbt artifacts.")
    return path


def _signature(ws: Workspace, task_run_id: int, expires: int) -> str:
    message = f"dbt-artifacts/{task_run_id}/{expires}".encode()
    return hmac.new(ws.link_key, message, hashlib.sha256).hexdigest()


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
