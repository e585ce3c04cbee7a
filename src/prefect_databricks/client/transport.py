"""The one place a request is sent: URL, version path, auth header, encoding, retries, errors.

Retried: 429, 500, 502, 503, 504 and connection failures, within the `RetryPolicy`. A request
that is not idempotent is retried only when the server cannot have acted on it (connect
failure, 429, 503); run-now and runs/submit always carry an `idempotency_token`, so they are
idempotent and every failure of theirs is retried without risk of a second run.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx

from .auth import AuthProvider
from .endpoints import API_VERSIONS, endpoint
from .errors import (
    ApiError,
    ClientValidationError,
    DatabricksError,
    TransportError,
    error_from_response,
)
from .paging import PagingMixin
from .retry import DEFAULT_RETRY, RetryPolicy, parse_retry_after
from .wire import client_options, encode_params, ids_of, normalize_host, with_idempotency_token

__all__ = ["DEFAULT_TIMEOUT", "DatabricksClient"]

DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_NOT_ACTED_STATUSES = frozenset({429, 503})
_AUTH_STATUSES = frozenset({401, 403})
_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_log = logging.getLogger("prefect_databricks.client")
_sleep = asyncio.sleep

Outcome = httpx.Response | httpx.TransportError


@dataclass
class _Call:
    """What one logical call is, for retry decisions and error messages.

    `reauth`: the token can be refreshed (OAuth); a 401 or 403 then fetches a new token once, since a
    restarted or rotated server refuses a cached token that has not expired.
    """

    label: str
    method: str
    idempotent: bool
    ids: str = ""
    reauth: bool = False
    refreshed: bool = False


class DatabricksClient(PagingMixin):
    """An async client of one Databricks workspace, over one pooled `httpx.AsyncClient`.

    Args:
        host: workspace URL, with or without `https://`.
        auth: a token provider (`PatAuth`, `OAuthM2MAuth`).
        api_version: "2.2" (default), or "2.1"/"2.0" for old workspaces; permissions are 2.0.
        transport: an `httpx.AsyncBaseTransport` to send through (tests, proxies).
        retry: how failures are retried.
        timeout: per-request timeout (an `httpx.Timeout` or seconds).
        client_kwargs: more `httpx.AsyncClient` options (`verify`, `headers`, `limits`, ...).
    """

    def __init__(
        self,
        host: str,
        auth: AuthProvider,
        *,
        api_version: str = "2.2",
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        client_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        if api_version not in API_VERSIONS:
            raise ClientValidationError("api_version", f"must be one of {', '.join(API_VERSIONS)}")
        self.host = normalize_host(host)
        self.auth = auth
        self.api_version = api_version
        self.retry = retry
        options = client_options(self.host, transport, timeout, client_kwargs)
        self._http = httpx.AsyncClient(**options)

    async def call(
        self,
        name: str,
        *,
        params: Mapping[str, Any] | None = None,
        path: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Call endpoint `name` and return its JSON object (`{}` for an empty answer).

        GET sends `params` as the query string, other methods as the JSON body; `path` fills
        the path's placeholders. Raises `ApiError` subclasses, `TransportError`, or
        `ClientValidationError` before sending.
        """
        ep = endpoint(name)
        params = with_idempotency_token(ep, params)
        url = ep.url_path(self.api_version, path)
        call = _Call(
            ep.name,
            ep.method,
            ep.idempotent or ep.idempotency_token,
            ids_of(params, path),
            reauth=self.auth.kind != "pat",
        )
        options = encode_params(ep.method, params)

        async def build() -> httpx.Request:
            token = await self.auth.token(self._send_token)
            extra: Mapping[str, str] = getattr(self.auth, "extra_headers", {})
            return self._http.build_request(ep.method, url, **_authorized(options, token, extra))

        response = await self._send(call, build)
        return _json_object(response, call)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        **options: Any,
    ) -> httpx.Response:
        """Any REST call by its path under `<host>/api/` (e.g. `2.0/clusters/list`), authenticated and
        retried like `call`; returns the final `httpx.Response` whatever its status, as 0.4's
        `execute_endpoint` did. `options` go to `httpx` (`headers`, `content`, `timeout`, ...).
        """
        method = method.upper()
        url = "/api/" + path.lstrip("/")
        call = _Call(path.strip("/"), method, method in _IDEMPOTENT_METHODS, reauth=self.auth.kind != "pat")
        given_headers = options.pop("headers", None) or {}

        async def build() -> httpx.Request:
            token = await self.auth.token(self._send_token)
            extra: Mapping[str, str] = getattr(self.auth, "extra_headers", {})
            headers = {**given_headers, **extra, "Authorization": f"Bearer {token}"}
            return self._http.build_request(method, url, params=params, json=json, headers=headers, **options)

        return await self._send(call, build, raw=True)

    async def _send_token(self, request: httpx.Request) -> httpx.Response:
        """Send an auth provider's token request (retried like any idempotent call)."""
        request.headers["User-Agent"] = self._http.headers["User-Agent"]

        async def build() -> httpx.Request:
            return request

        return await self._send(_Call(request.url.path.lstrip("/"), "POST", True), build)

    async def _send(
        self, call: _Call, build: Callable[[], Awaitable[httpx.Request]], *, raw: bool = False
    ) -> httpx.Response:
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            outcome = await self._send_once(await build(), attempt)
            error, retryable, retry_after = self._judge(outcome, call, attempt)
            if error is None:
                assert isinstance(outcome, httpx.Response)
                return outcome
            wait = self.retry.next_wait(attempt, started, retry_after) if retryable else None
            if wait is None:
                if raw and isinstance(outcome, httpx.Response):
                    return outcome
                raise error
            _log.debug("Retrying %s %s in %.2f s (attempt %d failed)", call.method, call.label, wait, attempt)
            await _sleep(wait)

    async def _send_once(self, request: httpx.Request, attempt: int) -> Outcome:
        start = time.perf_counter()
        try:
            response = await self._http.send(request)
        except httpx.TransportError as exc:
            _log_request(request, type(exc).__name__, start, attempt)
            return exc
        _log_request(request, str(response.status_code), start, attempt)
        return response

    def _judge(
        self, outcome: Outcome, call: _Call, attempt: int
    ) -> tuple[DatabricksError | None, bool, float | None]:
        """(error or None, whether it may be retried, the server's Retry-After)."""
        if isinstance(outcome, httpx.TransportError):
            return _transport_error(outcome, call, attempt)
        if outcome.is_success:
            return None, False, None
        status = outcome.status_code
        error = error_from_response(
            status, outcome.content, outcome.reason_phrase, call.label, method=call.method, ids=call.ids
        )
        if status in _AUTH_STATUSES and call.reauth and not call.refreshed:
            call.refreshed = True  # once: a second refusal is raised
            self.auth.invalidate()
            return error, True, 0.0
        retryable = status in _RETRY_STATUSES and (call.idempotent or status in _NOT_ACTED_STATUSES)
        return error, retryable, parse_retry_after(outcome.headers.get("retry-after"))

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._http.aclose()

    async def __aenter__(self) -> DatabricksClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"DatabricksClient(host={self.host!r}, api_version={self.api_version!r}, auth={self.auth!r})"


