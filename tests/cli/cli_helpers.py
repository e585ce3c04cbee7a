"""Helpers of the CLI tests: task dicts and reading the CLI's JSON output."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from typer.testing import Result

__all__ = ["Invoke", "MakeJob", "json_of", "py_task"]

Invoke = Callable[..., Result]
MakeJob = Callable[..., tuple[int, str]]


def py_task(key: str, script: Path, *params: str, **extra: Any) -> dict[str, Any]:
    """A `spark_python_task` running `script` with `params`, plus any other task field."""
    task = {"python_file": str(script), "parameters": list(params)}
    return {"task_key": key, "spark_python_task": task, **extra}


def json_of(stdout: str) -> Any:
    """The CLI's `--json` output, which must be nothing but one JSON document."""
    return json.loads(stdout)
