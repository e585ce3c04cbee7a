"""A run's state as people read it: the name a table shows, the text logs and errors show, its message.

Pure functions over the API's dicts, without the models, so the CLI prints states without loading them.
Each reads the legacy `state` first and falls back to the v2 `status`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["message_of", "state_name", "state_text"]


def _state(run: Mapping[str, Any]) -> Mapping[str, Any]:
    return run.get("state") or {}


def _status(run: Mapping[str, Any]) -> Mapping[str, Any]:
    return run.get("status") or {}


def _life(run: Mapping[str, Any]) -> str | None:
    return _state(run).get("life_cycle_state") or _status(run).get("state")


def _result(run: Mapping[str, Any]) -> str | None:
    return _state(run).get("result_state") or (_status(run).get("termination_details") or {}).get("code")


def state_name(run: Mapping[str, Any]) -> str:
    """One word for a table: the result once ended, else the life-cycle state (`PENDING` before either)."""
    return str(_result(run) or _life(run) or "PENDING")


def state_text(run: Mapping[str, Any]) -> str:
    """A short `LIFE_CYCLE/RESULT` text, e.g. `TERMINATED/SUCCESS`, from whichever state is present."""
    life, result = _life(run) or "UNKNOWN", _result(run)
    return f"{life}/{result}" if result else str(life)


def message_of(run: Mapping[str, Any]) -> str:
    """The run's own explanation: `state_message`, else the termination details' message."""
    return (
        _state(run).get("state_message")
        or (_status(run).get("termination_details") or {}).get("message")
        or ""
    )