def _authorized(options: dict[str, Any], token: str, extra: Mapping[str, str]) -> dict[str, Any]:
    """The request options with the bearer token and a provider's other headers (Azure's, from the SDK)."""
    headers = {**options.get("headers", {}), **extra, "Authorization": f"Bearer {token}"}
    return {**options, "headers": headers}


def _transport_error(
    exc: httpx.TransportError, call: _Call, attempt: int
) -> tuple[DatabricksError, bool, None]:
    where = f"{call.method} {call.label}" + (f" ({call.ids})" if call.ids else "")
    error = TransportError(f"{where}: no answer after {attempt} attempt(s): {type(exc).__name__}: {exc}")
    error.__cause__ = exc
    retryable = not isinstance(exc, httpx.UnsupportedProtocol) and (
        call.idempotent or isinstance(exc, _NOT_SENT)
    )
    return error, retryable, None


def _json_object(response: httpx.Response, call: _Call) -> dict[str, Any]:
    """The answer's JSON object; `{}` for an empty body."""
    if not response.content.strip():
        return {}
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise ApiError(
            response.status_code,
            None,
            "the answer is not a JSON object",
            call.label,
            method=call.method,
            ids=call.ids,
        )
    return body


def _log_request(request: httpx.Request, result: str, start: float, attempt: int) -> None:
    """One DEBUG line per request: method, path, status, time; never headers or bodies."""
    if _log.isEnabledFor(logging.DEBUG):
        elapsed = (time.perf_counter() - start) * 1000
        _log.debug(
            "%s %s -> %s in %.0f ms (attempt %d)", request.method, request.url.path, result, elapsed, attempt
        )
