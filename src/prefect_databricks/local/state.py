"""What every part of the workspace shares: settings, the store, the clock, OAuth tokens, the doorbell."""

from __future__ import annotations

import asyncio
import heapq
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .store import DataDirLock, Store

__all__ = [
    "ADMINS_GROUP",
    "LOCAL_USER",
    "USERS_GROUP",
    "FederationPolicy",
    "IssuedToken",
    "Workspace",
    "WorkspaceSettings",
    "default_data_dir",
]

LOCAL_USER = "local-user@localhost"
"""The workspace's admin user: who the workspace token signs in as."""
ADMINS_GROUP = "admins"
USERS_GROUP = "users"
_OAUTH_PREFIX = "dlo"
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True)
class FederationPolicy:
    """A federation policy: which identity-provider tokens may be exchanged, and for whom.

    As on Databricks, a token matches when its `iss` is `issuer`, its `aud` holds one of
    `audiences` (empty: the workspace's token endpoint, the audience the SDK asks for) and its
    `subject_claim` equals `subject`. `client_id` names the service principal the policy belongs
    to; empty, it is an account-wide policy and the token signs in as the subject.
    """

    issuer: str
    subject: str
    audiences: tuple[str, ...] = ()
    client_id: str = ""
    subject_claim: str = "sub"


@dataclass
class WorkspaceSettings:
    """How the local workspace was started; `host` is filled in once the port is bound.

    `max_task_processes` bounds the task processes running at once (None: cores × 2);
    `oauth_token_ttl_seconds` is the lifetime of the OAuth tokens it issues; `admins` names the
    identities (service principal application ids, federated subjects) made workspace admins besides
    the workspace token's user.
    """

    data_dir: Path
    token: str
    service_principals: Mapping[str, str] = field(default_factory=dict)
    faults: str | None = None
    host: str = ""
    max_task_processes: int | None = None
    federation_policies: tuple[FederationPolicy, ...] = ()
    oauth_token_ttl_seconds: int = 3600
    admins: tuple[str, ...] = ()


@dataclass(frozen=True)
class IssuedToken:
    """An OAuth access token this workspace issued: to which service principal, valid until when."""

    client_id: str
    expires_at: float
    task_run_id: int | None = None
    """The task run it was issued to (a task process's own token), else None."""


