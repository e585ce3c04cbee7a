"""Token providers: PAT, OAuth M2M against the local workspace's /oidc/v1/token, and Azure Entra.

The Azure Entra path posts to login.microsoftonline.com, which cannot be reached here: it is
tested over `httpx.MockTransport`, checking the request against Microsoft's documented form.
"""

from __future__ import annotations

import asyncio
import base64
from urllib.parse import parse_qs

import httpx
import pytest
from client_helpers import FAKE_HOST, FAST

from prefect_databricks.client import (
    DatabricksClient,
    OAuthM2MAuth,
    PatAuth,
    PermissionDenied,
    Unauthenticated,
)
from prefect_databricks.local import LocalWorkspace

SECRET = "azure-secret-do-not-log"


class FakeIdentityServer:
    """A token endpoint plus an API that accepts only the tokens it issued (for the Azure path)."""

    def __init__(self, expires_in: int = 3600, delay: float = 0.0) -> None:
        self.expires_in = expires_in
        self.delay = delay
        self.token_requests: list[httpx.Request] = []
        self.valid: set[str] = set()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "login.microsoftonline.com":
            return await self._token(request)
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in self.valid:
            return httpx.Response(401, json={"error_code": "UNAUTHENTICATED", "message": "bad token"})
        return httpx.Response(200, json={"jobs": []})

    async def _token(self, request: httpx.Request) -> httpx.Response:
        self.token_requests.append(request)
        await asyncio.sleep(self.delay)
        token = f"entra-{len(self.token_requests)}"
        self.valid.add(token)
        return httpx.Response(200, json={"access_token": token, "expires_in": self.expires_in})


def _azure_client(server: FakeIdentityServer) -> DatabricksClient:
    auth = OAuthM2MAuth(FAKE_HOST, "app-id", SECRET, tenant_id="tenant-1")
    return DatabricksClient(FAKE_HOST, auth, transport=httpx.MockTransport(server), retry=FAST)


async def test_azure_entra_token_request_form() -> None:
    server = FakeIdentityServer()
    async with _azure_client(server) as client:
        await client.call("jobs/list")
    request = server.token_requests[0]
    assert str(request.url) == "https://login.microsoftonline.com/tenant-1/oauth2/v2.0/token"
    form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
    assert form == {
        "grant_type": "client_credentials",
        "client_id": "app-id",
        "client_secret": SECRET,
        "scope": "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default",
    }


async def test_token_is_cached_across_calls() -> None:
    server = FakeIdentityServer()
    async with _azure_client(server) as client:
        for _ in range(3):
            await client.call("jobs/list")
    assert len(server.token_requests) == 1


async def test_concurrent_calls_share_one_refresh() -> None:
    server = FakeIdentityServer(delay=0.05)
    async with _azure_client(server) as client:
        await asyncio.gather(*(client.call("jobs/list") for _ in range(10)))
    assert len(server.token_requests) == 1


async def test_token_is_refreshed_before_it_expires() -> None:
    server = FakeIdentityServer(expires_in=1)
    async with _azure_client(server) as client:
        await client.call("jobs/list")
        await asyncio.sleep(0.6)
        await client.call("jobs/list")
    assert len(server.token_requests) == 2


async def test_a_rejected_token_is_refreshed_once() -> None:
    server = FakeIdentityServer()
    async with _azure_client(server) as client:
        await client.call("jobs/list")
        server.valid.clear()
        await client.call("jobs/list")
    assert len(server.token_requests) == 2


async def test_a_refused_secret_is_unauthenticated_and_never_echoed() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "invalid_client", "error_description": f"bad {SECRET}"})

    auth = OAuthM2MAuth(FAKE_HOST, "app-id", SECRET, tenant_id="t")
    async with DatabricksClient(FAKE_HOST, auth, transport=httpx.MockTransport(refuse), retry=FAST) as client:
        with pytest.raises(Unauthenticated) as info:
            await client.call("jobs/list")
    assert SECRET not in str(info.value)
    assert info.value.error_code == "invalid_client"


def test_reprs_hide_secrets() -> None:
    assert "s3cr3t" not in repr(OAuthM2MAuth("https://h", "id", "s3cr3t"))
    assert "s3cr3t" not in repr(PatAuth("s3cr3t"))


def test_databricks_token_request_uses_basic_auth() -> None:
    request = OAuthM2MAuth("https://h/", "cid", "csecret").token_request()
    assert str(request.url) == "https://h/oidc/v1/token"
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"cid:csecret").decode()
    assert parse_qs(request.content.decode()) == {"grant_type": ["client_credentials"], "scope": ["all-apis"]}


async def test_service_principal_against_the_local_workspace(workspace: LocalWorkspace) -> None:
    client_id, secret = next(iter(workspace.workspace.config.service_principals.items()))
    auth = OAuthM2MAuth(workspace.host, client_id, secret)
    async with DatabricksClient(workspace.host, auth) as client:
        first = await client.call("jobs/list")
        await client.call("jobs/list")
    assert isinstance(first, dict)
    assert auth.cached_token() is not None


async def test_wrong_service_principal_secret_against_the_local_workspace(workspace: LocalWorkspace) -> None:
    client_id = next(iter(workspace.workspace.config.service_principals))
    auth = OAuthM2MAuth(workspace.host, client_id, "not-the-secret")
    async with DatabricksClient(workspace.host, auth) as client:
        with pytest.raises(Unauthenticated) as info:
            await client.call("jobs/list")
    assert "not-the-secret" not in str(info.value)


async def test_wrong_pat_against_the_local_workspace(workspace: LocalWorkspace) -> None:
    async with DatabricksClient(workspace.host, PatAuth("dapi-nope")) as client:
        with pytest.raises(PermissionDenied):
            await client.call("jobs/list")
