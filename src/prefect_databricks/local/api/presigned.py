"""Pre-signed downloads: what a link from runs/get-output fetches with a plain GET, no token.

The link's own `expires` and `signature` are the credential (`runs/output.py` signs and checks them), as
with the object-store URLs Databricks hands out for dbt artifacts.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from ..runs.output import artifacts_file
from ..state import Workspace

__all__ = ["dbt_artifacts"]


async def dbt_artifacts(request: Request) -> Response:
    """The gzip tarball of one dbt task run's artifacts (403 for a forged or expired link)."""
    ws: Workspace = request.app.state.ws
    query = request.query_params
    path = artifacts_file(ws, request.path_params["run_id"], query.get("expires"), query.get("signature"))
    return FileResponse(path, media_type="application/gzip", filename=path.name,
                        headers={"Cache-Control": "no-store"})
