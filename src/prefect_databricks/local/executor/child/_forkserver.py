"""The warm launcher: an interpreter that has imported the task runner and forks one task process per request.

Started by the workspace (``python _forkserver.py FD``) with one end of a Unix socket pair as FD. Each
request carries a task's argv, environment, working directory and runner spec, and its log file: a path
this server creates (with the working directory), so the workspace's loop never waits on the file
system, or a passed fd. The fork runs in its own session, with the request's environment, argv,
sys.path, cwd and default signal handlers, and never serves a second task: no module state carries
from one task to the next. A pid is sent back once the fork leads its own session (so its group can be
killed from then on), exits are reported (with the runner's small result, or the reason the directory
or log could not be made), and a pid is reaped only when the workspace says so (after it has killed
the task's stragglers, so the group id stays reserved until then). A task exits as a script does, but
without tearing every module down (see ``_exit``). Standard library only; it ends with the workspace.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib
import json
import os
import selectors
import signal
import socket
import sys
import threading
from collections import deque
from typing import Any

import _task_runner

_MAX_MESSAGE = 1 << 17
_RESULT = "R"  # marks a result record on the launch pipe (the runner's `result_fd`)
_LAUNCH_FAILED = 71  # EX_OSERR: the fork could not create its working directory or log file
_EXITED = os.WEXITED | os.WNOHANG | os.WNOWAIT
_OWN_PATH = os.environ.get("PYTHONPATH", "").split(os.pathsep)
_BASE_PATH = [entry for entry in sys.path[1:] if entry not in _OWN_PATH]


class _Server:
    """The request loop: fork on `spawn`, report exits, reap on `reap`."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.selector = selectors.DefaultSelector()
        self.selector.register(sock, selectors.EVENT_READ)
        self.children: dict[int, int | None] = {}  # pid -> its pidfd (None where pidfds are missing)
        self.launches: dict[int, int] = {}  # pid -> its launch pipe: session led, then result or error
        self.unanswered: dict[int, int] = {}  # pid -> its request id, until it leads its own session
        self.reported: set[int] = set()
        self.outbox: deque[bytes] = deque()  # messages the workspace's full queue did not take yet

    def serve(self) -> dict[str, Any] | None:
        """Serve until the workspace hangs up (None), or return the request a forked child must run."""
        self._send({"op": "ready", "pid": os.getpid()})
        while True:
            polling = any(fd is None for fd in self.children.values())
            for key, events in self.selector.select(0.05 if polling else None):
                if key.data is not None:  # a launch pipe: that fork leads its own session now
                    self._answer(key.data)
                if key.fileobj is not self.sock:
                    continue
                if events & selectors.EVENT_WRITE:
                    self._flush()
                if not events & selectors.EVENT_READ:
                    continue
                message, fds = self._receive()
                if message is None:
                    return None
                if message["op"] == "spawn" and self._spawn(message, fds):
                    return message
                if message["op"] == "reap":
                    self._reap(int(message["pid"]))
            self._report_exits()

    def _receive(self) -> tuple[dict[str, Any] | None, list[int]]:
        data, fds, _, _ = socket.recv_fds(self.sock, _MAX_MESSAGE, 4)
        return (json.loads(data) if data else None), fds

    def _spawn(self, message: dict[str, Any], fds: list[int]) -> bool:
        """Fork the task; True in the child (which returns to run it), False in this server."""
        _take_environment(message["env"])
        log = fds[0] if fds else _create_log(message)
        fds = fds if fds or isinstance(log, str) else [log]
        ready, leader = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(ready)
            self._become_task(message, log, leader)
            return True
        os.close(leader)
        for fd in fds:
            os.close(fd)
        self.children[pid] = self._pidfd(pid)
        self.launches[pid] = ready
        self.unanswered[pid] = message["id"]
        self.selector.register(ready, selectors.EVENT_READ, pid)  # answered once it leads its session
        return False

    def _answer(self, pid: int) -> None:
        """Send `pid` once the fork has written its first byte: it leads its own session, so its group
        can be killed from now on (the next requests are served meanwhile)."""
        request_id = self.unanswered.pop(pid, None)
        if request_id is None:
            return
        self.selector.unregister(self.launches[pid])
        os.read(self.launches[pid], 1)
        self._send({"op": "spawned", "id": request_id, "pid": pid})

    def _become_task(self, message: dict[str, Any], log: int | str, leader: int) -> None:
        os.setsid()
        os.write(leader, b"s")
        if isinstance(log, str):  # its directory or log could not be created: say why, and end
            os.write(leader, log.encode())
            os._exit(_LAUNCH_FAILED)
        self.selector.close()
        for fd in [*(fd for fd in self.children.values() if fd is not None), *self.launches.values()]:
            os.close(fd)
        self.sock.close()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.close(log)
        if message.get("spec") is not None:
            message["spec"]["result_fd"] = leader  # a small result goes back on the launch pipe
        else:
            os.close(leader)

    def _pidfd(self, pid: int) -> int | None:
        try:
            fd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            return None
        self.selector.register(fd, selectors.EVENT_READ)
        return fd

    def _report_exits(self) -> None:
        for pid in [pid for pid in self.children if pid not in self.reported]:
            info = os.waitid(os.P_PID, pid, _EXITED)
            if info is None:
                continue
            code = info.si_status if info.si_code == os.CLD_EXITED else -info.si_status
            self._answer(pid)
            self.reported.add(pid)
            fd = self.children[pid]
            if fd is not None:
                self.selector.unregister(fd)
            report: dict[str, Any] = {"op": "exited", "pid": pid, "returncode": code}
            said = self._launch_pipe(pid)
            if said:
                report["result" if said.startswith(_RESULT) else "error"] = said.removeprefix(_RESULT)
            self._send(report)

    def _launch_pipe(self, pid: int) -> str:
        """What the exited fork wrote on its launch pipe: its result record (marked), why its directory or
        log failed, or nothing (its result, if any, is then in its result file)."""
        fd = self.launches.pop(pid, None)
        if fd is None:
            return ""
        os.set_blocking(fd, False)
        chunks = []
        with contextlib.suppress(BlockingIOError):
            while chunk := os.read(fd, 4096):
                chunks.append(chunk)
        os.close(fd)
        return b"".join(chunks).decode("utf-8", errors="replace")

    def _reap(self, pid: int) -> None:
        if pid in self.children:
            os.waitpid(pid, 0)
            fd = self.children.pop(pid)
            self.reported.discard(pid)
            for owned in (fd, self.launches.pop(pid, None)):
                if owned is not None:
                    os.close(owned)

    def _send(self, message: dict[str, Any]) -> None:
        self.outbox.append(json.dumps(message).encode())
        self._flush()

    def _flush(self) -> None:
        """Send what the workspace's queue takes now; the rest once it has read (never blocks: a busy
        workspace must not hold up the next fork)."""
        while self.outbox:
            try:
                self.sock.send(self.outbox[0], socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            self.outbox.popleft()
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if self.outbox else 0)
        if events != self.selector.get_key(self.sock).events:
            self.selector.modify(self.sock, events)


