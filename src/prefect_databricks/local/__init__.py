"""The local workspace: the Databricks Jobs API served on one machine, really running the tasks.

It imports nothing from the rest of the package. Inside, imports point one way (a test pins it):

    server, serve                      start it: the app, the scheduler loop, the data dir
      ├─ api/      the ONE route table (routes.py), auth and parsing (app.py, params.py), handlers that
      │    │       read requests into typed arguments, OAuth, control routes, request counter, faults
      │    └─ ui/  run pages: handlers, views, graph, html
      └─ engine/   the scheduler loop: steps each active run (steps.py), drives task kinds (drivers.py,
           │       for_each.py, child_runs.py), launches processes (launch.py), fires schedules (timetable.py)
           ▼
    runs/     run documents (documents.py), lifecycle table, create, get/list/cancel, repair, output,
              admission (max_concurrent_runs, queue), DAG rules, parameters and references
    jobs/     saved jobs: service, rules, settings, shapes, generated schema, permissions, Quartz cron
    files/    the Workspace API: service, objects, notebook formats
    executor/ one task as a local process, and its child runner (the contract: executor/model.py)
    state.py, store/, errors.py, paging.py   shared state, SQLite (the only SQL), typed errors, page tokens

Services never call the engine: they write the store and ring the doorbell (`Workspace.wake`), and the
engine's next tick picks the change up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .server import LocalWorkspace

__all__ = ["LocalWorkspace"]


def __getattr__(name: str) -> Any:
    if name == "LocalWorkspace":
        from .server import LocalWorkspace

        return LocalWorkspace
    raise AttributeError(name)
