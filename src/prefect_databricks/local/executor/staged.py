"""A task run whose environment is still being built: a thread builds it, then starts the task's process.

The scheduler polls it like any task process (``None`` while building), so a build never blocks the
server; a failed build ends the run with the installer's error as its state_message.
"""

from __future__ import annotations

import threading
from pathlib import Path

from .environments import EnvironmentSpec
from .kinds import Launch
from .model import TaskContext, TaskOutcome
from .process import LocalTaskProcess, scrubbed
from .venvs import InstallFailed, build

__all__ = ["StagedTask"]

_KILLED = "The task run was cancelled while its environment was being installed."


class StagedTask:
    """Builds the environment of `spec` in a thread, then runs `launch` with its interpreter."""

    def __init__(
        self, launch: Launch, ctx: TaskContext, spec: EnvironmentSpec, cache: Path, *, output_limit: int,
        environ: dict[str, str],
    ) -> None:
        self._launch, self._ctx, self._limit = launch, ctx, output_limit
        self._guard = threading.Lock()
        self._process: LocalTaskProcess | None = None
        self._outcome: TaskOutcome | None = None
        self._killed = False
        self._thread = threading.Thread(
            target=self._build, args=(spec, cache, scrubbed(environ, ctx.secrets)), daemon=True,
            name=f"environment-{ctx.task_key}",
        )
        self._thread.start()

    @property
    def pid(self) -> int | None:
        """The task process's pid once it has started, else ``None``."""
        return self._process.pid if self._process is not None else None

    def poll(self) -> TaskOutcome | None:
        """The outcome once the build failed or the task process ended; ``None`` meanwhile."""
        with self._guard:
            if self._process is not None:
                return self._process.poll()
            return self._outcome

    def kill(self) -> None:
        """Kill the task process, or make sure it never starts (a build in progress still finishes)."""
        with self._guard:
            if self._process is not None:
                self._process.kill()
            elif self._outcome is None:
                self._killed = True
                self._outcome = TaskOutcome(success=False, error=_KILLED)

    def _build(self, spec: EnvironmentSpec, cache: Path, environ: dict[str, str]) -> None:
        try:
            python = build(spec, cache, environ)
        except InstallFailed as exc:
            self._fail(str(exc))
            return
        except Exception as exc:  # the run must end, whatever went wrong installing
            self._fail(f"Library installation failed: {exc}")
            return
        with self._guard:
            if self._killed:
                return
            self._launch.python = str(python)
            try:
                self._process = LocalTaskProcess(self._launch, self._ctx, output_limit=self._limit)
            except OSError as exc:
                message = f"The task could not be started: {exc}"
                self._outcome = TaskOutcome(success=False, error=message, message=message)

    def _fail(self, message: str) -> None:
        with self._guard:
            if self._outcome is None:
                self._outcome = TaskOutcome(success=False, error=message, message=message)
