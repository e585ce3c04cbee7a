"""`runs/repair`: re-run chosen tasks of a finished run as new attempts in the same run.

Repairs use the job's current task settings (jobs-api-2.2.md §5.15), are sequential through
`latest_repair_id`, and are recorded in `repair_history` (ORIGINAL, then one REPAIR per repair).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidParameterValue, InvalidState
from ..state import Workspace
from .bookkeeping import run_local
from .dag import downstream_of
from .documents import entries, latest_entries, new_task_entry, original_entry, set_state, task_spec
from .lifecycle import LifeCycle, Result, can_move
from .references import job_parameters, overriding_parameters
from .service import locate, save

__all__ = ["RepairRequest", "repair"]

_SUCCEEDED = {Result.SUCCESS.value, Result.SUCCESS_WITH_FAILURES.value, Result.EXCLUDED.value,
              Result.DISABLED.value}


@dataclass(frozen=True)
class RepairRequest:
    """What a runs/repair asks for, its fields already type-checked (`legacy`: notebook_params, …)."""

    run_id: int
    latest_repair_id: int | None = None
    rerun_tasks: list[str] | None = None
    rerun_all_failed_tasks: bool = False
    rerun_dependent_tasks: bool = False
    job_parameters: dict[str, Any] | None = None
    legacy: dict[str, Any] = field(default_factory=dict)


def repair(ws: Workspace, request: RepairRequest) -> dict[str, Any]:
    """Start a repair of `run_id`; answers `{repair_id}`."""
    run_id = request.run_id
    run, entry = locate(ws, run_id)
    if entry is not None:
        raise InvalidParameterValue(f"Run {run_id} is a task run; repair its job run {run['run_id']}.")
    life = LifeCycle(run["state"]["life_cycle_state"])
    if not life.is_terminal or not can_move(life, LifeCycle.RUNNING):
        raise InvalidState(f"Run {run_id} cannot be repaired while it is in progress or was skipped.")
    _check_latest_repair(run, request.latest_repair_id)
    keys = _chosen_tasks(run, request)
    _apply_parameters(ws, run, request)
    now = ws.now_ms()
    history = run.setdefault("repair_history", [])
    if not history:
        history.append(original_entry(run))
    new = _new_attempts(ws, run, keys)
    repair_id = ws.store.new_id()
    _restart(run, now)
    history.append({
        "type": "REPAIR", "id": repair_id, "start_time": now, "end_time": 0, "state": run["state"],
        "status": run["status"], "task_run_ids": [t["run_id"] for t in new],
    })
    run_local(run)["latest_repair_id"] = repair_id
    save(ws, run)
    return {"repair_id": repair_id}


def _check_latest_repair(run: dict[str, Any], given: int | None) -> None:
    latest = run_local(run).get("latest_repair_id")
    if latest is not None and given is None:
        raise InvalidParameterValue(
            "The latest repair ID needs to be provided in order to create a new repair"
        )
    if given is not None and given != latest:
        raise InvalidParameterValue(
            f"Invalid latest_repair_id {given}: the latest repair of run {run['run_id']} is {latest}."
        )


def _chosen_tasks(run: dict[str, Any], request: RepairRequest) -> set[str]:
    rerun, all_failed = request.rerun_tasks, request.rerun_all_failed_tasks
    if rerun and all_failed:
        raise InvalidParameterValue("Only one of rerun_tasks or rerun_all_failed_tasks can be used.")
    if not rerun and not all_failed:
        raise InvalidParameterValue("One of rerun_tasks or rerun_all_failed_tasks must be provided.")
    latest = latest_entries(run)
    unknown = [key for key in rerun or [] if key not in latest]
    if unknown:
        raise InvalidParameterValue(f"Task {unknown[0]} does not exist in run {run['run_id']}.")
    failed = {k for k, e in latest.items() if e["state"].get("result_state") not in _SUCCEEDED}
    keys = set(rerun or []) or failed
    if not keys:
        raise InvalidParameterValue(f"Run {run['run_id']} has no failed tasks to repair.")
    return downstream_of(latest.values(), keys) if request.rerun_dependent_tasks else keys


def _apply_parameters(ws: Workspace, run: dict[str, Any], request: RepairRequest) -> None:
    overrides = request.job_parameters
    if overrides is not None:
        job = ws.store.get_job(run["job_id"]) if run.get("run_type") == "JOB_RUN" else None
        definitions = (job or {}).get("settings", {}).get("parameters")
        current = {p["name"]: p["value"] for p in run.get("job_parameters", [])}
        run["job_parameters"] = job_parameters(definitions, {**current, **overrides})
    legacy = overriding_parameters(request.legacy)
    if legacy:
        run["overriding_parameters"] = {**run.get("overriding_parameters", {}), **legacy}


def _new_attempts(ws: Workspace, run: dict[str, Any], keys: set[str]) -> list[dict[str, Any]]:
    job = ws.store.get_job(run["job_id"]) if run.get("run_type") == "JOB_RUN" else None
    current = {t["task_key"]: t for t in (job or {}).get("settings", {}).get("tasks") or []}
    latest = latest_entries(run)
    attempts = {key: max(e["attempt_number"] for e in entries(run) if e["task_key"] == key) for key in keys}
    new = []
    for key in [k for k in latest if k in keys]:
        spec = current.get(key) or task_spec(latest[key])
        blocked = any(d["task_key"] in latest for d in spec.get("depends_on") or [])
        new.append(new_task_entry(ws, run, spec, attempts[key] + 1,
                                  LifeCycle.BLOCKED if blocked else LifeCycle.PENDING))
    entries(run).extend(new)
    return new


def _restart(run: dict[str, Any], now: int) -> None:
    set_state(run, LifeCycle.RUNNING)
    run["end_time"] = 0
    run_local(run).update({"cancel": False, "timed_out": False, "admitted_at": now})
