"""No token or client secret in any log record or exception text, for a PAT run and an OAuth run."""

from __future__ import annotations

import logging
import traceback

import pytest

from prefect_databricks import DatabricksCredentials
from prefect_databricks.client import DatabricksClient, DatabricksError
from prefect_databricks.local import LocalWorkspace


async def _session(client: DatabricksClient, texts: list[str]) -> None:
    """Successful calls and failing ones; every exception's full text is collected."""
    job_id = (await client.call("jobs/create", params={"name": "secret-check"}))["job_id"]
    await client.get_job(job_id)
    _ = [job async for job in client.iter_jobs(name="secret-check")]
    for name, params in [("jobs/get", {"job_id": 1}), ("jobs/delete", {}), ("jobs/nope", {})]:
        try:
            await client.call(name, params=params)
        except (DatabricksError, ValueError) as exc:
            texts.append("".join(traceback.format_exception(exc)) + repr(exc))
    texts.append(repr(client))


def _bad_copy(credentials: DatabricksCredentials, **changes: str) -> DatabricksCredentials:
    return DatabricksCredentials.model_validate({**credentials.model_dump(), **changes})


@pytest.mark.parametrize("kind", ["pat", "oauth"])
async def test_no_secret_in_logs_or_errors(
    kind: str, workspace: LocalWorkspace, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client_id, secret = next(iter(workspace.workspace.config.service_principals.items()))
    if kind == "pat":
        credentials = DatabricksCredentials(databricks_instance=workspace.host, token=workspace.token)
        secrets = [workspace.token]
        wrong = DatabricksCredentials(databricks_instance=workspace.host, token=workspace.token + "x")
    else:
        credentials = DatabricksCredentials(
            databricks_instance=workspace.host, client_id=client_id, client_secret=secret
        )
        secrets = [secret]
        wrong = DatabricksCredentials(
            databricks_instance=workspace.host, client_id=client_id, client_secret=secret + "x"
        )
        secrets.append(secret + "x")
    texts: list[str] = [repr(credentials), str(credentials), repr(wrong)]
    await _session(credentials.get_jobs_client(), texts)
    if kind == "oauth":
        token = credentials.auth_provider().cached_token()
        assert token is not None
        secrets.append(token)
    try:
        await wrong.get_jobs_client().call("jobs/list")
    except DatabricksError as exc:
        texts.append("".join(traceback.format_exception(exc)))
    else:
        pytest.fail("wrong credentials were accepted")
    texts += [record.getMessage() for record in caplog.records]
    texts += [caplog.text]
    assert any("jobs/get" in text for text in texts)
    for text in texts:
        for value in secrets:
            assert value not in text
