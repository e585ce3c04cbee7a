"""The client's endpoint table, the local workspace's route table and the spec digest agree."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from starlette.routing import Route

from prefect_databricks.client.endpoints import API_VERSIONS, ENDPOINTS
from prefect_databricks.local.api.routes import ROUTES

_SPEC = Path(__file__).parents[2] / "shared" / "spec" / "jobs-api-2.2.sdk-digest.json"
_OUT_OF_SCOPE = "/api/2.0/policies/"  # cluster-policy compliance: not part of the Jobs product
_WORKSPACE_API = "workspace/"  # not in the Jobs digest; served by both sides to upload code


def _spec_endpoints() -> set[tuple[str, str]]:
    digest = json.loads(_SPEC.read_text())
    return {
        (e["http_method"], e["path"]) for e in digest["endpoints"] if not e["path"].startswith(_OUT_OF_SCOPE)
    }


def _client_endpoints(version: str) -> set[tuple[str, str]]:
    return {
        (e.method, e.url_path(version, {"job_id": "JOB_ID"}).replace("JOB_ID", "{job_id}"))
        for e in ENDPOINTS.values()
    }


def test_workspace_api_endpoints_are_declared() -> None:
    names = {name for name in ENDPOINTS if name.startswith(_WORKSPACE_API)}
    operations = ("import", "export", "mkdirs", "list", "get-status", "delete")
    assert names == {f"workspace/{op}" for op in operations}


def _server_routes() -> set[tuple[str, str]]:
    return {
        (method, re.sub(r":\w+}", "}", route.path))
        for route in ROUTES
        if isinstance(route, Route) and route.path.startswith("/api/")
        for method in (route.methods or ()) - {"HEAD"}
    }


def test_client_table_is_the_spec() -> None:
    jobs_side = {(m, p) for m, p in _client_endpoints("2.2") if not p.startswith("/api/2.0/workspace/")}
    assert jobs_side == _spec_endpoints()


@pytest.mark.parametrize("version", API_VERSIONS)
def test_server_serves_every_client_endpoint(version: str) -> None:
    assert _client_endpoints(version) <= _server_routes()
