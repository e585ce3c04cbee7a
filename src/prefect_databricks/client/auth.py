"""Token providers: a personal access token, or OAuth M2M client credentials (cached, refreshed).

Providers do no I/O themselves: they build the token request and read its answer, and the
transport sends it (with its retries). `HttpxAuth` adapts a provider to `httpx.Auth` for the
0.4-compatible `get_client()`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import Awaitable, Callable, Generator
from typing import Protocol

import httpx

from .errors import ApiError, Unauthenticated, error_from_response

__all__ = ["AuthProvider", "HttpxAuth", "OAuthM2MAuth", "PatAuth", "Send"]

Send = Callable[[httpx.Request], Awaitable[httpx.Response]]

_AZURE_LOGIN = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token"
_AZURE_DATABRICKS_SCOPE = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default"
_DEFAULT_TTL = 3600.0


class AuthProvider(Protocol):
    """What the transport needs from an authentication method."""

    kind: str

    async def token(self, send: Send) -> str:
        """A valid bearer token, fetched through `send` when none is cached."""

    def invalidate(self) -> None:
        """Forget a cached token (after the server rejected it)."""


class PatAuth:
    """A personal access token, sent as `Authorization: Bearer <token>`."""

    kind = "pat"

    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError("token: must not be empty")
        self._token = token

    def cached_token(self) -> str:
        """The token itself."""
        return self._token

    async def token(self, send: Send) -> str:
        """The token itself; nothing is sent."""
        return self._token

    def invalidate(self) -> None:
        """A static token cannot be refreshed."""

    def __repr__(self) -> str:
        return "PatAuth(token=[secure])"


class OAuthM2MAuth:
    """A service principal's client credentials exchanged for short-lived access tokens.

    Databricks: `POST <host>/oidc/v1/token` with HTTP Basic `client_id:client_secret`, form
    `grant_type=client_credentials&scope=all-apis`. With `tenant_id` (Azure Entra ID service
    principals, as in 0.4): the Microsoft login endpoint of that tenant, scope of the Azure
    Databricks resource. A token is reused until `refresh_margin` seconds before it expires.
    """

    kind = "oauth-m2m"

    def __init__(
        self,
        host: str,
        client_id: str,
        client_secret: str,
        *,
        tenant_id: str | None = None,
        refresh_margin: float = 60.0,
    ) -> None:
        if not client_id or not client_secret:
            raise ValueError("client_id, client_secret: both must be given")
        self.host = host.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self.tenant_id = tenant_id
        self.refresh_margin = refresh_margin
        self._token: str | None = None
        self._refresh_at = 0.0
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    @property
    def token_url(self) -> str:
        """Where tokens are obtained."""
        if self.tenant_id:
            return _AZURE_LOGIN.format(tenant=self.tenant_id)
        return f"{self.host}/oidc/v1/token"

    def cached_token(self) -> str | None:
        """The cached token while it is not about to expire."""
        return self._token if time.monotonic() < self._refresh_at else None

    def token_request(self) -> httpx.Request:
        """The client-credentials request for a new token."""
        form = {"grant_type": "client_credentials"}
        headers = {"Accept": "application/json"}
        if self.tenant_id:
            form |= {"client_id": self.client_id, "client_secret": self._secret}
            form["scope"] = _AZURE_DATABRICKS_SCOPE
        else:
            pair = f"{self.client_id}:{self._secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
            form["scope"] = "all-apis"
        return httpx.Request("POST", self.token_url, data=form, headers=headers)

    def accept(self, content: bytes) -> str:
        """Read a token answer and cache the token; Unauthenticated if it holds none."""
        try:
            body = json.loads(content)
        except (ValueError, UnicodeDecodeError):
            body = None
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise Unauthenticated(
                200, None, "the token endpoint answered without an access_token", self._label, method="POST"
            )
        ttl = _seconds(body.get("expires_in"))
        self._token = token
        self._refresh_at = time.monotonic() + ttl - min(self.refresh_margin, ttl / 2)
        return token

    def failure(self, error: ApiError) -> Unauthenticated:
        """The error for a refused token request (the secret is never part of it)."""
        message = error.message.replace(self._secret, "[secure]")
        return Unauthenticated(error.status, error.error_code, message, self._label, method="POST")

    async def token(self, send: Send) -> str:
        """The cached token, or a new one; one refresh at a time per event loop."""
        token = self.cached_token()
        if token is not None:
            return token
        async with self._lock():
            token = self.cached_token()
            if token is None:
                token = await self._fetch(send)
        return token

    async def _fetch(self, send: Send) -> str:
        try:
            response = await send(self.token_request())
        except ApiError as exc:
            if exc.status >= 500:
                raise
            raise self.failure(exc) from None
        return self.accept(response.content)

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            for closed in [other for other in list(self._locks) if other.is_closed()]:
                del self._locks[closed]
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    @property
    def _label(self) -> str:
        return "oauth2/v2.0/token" if self.tenant_id else "oidc/v1/token"

    def invalidate(self) -> None:
        """Drop the cached token so the next call fetches a new one."""
        self._token = None
        self._refresh_at = 0.0

    def __repr__(self) -> str:
        return f"OAuthM2MAuth(host={self.host!r}, client_id={self.client_id!r}, client_secret=[secure])"


def _seconds(expires_in: object) -> float:
    """A token's lifetime from `expires_in` (an hour when absent or unreadable)."""
    try:
        ttl = float(expires_in)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return _DEFAULT_TTL
    return ttl if ttl > 0 else _DEFAULT_TTL


class HttpxAuth(httpx.Auth):
    """`httpx.Auth` over a provider, for the plain `httpx.AsyncClient` of `get_client()`."""

    requires_response_body = True

    def __init__(self, provider: PatAuth | OAuthM2MAuth) -> None:
        self.provider = provider

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Fetch a token first when none is cached, then send the request with it."""
        token = self.provider.cached_token()
        if token is None and isinstance(self.provider, OAuthM2MAuth):
            response = yield self.provider.token_request()
            if not response.is_success:
                error = error_from_response(
                    response.status_code, response.content, response.reason_phrase, "token"
                )
                raise self.provider.failure(error)
            token = self.provider.accept(response.content)
        request.headers["Authorization"] = f"Bearer {token}"
        yield request

    def __repr__(self) -> str:
        return f"HttpxAuth({self.provider!r})"
