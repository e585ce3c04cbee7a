"""The Azure auth types (azure-client-secret, azure-cli, and azure-cli for a managed identity), signed in
by databricks-sdk and sent to a real local workspace.

Fakes, as nothing of Azure runs here: Microsoft Entra ID's token endpoint is played by an HTTPS proxy
(`google_fakes.TlsProxy`, trusted through `REQUESTS_CA_BUNDLE`) at its real URL; `az` is a script on
PATH; and the SDK's Azure environment is set to Azure's public cloud, which it would infer from an
`*.azuredatabricks.net` host that a loopback workspace is not. Shapes as documented:
https://learn.microsoft.com/en-us/azure/databricks/dev-tools/auth/azure-sp (the `X-Databricks-Azure-SP-
Management-Token` header), https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow
(client credentials), https://learn.microsoft.com/en-us/cli/azure/authenticate-azure-cli-managed-identity
(`az login --identity`, and `az account show` naming `systemAssignedIdentity` / `userAssignedIdentity`).
"""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from auth_fakes import Refused, TokenServer, jwt, on_path, sent_headers, trust, write_cli
from google_fakes import TlsProxy

from prefect_databricks import DatabricksCredentials
from prefect_databricks.local import LocalWorkspace

ENTRA = "login.microsoftonline.com"
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
SP = "6f1e7a3c-0000-4000-8000-00000000c1d5"


