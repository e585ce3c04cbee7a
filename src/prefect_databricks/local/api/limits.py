"""A bound on request bodies, applied before anything reads them (auth included), so no client can make
the workspace hold more than that in memory."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import BodyTooLarge
from .responses import json_response

__all__ = ["MAX_BODY_BYTES", "limit_bodies"]

MAX_BODY_BYTES = 16 * 1024 * 1024
"""16 MiB: the Workspace API's 10 MB import limit in base64 inside JSON, with room to spare."""
_TOO_LARGE = BodyTooLarge(f"The request body is larger than {MAX_BODY_BYTES} bytes.")


def limit_bodies(app: ASGIApp, limit: int = MAX_BODY_BYTES) -> ASGIApp:
    """`app` refusing (413) a body whose declared or streamed length passes `limit`.

    A declared length is checked before anything is read, and the body is left for the handler to read
    once the token is checked; a body sent without one (chunked) is read here, up to `limit` only.
    """

    async def limited(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None:
            if declared.isdigit() and int(declared) <= limit:
                await app(scope, receive, send)
            else:
                await _refuse(scope, receive, send)
            return
        body = await _read_up_to(receive, limit)
        if body is None:
            await _refuse(scope, receive, send)
        else:
            await app(scope, _replay(body, receive), send)

    return limited


async def _read_up_to(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None as soon as it passes `limit` bytes."""
    chunks, seen = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        seen += len(chunk)
        if seen > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
    await json_response(_TOO_LARGE.body(), _TOO_LARGE.status)(scope, receive, send)
