"""The HTTP surface: one route table, token auth, JSON parsing and the error renderer.

Handlers are thin: they read `Call.params`, make one service call and return JSON. Service
modules declare their routes with `api(...)` and this module composes them.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..errors import ApiError, EndpointNotFound, MalformedRequest, PermissionDenied, Unauthenticated
from ..state import Workspace
from .params import Params

__all__ = ["API_VERSIONS", "Call", "api", "control", "create_app", "json_response"]

API_VERSIONS = ("2.0", "2.1", "2.2")
_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
_log = logging.getLogger("prefect_databricks.local")


@dataclass
class Call:
    """One API request as a handler sees it."""

    ws: Workspace
    version: str
    params: Params
    path: dict[str, Any]
    request: Request


Handler = Callable[[Call], Awaitable[Any]]


def json_response(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Compact JSON, as Databricks sends it."""
    body = json.dumps(content, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(body, status, headers=headers, media_type="application/json")


def api(
    method: str, path: str, handler: Handler, *, versions: Sequence[str] = API_VERSIONS
) -> list[Route]:
    """Routes serving `handler` at `/api/<version>/<path>` for each version, behind token auth."""
    endpoint = _authenticated(handler)
    return [
        Route(f"/api/{version}/{path}", endpoint, methods=[method], name=f"{method} {version}/{path}")
        for version in versions
    ]


def control(method: str, path: str, handler: Handler) -> Route:
    """A route of the non-Databricks control prefix `/local-api/<path>`, behind token auth."""
    return Route(f"/local-api/{path}", _authenticated(handler), methods=[method])


def _authenticated(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        ws: Workspace = request.app.state.ws
        _authenticate(ws, request)
        version = request.url.path.split("/")[2] if request.url.path.startswith("/api/") else ""
        params = await _params(request)
        result = await handler(Call(ws, version, params, dict(request.path_params), request))
        return result if isinstance(result, Response) else json_response(result)

    return endpoint


def _authenticate(ws: Workspace, request: Request) -> None:
    header = request.headers.get("authorization", "")
    if not header:
        raise Unauthenticated("Credential was not sent or was of an unsupported type for this API.")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not ws.token_is_valid(token.strip()):
        raise PermissionDenied("Invalid access token.")


async def _params(request: Request) -> Params:
    if request.method == "GET":
        query = {k: v for k, v in request.query_params.multi_items()}
        body = await _json_object(request, required=False)
        return Params({**body, **query}, from_query=True)
    return Params(await _json_object(request, required=True), from_query=False)


async def _json_object(request: Request, *, required: bool) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        if not required:
            return {}
        raise MalformedRequest("Invalid JSON given in the body of the request.") from None
    if not isinstance(body, dict):
        raise MalformedRequest("The body of the request must be a JSON object.")
    return _without_nulls(body)


def _without_nulls(value: Any) -> Any:
    """`value` with every object field that is `null` removed: as in proto3 JSON, null means unset.

    Clients such as prefect-databricks 0.4 send every unset field as `null`.
    """
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return value


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return json_response(exc.body(), exc.status, exc.headers)


async def _unexpected(request: Request, exc: Exception) -> Response:
    _log.exception("Unexpected error on %s %s", request.method, request.url.path)
    return json_response({"error_code": "INTERNAL_ERROR", "message": "Internal error."}, 500)


async def _not_found(request: Request) -> Response:
    raise EndpointNotFound("No API endpoint found")


def create_app(ws: Workspace, routes: Iterable[BaseRoute]) -> Starlette:
    """The Starlette app serving `routes` for `ws`; unknown paths answer ENDPOINT_NOT_FOUND."""
    app = Starlette(
        routes=[*routes, Route("/{path:path}", _not_found, methods=_ALL_METHODS)],
        exception_handlers={ApiError: _api_error, Exception: _unexpected},
    )
    app.state.ws = ws
    return app
