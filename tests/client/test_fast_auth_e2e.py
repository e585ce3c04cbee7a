"""pat and oauth-m2m through `DatabricksCredentials` to a real local workspace: the header sent, and
a new token when the workspace's one expires mid-wait.

The workspace answers an expired OAuth token with 401 `invalid_token` (RFC 6750), and the client then
fetches a new one, as Databricks documents for OAuth M2M:
https://docs.databricks.com/aws/en/dev-tools/auth/oauth-m2m (tokens last an hour; fetch a new one).
"""

from __future__ import annotations

import time

from auth_fakes import sent_headers, trust

from prefect_databricks import DatabricksCredentials
from prefect_databricks.local import LocalWorkspace


def test_pat_sends_the_token_on_every_call(workspace: LocalWorkspace) -> None:
    creds = DatabricksCredentials(databricks_instance=workspace.host, token=workspace.token)
    sent = sent_headers(creds, calls=2)
    assert [h["authorization"] for h in sent] == [f"Bearer {workspace.token}"] * 2


def test_oauth_m2m_token_expiring_mid_wait_is_replaced(workspace: LocalWorkspace) -> None:
    client_id, secret = next(iter(workspace.workspace.config.service_principals.items()))
    creds = DatabricksCredentials(
        databricks_instance=workspace.host, client_id=client_id, client_secret=secret
    )
    [first] = sent_headers(creds)
    token = first["authorization"].removeprefix("Bearer ")
    assert workspace.workspace.caller(token) == client_id
    trust(workspace, token, client_id, time.time())  # its hour is up, in the workspace's eyes
    rejected, second = sent_headers(creds)
    assert rejected == first and second["authorization"] != first["authorization"]
    assert workspace.workspace.caller(second["authorization"].removeprefix("Bearer ")) == client_id
