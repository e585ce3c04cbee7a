"""One server per data dir: an exclusive lock on `<data_dir>/workspace.lock`, held while it serves.

A second server on the same data dir would step the same runs twice and fail the first one's
tasks as lost, so it refuses to start and names the holder. The operating system drops the lock
when the holder exits, even on `kill -9`.
"""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

__all__ = ["DataDirInUse", "DataDirLock"]

_LOCK_FILE = "workspace.lock"


class DataDirInUse(RuntimeError):
    """Another local workspace serves this data dir."""


class DataDirLock:
    """The lock of one data dir; `acquire` once the URL is known, `release` when serving stops."""

    def __init__(self, data_dir: Path) -> None:
        self._path = Path(data_dir) / _LOCK_FILE
        self._fd: int | None = None

    def acquire(self, url: str) -> None:
        """Take the lock and record this process's pid and URL; DataDirInUse naming the holder if taken."""
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise DataDirInUse(
                f"The data dir {self._path.parent} is in use by the local workspace of pid "
                f"{holder.get('pid', '?')} at {holder.get('url', '?')}; stop it, or use another --data-dir."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "url": url}).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Let another server use the data dir."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _holder(fd: int) -> dict[str, object]:
    try:
        found = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}
