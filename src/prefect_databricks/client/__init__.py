"""The async Databricks Jobs API client, one job per module.

transport  the one place a request is sent: URL, version path, auth header, retries, error mapping
endpoints  every endpoint called, declared once as data (name, method, path, versions)
wire       pure helpers of the wire format: hosts, client options, User-Agent, query strings, JSON bodies
paging     2.2 paging: merged jobs/get and runs/get pages, lazy list iterators, a job by exact name
auth       personal access tokens and OAuth M2M (cached, refreshed)
retry      the retry policy: attempts, total time, jittered exponential backoff, Retry-After
errors     the error tree, classified by cause and by `error_code`
config     a workspace and its credentials from `DATABRICKS_*` variables and `~/.databrickscfg`
checks     the documented request rules, checked before anything is sent

It imports nothing from Prefect; `prefect_databricks.jobs` and the credentials block build on it.
"""

from __future__ import annotations

from .auth import HttpxAuth, OAuthM2MAuth, PatAuth
from .config import WorkspaceConfig
from .endpoints import API_VERSIONS, ENDPOINTS, Endpoint
from .errors import (
    ApiError,
    BadRequest,
    ClientValidationError,
    DatabricksError,
    DeadlineExceeded,
    InternalError,
    InvalidParameterValue,
    InvalidState,
    NotFound,
    PermissionDenied,
    RequestLimitExceeded,
    ResourceAlreadyExists,
    ResourceConflict,
    ResourceDoesNotExist,
    TemporarilyUnavailable,
    TransportError,
    Unauthenticated,
    Unimplemented,
)
from .retry import DEFAULT_RETRY, RetryPolicy, set_testing
from .transport import DatabricksClient
from .wire import normalize_host

__all__ = [
    "API_VERSIONS",
    "DEFAULT_RETRY",
    "ENDPOINTS",
    "ApiError",
    "BadRequest",
    "ClientValidationError",
    "DatabricksClient",
    "DatabricksError",
    "DeadlineExceeded",
    "Endpoint",
    "HttpxAuth",
    "InternalError",
    "InvalidParameterValue",
    "InvalidState",
    "NotFound",
    "OAuthM2MAuth",
    "PatAuth",
    "PermissionDenied",
    "RequestLimitExceeded",
    "ResourceAlreadyExists",
    "ResourceConflict",
    "ResourceDoesNotExist",
    "RetryPolicy",
    "TemporarilyUnavailable",
    "TransportError",
    "Unauthenticated",
    "Unimplemented",
    "WorkspaceConfig",
    "normalize_host",
    "set_testing",
]
