"""Reading a request body within its size and time limits, and the JSON in it, checked at the door.

Limits, as the real service documents them: a Jobs API request is at most 10 MB ("The maximum allowed
size of a request to the Jobs API is 10MB", Jobs API 2.0 reference); workspace/import takes 10 MB of
content (10485760 bytes, MAX_NOTEBOOK_SIZE_EXCEEDED), which is 16 MiB of body once base64-encoded.
A body larger than its limit is refused from its Content-Length, before it is read. JSON deeper than
64 levels, and strings that are not valid Unicode (lone surrogates such as `"\\udfff"`), are refused
with the field named, so nothing that cannot be encoded again is ever stored.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.requests import ClientDisconnect, Request

from ..errors import InvalidParameterValue, MalformedRequest, RequestTimeout, RequestTooLarge

__all__ = [
    "BODY_READ_TIMEOUT", "IMPORT_BODY_LIMIT", "JSON_BODY_LIMIT", "MAX_DEPTH",
    "checked", "load_json", "read_body",
]

JSON_BODY_LIMIT = 10 * 1024 * 1024
IMPORT_BODY_LIMIT = 16 * 1024 * 1024
BODY_READ_TIMEOUT = 10.0
MAX_DEPTH = 64


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body; 413 past `limit` bytes (declared or sent), 408 when a chunk is slower than 10 s."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise RequestTooLarge(_too_large(limit))
    chunks: list[bytes] = []
    size = 0
    while True:
        try:
            message = await asyncio.wait_for(request.receive(), BODY_READ_TIMEOUT)
        except asyncio.TimeoutError:
            raise RequestTimeout(f"The request body was not sent within {BODY_READ_TIMEOUT:g} s.") from None
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise RequestTooLarge(_too_large(limit))
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _too_large(limit: int) -> str:
    return f"The request body exceeds the {limit // (1024 * 1024)} MB limit of this endpoint."


def load_json(raw: bytes) -> Any:
    """The JSON value of `raw` with `null` object fields dropped; 400 naming the field at fault.

    As in proto3 JSON, null means unset (clients such as prefect-databricks 0.4 send every unset field
    as `null`).
    """
    try:
        value = json.loads(raw)
    except RecursionError:
        raise MalformedRequest(f"The JSON body is nested more than {MAX_DEPTH} levels deep.") from None
    except (ValueError, UnicodeDecodeError):
        raise MalformedRequest("Invalid JSON given in the body of the request.") from None
    return checked(value)


def checked(value: Any, where: str = "", depth: int = 0) -> Any:
    """`value` without null object fields; 400 if it nests too deep or holds a string that is not Unicode."""
    if depth > MAX_DEPTH:
        raise MalformedRequest(f"The JSON body is nested more than {MAX_DEPTH} levels deep (at {where}).")
    if isinstance(value, str):
        _encodable(value, where)
        return value
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            field = f"{where}.{key}" if where else key
            _encodable(key, field)
            if item is not None:
                out[key] = checked(item, field, depth + 1)
        return out
    if isinstance(value, list):
        return [checked(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value)]
    return value


def _encodable(text: str, where: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        name = where.encode("utf-8", "backslashreplace").decode("utf-8")
        raise InvalidParameterValue(
            f"Invalid value for field {name or '(body)'}: not valid Unicode (a lone surrogate escape)."
        ) from None
