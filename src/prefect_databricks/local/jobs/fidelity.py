"""Settings the local workspace stores but cannot act on: refused when they would start runs, else warned.

An unpaused trigger the scheduler cannot fire is a 400 (a job that silently never starts is worse
than a refusal); notifications and health rules, which cannot be sent or evaluated here, become a
warning appended to the run's `state_message`. Both rules are the local workspace's own. [I]
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidParameterValue
from .shapes import field_path

__all__ = ["NOTICED", "check_triggers_emulated", "warnings"]

_FIRED = frozenset({"periodic"})
"""`trigger` kinds the scheduler fires (`schedule` and `continuous` are top-level settings)."""
_PAUSED = "PAUSED"
_NOTICES = {
    "email_notifications": "no email is sent",
    "webhook_notifications": "no webhook is called",
    "health": "health rules are not evaluated",
}
NOTICED = tuple(_NOTICES)
"""The job- and task-level fields that become a run warning when set."""


def check_triggers_emulated(settings: dict[str, Any], path: str = "") -> None:
    """400 for an unpaused `trigger` of a kind that starts no runs here, or any unpaused `triggers` entry."""
    trigger = settings.get("trigger") or {}
    if trigger.get("pause_status") != _PAUSED:
        for kind in sorted(k for k, v in trigger.items() if v is not None and k != "pause_status"):
            if kind not in _FIRED:
                raise _refused(field_path(path, f"trigger.{kind}"), f"{kind.replace('_', ' ')} triggers")
    for index, entry in enumerate(settings.get("triggers") or []):
        if isinstance(entry, dict) and entry.get("pause_status") != _PAUSED:
            raise _refused(field_path(path, f"triggers[{index}]"), "the triggers array (use schedule, "
                           "trigger.periodic or continuous)")


def _refused(field: str, what: str) -> InvalidParameterValue:
    return InvalidParameterValue(
        f"Invalid value for field {field}: the local workspace cannot start runs from {what}; "
        "set pause_status to PAUSED to keep it stored, or remove it."
    )


def warnings(settings: dict[str, Any], tasks: list[dict[str, Any]]) -> list[str]:
    """One line per job- or task-level notification or health setting that will not take effect."""
    found = [f"{name}: {notice}" for name, notice in _NOTICES.items() if _set(settings.get(name))]
    for task in tasks:
        found += [f"tasks[{task.get('task_key')}].{name}: {notice}"
                  for name, notice in _NOTICES.items() if _set(task.get(name))]
    return found


def _set(value: Any) -> bool:
    """Whether a notifications or health object names anything (empty lists and `{}` do not)."""
    if isinstance(value, dict):
        return any(_set(item) for key, item in value.items() if not key.startswith("no_alert"))
    if isinstance(value, list):
        return bool(value)
    return value is not None and value is not False
