"""One task run as one local process group: started non-blocking, polled, killed as a whole.

The child is the task environment's interpreter (else ``sys.executable``) running the child runner in
its own session (so its process group holds everything it starts), with stdout and stderr going to
one log file in the workdir: files, not pipes, so a chatty task can never block on a full pipe.
``start_child`` forks it from the warm launcher (forkserver.py) when it can (the spec then travels with
the request, and the fork creates the workdir and log), else spawns a fresh interpreter reading a spec
file; either way it behaves the same.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from .dbt import dbt_output
from .forkserver import WARM
from .kinds import Launch
from .model import TaskContext, TaskOutcome
from .outcome import LOG_FILE, RESULT_FILE, SPEC_FILE, read_outcome

__all__ = ["CHILD_DIR", "FinishedTask", "LocalTaskProcess", "scrubbed", "start_child"]

CHILD_DIR = Path(__file__).with_name("child")
_RUNNER = CHILD_DIR / "_task_runner.py"
_SCRUBBED_PREFIXES = ("DATABRICKS_", "PREFECT_DATABRICKS_")
_LOST = "The task's launcher (the workspace's fork server) stopped: the task's exit status is unknown"


class Child(Protocol):
    """A started task process: its pid (also its group id), exit check without reaping, reaping."""

    @property
    def pid(self) -> int | None:
        """The process id, also its process group id (None: never known, the launcher died first)."""

    @property
    def known_pid(self) -> int | None:
        """The pid if known yet, without waiting for the launcher's answer."""

    @property
    def returncode(self) -> int | None:
        """Its return code once known (negative: the signal that ended it)."""

    @property
    def launch_error(self) -> str | None:
        """Why it ended before running the task (its workdir or log could not be created), else None."""

    @property
    def result(self) -> str | None:
        """The runner's result record if it came with the exit (else it is in the result file)."""

    def exited(self) -> bool:
        """Whether it has exited; its pid stays reserved (not reaped) until ``release``/``wait``."""

    def release(self) -> None:
        """Reap the exited process."""

    def wait(self, timeout: float) -> None:
        """Wait up to ``timeout`` seconds for the exit, and reap it."""


class LocalTaskProcess:
    """A running task: ``poll`` never blocks, ``kill`` ends the whole process group at once."""

    def __init__(self, launch: Launch, ctx: TaskContext, *, output_limit: int) -> None:
        self.workdir = ctx.workdir
        self._notebook = launch.notebook
        self._sql_output = launch.sql_output
        self._dbt = launch.spec.get("kind") == "dbt"
        self._limit = output_limit
        self._killed = False
        self._outcome: TaskOutcome | None = None
        self._process = _spawn(launch, ctx)

    @property
    def pid(self) -> int | None:
        """The child's pid, also its process group id, if known yet (a forked one's arrives a little after
        the launch; never waited for here)."""
        return self._process.known_pid

    def started_pid(self) -> int | None:
        """The pid, waiting (briefly) for the launcher's answer if it has not come yet."""
        return self._process.pid

    def poll(self) -> TaskOutcome | None:
        """The outcome once the process has exited (its stragglers are then killed), else ``None``."""
        if self._outcome is not None or not (self._killed or self._process.exited()):
            return self._outcome
        launch_error, record = self._process.launch_error, self._process.result
        if not self._killed:
            _kill_group(self._process.pid)
            self._process.release()
        self._outcome = read_outcome(
            self.workdir,
            self._process.returncode,
            notebook=self._notebook,
            limit=self._limit,
            killed=self._killed,
            record_text=record,
        )
        self._outcome.sql_output = self._sql_output
        self._outcome.dbt_output = dbt_output(self.workdir) if self._dbt else None
        if self._process.returncode is None and not self._killed:
            self._outcome.success, self._outcome.error = False, _LOST
        elif launch_error and not self._killed:
            self._outcome.success, self._outcome.error = False, launch_error
        return self._outcome

    def kill(self) -> None:
        """SIGKILL the group and reap the child; a run whose outcome was already polled keeps it."""
        if self._outcome is not None:
            return
        self._killed = True
        _kill_group(self._process.pid)
        self._process.wait(timeout=1)


class FinishedTask:
    """A task run that ended before a process could start (e.g. its notebook does not exist)."""

    def __init__(self, outcome: TaskOutcome) -> None:
        self._outcome = outcome

    def poll(self) -> TaskOutcome | None:
        return self._outcome

    def kill(self) -> None:
        """Nothing runs, and the outcome is already a failure."""


def _spawn(launch: Launch, ctx: TaskContext) -> Child:
    spec = {**launch.spec, "result_path": str(ctx.workdir / RESULT_FILE)}
    return start_child(launch.python or sys.executable, spec, ctx.workdir, _environment(launch, ctx))


def start_child(python: str, spec: dict[str, Any], workdir: Path, env: dict[str, str]) -> Child:
    """The one launch path: forked warm when the fork server can start `python` exactly so, else cold
    (then this process writes the spec file and opens the log)."""
    warm = WARM.spawn([python, str(_RUNNER)], workdir, env, workdir / LOG_FILE, spec=spec)
    if warm is not None:
        return warm
    workdir.mkdir(parents=True, exist_ok=True)
    Path(spec["result_path"]).unlink(missing_ok=True)
    spec_path = workdir / SPEC_FILE
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    with (workdir / LOG_FILE).open("wb") as log:
        return _ColdChild(subprocess.Popen(
            [python, str(_RUNNER), str(spec_path)], cwd=workdir, env=env, stdin=subprocess.DEVNULL,
            stdout=log.fileno(), stderr=subprocess.STDOUT, start_new_session=True,
        ))


class _ColdChild:
    """A freshly spawned interpreter, this process's own child."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process
        self.pid = self.known_pid = process.pid
        self.launch_error: str | None = None
        self.result: str | None = None

    @property
    def returncode(self) -> int | None:
        return self._process.returncode

    def exited(self) -> bool:
        return _exited(self.pid)

    def release(self) -> None:
        self._process.wait()

    def wait(self, timeout: float) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=timeout)


def _environment(launch: Launch, ctx: TaskContext) -> dict[str, str]:
    """The server's environment scrubbed, + ctx.env, with the dbutils shim first on PYTHONPATH.

    Scrubbed: every `DATABRICKS_*` and `PREFECT_DATABRICKS_*` variable (the server's own credentials;
    ctx.env sets the ones a task sees on Databricks) and any variable holding one of `ctx.secrets`.
    """
    env = {**scrubbed(os.environ, ctx.secrets), **ctx.env}
    inherited = [env["PYTHONPATH"]] if env.get("PYTHONPATH") else []
    env["PYTHONPATH"] = os.pathsep.join([str(CHILD_DIR), *inherited])
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


def scrubbed(environ: Mapping[str, str], secrets: Sequence[str]) -> dict[str, str]:
    """`environ` without the server's Databricks variables and without any variable holding a secret."""
    return {
        name: value for name, value in environ.items()
        if not name.startswith(_SCRUBBED_PREFIXES) and not any(s and s in value for s in secrets)
    }


def _exited(pid: int) -> bool:
    """Whether the child has exited, without reaping it: its pid (the group id) stays reserved until then."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _kill_group(pgid: int | None) -> None:
    """SIGKILL every process of the group: the task and whatever it started and left behind."""
    if not pgid or pgid < 0:  # never 0: killpg(0) would be this server's own group
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
