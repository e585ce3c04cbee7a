"""`GET /api/2.0/preview/scim/v2/Me` answers who the caller is, read with the SDK's `current_user.me()`.

Source: databricks-sdk `service/iam.py` (`CurrentUserAPI.me`: "Get details about the current method
caller's identity", `GET /api/2.0/preview/scim/v2/Me`, query `attributes`/`excluded_attributes`); SCIM
RFC 7644 §3.9 (`id` is always returned). A service principal's `userName` is its application id.
"""

from __future__ import annotations

import httpx
from databricks.sdk import WorkspaceClient
from tests.conftest import SP_CLIENT_ID, SP_SECRET

from prefect_databricks.local import LocalWorkspace
from prefect_databricks.local.state import LOCAL_USER


def test_the_workspace_token_is_the_workspace_user(workspace: LocalWorkspace) -> None:
    me = WorkspaceClient(host=workspace.host, token=workspace.token).current_user.me()
    assert me.user_name == LOCAL_USER and me.active is True and me.id and me.id.isdigit()
    assert [email.value for email in me.emails or []] == [LOCAL_USER]


def test_an_oauth_token_is_its_service_principal(workspace: LocalWorkspace) -> None:
    sdk = WorkspaceClient(host=workspace.host, client_id=SP_CLIENT_ID, client_secret=SP_SECRET)
    me = sdk.current_user.me()
    assert me.user_name == SP_CLIENT_ID and not me.emails
    assert me.id != WorkspaceClient(host=workspace.host, token=workspace.token).current_user.me().id


def test_attributes_pick_the_fields_and_id_always_comes(http: httpx.Client) -> None:
    only = http.get("/api/2.0/preview/scim/v2/Me", params={"attributes": "userName"}).json()
    assert set(only) == {"id", "schemas", "userName"}
    less = http.get("/api/2.0/preview/scim/v2/Me", params={"excluded_attributes": "groups,emails,id"}).json()
    assert "groups" not in less and "emails" not in less and "id" in less and less["userName"] == LOCAL_USER


def test_me_needs_a_token(workspace: LocalWorkspace) -> None:
    response = httpx.get(f"{workspace.host}/api/2.0/preview/scim/v2/Me")
    assert response.status_code == 401
