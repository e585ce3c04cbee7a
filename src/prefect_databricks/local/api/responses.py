"""JSON responses in Databricks' compact form."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import Response

__all__ = ["json_response"]


def json_response(content: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Compact JSON, as Databricks sends it."""
    body = json.dumps(content, separators=(",", ":"), ensure_ascii=False).encode()
    return Response(body, status, headers=headers, media_type="application/json")
