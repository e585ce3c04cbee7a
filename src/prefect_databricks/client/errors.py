"""The errors the client raises, classified by cause and by Databricks `error_code`.

DatabricksError
  + TransportError                 no answer: connection failed, dropped or timed out (after retries)
  + ClientValidationError          a request broke a documented rule before it was sent (also ValueError)
  + ApiError(status, error_code, message, endpoint)
      + BadRequest                 400
      |   + InvalidParameterValue  INVALID_PARAMETER_VALUE
      |   + InvalidState           INVALID_STATE
      + Unauthenticated            401
      + PermissionDenied           403
      + NotFound                   404 (e.g. ENDPOINT_NOT_FOUND)
      |   + ResourceDoesNotExist   RESOURCE_DOES_NOT_EXIST; also 400 "Job N does not exist."
      + ResourceConflict           409 (ABORTED)
      |   + ResourceAlreadyExists  RESOURCE_ALREADY_EXISTS, ALREADY_EXISTS
      + RequestLimitExceeded       429 (REQUEST_LIMIT_EXCEEDED, RESOURCE_EXHAUSTED)
      + InternalError              500 (UNKNOWN, DATA_LOSS)
      + Unimplemented              501 NOT_IMPLEMENTED
      + TemporarilyUnavailable     503
      + DeadlineExceeded           504

The error code decides first, then the HTTP status. Messages name the method, the endpoint and
the ids asked for; they never contain a token or a secret.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = [
    "ApiError",
    "BadRequest",
    "ClientValidationError",
    "DatabricksError",
    "DeadlineExceeded",
    "InternalError",
    "InvalidParameterValue",
    "InvalidState",
    "NotFound",
    "PermissionDenied",
    "RequestLimitExceeded",
    "ResourceAlreadyExists",
    "ResourceConflict",
    "ResourceDoesNotExist",
    "TemporarilyUnavailable",
    "TransportError",
    "Unauthenticated",
    "Unimplemented",
    "error_from_response",
]


class DatabricksError(Exception):
    """Base of every error raised by the client."""


class TransportError(DatabricksError):
    """The server gave no answer: the connection failed, was dropped or timed out."""


class ClientValidationError(DatabricksError, ValueError):
    """A request broke a documented rule; raised before anything is sent."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.field, self.rule))


class ApiError(DatabricksError):
    """The API answered with an error status; carries `status`, `error_code`, `message`, `endpoint`."""

    def __init__(
        self,
        status: int,
        error_code: str | None,
        message: str,
        endpoint: str = "",
        *,
        method: str = "",
        ids: str = "",
        details: list[Any] | None = None,
    ) -> None:
        self.status = status
        self.error_code = error_code
        self.message = message
        self.endpoint = endpoint
        self.method = method
        self.ids = ids
        self.details = details or []
        super().__init__(self._text())

    def _text(self) -> str:
        where = " ".join(part for part in (self.method, self.endpoint) if part)
        where = f"{where} ({self.ids})" if self.ids else where
        code = f" {self.error_code}" if self.error_code else ""
        return f"{where + ': ' if where else ''}HTTP {self.status}{code}: {self.message}"

    def __reduce__(self) -> tuple[Any, ...]:
        args = (self.status, self.error_code, self.message, self.endpoint)
        kwargs = {"method": self.method, "ids": self.ids, "details": self.details}
        return (_rebuild, (type(self), args, kwargs))


def _rebuild(cls: type[ApiError], args: tuple[Any, ...], kwargs: dict[str, Any]) -> ApiError:
    return cls(*args, **kwargs)


class BadRequest(ApiError):
    """400: the request is not acceptable."""


class InvalidParameterValue(BadRequest):
    """400 INVALID_PARAMETER_VALUE: a field is missing, malformed or breaks a rule."""


class InvalidState(BadRequest):
    """400 INVALID_STATE: the resource is in the wrong state for this request."""


class Unauthenticated(ApiError):
    """401: no valid credentials were sent."""


class PermissionDenied(ApiError):
    """403: the credentials may not do this (or are not valid for this workspace)."""


class NotFound(ApiError):
    """404: the endpoint or the resource does not exist."""


