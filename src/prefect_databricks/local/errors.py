"""Typed API errors the local workspace raises; rendered once as Databricks' error body.

ApiError(status, error_code, message)
  + InvalidParameterValue   400 INVALID_PARAMETER_VALUE
  + InvalidState            400 INVALID_STATE
  + MalformedRequest        400 MALFORMED_REQUEST
  + Unauthenticated         401 UNAUTHENTICATED
  + PermissionDenied        403 PERMISSION_DENIED
  + ResourceDoesNotExist    404 RESOURCE_DOES_NOT_EXIST
  + EndpointNotFound        404 ENDPOINT_NOT_FOUND
  + RequestTimeout          408 REQUEST_TIMEOUT
  + ResourceAlreadyExists   409 RESOURCE_ALREADY_EXISTS
  + RequestTooLarge         413 REQUEST_TOO_LARGE
  + RequestLimitExceeded    429 REQUEST_LIMIT_EXCEEDED
  + TemporarilyUnavailable  503 TEMPORARILY_UNAVAILABLE
"""

from __future__ import annotations

__all__ = [
    "ApiError",
    "EndpointNotFound",
    "InvalidParameterValue",
    "InvalidState",
    "MalformedRequest",
    "PermissionDenied",
    "RequestLimitExceeded",
    "RequestTimeout",
    "RequestTooLarge",
    "ResourceAlreadyExists",
    "ResourceDoesNotExist",
    "TemporarilyUnavailable",
    "Unauthenticated",
]


class ApiError(Exception):
    """An error answered as `{"error_code", "message"}` with an HTTP status."""

    status: int = 400
    error_code: str = "BAD_REQUEST"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, str]:
        """The JSON body Databricks sends for this error."""
        return {"error_code": self.error_code, "message": self.message}


class InvalidParameterValue(ApiError):
    """A field is missing, of the wrong type or breaks a documented rule."""

    error_code = "INVALID_PARAMETER_VALUE"


class InvalidState(ApiError):
    """The request is valid but the resource is in the wrong state for it."""

    error_code = "INVALID_STATE"


class MalformedRequest(ApiError):
    """The body is not JSON, or not a JSON object."""

    error_code = "MALFORMED_REQUEST"


class Unauthenticated(ApiError):
    """No credentials were sent."""

    status = 401
    error_code = "UNAUTHENTICATED"


class PermissionDenied(ApiError):
    """The credentials sent are not valid for this workspace, or their identity may not do this."""

    status = 403
    error_code = "PERMISSION_DENIED"


class ResourceDoesNotExist(ApiError):
    """A workspace object (path) does not exist."""

    status = 404
    error_code = "RESOURCE_DOES_NOT_EXIST"


class EndpointNotFound(ApiError):
    """No route answers this path."""

    status = 404
    error_code = "ENDPOINT_NOT_FOUND"


class RequestTimeout(ApiError):
    """The client stopped sending the body of its request."""

    status = 408
    error_code = "REQUEST_TIMEOUT"


class RequestTooLarge(ApiError):
    """The body is larger than the route's documented limit (it is not read)."""

    status = 413
    error_code = "REQUEST_TOO_LARGE"


class ResourceAlreadyExists(ApiError):
    """A workspace object already exists at this path."""

    status = 409
    error_code = "RESOURCE_ALREADY_EXISTS"


class RequestLimitExceeded(ApiError):
    """Too many requests; the client should wait `Retry-After` seconds."""

    status = 429
    error_code = "REQUEST_LIMIT_EXCEEDED"


class TemporarilyUnavailable(ApiError):
    """The service cannot answer now; the client should retry."""

    status = 503
    error_code = "TEMPORARILY_UNAVAILABLE"
