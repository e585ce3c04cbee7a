"""Prefect events for Databricks run state changes: names, resources, payload, and one emit per change.

Names come from the run lifecycle of the Jobs API 2.2 (`RunLifeCycleState`, `RunLifecycleStateV2State`)
and, once a run is terminal, from how it ended (`outcome.classify`): `databricks.run.pending`, `.queued`,
`.blocked`, `.started` (RUNNING), `.waiting-for-retry`, `.terminating`, then one of `.succeeded`,
`.failed`, `.canceled`, `.timed-out`, `.skipped`. A state the API adds later is emitted as
`databricks.run.<state in lower case, dashed>` rather than dropped.

Run ids are unique within one workspace only, so the workspace's host is part of every resource id:
`databricks.run.<host>.<run_id>` (e.g. `databricks.run.dbc-1.cloud.databricks.com.42`), so a trigger on
`databricks.run.*` sees every workspace and one on `databricks.run.<host>.*` one workspace. An event's id
is derived from the workspace, the run, its latest repair and the event name, so the watcher of a flow
and the `events` command reporting the same change send one event id, which Prefect stores once.
Payloads hold the run's state and times, never credentials.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from prefect_databricks.models import RunLifeCycleState, RunLifecycleStateV2State
from prefect_databricks.waiting.outcome import Outcome, classify, life_cycle

if TYPE_CHECKING:
    from prefect.events import Event

__all__ = [
    "ACTIVE_EVENTS",
    "EVENT_PREFIX",
    "TERMINAL_EVENTS",
    "RunEvents",
    "event_id",
    "event_name",
    "job_resource_id",
    "run_event",
    "run_resource_id",
    "workspace_name",
]

EVENT_PREFIX = "databricks.run."
ACTIVE_EVENTS: Mapping[str, str] = {
    RunLifeCycleState.PENDING: "pending",
    RunLifeCycleState.QUEUED: "queued",
    RunLifeCycleState.BLOCKED: "blocked",
    RunLifeCycleState.RUNNING: "started",
    RunLifeCycleState.WAITING_FOR_RETRY: "waiting-for-retry",
    RunLifecycleStateV2State.WAITING: "waiting-for-retry",
    RunLifeCycleState.TERMINATING: "terminating",
}
TERMINAL_EVENTS: Mapping[Outcome, str] = {
    Outcome.SUCCESS: "succeeded",
    Outcome.SUCCESS_WITH_FAILURES: "succeeded",
    Outcome.EXCLUDED: "succeeded",
    Outcome.FAILED: "failed",
    Outcome.UPSTREAM: "failed",
    Outcome.CANCELED: "canceled",
    Outcome.TIMED_OUT: "timed-out",
    Outcome.SKIPPED: "skipped",
}
_NAMESPACE = uuid.UUID("5d0c3f7e-3b1a-4c55-9a0e-6f1d2b7c8e41")
_REMEMBERED = 10_000
_log = logging.getLogger(__name__)


def event_name(run: Mapping[str, Any]) -> str | None:
    """The event for the run's current state, e.g. `databricks.run.started`; None with no state at all."""
    outcome = classify(run)
    if outcome is not None:
        return EVENT_PREFIX + TERMINAL_EVENTS[outcome]
    state = life_cycle(run)
    if not state:
        return None
    return EVENT_PREFIX + ACTIVE_EVENTS.get(state, str(state).lower().replace("_", "-"))


def workspace_name(host: str) -> str:
    """The host (and port) of a workspace URL, lower case: what resource ids name it by."""
    return (urlsplit(host).netloc or host).lower()


def run_resource_id(host: str, run_id: int) -> str:
    """`databricks.run.<host>.<run_id>`."""
    return f"{EVENT_PREFIX}{workspace_name(host)}.{run_id}"


def job_resource_id(host: str, job_id: int) -> str:
    """`databricks.job.<host>.<job_id>`."""
    return f"databricks.job.{workspace_name(host)}.{job_id}"


def _repair(run: Mapping[str, Any]) -> int:
    """The id of the run's latest repair, 0 if never repaired: a repaired run starts over."""
    history = run.get("repair_history") or ()
    repairs = [item.get("id") or 0 for item in history if item.get("type") == "REPAIR"]
    return int(max(repairs, default=0))


def event_id(host: str, run: Mapping[str, Any], name: str) -> uuid.UUID:
    """The same id wherever this change of this run is seen, so Prefect keeps one event."""
    return uuid.uuid5(_NAMESPACE, f"{workspace_name(host)}/{run.get('run_id')}/{_repair(run)}/{name}")


def _payload(host: str, run: Mapping[str, Any]) -> dict[str, Any]:
    state = run.get("state") or {}
    return {
        "workspace": host,
        "run_id": run.get("run_id"),
        "job_id": run.get("job_id"),
        "run_name": run.get("run_name"),
        "life_cycle_state": life_cycle(run),
        "result_state": state.get("result_state"),
        "termination_code": ((run.get("status") or {}).get("termination_details") or {}).get("code"),
        "state_message": state.get("state_message") or "",
        "run_page_url": run.get("run_page_url"),
        "start_time": run.get("start_time"),
        "end_time": run.get("end_time") or None,
        "repair_id": _repair(run) or None,
    }


def run_event(host: str, run: Mapping[str, Any]) -> dict[str, Any] | None:
    """The keyword arguments of `emit_event` for the run's current state (None when it has none)."""
    name = event_name(run)
    if name is None:
        return None
    run_id = int(run["run_id"])
    resource = {
        "prefect.resource.id": run_resource_id(host, run_id),
        "prefect.resource.name": str(run.get("run_name") or f"run {run_id}"),
        "databricks.workspace": host,
    }
    related = []
    if run.get("job_id"):
        related.append({
            "prefect.resource.id": job_resource_id(host, int(run["job_id"])),
            "prefect.resource.role": "job",
            "databricks.workspace": host,
        })
    return {
        "event": name, "resource": resource, "related": related, "payload": _payload(host, run),
        "id": event_id(host, run, name),
    }


def _prefect_listens() -> bool:
    from prefect.context import FlowRunContext, TaskRunContext
    from prefect.settings import PREFECT_API_URL

    in_a_run = FlowRunContext.get() is not None or TaskRunContext.get() is not None
    return in_a_run or bool(PREFECT_API_URL.value())


class RunEvents:
    """Emits one Prefect event per (run, state) a process sees in one workspace; keeps the last 10,000 ids."""

    def __init__(self, host: str) -> None:
        self.host = host
        self._sent: OrderedDict[uuid.UUID, None] = OrderedDict()
        self._lock = threading.Lock()
        self._failed_once = False

    def observe(self, run: Mapping[str, Any]) -> Event | None:
        """Emit the event of `run`'s state unless it was emitted already; never raises into a wait.

        Outside a flow or task run and with no `PREFECT_API_URL` nothing is sent: Prefect would start a
        temporary server only to receive it.
        """
        fields = run_event(self.host, run)
        if fields is None or not _prefect_listens():
            return None
        with self._lock:  # waiters on several threads may report the same change
            if fields["id"] in self._sent:
                return None
            self._sent[fields["id"]] = None
            if len(self._sent) > _REMEMBERED:
                self._sent.popitem(last=False)
        try:
            from prefect.events import emit_event

            return emit_event(**fields)
        except Exception as exc:  # an event that cannot be sent must not end the wait it reports on
            if not self._failed_once:
                _log.warning("Could not emit Databricks run events to Prefect: %s", exc)
                self._failed_once = True
            return None
