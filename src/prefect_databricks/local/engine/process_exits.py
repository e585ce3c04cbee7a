"""Ring the scheduler's doorbell the moment a task process exits, instead of at the next 50 ms tick.

Linux pidfds (`os.pidfd_open`) become readable when their process exits; the event loop watches
them, and the warm launcher's socket, on which it reports the exits of the tasks it forked. Where
pidfds are missing (macOS, old kernels) only that socket is watched and the tick's polling notices
the other exits, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import socket
from collections.abc import Callable, Iterable

__all__ = ["ExitWatch"]


class ExitWatch:
    """Watches task process pids; sets `event` when one of them exits."""

    def __init__(self, event: asyncio.Event) -> None:
        self._event = event
        self._fds: dict[int, int] = {}
        self._supported = hasattr(os, "pidfd_open")
        self._launcher: socket.socket | None = None

    def watch_launcher(self, events: socket.socket | None, drain: Callable[[], bool]) -> None:
        """Watch the launcher's socket `events` (a new one after a restart); `drain` reads it and says
        whether a task exited (call from the event loop's thread)."""
        if events is self._launcher:
            return
        loop = asyncio.get_running_loop()
        if self._launcher is not None:
            with contextlib.suppress(ValueError, OSError):
                loop.remove_reader(self._launcher)
        self._launcher = events
        if events is not None:
            loop.add_reader(events, self._launcher_spoke, drain)

    def _launcher_spoke(self, drain: Callable[[], bool]) -> None:
        if drain():
            self._event.set()

    def watch(self, pids: Iterable[int]) -> None:
        """Start watching the pids not watched yet (call from the event loop's thread)."""
        if not self._supported:
            return
        loop = asyncio.get_running_loop()
        for pid in pids:
            if pid in self._fds:
                continue
            try:
                fd = os.pidfd_open(pid)
            except OSError as exc:  # gone already (the next tick reaps it), or no pidfds here
                if exc.errno == errno.ESRCH:
                    continue
                self._supported = False
                return
            self._fds[pid] = fd
            loop.add_reader(fd, self._exited, pid)

    def close(self) -> None:
        """Stop watching everything."""
        for pid in list(self._fds):
            self._forget(pid)
        if self._launcher is not None:
            with contextlib.suppress(RuntimeError, ValueError, OSError):
                asyncio.get_running_loop().remove_reader(self._launcher)
            self._launcher = None

    def _exited(self, pid: int) -> None:
        self._forget(pid)
        self._event.set()

    def _forget(self, pid: int) -> None:
        fd = self._fds.pop(pid)
        with contextlib.suppress(RuntimeError, ValueError):
            asyncio.get_running_loop().remove_reader(fd)
        os.close(fd)
