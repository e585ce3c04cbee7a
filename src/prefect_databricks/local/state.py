"""The state every handler shares: configuration, the store, the clock and issued OAuth tokens."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .store import Store

__all__ = ["Workspace", "WorkspaceConfig"]


@dataclass
class WorkspaceConfig:
    """How the local workspace was started; `host` is filled in once the port is bound.

    `max_task_processes` bounds the task processes running at once (None: cores × 2).
    """

    data_dir: Path
    token: str
    service_principals: Mapping[str, str] = field(default_factory=dict)
    faults: str | None = None
    host: str = ""
    max_task_processes: int | None = None


class Workspace:
    """One local workspace: config, store, clock and the tokens it issued to service principals."""

    def __init__(self, config: WorkspaceConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self.workspace_id = int(store.meta("workspace_id") or _new_workspace_id(store))
        self.oauth_tokens: dict[str, float] = {}
        self.extensions: dict[str, Any] = {}

    @staticmethod
    def now_ms() -> int:
        """Epoch milliseconds, the API's time unit."""
        return time.time_ns() // 1_000_000

    def token_is_valid(self, token: str) -> bool:
        """True for the workspace token or an unexpired OAuth token this workspace issued."""
        if secrets.compare_digest(token, self.config.token):
            return True
        expiry = self.oauth_tokens.get(token)
        return expiry is not None and expiry > time.time()

    def issue_oauth_token(self, ttl_seconds: int) -> str:
        """A new OAuth access token valid for `ttl_seconds`."""
        token = "dlo" + secrets.token_hex(24)
        self.oauth_tokens[token] = time.time() + ttl_seconds
        return token

    def run_page_url(self, job_id: int | None, run_id: int) -> str:
        """The page of a run, served by this workspace (`#job/<job>/run/<run>` as on Databricks)."""
        job = f"job/{job_id}/" if job_id is not None else "job/"
        return f"{self.config.host}/?o={self.workspace_id}#{job}run/{run_id}"


def _new_workspace_id(store: Store) -> int:
    workspace_id = secrets.randbelow(9 * 10**15) + 10**15
    store.set_meta("workspace_id", str(workspace_id))
    return workspace_id


def default_data_dir() -> Path:
    """Where `workspace serve` keeps its state unless told otherwise."""
    return Path.home() / ".prefect-databricks" / "workspace"
