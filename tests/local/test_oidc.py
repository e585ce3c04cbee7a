"""OAuth M2M against the workspace: host metadata, discovery, the token endpoint, and the SDK end to end."""

from __future__ import annotations

import logging

import httpx
import pytest
from databricks.sdk import WorkspaceClient
from tests.conftest import SP_CLIENT_ID, SP_SECRET

from prefect_databricks.local import LocalWorkspace


def test_host_metadata_and_discovery_need_no_token(workspace: LocalWorkspace) -> None:
    with httpx.Client(base_url=workspace.host) as client:
        metadata = client.get("/.well-known/databricks-config").json()
        discovery = client.get("/oidc/.well-known/oauth-authorization-server").json()
    assert metadata == {
        "oidc_endpoint": f"{workspace.host}/oidc",
        "workspace_id": str(workspace.workspace.workspace_id),
        "cloud": "aws",
    }
    assert discovery["token_endpoint"] == f"{workspace.host}/oidc/v1/token"
    assert discovery["authorization_endpoint"].startswith(f"{workspace.host}/oidc/")


def test_token_endpoint_with_basic_auth_and_form_fields(workspace: LocalWorkspace) -> None:
    form = {"grant_type": "client_credentials", "scope": "all-apis"}
    with httpx.Client(base_url=workspace.host) as client:
        basic = client.post("/oidc/v1/token", data=form, auth=(SP_CLIENT_ID, SP_SECRET)).json()
        posted = client.post(
            "/oidc/v1/token", data={**form, "client_id": SP_CLIENT_ID, "client_secret": SP_SECRET}
        ).json()
        listed = client.get(
            "/api/2.2/jobs/list", headers={"Authorization": f"Bearer {basic['access_token']}"}
        )
    assert basic["token_type"] == "Bearer" and basic["expires_in"] > 0 and basic["scope"] == "all-apis"
    assert posted["access_token"] != basic["access_token"]
    assert listed.status_code == 200


@pytest.mark.parametrize(
    ("auth", "data", "status", "error"),
    [
        ((SP_CLIENT_ID, "wrong"), {"grant_type": "client_credentials"}, 401, "invalid_client"),
        (("unknown", SP_SECRET), {"grant_type": "client_credentials"}, 401, "invalid_client"),
        (None, {"grant_type": "client_credentials"}, 401, "invalid_client"),
        ((SP_CLIENT_ID, SP_SECRET), {"grant_type": "password"}, 400, "unsupported_grant_type"),
    ],
)
def test_token_endpoint_errors_are_oauth_errors(
    workspace: LocalWorkspace, auth: tuple[str, str] | None, data: dict[str, str], status: int, error: str
) -> None:
    with httpx.Client(base_url=workspace.host) as client:
        response = client.post("/oidc/v1/token", data=data, auth=auth)
    assert response.status_code == status and response.json()["error"] == error
    assert SP_SECRET not in response.text


def test_sdk_oauth_m2m_creates_jobs_as_the_service_principal(
    workspace: LocalWorkspace, caplog: pytest.LogCaptureFixture
) -> None:
    sdk = WorkspaceClient(host=workspace.host, client_id=SP_CLIENT_ID, client_secret=SP_SECRET)
    with caplog.at_level(logging.DEBUG):
        job_id = sdk.jobs.create(name="made-by-sp").job_id
    assert sdk.config.auth_type == "oauth-m2m"
    assert sdk.jobs.get(job_id).creator_user_name == SP_CLIENT_ID
    assert SP_SECRET not in caplog.text


def test_sdk_with_a_wrong_secret_fails(workspace: LocalWorkspace) -> None:
    sdk = WorkspaceClient(host=workspace.host, client_id=SP_CLIENT_ID, client_secret="not-it")
    with pytest.raises(ValueError, match="invalid_client"):
        sdk.jobs.create(name="never")
