"""Ring the scheduler's doorbell the moment a task process exits, instead of at the next 50 ms tick.

Linux pidfds (`os.pidfd_open`) become readable when their process exits; the event loop watches
them. Where pidfds are missing (macOS, old kernels) nothing is watched and the tick's polling alone
notices exits, as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
from collections.abc import Iterable

__all__ = ["ExitWatch"]


class ExitWatch:
    """Watches task process pids; sets `event` when one of them exits."""

    def __init__(self, event: asyncio.Event) -> None:
        self._event = event
        self._fds: dict[int, int] = {}
        self._supported = hasattr(os, "pidfd_open")

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

    def _exited(self, pid: int) -> None:
        self._forget(pid)
        self._event.set()

    def _forget(self, pid: int) -> None:
        fd = self._fds.pop(pid)
        with contextlib.suppress(RuntimeError, ValueError):
            asyncio.get_running_loop().remove_reader(fd)
        os.close(fd)
