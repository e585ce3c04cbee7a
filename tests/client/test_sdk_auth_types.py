"""Every auth type beyond PAT and M2M, signed in by databricks-sdk and sent through this package's transport.

The workspace is a real LocalWorkspace over HTTP. Its token endpoint serves the federation token
exchange (env-oidc, file-oidc, github-oidc end to end). What cannot run here is faked, and each test
says so: the `databricks` CLI is a script on PATH, GitHub's and the metadata service's
token endpoints are loopback servers. The SDK's request shapes are the ones Databricks documents:
https://docs.databricks.com/aws/en/dev-tools/auth/oauth-federation-exchange (token exchange),
https://docs.databricks.com/aws/en/dev-tools/auth/unified-auth (auth types and variables).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from auth_fakes import TokenServer, jwt, on_path, sent_headers, write_cli

from prefect_databricks import DatabricksCredentials
from prefect_databricks.client import Unauthenticated
from prefect_databricks.local import LocalWorkspace
from prefect_databricks.local.state import FederationPolicy

ISSUER = "https://idp.example.test"
SUBJECT = "repo:acme/etl:ref:refs/heads/main"
GITHUB = "https://token.actions.githubusercontent.com"
AZURE_DEVOPS = "https://vstoken.dev.azure.com/0f3e1d2c-aaaa-4bbb-8ccc-0123456789ab"
TTL = 42  # the SDK replaces a token 40 s before it expires: after 2 s, a new one is fetched


@pytest.fixture(scope="module")
def fed_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalWorkspace]:
    """A workspace with federation policies for two service principals, issuing 42 s tokens."""
    policies = [
        FederationPolicy(issuer=ISSUER, subject=SUBJECT, client_id="fed-sp"),
        FederationPolicy(issuer=GITHUB, subject="repo:acme/etl:environment:prod", client_id="gh-sp"),
        FederationPolicy(issuer=AZURE_DEVOPS, subject="p://acme/etl/deploy", client_id="ado-sp",
                         audiences=("api://AzureADTokenExchange",)),
    ]
    with LocalWorkspace(
        tmp_path_factory.mktemp("fed"), federation_policies=policies, oauth_token_ttl_seconds=TTL
    ) as ws:
        yield ws


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No DATABRICKS_*/ARM_* variables; HOME without a config file."""
    import os

    for var in list(os.environ):
        if var.startswith(("DATABRICKS_", "ARM_", "ACTIONS_ID_TOKEN", "SYSTEM_")):
            monkeypatch.delenv(var)
    monkeypatch.setenv("HOME", str(tmp_path))


def _idp_token(audience: str, subject: str = SUBJECT, issuer: str = ISSUER) -> str:
    return jwt(iss=issuer, sub=subject, aud=audience)


def _list_jobs(creds: DatabricksCredentials) -> list[str]:
    """Call jobs/list twice through the pooled client; the Authorization headers it sent."""
    sent: list[str] = []

    async def record(request: httpx.Request) -> None:
        if "/api/" in request.url.path:
            sent.append(request.headers["Authorization"])

    creds.client_kwargs = {"event_hooks": {"request": [record]}}

    async def main() -> None:
        client = creds.get_jobs_client()
        await client.call("jobs/list")

    asyncio.run(main())
    return sent


def _issued_to(ws: LocalWorkspace, header: str) -> str:
    """Whom the workspace issued the bearer token of `header` to."""
    scheme, _, token = header.partition(" ")
    assert scheme == "Bearer"
    return ws.workspace.oauth_tokens[token].client_id


