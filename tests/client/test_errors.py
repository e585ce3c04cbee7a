"""Error mapping: error_code first, then HTTP status; tolerant of non-JSON bodies; no secrets."""

from __future__ import annotations

import json
import pickle

import httpx
import pytest

from prefect_databricks.client import (
    ApiError,
    BadRequest,
    DatabricksClient,
    DatabricksError,
    DeadlineExceeded,
    InternalError,
    InvalidParameterValue,
    InvalidState,
    NotFound,
    PatAuth,
    PermissionDenied,
    RequestLimitExceeded,
    ResourceAlreadyExists,
    ResourceConflict,
    ResourceDoesNotExist,
    TemporarilyUnavailable,
    Unauthenticated,
    Unimplemented,
)
from prefect_databricks.client.errors import error_from_response
from prefect_databricks.local import LocalWorkspace


def _body(code: str, message: str = "m") -> bytes:
    return json.dumps({"error_code": code, "message": message}).encode()


@pytest.mark.parametrize(
    ("status", "code", "cls"),
    [
        (400, "INVALID_PARAMETER_VALUE", InvalidParameterValue),
        (400, "INVALID_STATE", InvalidState),
        (400, "MALFORMED_REQUEST", BadRequest),
        (401, "UNAUTHENTICATED", Unauthenticated),
        (403, "PERMISSION_DENIED", PermissionDenied),
        (404, "RESOURCE_DOES_NOT_EXIST", ResourceDoesNotExist),
        (404, "ENDPOINT_NOT_FOUND", NotFound),
        (409, "RESOURCE_ALREADY_EXISTS", ResourceAlreadyExists),
        (409, "ABORTED", ResourceConflict),
        (429, "REQUEST_LIMIT_EXCEEDED", RequestLimitExceeded),
        (429, "RESOURCE_EXHAUSTED", RequestLimitExceeded),
        (500, "INTERNAL_ERROR", InternalError),
        (501, "NOT_IMPLEMENTED", Unimplemented),
        (503, "TEMPORARILY_UNAVAILABLE", TemporarilyUnavailable),
        (504, "DEADLINE_EXCEEDED", DeadlineExceeded),
        (400, "QUOTA_EXCEEDED", BadRequest),
        (418, "SOMETHING_NEW", BadRequest),
        (502, "SOMETHING_NEW", ApiError),
    ],
)
def test_code_then_status(status: int, code: str, cls: type[ApiError]) -> None:
    error = error_from_response(status, _body(code), "", "jobs/get", method="GET")
    assert type(error) is cls
    assert (error.status, error.error_code, error.message, error.endpoint) == (status, code, "m", "jobs/get")


def test_code_wins_over_status() -> None:
    assert type(error_from_response(400, _body("RESOURCE_DOES_NOT_EXIST"), "", "x")) is ResourceDoesNotExist


@pytest.mark.parametrize(
    "message",
    ["Job 998654886170278 does not exist.", "Run 12 does not exist", "Run: 5 in job: 6 doesn't exist"],
)
def test_real_service_400_for_a_missing_job_or_run_is_resource_does_not_exist(message: str) -> None:
    """The real service answers 400 INVALID_PARAMETER_VALUE for unknown jobs/runs (as the SDK overrides)."""
    error = error_from_response(400, _body("INVALID_PARAMETER_VALUE", message), "", "jobs/get")
    assert isinstance(error, ResourceDoesNotExist)
    assert error.error_code == "INVALID_PARAMETER_VALUE"


def test_other_invalid_parameter_messages_stay_invalid_parameter_value() -> None:
    error = error_from_response(
        400, _body("INVALID_PARAMETER_VALUE", "Job name is too long"), "", "jobs/create"
    )
    assert type(error) is InvalidParameterValue


@pytest.mark.parametrize(
    ("status", "content", "reason", "cls", "message"),
    [
        (502, b"<html><title>502 Bad Gateway</title></html>", "Bad Gateway", ApiError, "<html>"),
        (504, b"", "Gateway Timeout", DeadlineExceeded, "Gateway Timeout"),
        (400, b"INVALID_STATE: run is weird", "Bad Request", BadRequest, "INVALID_STATE: run is weird"),
        (500, b"[1, 2]", "Internal Server Error", InternalError, "[1, 2]"),
        (401, b'{"error": "invalid_client", "error_description": "no"}', "", Unauthenticated, "no"),
    ],
)
def test_non_json_and_odd_bodies(status: int, content: bytes, reason: str, cls: type, message: str) -> None:
    error = error_from_response(status, content, reason, "jobs/list", method="GET")
    assert type(error) is cls
    assert message in error.message


def test_message_names_method_endpoint_and_ids() -> None:
    error = error_from_response(
        400, _body("INVALID_STATE", "busy"), "", "jobs/runs/repair", method="POST", ids="run_id=42"
    )
    assert str(error) == "POST jobs/runs/repair (run_id=42): HTTP 400 INVALID_STATE: busy"


def test_errors_pickle_and_keep_their_fields() -> None:
    """Prefect may pickle a task's exception; the fields must survive."""
    error = error_from_response(404, _body("RESOURCE_DOES_NOT_EXIST", "gone"), "", "jobs/get", ids="job_id=1")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is ResourceDoesNotExist
    assert (copy.status, copy.error_code, copy.ids, str(copy)) == (
        404,
        "RESOURCE_DOES_NOT_EXIST",
        "job_id=1",
        str(error),
    )


def test_hierarchy() -> None:
    assert issubclass(ResourceDoesNotExist, NotFound)
    assert issubclass(InvalidParameterValue, BadRequest)
    assert issubclass(ApiError, DatabricksError)


async def test_local_workspace_auth_errors_map(workspace: LocalWorkspace) -> None:
    """The local workspace answers 401 without a token, 403 with a wrong one, 404 for unknown paths."""
    async with httpx.AsyncClient(base_url=workspace.host) as raw:
        no_token = await raw.get("/api/2.2/jobs/list")
    error = error_from_response(no_token.status_code, no_token.content, "", "jobs/list")
    assert isinstance(error, Unauthenticated)
    async with DatabricksClient(workspace.host, PatAuth("dapi-wrong")) as wrong:
        with pytest.raises(PermissionDenied) as info:
            await wrong.call("jobs/list")
    assert "GET jobs/list" in str(info.value)
    assert "dapi-wrong" not in str(info.value)
