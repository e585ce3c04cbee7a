"""How a route is served: token auth, request parsing into `Call`, and the error renderer.

Handlers are thin: they read `Call.params` into a service's typed arguments, make one service call and
return JSON. Every route is declared once, in `routes.py`, with the `api(...)`/`control(...)` helpers here.
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
from ..spark.server import SparkServer
from ..state import Workspace
from .counter import RequestCounter
from .faults import FaultSwitch, parse_spec
from .multipart import accept_multipart
from .params import Params
from .responses import json_response

__all__ = ["API_VERSIONS", "Call", "Surface", "api", "control", "create_app"]

API_VERSIONS = ("2.0", "2.1", "2.2")
_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
_log = logging.getLogger("prefect_databricks.local")


@dataclass
class Surface:
    """What the HTTP layer keeps beside the workspace: request counter, fault switch, Spark server."""

    counter: RequestCounter
    faults: FaultSwitch
    spark: SparkServer

    @classmethod
    def of(cls, ws: Workspace) -> Surface:
        """A new surface for `ws`, faults as its settings give them."""
        faults = FaultSwitch(parse_spec(ws.config.faults) if ws.config.faults else None)
        return cls(RequestCounter(), faults, SparkServer(ws.config.data_dir))


@dataclass
class Call:
    """One API request as a handler sees it; `caller` is who its token signs in as."""

    ws: Workspace
    surface: Surface
    version: str
    params: Params
    path: dict[str, Any]
    caller: str


Handler = Callable[[Call], Awaitable[Any]]


def api(
    method: str, path: str, handler: Handler, *, versions: Sequence[str] = API_VERSIONS,
    multipart: bool = False,
) -> list[Route]:
    """Routes serving `handler` at `/api/<version>/<path>` for each version, behind token auth.

    `multipart` also takes the body as a `multipart/form-data` form (replayed as the equivalent JSON).
    """
    endpoint = _authenticated(handler)
    routes = [
        Route(f"/api/{version}/{path}", endpoint, methods=[method], name=f"{method} {version}/{path}")
        for version in versions
    ]
    if multipart:
        for route in routes:
            route.app = accept_multipart(route.app)
    return routes


def control(method: str, path: str, handler: Handler) -> Route:
    """A route of the non-Databricks control prefix `/local-api/<path>`, behind token auth."""
    return Route(f"/local-api/{path}", _authenticated(handler), methods=[method])


def _authenticated(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        ws: Workspace = request.app.state.ws
        token = _authenticate(ws, request)
        version = request.url.path.split("/")[2] if request.url.path.startswith("/api/") else ""
        params = await _params(request)
        surface, path = request.app.state.surface, dict(request.path_params)
        call = Call(ws, surface, version, params, path, ws.caller(token))
        result = await handler(call)
        return result if isinstance(result, Response) else json_response(result)

    return endpoint


def _authenticate(ws: Workspace, request: Request) -> str:
    """The request's valid bearer token; 401 when none is sent, 403 when it is not valid."""
    header = request.headers.get("authorization", "")
    if not header:
        raise Unauthenticated("Credential was not sent or was of an unsupported type for this API.")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not ws.token_is_valid(token.strip()):
        raise PermissionDenied("Invalid access token.")
    return token.strip()


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
    cleaned: dict[str, Any] = _without_nulls(body)
    return cleaned


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


def create_app(ws: Workspace, routes: Iterable[BaseRoute], surface: Surface | None = None) -> Starlette:
    """The Starlette app serving `routes` for `ws`; unknown paths answer ENDPOINT_NOT_FOUND."""
    app = Starlette(
        routes=[*routes, Route("/{path:path}", _not_found, methods=_ALL_METHODS)],
        exception_handlers={ApiError: _api_error, Exception: _unexpected},
    )
    app.state.ws = ws
    app.state.surface = surface or Surface.of(ws)
    return app
