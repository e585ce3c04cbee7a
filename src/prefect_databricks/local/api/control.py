"""The non-Databricks control prefix `/local-api/`: reset the state and switch faults at run time.

Token-authenticated like the API; never faulted. `POST /local-api/reset` forgets every job, run, output
and workspace object (the token and workspace id stay); `GET|POST /local-api/faults` reads or sets the
fault spec (`{"spec": "429=0.1,seed=3"}`, or `{"spec": null}` to turn faults off).
"""

from __future__ import annotations

from typing import Any

from ..errors import InvalidParameterValue
from ..state import Workspace
from .app import Call, control
from .faults import parse_spec, switch_of

__all__ = ["ROUTES", "current_faults", "reset_workspace", "set_faults"]


def reset_workspace(ws: Workspace) -> None:
    """Forget all jobs, runs, outputs, permissions and objects; keep the token and settings."""
    ws.store.reset()


def current_faults(ws: Workspace) -> dict[str, Any]:
    """The fault spec in force, as it was given (None when faults are off)."""
    spec = switch_of(ws).spec
    return {"spec": spec.text if spec else None}


def set_faults(ws: Workspace, spec: Any) -> dict[str, Any]:
    """Replace the fault spec (None turns faults off); 400 naming `spec` if it does not parse."""
    if spec is not None and not isinstance(spec, str):
        raise InvalidParameterValue("Invalid value for field spec: expected a string or null.")
    try:
        parsed = parse_spec(spec) if spec else None
    except ValueError as exc:
        raise InvalidParameterValue(f"Invalid value for field spec: {exc}") from None
    switch_of(ws).set(parsed)
    return current_faults(ws)


async def _reset(call: Call) -> dict[str, Any]:
    reset_workspace(call.ws)
    return {}


async def _get_faults(call: Call) -> dict[str, Any]:
    return current_faults(call.ws)


async def _set_faults(call: Call) -> dict[str, Any]:
    return set_faults(call.ws, call.params.raw("spec"))


ROUTES = [
    control("POST", "reset", _reset),
    control("GET", "faults", _get_faults),
    control("POST", "faults", _set_faults),
]