def _take_environment(env: dict[str, str]) -> None:
    """Make this server's os.environ the task's before forking it: consecutive tasks' environments differ
    in a few variables, so the fork inherits it for a few changes here instead of rebuilding every
    variable itself (which touched, and so copied, ~170 pages). /proc shows neither: it shows the
    server's start-up environment."""
    for name in [name for name in os.environ if name not in env]:
        del os.environ[name]
    for name, value in env.items():
        if os.environ.get(name) != value:
            os.environ[name] = value


def _create_log(request: dict[str, Any]) -> int | str:
    """The task's working directory and log file (no stale result left in it), made here, one at a time
    (tasks making them at once contend for their shared parent directory); else why they failed."""
    try:
        os.makedirs(request["cwd"], exist_ok=True)
        if request.get("clear"):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(request["clear"])
        return os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)
    except OSError as exc:
        return f"the task's directory or log file could not be created: {exc}"


def _run_task(request: dict[str, Any]) -> int:
    """In the forked child: the request's cwd, environment, argv and sys.path, then the task runner."""
    os.chdir(request["cwd"])
    for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGQUIT):
        signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    env: dict[str, str] = request["env"]  # os.environ is already this (see `_take_environment`)
    sys.argv = list(request["argv"][1:])
    extra = [entry for entry in env.get("PYTHONPATH", "").split(os.pathsep) if entry]
    sys.path[:] = [os.path.dirname(sys.argv[0]), *extra, *_BASE_PATH]
    importlib.invalidate_caches()
    return int(_task_runner.main(request.get("spec")))


def _exit(code: int) -> None:
    """End the task as the interpreter ends a script, minus the teardown of every module (which would
    touch, and so copy, the whole inherited heap): threads joined, atexit handlers, ``__main__``'s globals
    dropped (their open files flushed and closed), std streams flushed."""
    threading._shutdown()  # type: ignore[attr-defined]
    atexit._run_exitfuncs()
    main = sys.modules.get("__main__")
    if main is not None and main.__dict__ is not globals():  # the task's own `__main__` (not a wheel's)
        main.__dict__.clear()
    gc.collect()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    gc.freeze()  # what the server imported stays out of every task's collections, and uncopied
    task = _Server(socket.socket(fileno=int(sys.argv[1]))).serve()
    if task is not None:
        _exit(_run_task(task))
