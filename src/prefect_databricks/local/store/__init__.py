"""SQLite persistence of the local workspace: jobs, runs, outputs, workspace objects, secrets, settings.

Only this package holds SQL: each row class names its queries (`base` has the connection and transactions).
"""

from __future__ import annotations

from .base import Cursor, Viewer
from .datadir import DataDirInUse, DataDirLock
from .jobs import JobRows
from .objects import ObjectRows
from .runs import RunRows
from .secrets import SecretRows

__all__ = ["Cursor", "DataDirInUse", "DataDirLock", "Store", "Viewer"]


class Store(JobRows, RunRows, ObjectRows, SecretRows):
    """One SQLite database; every method is a short transaction safe to call from any thread."""
