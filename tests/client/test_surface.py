"""The public surface is pinned, and the client imports nothing from Prefect."""

from __future__ import annotations

import subprocess
import sys

import prefect_databricks
import prefect_databricks.client as client


def test_client_all_is_pinned() -> None:
    assert set(client.__all__) == {
        "API_VERSIONS", "DEFAULT_RETRY", "ENDPOINTS", "ApiError", "BadRequest", "ClientValidationError",
        "DatabricksClient", "DatabricksError", "DeadlineExceeded", "Endpoint", "HttpxAuth", "InternalError",
        "InvalidParameterValue", "InvalidState", "NotFound", "OAuthM2MAuth", "PatAuth", "PermissionDenied",
        "RequestLimitExceeded", "ResourceAlreadyExists", "ResourceConflict", "ResourceDoesNotExist",
        "RetryPolicy", "TemporarilyUnavailable", "TransportError", "Unauthenticated", "Unimplemented",
        "WorkspaceConfig",
        "normalize_host", "set_testing",
    }  # fmt: skip
    for name in client.__all__:
        assert getattr(client, name) is not None


def test_root_exports_lazily() -> None:
    assert prefect_databricks.__all__ == ["DatabricksCredentials", "__version__"]
    assert "DatabricksCredentials" in dir(prefect_databricks)
    assert prefect_databricks.__version__.count(".") >= 2


def test_client_and_root_do_not_import_prefect() -> None:
    code = (
        "import sys, prefect_databricks, prefect_databricks.client\n"
        "from prefect_databricks.client import DatabricksClient, PatAuth\n"
        "DatabricksClient('https://h.example.com', PatAuth('t'))\n"
        "loaded = [m for m in sys.modules if m == 'prefect' or m.startswith('prefect.')]\n"
        "assert not loaded, loaded\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
