"""`multipart/form-data` requests replayed as the equivalent JSON body (workspace/import takes both forms).

The official SDK's `w.workspace.upload()` posts the form (fields plus a `content` file); the JSON form
carries `content` in base64. Converting at the ASGI level keeps one handler, one auth check and one
parser for both. Parsed with the standard library (no python-multipart needed).
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
import json
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["accept_multipart", "form_fields"]

_BOOLEANS = {"true": True, "false": False}


def accept_multipart(app: ASGIApp) -> ASGIApp:
    """Wrap `app` so that a multipart form arrives as a JSON object (file fields base64-encoded)."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        content_type = _header(scope, b"content-type")
        if scope["type"] != "http" or not content_type.startswith("multipart/form-data"):
            await app(scope, receive, send)
            return
        payload = json.dumps(form_fields(content_type, await _read_body(receive))).encode()
        headers = [(k, v) for k, v in scope["headers"] if k not in (b"content-type", b"content-length")]
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
        await app({**scope, "headers": headers}, _replay(payload, receive), send)

    return wrapped


def form_fields(content_type: str, body: bytes) -> dict[str, Any]:
    """The fields of a form: text as strings (`true`/`false` as booleans), files as base64 strings."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields: dict[str, Any] = {}
    for part in message.iter_parts() if message.is_multipart() else ():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if not isinstance(name, str):
            continue
        if part.get_filename() is not None:
            fields[name] = base64.b64encode(data).decode()
        else:
            text = data.decode("utf-8", "replace")
            fields[name] = _BOOLEANS.get(text.lower(), text)
    return fields


def _header(scope: Scope, name: bytes) -> str:
    headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return ""


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(payload: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": payload, "more_body": False}

    return replayed
