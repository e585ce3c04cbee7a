"""The workspace's side of the warm launcher (`child/_forkserver.py`): one per process, over a socket pair.

`WARM.spawn` hands a task to the fork server, which forks it from an interpreter that has already
imported the task runner (a few ms instead of a fresh interpreter's ~30 ms of CPU). It answers None
whenever the warm path cannot start this task exactly as a cold spawn would (server not up yet or
gone, a different interpreter, interpreter start-up variables that differ), and the caller then spawns
cold (also when a PYTHONPATH entry holds a `sitecustomize`, which only start-up runs); a server that
died is started again for later tasks. No socket file: the pair is inherited. The runner spec goes in
the request (a file only when it is too large for one message), and the fork creates the task's
directory and log file itself, so a launch costs the workspace's loop no file-system call.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .outcome import SPEC_FILE

__all__ = ["WARM", "ForkServer", "WarmChild"]

_SERVER = Path(__file__).with_name("child") / "_forkserver.py"
_RUNNER = _SERVER.with_name("_task_runner.py")
_REPLY_TIMEOUT = 5.0
_MAX_MESSAGE = 1 << 16
_MAX_REQUEST = 1 << 16
"""Requests up to this size go in one message; a larger spec goes in a file beside the task instead."""
_REPORTED = ("error", "result")
"""What an exit report may carry besides the return code: the launch error, the runner's small result."""
_STARTUP_PREFIXES = ("PYTHON", "LC_")
_STARTUP_NAMES = frozenset({"LANG", "HOME"})
_CUSTOMIZE = ("sitecustomize.py", "sitecustomize", "usercustomize.py", "usercustomize")


