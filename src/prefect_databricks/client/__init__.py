"""The async Databricks Jobs API client: transport, auth, retries, errors, endpoints, paging and checks.

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
