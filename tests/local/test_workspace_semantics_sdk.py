"""Workspace API and job-settings answers the service gives, driven by the official databricks-sdk.

Sources: the Workspace API reference (export formats include HTML; `workspace/list` takes
`notebooks_modified_after`, a UTC timestamp in milliseconds) and the git_source message recorded on the
real service ("git_source.git_provider must be one of: …", issue 13).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator

import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue
from databricks.sdk.service import jobs, workspace
from runs_helpers import unique

from prefect_databricks.local import LocalWorkspace

_PROVIDERS = ("github,gitlab,bitbucketcloud,gitlabenterpriseedition,bitbucketserver,azuredevopsservices,"
              "githubenterprise,awscodecommit")


@pytest.fixture
def sdk(workspace: LocalWorkspace) -> Iterator[WorkspaceClient]:
    yield WorkspaceClient(host=workspace.host, token=workspace.token)


def _notebook(sdk: WorkspaceClient, path: str, source: str) -> None:
    sdk.workspace.import_(path, content=base64.b64encode(source.encode()).decode(),
                          format=workspace.ImportFormat.SOURCE, language=workspace.Language.PYTHON,
                          overwrite=True)


def test_a_notebook_exports_as_html(sdk: WorkspaceClient) -> None:
    folder = f"/Shared/{unique('html')}"
    sdk.workspace.mkdirs(folder)
    _notebook(sdk, f"{folder}/report", "print('<b>bold</b>')\n")
    exported = sdk.workspace.export(f"{folder}/report", format=workspace.ExportFormat.HTML)
    html = base64.b64decode(exported.content or "").decode()
    assert html.startswith("<!DOCTYPE html>") and "<title>report</title>" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>bold</b>" not in html


def test_list_leaves_out_notebooks_not_modified_after(sdk: WorkspaceClient) -> None:
    folder = f"/Shared/{unique('modified')}"
    sdk.workspace.mkdirs(folder)
    _notebook(sdk, f"{folder}/old", "print(1)\n")
    sdk.workspace.mkdirs(f"{folder}/sub")
    time.sleep(0.05)
    cut = int(time.time() * 1000)
    time.sleep(0.05)
    _notebook(sdk, f"{folder}/new", "print(2)\n")
    every = {o.path for o in sdk.workspace.list(folder)}
    recent = {o.path for o in sdk.workspace.list(folder, notebooks_modified_after=cut)}
    assert every == {f"{folder}/old", f"{folder}/new", f"{folder}/sub"}
    assert recent == {f"{folder}/new", f"{folder}/sub"}


@pytest.mark.parametrize("git_source", [{"git_url": "https://github.com/o/r", "git_branch": "main"},
                                        {"git_url": "https://github.com/o/r", "git_provider": "svn"}])
def test_git_source_without_a_known_provider_gets_the_services_message(
    sdk: WorkspaceClient, git_source: dict[str, str]
) -> None:
    notebook = jobs.NotebookTask(notebook_path="nb", source=jobs.Source.GIT)
    task = jobs.Task(task_key="t", notebook_task=notebook)
    with pytest.raises(InvalidParameterValue) as info:
        sdk.api_client.do("POST", "/api/2.2/jobs/create", body={
            "name": unique("git"), "git_source": git_source, "tasks": [task.as_dict()]})
    assert str(info.value) == f"git_source.git_provider must be one of: {_PROVIDERS}"
    assert jobs.GitProvider.GIT_HUB.value == "gitHub"