class WarmChild:
    """A task process forked by the fork server: its pid, exit status and small result come over the socket
    (never waited for but to kill it), so launching several tasks does not wait for each fork."""

    def __init__(self, server: ForkServer, request_id: int) -> None:
        self.server = server
        self.request_id = request_id
        self.returncode: int | None = None
        self._pid: int | None = None
        self._unknown = False

    @property
    def pid(self) -> int | None:
        """The task's pid (its group id), waiting for the fork server's answer; None if it died first."""
        if self._pid is None and not self._unknown:
            self._pid = self.server.pid_of(self.request_id)
            self._unknown = self._pid is None
        return self._pid

    @property
    def known_pid(self) -> int | None:
        """The task's pid if the fork server has answered already; never waits."""
        if self._pid is None and not self._unknown:
            try:
                self._pid = self.server.answered(self.request_id)
            except ConnectionError:
                self._unknown = True
        return self._pid

    @property
    def launch_error(self) -> str | None:
        """Why the fork ended before running the task (its directory or log file failed), else None."""
        return self.server.reported(self._pid, "error") if self._pid is not None else None

    @property
    def result(self) -> str | None:
        """The runner's result record when it came with the exit report (small ones), else None."""
        return self.server.reported(self._pid, "result") if self._pid is not None else None

    def exited(self) -> bool:
        """Whether the task has exited (its pid stays reserved until `release`); never waits: a task whose
        fork the server has not answered yet has not exited, unless the server died."""
        pid = self.known_pid
        if pid is None:
            return self._unknown
        if self.returncode is None:
            self.returncode = self.server.exit_status(pid)
        return self.returncode is not None or self.server.lost(pid)

    def release(self) -> None:
        """Let the fork server reap the exited task, freeing its pid."""
        if self._pid is not None:
            self.server.reap(self._pid)

    def wait(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for the exit, then release the pid."""
        deadline = time.monotonic() + timeout
        while not self.exited() and time.monotonic() < deadline:
            self.server.wait_readable(min(0.05, max(0.0, deadline - time.monotonic())))
        if self.returncode is not None:
            self.release()
        elif self._pid is not None:
            self.server.reap_on_exit(self._pid)


class ForkServer:
    """The fork server process and its socket; every method is thread-safe (workspaces share it)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._sock: socket.socket | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._ready = False
        self._env: dict[str, str] = {}
        self._ids = itertools.count(1)
        self._replies: dict[int, int] = {}
        self._exits: dict[int, int] = {}
        self._reports: dict[int, dict[str, str]] = {}
        self._live: set[int] = set()
        self._orphans: set[int] = set()
        self._unwatched: set[int] = set()
        self._owner = os.getpid()

    def spawn(
        self, argv: Sequence[str], cwd: Path, env: Mapping[str, str], log: Path | int,
        spec: dict[str, Any] | None = None,
    ) -> WarmChild | None:
        """Fork `argv` (the task runner on this interpreter) with `env` in `cwd`, or None: spawn it cold.

        `log` is the log file the fork creates (with `cwd`), or an open fd; `spec` is the runner's spec,
        sent with the request (argv then holds no spec path) and its `result_path` cleared by the fork.
        """
        shape = len(argv) == (2 if spec else 3) and list(argv[:2]) == [sys.executable, str(_RUNNER)]
        if not shape or not self._compatible(env):
            return None
        with self._lock:
            if not self._up():
                return None
            assert self._sock is not None
            request_id = next(self._ids)
            message = _request(request_id, list(argv), cwd, env, log, spec)
            if message is None:
                return None
            try:
                socket.send_fds(self._sock, [message], [log] if isinstance(log, int) else [])
            except OSError:
                self._lose()
                return None
        return WarmChild(self, request_id)

    def pid_of(self, request_id: int) -> int | None:
        """The pid the fork server gave the task of `request_id`; None if it died first (or hung)."""
        with self._lock:
            try:
                return self._reply(request_id)
            except (OSError, TimeoutError):
                self._lose()
                return None

    def answered(self, request_id: int) -> int | None:
        """The pid of `request_id` if the fork server sent it yet; ConnectionError if it died first."""
        with self._lock:
            self._drain()
            if request_id in self._replies:
                return self._replies.pop(request_id)
            if self._sock is None:
                raise ConnectionError("the fork server stopped")
            return None

    def events(self) -> socket.socket | None:
        """The socket the fork server's answers and exit reports arrive on, while it runs (to watch)."""
        return self._sock

    def drain(self) -> bool:
        """Read what the fork server has sent (for the scheduler's event loop); True if a task exited."""
        with self._lock:
            if self._sock is None:
                return False
            before = len(self._exits)
            self._drain()
            return len(self._exits) != before or self._sock is None  # an exit, or the server died

    def wait_for_exit(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for an exit report (or the server's death); True if one came."""
        deadline = time.monotonic() + timeout
        while True:
            if self.drain():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._sock is None:
                return False
            self.wait_readable(remaining)

    def warm_up(self, timeout: float = 0.0) -> bool:
        """Start the server if it is not running; wait up to `timeout` seconds for it to be ready."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if self._up():
                    return True
            if time.monotonic() >= deadline:
                return False
            self.wait_readable(0.05)

    def exit_status(self, pid: int) -> int | None:
        """The task's return code once the fork server reported its exit."""
        with self._lock:
            self._drain()
            return self._exits.get(pid)

    def lost(self, pid: int) -> bool:
        """Whether the task's exit status is lost: the fork server died, and the task is gone."""
        with self._lock:
            if pid not in self._orphans:
                return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    def reported(self, pid: int, field: str) -> str | None:
        """What came with `pid`'s exit report: its launch "error" or its runner's "result" record."""
        with self._lock:
            return self._reports.get(pid, {}).get(field)

    def reap(self, pid: int) -> None:
        """Tell the fork server to reap `pid` (exited, its stragglers killed)."""
        with self._lock:
            self._exits.pop(pid, None)
            self._reports.pop(pid, None)
            self._live.discard(pid)
            self._orphans.discard(pid)
            if self._sock is not None:
                with contextlib.suppress(OSError):
                    self._sock.send(json.dumps({"op": "reap", "pid": pid}).encode())

    def reap_on_exit(self, pid: int) -> None:
        """Reap `pid` as soon as its exit is reported (a killed task nobody waits for any more)."""
        with self._lock:
            self._drain()
            if pid in self._exits:
                self.reap(pid)
            else:
                self._unwatched.add(pid)

    def wait_readable(self, timeout: float) -> None:
        """Sleep until the fork server has something to say, or `timeout` seconds."""
        sock = self._sock
        if sock is None:
            time.sleep(timeout)
            return
        with contextlib.suppress(OSError, ValueError):
            select.select([sock], [], [], timeout)

    def pid(self) -> int | None:
        """The fork server's pid while it runs."""
        with self._lock:
            return self._process.pid if self._process is not None and self._process.poll() is None else None

    def _compatible(self, env: Mapping[str, str]) -> bool:
        """Whether `env` sets the interpreter's start-up variables as the fork server started with them."""
        paths = [entry for entry in env.get("PYTHONPATH", "").split(os.pathsep) if entry]
        if any(os.path.exists(os.path.join(entry, name)) for entry in paths for name in _CUSTOMIZE):
            return False  # site imports these at start-up only: a fork would skip them
        if not self._env:
            return True
        names = {n for n in (*env, *self._env) if n.startswith(_STARTUP_PREFIXES) or n in _STARTUP_NAMES}
        return all(env.get(n) == self._env.get(n) for n in names - {"PYTHONPATH"})

    def _up(self) -> bool:
        """Whether the server is ready; starts it (for later tasks) when it is not running."""
        if self._owner != os.getpid():
            self._leave_to_parent()
        if self._process is not None and self._process.poll() is not None:
            self._lose()
        if self._process is None:
            self._start()
            return False
        if not self._ready:
            self._drain()
        return self._ready

    def _start(self) -> None:
        try:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        except (AttributeError, OSError):  # no SEQPACKET pairs here (e.g. macOS): cold spawns only
            return
        self._env = _server_env(os.environ)
        with theirs:
            self._process = subprocess.Popen(
                [sys.executable, str(_SERVER), str(theirs.fileno())],
                pass_fds=[theirs.fileno()], env=self._env, stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, start_new_session=True,
            )
        ours.setblocking(False)
        self._sock = ours

    def _reply(self, request_id: int) -> int:
        deadline = time.monotonic() + _REPLY_TIMEOUT
        while request_id not in self._replies:
            if self._sock is None:
                raise ConnectionError("the fork server stopped")
            if time.monotonic() > deadline:
                raise TimeoutError("the fork server did not answer")
            self.wait_readable(0.05)
            self._drain()
        return self._replies.pop(request_id)

    def _drain(self) -> None:
        """Read every message waiting on the socket; EOF means the server died."""
        while self._sock is not None:
            try:
                data = self._sock.recv(_MAX_MESSAGE)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._lose()
                return
            self._handle(json.loads(data))

    def _handle(self, message: dict[str, Any]) -> None:
        if message["op"] == "ready":
            self._ready = True
        elif message["op"] == "spawned":
            self._replies[int(message["id"])] = int(message["pid"])
            self._live.add(int(message["pid"]))
        elif message["op"] == "exited":
            pid = int(message["pid"])
            self._exits[pid] = int(message["returncode"])
            if said := {field: str(message[field]) for field in _REPORTED if field in message}:
                self._reports[pid] = said
            if pid in self._unwatched:
                self._unwatched.discard(pid)
                self.reap(pid)

    def _leave_to_parent(self) -> None:
        """In a forked copy of the workspace process: the server is the parent's; start another one here."""
        if self._sock is not None:
            self._sock.close()
        self._sock, self._process, self._ready, self._owner = None, None, False, os.getpid()
        for kept in (self._replies, self._exits, self._reports, self._live, self._unwatched):
            kept.clear()

    def _lose(self) -> None:
        """Forget a dead (or closing) server: its tasks' exits can no longer be reported."""
        if self._sock is not None:
            self._sock.close()
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
            self._process.wait()
        self._orphans.update(self._live - set(self._exits))
        self._sock, self._process, self._ready = None, None, False
        for kept in (self._replies, self._live, self._unwatched):
            kept.clear()


def _request(
    request_id: int, argv: list[str], cwd: Path, env: Mapping[str, str], log: Path | int,
    spec: dict[str, Any] | None,
) -> bytes | None:
    """The spawn message; a spec too large for one message goes in a file (None: not even then)."""
    request: dict[str, Any] = {"op": "spawn", "id": request_id, "argv": argv, "cwd": str(cwd),
                               "env": dict(env)}
    if not isinstance(log, int):
        request["log"] = str(log)
    if spec is not None:
        request["clear"] = spec["result_path"]
        request["spec"] = spec
    message = json.dumps(request).encode()
    if len(message) > _MAX_REQUEST and spec is not None:
        cwd.mkdir(parents=True, exist_ok=True)
        (cwd / SPEC_FILE).write_text(json.dumps(spec), encoding="utf-8")
        request["argv"], request["spec"] = [*argv, str(cwd / SPEC_FILE)], None
        message = json.dumps(request).encode()
    return message if len(message) <= _MAX_REQUEST else None


def _server_env(environ: Mapping[str, str]) -> dict[str, str]:
    """Only what the interpreter reads at start-up (no credentials: each task's env comes per request)."""
    env = {n: v for n, v in environ.items() if n.startswith(_STARTUP_PREFIXES) or n in _STARTUP_NAMES}
    env["PYTHONPATH"] = str(_SERVER.parent)
    env["PYTHONUNBUFFERED"] = "1"
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


WARM = ForkServer()
"""The process's one fork server, started by the first task launch."""
