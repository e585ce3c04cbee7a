"""The warm launcher: an interpreter that has imported the task runner and forks one task process per request.

Started by the workspace (``python _forkserver.py FD``) with one end of a Unix socket pair as FD. Each
request carries a task's argv, environment and working directory, and its log file as a passed fd. The
fork runs in its own session, with the request's environment, argv, sys.path, cwd and default signal
handlers, and never serves a second task: no module state carries from one task to the next. A pid is
sent back once the fork leads its own session (so its group can be killed from then on), exits are
reported, and a pid is reaped only when the workspace says so (after it has killed the task's stragglers,
so the group id stays reserved until then). A task exits as a script does, but without tearing every
module down (see ``_exit``). Standard library only; it ends when the workspace goes away.
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
from typing import Any

import _task_runner

_MAX_MESSAGE = 1 << 20
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
        self.reported: set[int] = set()

    def serve(self) -> dict[str, Any] | None:
        """Serve until the workspace hangs up (None), or return the request a forked child must run."""
        self._send({"op": "ready", "pid": os.getpid()})
        while True:
            polling = any(fd is None for fd in self.children.values())
            for key, _ in self.selector.select(0.05 if polling else None):
                if key.fileobj is not self.sock:
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
        ready, leader = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(ready)
            self._become_task(fds[0], leader)
            return True
        os.close(leader)
        os.read(ready, 1)  # EOF once the child leads its own session: its group can be killed from now on
        os.close(ready)
        os.close(fds[0])
        self.children[pid] = self._pidfd(pid)
        self._send({"op": "spawned", "id": message["id"], "pid": pid})
        return False

    def _become_task(self, log_fd: int, leader: int) -> None:
        os.setsid()
        os.close(leader)
        self.selector.close()
        for fd in self.children.values():
            if fd is not None:
                os.close(fd)
        self.sock.close()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.dup2(log_fd, 1)
        os.dup2(log_fd, 2)
        os.close(devnull)
        os.close(log_fd)

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
            self.reported.add(pid)
            fd = self.children[pid]
            if fd is not None:
                self.selector.unregister(fd)
            self._send({"op": "exited", "pid": pid, "returncode": code})

    def _reap(self, pid: int) -> None:
        if pid in self.children:
            os.waitpid(pid, 0)
            fd = self.children.pop(pid)
            self.reported.discard(pid)
            if fd is not None:
                os.close(fd)

    def _send(self, message: dict[str, Any]) -> None:
        self.sock.send(json.dumps(message).encode())


def _run_task(request: dict[str, Any]) -> int:
    """In the forked child: the request's cwd, environment, argv and sys.path, then the task runner."""
    os.chdir(request["cwd"])
    for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGQUIT):
        signal.signal(number, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    env: dict[str, str] = request["env"]
    os.environ.clear()
    os.environ.update(env)
    sys.argv = list(request["argv"][1:])
    extra = [entry for entry in env.get("PYTHONPATH", "").split(os.pathsep) if entry]
    sys.path[:] = [os.path.dirname(sys.argv[0]), *extra, *_BASE_PATH]
    importlib.invalidate_caches()
    return int(_task_runner.main())


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