class Workspace:
    """One local workspace: settings, store, clock and the tokens it issued to service principals."""

    def __init__(self, config: WorkspaceSettings, store: Store, lock: DataDirLock | None = None) -> None:
        self.config = config
        self.store = store
        self.lock = lock
        self.workspace_id = int(store.meta("workspace_id") or _new_workspace_id(store))
        self.oauth_tokens: dict[str, IssuedToken] = {}
        self._expiries: list[tuple[float, str]] = []
        """(expires_at, token) of issued tokens, soonest first: dropping the stale ones costs only them."""
        self._task_tokens: dict[int, str] = {}
        """The token of each task run still running, by task run id, to revoke when it ends."""
        self.admins: set[str] = {LOCAL_USER, *config.admins}
        self.link_key = bytes.fromhex(store.meta("link_key") or _new_link_key(store))
        """Signs the pre-signed links this workspace hands out (dbt artifacts); kept in the store, so a
        link stays good across a restart until it expires."""
        self._doorbell: asyncio.Event | None = None

    def lock_url(self) -> None:
        """Record the URL now served (`config.host`) in the data dir's lock, for a second server to name."""
        if self.lock is not None:
            self.lock.announce(self.config.host)

    def close(self) -> None:
        """Close the store and let another server take the data dir."""
        self.store.close()
        if self.lock is not None:
            self.lock.release()

    @staticmethod
    def now_ms() -> int:
        """Epoch milliseconds, the API's time unit."""
        return time.time_ns() // 1_000_000

    def token_is_valid(self, token: str) -> bool:
        """True for the workspace token or an unexpired OAuth token this workspace issued.

        Compared as UTF-8 bytes: any header value (non-ASCII included) is a wrong token, never an error.
        """
        if secrets.compare_digest(token.encode("utf-8", "surrogateescape"), self.config.token.encode()):
            return True
        issued = self.oauth_tokens.get(token)
        if issued is not None and issued.expires_at <= time.time():
            del self.oauth_tokens[token]
            return False
        return issued is not None

    def looks_issued(self, token: str) -> bool:
        """Whether `token` has the form of the OAuth tokens this workspace issues (known or not)."""
        body = token[len(_OAUTH_PREFIX):]
        return token.startswith(_OAUTH_PREFIX) and len(body) == 48 and all(c in _HEX for c in body)

    def issue_oauth_token(self, client_id: str, ttl_seconds: int, task_run_id: int | None = None) -> str:
        """A new OAuth access token for service principal `client_id`, valid for `ttl_seconds` (or until
        `revoke_task_token` of the task run it is issued to, if any).

        Expired tokens are dropped here and when presented, so the map stays as small as the live set.
        """
        now = time.time()
        while self._expiries and self._expiries[0][0] <= now:
            self.oauth_tokens.pop(heapq.heappop(self._expiries)[1], None)
        token = _OAUTH_PREFIX + secrets.token_hex(24)
        self.oauth_tokens[token] = IssuedToken(client_id, now + ttl_seconds, task_run_id)
        heapq.heappush(self._expiries, (now + ttl_seconds, token))
        if task_run_id is not None:
            self._task_tokens[task_run_id] = token
        return token

    def revoke_task_token(self, task_run_id: int) -> None:
        """End the token of a task run that ended: nothing of the task may call the workspace after it."""
        token = self._task_tokens.pop(task_run_id, None)
        if token is not None:
            self.oauth_tokens.pop(token, None)

    def task_run_of(self, token: str) -> int | None:
        """The task run whose process holds `token` (None for any other token)."""
        issued = self.oauth_tokens.get(token)
        return issued.task_run_id if issued is not None else None

    def caller(self, token: str) -> str:
        """Who a valid token signs in as: the service principal it was issued to, else the local user."""
        issued = self.oauth_tokens.get(token)
        return issued.client_id if issued is not None else LOCAL_USER

    def is_admin(self, name: str) -> bool:
        """Whether `name` is a workspace admin: the workspace token's user, or an identity made one."""
        return name in self.admins

    def groups_of(self, name: str) -> tuple[str, ...]:
        """The workspace groups `name` belongs to: everyone is in `users`, admins also in `admins`."""
        return (USERS_GROUP, ADMINS_GROUP) if self.is_admin(name) else (USERS_GROUP,)

    def doorbell(self) -> asyncio.Event:
        """The event the scheduler loop waits on (created on first use, in the loop's thread)."""
        if self._doorbell is None:
            self._doorbell = asyncio.Event()
        return self._doorbell

    def wake(self) -> None:
        """Ask the scheduler loop to tick now (a request created, cancelled or repaired a run)."""
        if self._doorbell is not None:
            self._doorbell.set()

    def run_workdir(self, run_id: int) -> Path:
        """Where the task runs of a job run keep their working directories."""
        return Path(self.config.data_dir) / "runs" / str(run_id)

    def dbfs_root(self) -> Path:
        """The local DBFS root: `dbfs:/…`, `/dbfs/…` and `/Volumes/…` paths of task processes live here."""
        return Path(self.config.data_dir) / "dbfs"

    def run_page_url(self, job_id: int | None, run_id: int) -> str:
        """The page of a run, served by this workspace (`#job/<job>/run/<run>` as on Databricks)."""
        job = f"job/{job_id}/" if job_id is not None else "job/"
        return f"{self.config.host}/?o={self.workspace_id}#{job}run/{run_id}"


def _new_workspace_id(store: Store) -> int:
    workspace_id = secrets.randbelow(9 * 10**15) + 10**15
    store.set_meta("workspace_id", str(workspace_id))
    return workspace_id


def _new_link_key(store: Store) -> str:
    key = secrets.token_hex(32)
    store.set_meta("link_key", key)
    return key


def default_data_dir() -> Path:
    """Where `workspace serve` keeps its state unless told otherwise."""
    return Path.home() / ".prefect-databricks" / "workspace"
