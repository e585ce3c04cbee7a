"""Every auth type beyond PAT and OAuth M2M, delegated to databricks-sdk's unified auth.

`SdkAuth` builds a `databricks.sdk.core.Config` on first use (the SDK is imported only then) and
asks its credential provider for headers before each request; the SDK caches and refreshes the
tokens (a token within 40 s of its expiry is replaced). The SDK's Google types mint new tokens at
every call instead; their headers are kept here until the ID token is that close to its expiry. The
headers go into this package's one transport, so retries, errors and redaction are unchanged. Token
fetches are the SDK's own (blocking) calls, run in a worker thread.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import os
import threading
import time
from collections.abc import Generator, Mapping
from typing import Any

import httpx

from .auth import Send
from .errors import Unauthenticated

__all__ = ["SdkAuth", "SdkHttpxAuth", "require_sdk"]

# Types whose SDK provider asks the identity provider again at every call (databricks-sdk 0.156: the
# google-auth `refresh()` in `google_credentials` / `google_id`), and the SDK's margin before an expiry.
_MINT_PER_CALL = frozenset({"google-credentials", "google-id"})
_EXPIRY_MARGIN = 40.0


def require_sdk(kind: str) -> None:
    """ValueError with the install command when databricks-sdk or google-auth (which the SDK imports for
    every type) is missing; checked without importing them."""
    import importlib.util

    for module, package in (("databricks.sdk", "databricks-sdk"), ("google.auth", "google-auth")):
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            raise ValueError(
                f"auth_type {kind!r} is signed in by databricks-sdk; {package} is not installed. "
                "Install it with: pip install 'prefect-databricks[sdk-auth]'."
            )


class SdkAuth:
    """One SDK credential provider for `host`: `kind` is the auth type, `options` its other keys
    (`databricks.sdk.core.Config` arguments); `secrets` are redacted from errors.

    A 401 from the workspace (`invalidate`) or a failed refresh drops the SDK config, so the request
    signs in again from scratch. Secret values are redacted from every error raised.
    """

    def __init__(
        self,
        host: str,
        kind: str,
        options: Mapping[str, str] | None = None,
        *,
        secrets: tuple[str, ...] = (),
    ) -> None:
        self.host = host
        self.kind = kind
        self._options: dict[str, Any] = dict(options or {})
        self._secrets = tuple(value for value in secrets if value)
        self._config: Any = None
        self._lock = threading.Lock()
        self._kept: tuple[dict[str, str], float] | None = None
        self.extra_headers: dict[str, str] = {}

    def headers(self) -> dict[str, str]:
        """Fresh authentication headers from the SDK (blocking: it may fetch or refresh a token)."""
        with self._lock:
            if self._kept is not None and time.time() < self._kept[1]:
                return dict(self._kept[0])
            try:
                headers = self._authenticate()
            except Unauthenticated:
                raise
            except Exception as exc:  # the SDK raises ValueError, OSError, requests errors, ...
                raise self._failure(exc) from None
            if self.kind in _MINT_PER_CALL:
                self._kept = (headers, _jwt_expiry(headers) - _EXPIRY_MARGIN)
        self.extra_headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        return dict(headers)

    def cached_token(self) -> str:
        """The bearer token of `headers()` (the SDK's cached one while it is fresh)."""
        return _bearer(self.headers(), self.kind)

    async def token(self, send: Send) -> str:
        """The bearer token, fetched in a worker thread so the event loop never blocks on the SDK."""
        return _bearer(await asyncio.to_thread(self.headers), self.kind)

    def invalidate(self) -> None:
        """Forget the SDK config and its cached tokens; the next request signs in again."""
        with self._lock:
            self._config = None
            self._kept = None

    def _authenticate(self) -> dict[str, str]:
        """The SDK's headers. When a signed-in config fails to refresh, sign in once more from scratch:
        a provider may hold a credential that has expired since (github-oidc-azure keeps the GitHub
        token it signed in with as Entra's client assertion) [I]."""
        if self._config is not None:
            try:
                return dict(self._config.authenticate())
            except Exception:  # the error of the fresh sign-in below is the one raised, if it fails too
                self._config = None
        self._config = self._new_config()
        return dict(self._config.authenticate())

    def _new_config(self) -> Any:
        """The SDK config of these values; it reads no config file, this package already did."""
        from databricks.sdk.core import Config

        return Config(host=self.host, auth_type=self.kind, config_file=os.devnull, **self._options)

    def _failure(self, exc: Exception) -> Unauthenticated:
        message = f"{type(exc).__name__}: {exc}"
        for secret in self._secrets:
            message = message.replace(secret, "[secure]")
        return Unauthenticated(401, None, message, f"{self.kind} sign-in")

    def __repr__(self) -> str:
        return f"SdkAuth(host={self.host!r}, auth_type={self.kind!r})"


def _bearer(headers: Mapping[str, str], kind: str) -> str:
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated(401, None, "the SDK gave no bearer token", f"{kind} sign-in")
    return token


def _jwt_expiry(headers: Mapping[str, str]) -> float:
    """The `exp` of the bearer token, a JWT (Google's ID tokens are); 0 when it has none.

    Read without checking the signature: it only says when to ask the SDK again. The access token
    sent beside it was minted at the same moment, for Google's default hour like the ID token [I].
    """
    token = next((v for k, v in headers.items() if k.lower() == "authorization"), "").partition(" ")[2]
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return float(claims["exp"])
    except (IndexError, KeyError, TypeError, ValueError, binascii.Error):
        return 0.0


class SdkHttpxAuth(httpx.Auth):
    """`httpx.Auth` over `SdkAuth` for 0.4's `get_client()`: the SDK's headers on every request.

    The SDK call blocks while it fetches a token (about once an hour); `get_jobs_client()` does not.
    """

    def __init__(self, provider: SdkAuth) -> None:
        self.provider = provider

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Send the request with the SDK's current headers."""
        request.headers.update(self.provider.headers())
        yield request

    def __repr__(self) -> str:
        return f"SdkHttpxAuth({self.provider!r})"
