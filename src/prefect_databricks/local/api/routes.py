"""Every route of the local workspace, declared once: the Databricks API, OAuth, control and run pages.

`api(...)` rows serve `/api/<version>/<path>` behind token auth for each version listed (all three by
default), with what the caller `need`s on the job the request names (`jobs/access.py` has the levels and
messages); `control(...)` rows serve `/local-api/<path>`; the OAuth, pre-signed download and page rows are
plain routes.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from ..jobs.access import Need
from ..runs.output import ARTIFACTS_PATH
from ..ui import pages
from . import control, files, jobs, oidc, presigned, runs, scim, secrets
from .app import api
from .app import control as local_api

__all__ = ["ROUTES"]

_V20 = ("2.0",)
_PERMISSIONS = "permissions/jobs/{job_id}"
_MANAGE_ACL = Need.PERMISSIONS

ROUTES: list[BaseRoute] = [
    # Jobs API: saved jobs
    *api("POST", "jobs/create", jobs.create),
    *api("GET", "jobs/get", jobs.get, need=Need.VIEW),
    *api("GET", "jobs/list", jobs.list_),
    *api("POST", "jobs/reset", jobs.reset, need=Need.MANAGE),
    *api("POST", "jobs/update", jobs.update, need=Need.MANAGE),
    *api("POST", "jobs/delete", jobs.delete, need=Need.DELETE),
    # Jobs API: runs
    *api("POST", "jobs/run-now", runs.run_now, need=Need.RUN),
    *api("POST", "jobs/runs/submit", runs.submit),
    *api("GET", "jobs/runs/get", runs.get, need=Need.VIEW),
    *api("GET", "jobs/runs/list", runs.list_runs, need=Need.VIEW),
    *api("POST", "jobs/runs/cancel", runs.cancel, need=Need.RUN),
    *api("POST", "jobs/runs/cancel-all", runs.cancel_all, need=Need.RUN),
    *api("POST", "jobs/runs/delete", runs.delete, need=Need.RUN),  # [I] the docs' table does not say
    *api("GET", "jobs/runs/get-output", runs.get_output, need=Need.VIEW),
    *api("GET", "jobs/runs/export", runs.export, need=Need.VIEW),
    *api("POST", "jobs/runs/repair", runs.repair, need=Need.RUN),
    # Permissions API (jobs)
    *api("GET", _PERMISSIONS, jobs.get_permissions_of, versions=_V20, need=_MANAGE_ACL),
    *api("PUT", _PERMISSIONS, jobs.set_permissions_of, versions=_V20, need=_MANAGE_ACL),
    *api("PATCH", _PERMISSIONS, jobs.patch_permissions, versions=_V20, need=_MANAGE_ACL),
    *api("GET", f"{_PERMISSIONS}/permissionLevels", jobs.permission_levels_of, versions=_V20,
        need=_MANAGE_ACL),
    # Workspace API
    *api("POST", "workspace/import", files.import_, versions=_V20, multipart=True),
    *api("GET", "workspace/export", files.export, versions=_V20),
    *api("POST", "workspace/mkdirs", files.mkdirs, versions=_V20),
    *api("GET", "workspace/list", files.list_, versions=_V20),
    *api("GET", "workspace/get-status", files.get_status, versions=_V20),
    *api("POST", "workspace/delete", files.delete, versions=_V20),
    # Secrets API
    *api("POST", "secrets/scopes/create", secrets.create_scope, versions=_V20),
    *api("GET", "secrets/scopes/list", secrets.list_scopes, versions=_V20),
    *api("POST", "secrets/scopes/delete", secrets.delete_scope, versions=_V20),
    *api("POST", "secrets/put", secrets.put, versions=_V20),
    *api("GET", "secrets/list", secrets.list_, versions=_V20),
    *api("POST", "secrets/delete", secrets.delete, versions=_V20),
    *api("GET", "secrets/get", secrets.get, versions=_V20),
    # SCIM: the caller
    *api("GET", "preview/scim/v2/Me", scim.me, versions=_V20),
    # OAuth: host metadata, OIDC discovery, client-credentials tokens
    Route("/.well-known/databricks-config", oidc.host_metadata, methods=["GET"]),
    Route("/oidc/.well-known/oauth-authorization-server", oidc.discovery, methods=["GET"]),
    Route("/oidc/v1/token", oidc.token, methods=["POST"]),
    # Pre-signed downloads: the link is the credential (no token)
    Route(f"{ARTIFACTS_PATH}/{{run_id:int}}", presigned.dbt_artifacts, methods=["GET"]),
    # Control (not Databricks): reset, faults, request counts
    local_api("POST", "reset", control.reset),
    local_api("GET", "faults", control.get_faults),
    local_api("POST", "faults", control.set_faults),
    local_api("GET", "requests", control.read_requests),
    local_api("GET", "admins", control.get_admins),
    local_api("POST", "admins", control.set_admin),
    local_api("POST", "requests/reset", control.reset_requests),
    local_api("POST", "spark", control.spark_remote),
    # Run pages
    Route("/", pages.shell, methods=["GET"]),
    Route("/ui", pages.to_jobs, methods=["GET"]),
    Route("/ui/jobs", pages.jobs_page, methods=["GET"]),
    Route("/ui/jobs/{job_id:int}", pages.job_page, methods=["GET"]),
    Route("/ui/runs/{run_id:int}", pages.run_page, methods=["GET"]),
    Route("/ui/static/{name}", pages.static, methods=["GET"]),
]
