"""Every endpoint the client calls, declared once as data: name → method, path, version rule.

Jobs endpoints live under `/api/<version>/` (2.2 by default, 2.0/2.1 for old workspaces);
the permissions endpoints and the Workspace API subset (to put notebooks and files in place)
exist only under `/api/2.0/`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from string import Formatter
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

from .errors import ClientValidationError

__all__ = ["API_VERSIONS", "ENDPOINTS", "Endpoint", "endpoint"]

API_VERSIONS = ("2.0", "2.1", "2.2")
_UNVERSIONED = "2.0"


@dataclass(frozen=True)
class Endpoint:
    """One API operation: `name` is its path under the version prefix, e.g. `jobs/runs/submit`.

    `idempotent` says whether sending it twice has the effect of sending it once, which is what
    allows the transport to retry it after the server may have acted. `idempotency_token` marks
    the endpoints that accept one (and so become idempotent when they carry it).
    """

    name: str
    method: str
    path: str
    idempotent: bool
    versioned: bool = True
    idempotency_token: bool = False

    @property
    def path_params(self) -> tuple[str, ...]:
        """Names of the `{placeholders}` in `path`."""
        return tuple(field for _, field, _, _ in Formatter().parse(self.path) if field)

    def url_path(self, api_version: str, path: Mapping[str, Any] | None = None) -> str:
        """The absolute URL path, e.g. `/api/2.2/jobs/get` or `/api/2.0/permissions/jobs/7`."""
        version = api_version if self.versioned else _UNVERSIONED
        values = path or {}
        missing = [name for name in self.path_params if values.get(name) in (None, "")]
        if missing:
            raise ClientValidationError(missing[0], f"is required in the path of {self.name}")
        quoted = {name: quote(str(values[name]), safe="") for name in self.path_params}
        return f"/api/{version}/{self.path.format(**quoted)}"


def _jobs(name: str, method: str, *, idempotent: bool, token: bool = False) -> Endpoint:
    return Endpoint(name, method, name, idempotent, versioned=True, idempotency_token=token)


def _permissions(name: str, method: str, path: str) -> Endpoint:
    return Endpoint(name, method, path, idempotent=True, versioned=False)


def _workspace(name: str, method: str) -> Endpoint:
    return Endpoint(name, method, name, idempotent=True, versioned=False)


_TABLE = (
    _jobs("jobs/create", "POST", idempotent=False),
    _jobs("jobs/delete", "POST", idempotent=False),
    _jobs("jobs/get", "GET", idempotent=True),
    _jobs("jobs/list", "GET", idempotent=True),
    _jobs("jobs/reset", "POST", idempotent=True),
    _jobs("jobs/update", "POST", idempotent=True),
    _jobs("jobs/run-now", "POST", idempotent=False, token=True),
    _jobs("jobs/runs/submit", "POST", idempotent=False, token=True),
    _jobs("jobs/runs/cancel", "POST", idempotent=True),
    _jobs("jobs/runs/cancel-all", "POST", idempotent=True),
    _jobs("jobs/runs/delete", "POST", idempotent=False),
    _jobs("jobs/runs/export", "GET", idempotent=True),
    _jobs("jobs/runs/get", "GET", idempotent=True),
    _jobs("jobs/runs/get-output", "GET", idempotent=True),
    _jobs("jobs/runs/list", "GET", idempotent=True),
    _jobs("jobs/runs/repair", "POST", idempotent=False),
    _permissions("permissions/jobs/get", "GET", "permissions/jobs/{job_id}"),
    _permissions("permissions/jobs/set", "PUT", "permissions/jobs/{job_id}"),
    _permissions("permissions/jobs/update", "PATCH", "permissions/jobs/{job_id}"),
    _permissions("permissions/jobs/levels", "GET", "permissions/jobs/{job_id}/permissionLevels"),
    _workspace("workspace/import", "POST"),
    _workspace("workspace/export", "GET"),
    _workspace("workspace/mkdirs", "POST"),
    _workspace("workspace/list", "GET"),
    _workspace("workspace/get-status", "GET"),
    _workspace("workspace/delete", "POST"),
)

ENDPOINTS: Mapping[str, Endpoint] = MappingProxyType({e.name: e for e in _TABLE})


def endpoint(name: str) -> Endpoint:
    """The endpoint called `name`; a clear error for an unknown name."""
    try:
        return ENDPOINTS[name]
    except KeyError:
        raise ClientValidationError("name", f"must be one of the known endpoints, not {name!r}") from None
