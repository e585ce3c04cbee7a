"""Handlers of the Workspace API subset: request fields read into the files service's arguments."""

from __future__ import annotations

import base64
from typing import Any

from starlette.responses import Response

from ..files.objects import normalize_path
from ..files.service import (
    decode_content,
    delete_object,
    export_object,
    import_object,
    list_objects,
    make_directories,
    object_status,
)
from .app import Call

__all__ = ["delete", "export", "get_status", "import_", "list_", "mkdirs"]


async def import_(call: Call) -> dict[str, Any]:
    """workspace/import (JSON with base64 content, or a multipart form)."""
    content = decode_content(call.params.str("content"))
    fmt = call.params.str("format") or "SOURCE"
    language, overwrite = call.params.str("language"), call.params.bool("overwrite")
    import_object(call.ws, _path(call), content, fmt=fmt, language=language, overwrite=overwrite)
    return {}


async def export(call: Call) -> Any:
    """workspace/export, as base64 JSON or (`direct_download`) the raw bytes."""
    content, file_type = export_object(call.ws, _path(call), call.params.str("format") or "SOURCE")
    if call.params.bool("direct_download"):
        return Response(content, media_type="application/octet-stream")
    return {"content": base64.b64encode(content).decode(), "file_type": file_type}


async def mkdirs(call: Call) -> dict[str, Any]:
    """workspace/mkdirs."""
    make_directories(call.ws, _path(call))
    return {}


async def list_(call: Call) -> dict[str, Any]:
    """workspace/list."""
    after = call.params.int("notebooks_modified_after")
    return list_objects(call.ws, _path(call), notebooks_modified_after=after)


async def get_status(call: Call) -> dict[str, Any]:
    """workspace/get-status."""
    return object_status(call.ws, _path(call))


async def delete(call: Call) -> dict[str, Any]:
    """workspace/delete."""
    delete_object(call.ws, _path(call), recursive=call.params.bool("recursive"))
    return {}


def _path(call: Call) -> str:
    return normalize_path(call.params.str("path", required=True))
