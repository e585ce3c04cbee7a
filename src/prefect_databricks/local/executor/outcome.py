"""Turns what a finished task process left behind (result file, log file, exit code) into a TaskOutcome."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

from .model import TaskOutcome

__all__ = ["LOG_FILE", "RESULT_FILE", "SPEC_FILE", "read_outcome"]

RESULT_FILE = "result.json"
LOG_FILE = "output.log"
SPEC_FILE = "task.json"
"""The runner spec, when it goes by file (cold starts, and specs too large for the fork server's socket)."""


def read_outcome(
    workdir: Path, returncode: int | None, *, notebook: bool, limit: int, killed: bool = False,
    record_text: str | None = None,
) -> TaskOutcome:
    """The outcome of the process that ran in ``workdir``; ``killed`` marks a run ended by ``kill()``;
    ``record_text`` is the runner's record when it came by the launcher instead of the result file."""
    record = _read_record(workdir / RESULT_FILE) if record_text is None else _parse_record(record_text)
    success = returncode == 0 and not killed and not record.get("error")
    result, truncated = _notebook_result(record, notebook=notebook, success=success, limit=limit)
    logs, logs_truncated = ("", False) if notebook else tail(workdir / LOG_FILE, limit)
    return TaskOutcome(
        success=success,
        notebook_result=result,
        truncated=truncated,
        logs=logs,
        logs_truncated=logs_truncated,
        error=None if success else _error(record, returncode, killed),
        error_trace=None if success else record.get("error_trace"),
        task_values=dict(record.get("task_values") or {}),
        message=str(record["warning"]) if success and record.get("warning") else None,
    )


def tail(path: Path, limit: int) -> tuple[str, bool]:
    """The last ``limit`` bytes of a file as text, and whether anything was cut off."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, 2)
            handle.seek(max(0, size - limit))
            data = handle.read(limit)
    except (FileNotFoundError, NotADirectoryError):  # never created: the launch failed
        return "", False
    return data.decode("utf-8", errors="ignore"), size > limit


def _read_record(path: Path) -> dict[str, Any]:
    """What the runner recorded; empty when it could not write it (killed, ``os._exit``, crash)."""
    try:
        return _parse_record(path.read_text(encoding="utf-8"))
    except OSError:
        return {}


def _parse_record(text: str) -> dict[str, Any]:
    try:
        record = json.loads(text)
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def _notebook_result(
    record: dict[str, Any], *, notebook: bool, success: bool, limit: int
) -> tuple[str | None, bool]:
    """The first ``limit`` bytes of the exit value; "" for a notebook that ended without exit."""
    if not notebook:
        return None, False
    value = record.get("exit")
    if value is None:
        return ("" if success else None), False
    data = str(value).encode()
    if len(data) <= limit:
        return str(value), False
    return data[:limit].decode("utf-8", errors="ignore"), True


def _error(record: dict[str, Any], returncode: int | None, killed: bool) -> str:
    if killed:
        return "The task process was killed"
    if record.get("error"):
        return str(record["error"])
    if returncode is not None and returncode < 0:
        return f"The task process was terminated by signal {signal.Signals(-returncode).name}"
    return f"The task process exited with code {returncode}"