def test_env_oidc_exchanges_the_variable_token(
    fed_ws: LocalWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABRICKS_OIDC_TOKEN", _idp_token(f"{fed_ws.host}/oidc/v1/token"))
    creds = DatabricksCredentials(databricks_instance=fed_ws.host, auth_type="env-oidc", client_id="fed-sp")
    [header] = _list_jobs(creds)
    assert _issued_to(fed_ws, header) == "fed-sp"


def test_file_oidc_from_env_vars_and_refresh(
    fed_ws: LocalWorkspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A token that expires is replaced, and the rotated identity-provider token is read again."""
    token_file = tmp_path / "idp-token"
    token_file.write_text(_idp_token(f"{fed_ws.host}/oidc/v1/token"))
    monkeypatch.setenv("DATABRICKS_HOST", fed_ws.host)
    monkeypatch.setenv("DATABRICKS_AUTH_TYPE", "file-oidc")
    monkeypatch.setenv("DATABRICKS_OIDC_TOKEN_FILE", str(token_file))
    monkeypatch.setenv("DATABRICKS_CLIENT_ID", "fed-sp")
    creds = DatabricksCredentials.from_env()
    assert creds.auth_type == "file-oidc" and creds.oidc_token_filepath == str(token_file)
    [first] = _list_jobs(creds)
    token_file.write_text("not-a-jwt")  # a refresh now must read the file again, and fail on this
    time.sleep(2.2)
    with pytest.raises(Unauthenticated) as caught:
        _list_jobs(creds)
    assert "subject_token must be a JWT" in str(caught.value)
    token_file.write_text(_idp_token(f"{fed_ws.host}/oidc/v1/token"))
    creds.auth_provider().invalidate()
    [second] = _list_jobs(creds)
    assert first != second and _issued_to(fed_ws, second) == "fed-sp"


def test_a_token_past_its_expiry_is_refreshed_mid_wait(
    fed_ws: LocalWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABRICKS_OIDC_TOKEN", _idp_token(f"{fed_ws.host}/oidc/v1/token"))
    creds = DatabricksCredentials(databricks_instance=fed_ws.host, auth_type="env-oidc", client_id="fed-sp")
    sent: list[str] = []

    async def record(request: httpx.Request) -> None:
        sent.append(request.headers["Authorization"])

    creds.client_kwargs = {"event_hooks": {"request": [record]}}

    async def wait() -> None:
        client = creds.get_jobs_client()
        await client.call("jobs/list")
        await asyncio.sleep(2.2)  # the token is now within the SDK's 40 s margin of its expiry
        await client.call("jobs/list")

    asyncio.run(wait())
    assert len(sent) == 2 and sent[0] != sent[1]
    assert {_issued_to(fed_ws, header) for header in sent} == {"fed-sp"}


def test_github_oidc_with_a_fake_github_token_endpoint(
    fed_ws: LocalWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GitHub's ID-token endpoint is a loopback fake; the exchange is the workspace's own. When the
    workspace token nears its expiry, the SDK asks GitHub for a new ID token and exchanges it again."""

    def answer(path: str, headers: dict[str, str]) -> dict[str, Any]:
        audience = httpx.URL(path).params["audience"]
        return {"value": _idp_token(audience, "repo:acme/etl:environment:prod", GITHUB)}

    with TokenServer(answer).running() as github:
        monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", f"{github.url}/token?api-version=2.0")
        monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-token")
        creds = DatabricksCredentials(
            databricks_instance=fed_ws.host, auth_type="github-oidc", client_id="gh-sp"
        )
        first, second = sent_headers(creds, calls=2, pause=2.2)
    assert first["authorization"] != second["authorization"]
    assert {_issued_to(fed_ws, h["authorization"]) for h in (first, second)} == {"gh-sp"}
    assert len(github.requests) >= 2  # the refresh asked GitHub for a new ID token
    assert {headers["authorization"] for _, _, headers in github.requests} == {"Bearer gh-request-token"}


def test_azure_devops_oidc_with_a_fake_pipeline_token_endpoint(
    fed_ws: LocalWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Azure DevOps' pipeline OIDC endpoint is a loopback fake named by the pipeline's SYSTEM_* variables
    (https://learn.microsoft.com/en-us/azure/devops/pipelines/build/variables); its token, whose audience
    is always api://AzureADTokenExchange, is exchanged at the workspace, again once the first expires."""

    def answer(path: str, headers: dict[str, str]) -> dict[str, Any]:
        assert headers["authorization"] == "Bearer ado-system-token"
        return {"oidcToken": _idp_token("api://AzureADTokenExchange", "p://acme/etl/deploy", AZURE_DEVOPS)}

    with TokenServer(answer).running() as ado:
        for var, value in (("SYSTEM_ACCESSTOKEN", "ado-system-token"),
                           ("SYSTEM_TEAMFOUNDATIONCOLLECTIONURI", f"{ado.url}/acme/"),
                           ("SYSTEM_TEAMPROJECTID", "etl"), ("SYSTEM_PLANID", "plan-1"),
                           ("SYSTEM_JOBID", "job-1"), ("SYSTEM_HOSTTYPE", "build")):
            monkeypatch.setenv(var, value)
        creds = DatabricksCredentials(
            databricks_instance=fed_ws.host, auth_type="azure-devops-oidc", client_id="ado-sp"
        )
        first, second = sent_headers(creds, calls=2, pause=2.2)
    assert first["authorization"] != second["authorization"]
    assert {_issued_to(fed_ws, h["authorization"]) for h in (first, second)} == {"ado-sp"}
    method, path, _ = ado.requests[0]
    jobs = "/acme/etl/_apis/distributedtask/hubs/build/plans/plan-1/jobs"
    assert (method, path) == ("POST", f"{jobs}/job-1/oidctoken?api-version=7.2-preview.1")


def _token_cache(path: Path, host: str, token: str, expiry: str) -> None:
    """The cache `databricks auth login` writes (~/.databricks/token-cache.json, version 1, keyed by host)."""
    entry = {"access_token": token, "token_type": "Bearer", "refresh_token": "r", "expiry": expiry}
    path.write_text(json.dumps({"version": 1, "tokens": {host: entry}}))


def test_databricks_cli_profile_reads_the_login_token_cache(
    workspace: LocalWorkspace, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The Go `databricks` CLI is a fake on PATH (over 1 MB, as the SDK requires) answering `auth token`
    from the token cache; the tokens are ones the workspace issued."""
    cache = tmp_path / ".databricks" / "token-cache.json"
    cache.parent.mkdir()
    soon = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(time.time() + 30))  # always within 40 s: re-read
    _token_cache(cache, workspace.host, workspace.workspace.issue_oauth_token("u2m@example.com", 3600), soon)
    body = (
        "if sys.argv[1] == 'version':\n"
        "    print(json.dumps({'Major': 0, 'Minor': 290, 'Patch': 0}))\n    sys.exit(0)\n"
        "host = sys.argv[sys.argv.index('--host') + 1]\n"
        f"entry = json.load(open({str(cache)!r}))['tokens'][host]\n"
        "print(json.dumps({k: entry[k] for k in ('access_token', 'token_type', 'expiry')}))"
    )
    write_cli(tmp_path, "databricks", body, min_size=1024 * 1024 + 1)
    on_path(monkeypatch, tmp_path)
    (tmp_path / ".databrickscfg").write_text(f"[u2m]\nhost = {workspace.host}\nauth_type = databricks-cli\n")
    creds = DatabricksCredentials.from_profile("u2m")
    [first] = _list_jobs(creds)
    renewed = workspace.workspace.issue_oauth_token("u2m@example.com", 3600)
    _token_cache(cache, workspace.host, renewed, soon)
    [second] = _list_jobs(creds)
    assert first != second and second == f"Bearer {renewed}"
    assert workspace.workspace.caller(renewed) == "u2m@example.com"


def test_metadata_service(workspace: LocalWorkspace) -> None:
    """The metadata service (as the VS Code extension runs one) is a loopback fake; it answers with the
    documented fields and sees the SDK's version and host headers. Its tokens expire within the SDK's
    40 s margin, so each request asks it again."""
    tokens: list[str] = []

    def answer(path: str, headers: dict[str, str]) -> dict[str, Any]:
        tokens.append(workspace.workspace.issue_oauth_token("ide-user@example.com", 3600))
        return {"access_token": tokens[-1], "token_type": "Bearer", "expires_on": int(time.time()) + 40}

    with TokenServer(answer).running() as service:
        url = f"{service.url}/metadata/secret-path"
        creds = DatabricksCredentials(databricks_instance=workspace.host, metadata_service_url=url)
        assert creds.auth_type is None  # the key selects the type, as in the SDK
        first, second = sent_headers(creds, calls=2)
        assert url not in repr(creds)
    assert first["authorization"] == f"Bearer {tokens[-2]}"
    assert second["authorization"] == f"Bearer {tokens[-1]}" != first["authorization"]
    _, _, headers = service.requests[0]
    assert headers["x-databricks-metadata-version"] == "1" and headers["x-databricks-host"] == workspace.host


def test_sdk_failures_are_unauthenticated_without_secrets(workspace: LocalWorkspace) -> None:
    secret = "azure-secret-never-shown-93ac"
    creds = DatabricksCredentials(
        databricks_instance=workspace.host, auth_type="file-oidc", oidc_token_filepath="/nonexistent/token"
    )
    with pytest.raises(Unauthenticated, match="file-oidc sign-in"):
        _list_jobs(creds)
    creds = DatabricksCredentials(
        databricks_instance=workspace.host, azure_client_id="a", azure_client_secret=secret
    )
    assert creds.auth_type is None and secret not in repr(creds)
    with pytest.raises(Unauthenticated) as caught:
        _list_jobs(creds)
    assert secret not in str(caught.value)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"auth_type": "azure-msi"}, "no azure-msi strategy"),
        ({"auth_type": "kerberos"}, "'kerberos' is not one of: pat, oauth-m2m"),
        ({"auth_type": "file-oidc"}, "'file-oidc' needs oidc_token_filepath"),
        ({"auth_type": "oauth-m2m", "client_id": "c"}, "'oauth-m2m' needs client_secret"),
    ],
)
def test_auth_type_rules_name_the_field(fields: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DatabricksCredentials(databricks_instance="dbc-1.cloud.databricks.com", **fields)
