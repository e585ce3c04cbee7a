"""The data dir on disk: private to its owner whatever the umask, and held by one server at a time.

The directory is 0700 and the database 0600 before SQLite opens it (SQLite creates `-wal` and `-shm`
with the database's mode, and the WAL holds the token). `DataDirLock` is an exclusive `flock` on
`workspace.lock`, which names the holder's pid and URL: a second server on the same data dir would
race the first one's scheduler (runs failed as lost, task runs started twice), so it refuses to start.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from pathlib import Path

__all__ = ["DataDirInUse", "DataDirLock", "private_dir", "private_file"]

_LOCK_FILE = "workspace.lock"


class DataDirInUse(RuntimeError):
    """Another workspace server holds this data dir."""


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) if needed and make it 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty if needed and make it 0600 (before anything writes a secret in it)."""
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)
    return path


class DataDirLock:
    """An exclusive hold on a data dir for the life of one server; released by `release()` or exit."""

    def __init__(self, data_dir: Path) -> None:
        self.path = private_dir(data_dir) / _LOCK_FILE
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(fd)
            os.close(fd)
            raise DataDirInUse(
                f"The data dir {data_dir} is in use by another workspace server ({holder}); "
                "stop it, or give this one another --data-dir."
            ) from None
        os.fchmod(fd, 0o600)
        self._fd: int | None = fd
        self.announce("")

    def announce(self, url: str) -> None:
        """Record this process and the URL it serves at, for a second server's refusal to name."""
        if self._fd is None:
            return
        data = json.dumps({"pid": os.getpid(), "url": url}).encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)

    def release(self) -> None:
        """Let another server take the data dir."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None


def _holder(fd: int) -> str:
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:
        data = {}
    pid, url = data.get("pid"), data.get("url")
    return f"pid {pid if pid else 'unknown'}, serving at {url or 'an address not yet bound'}"
