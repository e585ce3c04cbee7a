"""The endpoint table: every Jobs endpoint once (matched to the spec in test_endpoint_tables.py)."""

from __future__ import annotations

import pytest

from prefect_databricks.client import API_VERSIONS, ENDPOINTS, ClientValidationError
from prefect_databricks.client.endpoints import endpoint


def test_sixteen_jobs_endpoints_and_four_permissions() -> None:
    names = set(ENDPOINTS)
    assert len([n for n in names if n.startswith("jobs/")]) == 16
    assert {n for n in names if n.startswith("permissions/")} == {
        "permissions/jobs/get",
        "permissions/jobs/set",
        "permissions/jobs/update",
        "permissions/jobs/levels",
    }


@pytest.mark.parametrize("version", ["2.0", "2.1", "2.2"])
def test_version_selects_the_prefix_but_permissions_stay_on_2_0(version: str) -> None:
    assert ENDPOINTS["jobs/runs/submit"].url_path(version) == f"/api/{version}/jobs/runs/submit"
    levels = ENDPOINTS["permissions/jobs/levels"].url_path(version, {"job_id": 7})
    assert levels == "/api/2.0/permissions/jobs/7/permissionLevels"


def test_methods() -> None:
    assert ENDPOINTS["permissions/jobs/set"].method == "PUT"
    assert ENDPOINTS["permissions/jobs/update"].method == "PATCH"
    assert ENDPOINTS["jobs/runs/get-output"].method == "GET"


def test_only_run_now_and_submit_take_an_idempotency_token() -> None:
    assert {e.name for e in ENDPOINTS.values() if e.idempotency_token} == {"jobs/run-now", "jobs/runs/submit"}
    assert not ENDPOINTS["jobs/create"].idempotent


def test_path_parameters_are_required_and_quoted() -> None:
    with pytest.raises(ClientValidationError, match="job_id: is required"):
        ENDPOINTS["permissions/jobs/get"].url_path("2.2", {})
    assert ENDPOINTS["permissions/jobs/get"].url_path("2.2", {"job_id": "a/b"}).endswith("/a%2Fb")


def test_unknown_endpoint_name_is_a_clear_error() -> None:
    with pytest.raises(ClientValidationError, match="name: must be one of the known endpoints"):
        endpoint("jobs/nope")


def test_table_matches_the_local_workspace_routes() -> None:
    """Client table == server table: every endpoint is served at every version it is called on."""
    from prefect_databricks.local.api.routes import ROUTES

    served = {getattr(route, "name", "") for route in ROUTES}
    for ep in ENDPOINTS.values():
        versions = API_VERSIONS if ep.versioned else ("2.0",)
        for version in versions:
            assert f"{ep.method} {version}/{ep.path}" in served