@pytest.fixture(autouse=True)
def azure(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """No DATABRICKS_*/ARM_*/proxy variables, HOME empty, and the SDK's environment Azure's public cloud."""
    from databricks.sdk import config as sdk_config
    from databricks.sdk.environments import ALL_ENVS, Cloud

    for var in list(os.environ):
        if var.startswith(("DATABRICKS_", "ARM_", "AZURE_")) or var.lower().endswith("_proxy"):
            monkeypatch.delenv(var)
    monkeypatch.setenv("HOME", str(tmp_path))
    public = next(e for e in ALL_ENVS if e.cloud == Cloud.AZURE and e.dns_zone == ".azuredatabricks.net")
    monkeypatch.setattr(sdk_config.Config, "environment", property(lambda self: public))
    return public


def test_azure_client_secret_headers_and_refresh(
    workspace: LocalWorkspace, azure: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The SDK asks Entra's v1 token endpoint of the tenant for two tokens: one for Azure Databricks'
    application (the bearer) and one for Azure's service management API (the SP management header)."""
    management = azure.azure_environment.service_management_endpoint
    issued: dict[str, list[str]] = {azure.azure_application_id: [], management: []}

    def answer(path: str, headers: dict[str, str]) -> dict[str, Any]:
        form = {key: values[0] for key, values in parse_qs(headers[""]).items()}
        assert (headers["host"], path) == (ENTRA, f"/{TENANT}/oauth2/token")
        assert (form["grant_type"], form["client_id"], form["client_secret"]) == (
            "client_credentials", SP, "entra-secret-value")
        resource = form["resource"]
        if resource == azure.azure_application_id:  # the workspace trusts Entra: a token it knows
            token = workspace.workspace.issue_oauth_token(SP, 42)
        else:
            token = f"mgmt-{len(issued[resource])}"
        issued[resource].append(token)
        return {"token_type": "Bearer", "expires_in": "42", "resource": resource, "access_token": token}

    with TlsProxy((ENTRA,), answer, tmp_path).running() as entra:
        monkeypatch.setenv("HTTPS_PROXY", entra.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(entra.ca_file))
        for var, value in (("DATABRICKS_HOST", workspace.host), ("ARM_CLIENT_ID", SP),
                           ("ARM_CLIENT_SECRET", "entra-secret-value"), ("ARM_TENANT_ID", TENANT)):
            monkeypatch.setenv(var, value)
        creds = DatabricksCredentials.from_env()  # ARM_* variables select azure-client-secret, as in the SDK
        assert creds.auth_provider().kind == "azure-client-secret" and "entra-secret" not in repr(creds)
        first, second = sent_headers(creds, calls=2, pause=2.2)  # 42 s tokens: stale for the SDK after 2 s
    databricks, mgmt = issued[azure.azure_application_id], issued[management]
    assert first["authorization"] == f"Bearer {databricks[0]}"
    assert first["x-databricks-azure-sp-management-token"] == mgmt[0]
    assert second["authorization"] == f"Bearer {databricks[1]}" and len(databricks) == 2
    assert second["x-databricks-azure-sp-management-token"] == mgmt[1]
    assert workspace.workspace.caller(databricks[1]) == SP


def _claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, unchecked."""
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def _az(tmp_path: Path, account: dict[str, Any], tokens: dict[str, list[dict[str, str]]]) -> Path:
    """A fake `az` on PATH: `account show` prints `account`; `account get-access-token --resource R`
    prints the next of `tokens[R]` (the last one repeats). Its arguments are logged to the returned file."""
    calls, queue = tmp_path / "az-calls", tmp_path / "az-tokens.json"
    queue.write_text(json.dumps(tokens))
    managed = account.get("user", {}).get("name", "").endswith("AssignedIdentity")
    body = (
        f"open({str(calls)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"
        f"if sys.argv[1:3] == ['account', 'show']:\n    print(json.dumps({account!r}))\n    sys.exit(0)\n"
        f"if {managed!r} and '--tenant' in sys.argv:\n"
        "    sys.exit(\"ERROR: Tenant shouldn't be specified for managed identity account\")\n"
        "resource = sys.argv[sys.argv.index('--resource') + 1]\n"
        f"queue = json.load(open({str(queue)!r}))\n"
        "entry = queue[resource].pop(0) if len(queue[resource]) > 1 else queue[resource][0]\n"
        f"json.dump(queue, open({str(queue)!r}, 'w'))\n"
        "print(json.dumps(entry))"
    )
    write_cli(tmp_path, "az", body)
    return calls


def _az_token(token: str, expires: float) -> dict[str, str]:
    """`az account get-access-token` output: expiresOn in local time, as az prints it."""
    local = time.strftime("%Y-%m-%d %H:%M:%S.000000", time.localtime(expires))
    return {"accessToken": token, "expiresOn": local, "tokenType": "Bearer", "tenant": TENANT}


def test_azure_cli_user(
    workspace: LocalWorkspace, azure: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A person signed in with `az login`: the SDK asks az for a token of Azure Databricks' application,
    in the given tenant, and sends it; a person gets no SP management header."""
    token = jwt(upn="az-user@example.com", aud=azure.azure_application_id)
    trust(workspace, token, "az-user@example.com", time.time() + 3600)
    calls = _az(tmp_path, {"user": {"name": "az-user@example.com", "type": "user"}},
                {azure.azure_application_id: [_az_token(token, time.time() + 3600)]})
    on_path(monkeypatch, tmp_path)
    creds = DatabricksCredentials(auth_type="azure-cli", databricks_instance=workspace.host,
                                  azure_tenant_id="t1")
    [headers] = sent_headers(creds)
    assert headers["authorization"] == f"Bearer {token}"
    assert "x-databricks-azure-sp-management-token" not in headers
    asked = calls.read_text()
    assert f"--resource {azure.azure_application_id}" in asked and "--tenant t1" in asked


@pytest.mark.parametrize("identity", ["systemAssignedIdentity", "userAssignedIdentity"])
def test_azure_cli_after_az_login_identity_is_the_managed_identity_path(
    identity: str, workspace: LocalWorkspace, azure: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """On an Azure VM after `az login --identity` (`--client-id <id>` for a user-assigned identity),
    azure-cli signs in as the managed identity: no `--tenant` (az refuses one for it), the SP management
    header, and a new az token once the first one expires mid-wait."""
    application, management = azure.azure_application_id, azure.azure_environment.service_management_endpoint
    short, later = time.time() + 43, time.time() + 3600  # the SDK replaces a token 40 s before it expires
    bearers = [jwt(oid=f"mi-{n}", xms_mirid="/subscriptions/s/…/vm-etl", aud=application) for n in range(2)]
    for bearer in bearers:
        trust(workspace, bearer, "mi-principal", later)
    calls = _az(
        tmp_path,
        {"user": {"name": identity, "type": "servicePrincipal"}, "tenantId": TENANT},
        {application: [_az_token(bearers[0], short), _az_token(bearers[1], later)],
         management: [_az_token("mgmt-0", later)]},
    )
    on_path(monkeypatch, tmp_path)
    creds = DatabricksCredentials(auth_type="azure-cli", databricks_instance=workspace.host,
                                  azure_tenant_id=TENANT)
    first, second = sent_headers(creds, calls=2, pause=3.1)
    assert first["authorization"] == f"Bearer {bearers[0]}"
    assert second["authorization"] == f"Bearer {bearers[1]}"
    assert first["x-databricks-azure-sp-management-token"] == "mgmt-0"
    assert "--tenant" not in calls.read_text()


def test_github_oidc_azure_exchanges_a_github_token_at_entra(
    workspace: LocalWorkspace, azure: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """GitHub's ID-token endpoint is a loopback fake (`ACTIONS_ID_TOKEN_REQUEST_URL`), Entra's the HTTPS
    proxy: the GitHub token is the client assertion of Entra's client-credentials grant
    (https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow#third-case-access-token-request-with-a-federated-credential).
    A new Entra token is fetched once the first expires. databricks-sdk 0.156 sends the GitHub token of
    its sign-in again for that; here it has expired too (1 s), Entra refuses it (AADSTS700024, as Entra
    answers an assertion past its `exp`), and the client signs in again with a new GitHub token."""
    assertions: list[str] = []

    def github(path: str, headers: dict[str, str]) -> dict[str, Any]:
        assert "audience=api://AzureADTokenExchange" in path
        return {"value": jwt(iss="https://token.actions.githubusercontent.com", sub="repo:acme/etl:ref:main",
                             aud="api://AzureADTokenExchange", exp=time.time() + 1, n=len(assertions))}

    def entra(path: str, headers: dict[str, str]) -> dict[str, Any]:
        form = {key: values[0] for key, values in parse_qs(headers[""]).items()}
        assert (headers["host"], path, form["client_id"]) == (ENTRA, f"/{TENANT}/oauth2/token", SP)
        assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        assert form["resource"] == azure.azure_application_id
        assertions.append(form["client_assertion"])
        if _claims(form["client_assertion"])["exp"] < time.time():
            raise Refused(400, {"error": "invalid_client", "error_description": "AADSTS700024: Client "
                                "assertion is not within its valid time range."})
        token = workspace.workspace.issue_oauth_token(SP, 42)
        return {"token_type": "Bearer", "expires_in": "42", "access_token": token}

    with TokenServer(github).running() as actions, TlsProxy((ENTRA,), entra, tmp_path).running() as proxy:
        monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", f"{actions.url}/token?api-version=2.0")
        monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gh-request-token")
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(proxy.ca_file))
        creds = DatabricksCredentials(databricks_instance=workspace.host, auth_type="github-oidc-azure",
                                      azure_client_id=SP, azure_tenant_id=TENANT)
        first, second = sent_headers(creds, calls=2, pause=2.2)
    assert first["authorization"] != second["authorization"]
    callers = {workspace.workspace.caller(h["authorization"][len("Bearer "):]) for h in (first, second)}
    assert callers == {SP}
    assert len(assertions) == 3 and assertions[0] == assertions[1] != assertions[2]
    assert len(actions.requests) == 2
