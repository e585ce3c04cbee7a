"""Reading a request's fields: the query string, a JSON object body, or a multipart form.

Every string is checked once here, so nothing that cannot be stored and served back (a lone
surrogate) gets past the door, and nesting is bounded so no body can exhaust the stack.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from ..errors import InvalidParameterValue, MalformedRequest
from .multipart import form_fields
from .params import Params

__all__ = ["MAX_DEPTH", "read_params"]

MAX_DEPTH = 64
"""Deepest nesting of objects and arrays a body may have (job settings need about a dozen levels)."""
_TOO_DEEP = f"The body of the request is nested more than {MAX_DEPTH} levels deep."


async def read_params(request: Request, *, multipart: bool) -> Params:
    """The request's fields: query string (and a JSON body, if any) for GET, the JSON body (or form) else."""
    if request.method == "GET":
        query = {k: v for k, v in request.query_params.multi_items()}
        body = await _json_object(request, required=False)
        return Params({**body, **_checked(query, "", 0)}, from_query=True)
    content_type = request.headers.get("content-type", "")
    if multipart and content_type.startswith("multipart/form-data"):
        return Params(_checked(form_fields(content_type, await request.body()), "", 0), from_query=False)
    return Params(await _json_object(request, required=True), from_query=False)


async def _json_object(request: Request, *, required: bool) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except RecursionError:
        raise MalformedRequest(_TOO_DEEP) from None
    except (ValueError, UnicodeDecodeError):
        if not required:
            return {}
        raise MalformedRequest("Invalid JSON given in the body of the request.") from None
    if not isinstance(body, dict):
        raise MalformedRequest("The body of the request must be a JSON object.")
    cleaned: dict[str, Any] = _checked(body, "", 0)
    return cleaned


def _checked(value: Any, path: str, depth: int) -> Any:
    """`value` with `null` object fields removed (proto3 JSON: null means unset, as 0.4 sends every unset
    field), every string and key checked to be valid Unicode, and nesting bounded."""
    if depth > MAX_DEPTH:
        raise MalformedRequest(_TOO_DEEP)
    if isinstance(value, dict):
        return {_text(key, path or key): _checked(item, _join(path, key), depth + 1)
                for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_checked(item, f"{path}[{index}]", depth + 1) for index, item in enumerate(value)]
    return _text(value, path) if isinstance(value, str) else value


def _text(value: str, path: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        field = path.encode("utf-8", "backslashreplace").decode()
        raise InvalidParameterValue(
            f"Invalid value for field {field}: a string must be valid Unicode (it has a lone surrogate)."
        ) from None
    return value


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
