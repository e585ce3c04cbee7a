"""How a started task run is driven, by kind: a local process, a child job run, or for-each iterations.

Each driver starts the work, polls it without blocking (None while it goes on, else the result and
state message) and halts it on cancel or timeout. The step context carries what they share.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ..executor import WARM, TaskOutcome, TaskProcess
from ..runs.bookkeeping import run_local, task_local
from ..runs.dag import condition_holds
from ..runs.lifecycle import Result
from ..runs.references import resolve
from ..state import Workspace
from .child_runs import cancel_child, child_outcome, start_child
from .launch import launch, output_doc, resolved_names

__all__ = ["FAILED_MESSAGE", "Context", "Driver", "Processes", "nested_driver_for", "record_outcome"]

FAILED_MESSAGE = "Workload failed, see run output for details"


@dataclass
class Processes:
    """The task processes running now (by task run id), and killed ones whose logs are still due."""

    limit: int
    running: dict[int, TaskProcess] = field(default_factory=dict)
    draining: dict[int, TaskProcess] = field(default_factory=dict)

    @property
    def free(self) -> int:
        """How many more processes may start now."""
        return max(0, self.limit - len(self.running))

    def collect_drained(self, ws: Workspace) -> None:
        """Store the output of killed processes once they have exited."""
        for run_id, process in list(self.draining.items()):
            outcome = process.poll()
            if outcome is not None:
                ws.store.put_output(run_id, output_doc(outcome))
                del self.draining[run_id]

    def wait_for_exit(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for word that a forked task process exited; False if none came
        (processes spawned cold are noticed by polling only)."""
        return WARM.wait_for_exit(timeout)

    def kill(self, run_id: int) -> None:
        """Kill a running task process; its output is collected later."""
        process = self.running.pop(run_id, None)
        if process is not None:
            process.kill()
            self.draining[run_id] = process


@dataclass
class Context:
    """One scheduler step of one job run."""

    ws: Workspace
    run: dict[str, Any]
    procs: Processes
    now: int
    changed: bool = False
    latest: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def slot_free(self) -> bool:
        """Whether a task run of this run may start a process now. A run started by a running task
        (`dbutils.notebook.run`) uses the slot of that task, which waits on it [I]: with one slot left,
        waiting for another would deadlock, and on Databricks the child runs on the same cluster."""
        return bool(self.procs.free) or bool(run_local(self.run).get("started_by_task_run"))


class Driver(Protocol):
    """Starts, polls and halts one kind of task run."""

    needs_process: bool

    def start(self, ctx: Context, entry: dict[str, Any]) -> None:
        """Start the work; raising fails the task run with the exception's message."""

    def poll(self, ctx: Context, entry: dict[str, Any]) -> tuple[Result, str] | None:
        """None while the work goes on, else how the task run ended."""

    def halt(self, ctx: Context, entry: dict[str, Any]) -> None:
        """Stop the work now (cancel, timeout)."""


def record_outcome(ctx: Context, entry: dict[str, Any], outcome: TaskOutcome) -> tuple[Result, str]:
    """Store a finished process's output and task values; its result and message."""
    ctx.ws.store.put_output(entry["run_id"], output_doc(outcome))
    if outcome.task_values:
        values = run_local(ctx.run).setdefault("task_values", {})
        values.setdefault(entry["task_key"], {}).update(outcome.task_values)
    if outcome.success:
        return Result.SUCCESS, outcome.message or ""  # a warning, such as the Delta stand-in's
    return Result.FAILED, outcome.message or FAILED_MESSAGE


class _ProcessDriver:
    """Notebooks, Python files and wheels: one executor process per task run."""

    needs_process = True

    def start(self, ctx: Context, entry: dict[str, Any]) -> None:
        ctx.procs.running[entry["run_id"]] = launch(ctx.ws, ctx.run, entry)

    def poll(self, ctx: Context, entry: dict[str, Any]) -> tuple[Result, str] | None:
        process = ctx.procs.running.get(entry["run_id"])
        if process is None:
            return Result.FAILED, "The task process was lost."
        outcome = process.poll()
        if outcome is None:
            _note_pgid(ctx, entry, process)
            return None
        del ctx.procs.running[entry["run_id"]]
        return record_outcome(ctx, entry, outcome)

    def halt(self, ctx: Context, entry: dict[str, Any]) -> None:
        ctx.procs.kill(entry["run_id"])


def _note_pgid(ctx: Context, entry: dict[str, Any], process: TaskProcess) -> None:
    """Record a process group that started after `launch` (once a task environment was built)."""
    pid = getattr(process, "pid", None)
    if pid is not None and task_local(entry).get("pgid") != pid:
        task_local(entry)["pgid"] = pid
        ctx.changed = True


class _ChildRunDriver:
    """`run_job_task`: a run of another job, followed until it ends."""

    needs_process = False

    def start(self, ctx: Context, entry: dict[str, Any]) -> None:
        start_child(ctx.ws, entry, resolved_names(ctx.ws, ctx.run, entry))

    def poll(self, ctx: Context, entry: dict[str, Any]) -> tuple[Result, str] | None:
        return child_outcome(ctx.ws, entry)

    def halt(self, ctx: Context, entry: dict[str, Any]) -> None:
        cancel_child(ctx.ws, entry)


class _ConditionDriver:
    """`condition_task`: evaluated in the scheduler when it starts (strings for ==/!=, else numbers)."""

    needs_process = False

    def start(self, ctx: Context, entry: dict[str, Any]) -> None:
        spec = entry["condition_task"]
        names = resolved_names(ctx.ws, ctx.run, entry)
        left, right = resolve(spec.get("left", ""), names), resolve(spec.get("right", ""), names)
        entry["resolved_values"] = {"condition_task": {"left": left, "right": right}}
        try:
            spec["outcome"] = str(condition_holds(spec["op"], left, right)).lower()
        except (ValueError, KeyError) as exc:
            task_local(entry)["ended"] = [Result.FAILED.value, f"The condition could not be evaluated: {exc}"]
            return
        task_local(entry)["ended"] = [Result.SUCCESS.value, ""]

    def poll(self, ctx: Context, entry: dict[str, Any]) -> tuple[Result, str] | None:
        result, message = task_local(entry)["ended"]
        return Result(result), message

    def halt(self, ctx: Context, entry: dict[str, Any]) -> None:
        """Nothing runs: the condition was evaluated when it started."""


_NESTED: dict[str, Driver] = {"run_job_task": _ChildRunDriver(), "condition_task": _ConditionDriver()}
_PROCESS = _ProcessDriver()


def nested_driver_for(entry: dict[str, Any]) -> Driver:
    """The driver of any kind but for_each_task (which cannot nest): a local process by default."""
    return next((driver for kind, driver in _NESTED.items() if kind in entry), _PROCESS)

