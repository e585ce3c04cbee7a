"""HTTP routes of the runs side of the Jobs API: thin handlers over the runs services."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute

from ..runs.create import run_now, submit
from ..runs.output import export, get_output
from ..runs.repair import repair
from ..runs.service import cancel, cancel_all, delete, get, list_runs
from .app import Call, api
from .oidc import caller

__all__ = ["ROUTES"]


async def _run_now(call: Call) -> dict[str, Any]:
    return run_now(call.ws, call.params)


async def _submit(call: Call) -> dict[str, Any]:
    return submit(call.ws, call.params, version=call.version, creator=caller(call.ws, call.request))


async def _get(call: Call) -> dict[str, Any]:
    return get(call.ws, call.params, call.version)


async def _list(call: Call) -> dict[str, Any]:
    return list_runs(call.ws, call.params, call.version)


async def _cancel(call: Call) -> dict[str, Any]:
    cancel(call.ws, call.params.int("run_id", required=True) or 0)
    return {}


async def _cancel_all(call: Call) -> dict[str, Any]:
    cancel_all(call.ws, call.params)
    return {}


async def _delete(call: Call) -> dict[str, Any]:
    delete(call.ws, call.params.int("run_id", required=True) or 0)
    return {}


async def _get_output(call: Call) -> dict[str, Any]:
    return get_output(call.ws, call.params.int("run_id", required=True) or 0, call.version)


async def _export(call: Call) -> dict[str, Any]:
    return export(call.ws, call.params.int("run_id", required=True) or 0, call.params.str("views_to_export"))


async def _repair(call: Call) -> dict[str, Any]:
    return repair(call.ws, call.params)


_TABLE = [
    ("POST", "jobs/run-now", _run_now),
    ("POST", "jobs/runs/submit", _submit),
    ("GET", "jobs/runs/get", _get),
    ("GET", "jobs/runs/list", _list),
    ("POST", "jobs/runs/cancel", _cancel),
    ("POST", "jobs/runs/cancel-all", _cancel_all),
    ("POST", "jobs/runs/delete", _delete),
    ("GET", "jobs/runs/get-output", _get_output),
    ("GET", "jobs/runs/export", _export),
    ("POST", "jobs/runs/repair", _repair),
]

ROUTES: list[BaseRoute] = [route for method, path, handler in _TABLE for route in api(method, path, handler)]
"""Every runs endpoint, under /api/2.0, /api/2.1 and /api/2.2."""
