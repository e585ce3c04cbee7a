"""The non-Databricks control prefix `/local-api/`: reset the state, switch faults, count requests.

Token-authenticated like the API; never faulted. `POST /local-api/reset` forgets every job, run, output
and workspace object (the token and workspace id stay); `GET|POST /local-api/faults` reads or sets the
fault spec (`{"spec": "429=0.1,seed=3"}`, or `{"spec": null}` to turn faults off); `GET /local-api/requests`
and `POST /local-api/requests/reset` read and clear the per-endpoint request counts; `POST /local-api/spark`
starts the workspace's Spark Connect server if needed and answers its `sc://` URL (tasks call it).
"""

from __future__ import annotations

from typing import Any

import anyio

from ..errors import InvalidParameterValue, InvalidState
from ..spark.server import SparkUnavailable
from .app import Call
from .faults import FaultSwitch, parse_spec

__all__ = ["get_faults", "read_requests", "reset", "reset_requests", "set_faults", "spark_remote"]


def _faults(switch: FaultSwitch) -> dict[str, Any]:
    """The fault spec in force, as it was given (None when faults are off)."""
    return {"spec": switch.spec.text if switch.spec else None}


async def reset(call: Call) -> dict[str, Any]:
    """Forget all jobs, runs, outputs, permissions and objects; keep the token and settings."""
    call.ws.store.reset()
    return {}


async def get_faults(call: Call) -> dict[str, Any]:
    """The fault spec in force."""
    return _faults(call.surface.faults)


async def set_faults(call: Call) -> dict[str, Any]:
    """Replace the fault spec (null turns faults off); 400 naming `spec` if it does not parse."""
    spec = call.params.raw("spec")
    if spec is not None and not isinstance(spec, str):
        raise InvalidParameterValue("Invalid value for field spec: expected a string or null.")
    try:
        parsed = parse_spec(spec) if spec else None
    except ValueError as exc:
        raise InvalidParameterValue(f"Invalid value for field spec: {exc}") from None
    call.surface.faults.set(parsed)
    return _faults(call.surface.faults)


async def read_requests(call: Call) -> dict[str, object]:
    """The request counts: total and by endpoint."""
    return call.surface.counter.snapshot()


async def reset_requests(call: Call) -> dict[str, object]:
    """Start counting again from zero."""
    call.surface.counter.by_endpoint.clear()
    return {}


async def spark_remote(call: Call) -> dict[str, object]:
    """The Spark Connect URL (started on first call) and how long the server took to start."""
    try:
        remote = await anyio.to_thread.run_sync(call.surface.spark.remote)
    except SparkUnavailable as exc:
        raise InvalidState(str(exc)) from None
    return {"remote": remote, "startup_seconds": call.surface.spark.startup_seconds}
