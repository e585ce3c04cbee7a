"""The non-Databricks control prefix `/local-api/`: reset the state, switch faults, count requests.

Token-authenticated like the API; never faulted. `POST /local-api/reset` forgets every job, run, output
and workspace object (the token and workspace id stay); `GET|POST /local-api/faults` reads or sets the
fault spec (`{"spec": "429=0.1,seed=3"}`, or `{"spec": null}` to turn faults off); `GET /local-api/requests`
and `POST /local-api/requests/reset` read and clear the per-endpoint request counts; `POST /local-api/spark`
starts the workspace's Spark Connect server if needed and answers its `sc://` URL and token, its
metastore's `thrift://` URI and the catalog settings and jar JVM tasks share with it (tasks call it);
`GET /local-api/admins` lists the workspace admins and `POST /local-api/admins` (`{"name": ..., "admin":
true|false}`) makes an identity (a service principal's application id, a federated subject) an admin or not,
until the server stops (`--admin` / `LocalWorkspace(admins=...)` make lasting ones).
"""

from __future__ import annotations

from typing import Any

import anyio

from ..errors import InvalidParameterValue, InvalidState
from ..spark.server import SPARK_JAR, SparkUnavailable
from ..state import LOCAL_USER
from .app import Call
from .faults import FaultSwitch, parse_spec

__all__ = [
    "get_admins", "get_faults", "read_requests", "reset", "reset_requests", "set_admin", "set_faults",
    "spark_remote",
]


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
    """The Spark Connect URL (started on first call) and its client token, its metastore, the catalog
    settings and jar of the workspace's session extensions (for JVM tasks), and its start-up time."""
    spark = call.surface.spark
    try:
        remote = await anyio.to_thread.run_sync(spark.remote)
    except SparkUnavailable as exc:
        raise InvalidState(str(exc)) from None
    return {"remote": remote, "token": spark.token, "metastore": spark.metastore,
            "catalog_conf": spark.catalog_conf(), "jar": str(SPARK_JAR),
            "startup_seconds": spark.startup_seconds}


async def get_admins(call: Call) -> dict[str, Any]:
    """The workspace admins, sorted: the workspace token's user and the identities made admins."""
    return {"admins": sorted(call.ws.admins)}


async def set_admin(call: Call) -> dict[str, Any]:
    """Make `name` a workspace admin (`admin` true) or not (false); the token's user always stays one."""
    call.params.require("admin")
    name, admin = call.params.str("name", required=True) or "", call.params.bool("admin")
    if not name.strip():
        raise InvalidParameterValue("Invalid value for field name: it must not be empty.")
    if name == LOCAL_USER and not admin:
        raise InvalidParameterValue(f"Invalid value for field admin: {LOCAL_USER} is always an admin.")
    if admin:
        call.ws.admins.add(name)
    else:
        call.ws.admins.discard(name)
    return await get_admins(call)