class ResourceDoesNotExist(NotFound):
    """The job, run or object asked for does not exist (also the 400 "Job N does not exist.")."""


class ResourceConflict(ApiError):
    """409: the request conflicts with the current state."""


class ResourceAlreadyExists(ResourceConflict):
    """409 RESOURCE_ALREADY_EXISTS: the object already exists."""


class RequestLimitExceeded(ApiError):
    """429: too many requests; retried by the transport while the time budget allows."""


class InternalError(ApiError):
    """500: the server failed."""


class Unimplemented(ApiError):
    """501 NOT_IMPLEMENTED: the workspace does not support this operation."""


class TemporarilyUnavailable(ApiError):
    """503: the service cannot answer now; retried by the transport."""


class DeadlineExceeded(ApiError):
    """504: the server timed out."""


_BY_CODE: dict[str, type[ApiError]] = {
    "INVALID_PARAMETER_VALUE": InvalidParameterValue,
    "INVALID_STATE": InvalidState,
    "BAD_REQUEST": BadRequest,
    "MALFORMED_REQUEST": BadRequest,
    "UNAUTHENTICATED": Unauthenticated,
    "PERMISSION_DENIED": PermissionDenied,
    "NOT_FOUND": NotFound,
    "ENDPOINT_NOT_FOUND": NotFound,
    "RESOURCE_DOES_NOT_EXIST": ResourceDoesNotExist,
    "RESOURCE_CONFLICT": ResourceConflict,
    "ABORTED": ResourceConflict,
    "ALREADY_EXISTS": ResourceAlreadyExists,
    "RESOURCE_ALREADY_EXISTS": ResourceAlreadyExists,
    "REQUEST_LIMIT_EXCEEDED": RequestLimitExceeded,
    "RESOURCE_EXHAUSTED": RequestLimitExceeded,
    "INTERNAL_ERROR": InternalError,
    "UNKNOWN": InternalError,
    "DATA_LOSS": InternalError,
    "NOT_IMPLEMENTED": Unimplemented,
    "TEMPORARILY_UNAVAILABLE": TemporarilyUnavailable,
    "DEADLINE_EXCEEDED": DeadlineExceeded,
}
_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthenticated,
    403: PermissionDenied,
    404: NotFound,
    409: ResourceConflict,
    429: RequestLimitExceeded,
    500: InternalError,
    501: Unimplemented,
    503: TemporarilyUnavailable,
    504: DeadlineExceeded,
}
_MISSING = re.compile(r"^(Job|Run) \S+ does not exist\.?$|^Run: .+ in job: .+ doesn't exist")


def _parse_body(content: bytes, reason: str) -> tuple[str | None, str, list[Any]]:
    """(error_code, message, details) from a JSON error body; a non-JSON body becomes the message."""
    try:
        body = json.loads(content) if content.strip() else None
    except (ValueError, UnicodeDecodeError):
        text = content.decode("utf-8", "replace").strip()
        return None, text[:500] or reason, []
    if not isinstance(body, dict):
        return None, reason if body is None else str(body)[:500], []
    code = body.get("error_code") or body.get("error")
    message = body.get("message") or body.get("error_description") or body.get("detail") or reason
    details = body.get("details")
    return (str(code) if code else None), str(message), details if isinstance(details, list) else []


def _classify(status: int, code: str | None, message: str) -> type[ApiError]:
    if status == 400 and code == "INVALID_PARAMETER_VALUE" and _MISSING.match(message):
        return ResourceDoesNotExist
    cls = _BY_CODE.get(code or "")
    if cls is None:
        cls = _BY_STATUS.get(status, BadRequest if 400 <= status < 500 else ApiError)
    return cls


def error_from_response(
    status: int, content: bytes, reason: str, endpoint: str, *, method: str = "", ids: str = ""
) -> ApiError:
    """The typed error for an error answer; tolerant of empty, HTML or plain-text bodies."""
    code, message, details = _parse_body(content, reason or f"HTTP {status}")
    cls = _classify(status, code, message)
    return cls(status, code, message, endpoint, method=method, ids=ids, details=details)
