"""Prefect tasks for every Databricks Jobs API 2.2 endpoint, named as in prefect-databricks 0.4.

Each `jobs_x` works in a sync flow (returns the response dict), in an async flow (`await jobs_x(...)`,
as with 0.4), and through `.fn`; `ajobs_x` is its async variant. Inputs accept models from
`prefect_databricks.models` or plain dicts; only the fields given are sent. Beyond the endpoints,
`jobs_create_or_update` (and `_from_file`) ensure a job by name: created, reset only when its
settings differ, or left alone (`prefect_databricks.jobs_as_code`).

The tasks are built on first access (like `prefect.task` itself), so importing this module stays
cheap; `jobs_x` is always `sync_twin(ajobs_x)`, the one-liner that derives the sync task.
"""

from __future__ import annotations

import threading
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._tasks.build import sync_twin
    from ._tasks.ensure_tasks import ajobs_create_or_update, ajobs_create_or_update_from_file
    from ._tasks.job_tasks import (
        ajobs_create,
        ajobs_delete,
        ajobs_get,
        ajobs_list,
        ajobs_list_all,
        ajobs_permissions_get,
        ajobs_permissions_levels,
        ajobs_permissions_set,
        ajobs_permissions_update,
        ajobs_reset,
        ajobs_update,
    )
    from ._tasks.run_tasks import (
        ajobs_run_now,
        ajobs_runs_cancel,
        ajobs_runs_cancel_all,
        ajobs_runs_delete,
        ajobs_runs_export,
        ajobs_runs_get,
        ajobs_runs_get_output,
        ajobs_runs_list,
        ajobs_runs_list_all,
        ajobs_runs_repair,
        ajobs_runs_submit,
    )

    jobs_create = sync_twin(ajobs_create)
    jobs_create_or_update = sync_twin(ajobs_create_or_update)
    jobs_create_or_update_from_file = sync_twin(ajobs_create_or_update_from_file)
    jobs_delete = sync_twin(ajobs_delete)
    jobs_get = sync_twin(ajobs_get)
    jobs_list = sync_twin(ajobs_list)
    jobs_list_all = sync_twin(ajobs_list_all)
    jobs_permissions_get = sync_twin(ajobs_permissions_get)
    jobs_permissions_levels = sync_twin(ajobs_permissions_levels)
    jobs_permissions_set = sync_twin(ajobs_permissions_set)
    jobs_permissions_update = sync_twin(ajobs_permissions_update)
    jobs_reset = sync_twin(ajobs_reset)
    jobs_run_now = sync_twin(ajobs_run_now)
    jobs_runs_cancel = sync_twin(ajobs_runs_cancel)
    jobs_runs_cancel_all = sync_twin(ajobs_runs_cancel_all)
    jobs_runs_delete = sync_twin(ajobs_runs_delete)
    jobs_runs_export = sync_twin(ajobs_runs_export)
    jobs_runs_get = sync_twin(ajobs_runs_get)
    jobs_runs_get_output = sync_twin(ajobs_runs_get_output)
    jobs_runs_list = sync_twin(ajobs_runs_list)
    jobs_runs_list_all = sync_twin(ajobs_runs_list_all)
    jobs_runs_repair = sync_twin(ajobs_runs_repair)
    jobs_runs_submit = sync_twin(ajobs_runs_submit)
    jobs_update = sync_twin(ajobs_update)

__all__ = [
    "ajobs_create",
    "ajobs_create_or_update",
    "ajobs_create_or_update_from_file",
    "ajobs_delete",
    "ajobs_get",
    "ajobs_list",
    "ajobs_list_all",
    "ajobs_permissions_get",
    "ajobs_permissions_levels",
    "ajobs_permissions_set",
    "ajobs_permissions_update",
    "ajobs_reset",
    "ajobs_run_now",
    "ajobs_runs_cancel",
    "ajobs_runs_cancel_all",
    "ajobs_runs_delete",
    "ajobs_runs_export",
    "ajobs_runs_get",
    "ajobs_runs_get_output",
    "ajobs_runs_list",
    "ajobs_runs_list_all",
    "ajobs_runs_repair",
    "ajobs_runs_submit",
    "ajobs_update",
    "jobs_create",
    "jobs_create_or_update",
    "jobs_create_or_update_from_file",
    "jobs_delete",
    "jobs_get",
    "jobs_list",
    "jobs_list_all",
    "jobs_permissions_get",
    "jobs_permissions_levels",
    "jobs_permissions_set",
    "jobs_permissions_update",
    "jobs_reset",
    "jobs_run_now",
    "jobs_runs_cancel",
    "jobs_runs_cancel_all",
    "jobs_runs_delete",
    "jobs_runs_export",
    "jobs_runs_get",
    "jobs_runs_get_output",
    "jobs_runs_list",
    "jobs_runs_list_all",
    "jobs_runs_repair",
    "jobs_runs_submit",
    "jobs_update",
]

_HOMES = {
    "jobs_create": "._tasks.job_tasks",
    "jobs_create_or_update": "._tasks.ensure_tasks",
    "jobs_create_or_update_from_file": "._tasks.ensure_tasks",
    "jobs_delete": "._tasks.job_tasks",
    "jobs_get": "._tasks.job_tasks",
    "jobs_list": "._tasks.job_tasks",
    "jobs_list_all": "._tasks.job_tasks",
    "jobs_permissions_get": "._tasks.job_tasks",
    "jobs_permissions_levels": "._tasks.job_tasks",
    "jobs_permissions_set": "._tasks.job_tasks",
    "jobs_permissions_update": "._tasks.job_tasks",
    "jobs_reset": "._tasks.job_tasks",
    "jobs_update": "._tasks.job_tasks",
    "jobs_run_now": "._tasks.run_tasks",
    "jobs_runs_cancel": "._tasks.run_tasks",
    "jobs_runs_cancel_all": "._tasks.run_tasks",
    "jobs_runs_delete": "._tasks.run_tasks",
    "jobs_runs_export": "._tasks.run_tasks",
    "jobs_runs_get": "._tasks.run_tasks",
    "jobs_runs_get_output": "._tasks.run_tasks",
    "jobs_runs_list": "._tasks.run_tasks",
    "jobs_runs_list_all": "._tasks.run_tasks",
    "jobs_runs_repair": "._tasks.run_tasks",
    "jobs_runs_submit": "._tasks.run_tasks",
}


_LOCK = threading.RLock()


def _build(name: str) -> Any:
    """The task called `name`: an `a`-variant from its module, or the sync twin derived from it."""
    from ._tasks.build import sync_twin  # deferred: it loads prefect.tasks (about 90 ms)

    base = name.removeprefix("a") if name.startswith("ajobs_") else name
    atask = getattr(import_module(_HOMES[base], __package__), f"a{base}")
    return atask if name.startswith("a") else sync_twin(atask)


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _LOCK:  # built once, even when threads ask at the same time
        if name not in globals():
            globals()[name] = _build(name)
    return globals()[name]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
