"""Workspace API subset: the SDK's upload/download, notebook formats, folders, and `read_object`."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError, ResourceAlreadyExists, ResourceDoesNotExist
from databricks.sdk.service.workspace import ExportFormat, ImportFormat, Language, ObjectType

from prefect_databricks.local import LocalWorkspace
from prefect_databricks.local.files.service import export_directory, read_object


@pytest.fixture(scope="module")
def sdk(workspace: LocalWorkspace) -> Iterator[WorkspaceClient]:
    yield WorkspaceClient(host=workspace.host, token=workspace.token)


@pytest.fixture
def folder(sdk: WorkspaceClient) -> str:
    path = f"/Shared/t-{uuid.uuid4().hex}"
    sdk.workspace.mkdirs(path)
    return path


def test_upload_and_download_a_python_notebook(sdk: WorkspaceClient, folder: str) -> None:
    sdk.workspace.upload(f"{folder}/hello.py", b"print('hi')")
    status = sdk.workspace.get_status(f"{folder}/hello.py")
    assert status.object_type == ObjectType.NOTEBOOK and status.language == Language.PYTHON
    assert sdk.workspace.download(f"{folder}/hello.py").read() == b"# Databricks notebook source\nprint('hi')"


def test_upload_a_plain_file_with_auto_and_raw(sdk: WorkspaceClient, folder: str) -> None:
    sdk.workspace.upload(f"{folder}/data.csv", b"a,b\n1,2\n", format=ImportFormat.AUTO)
    sdk.workspace.upload(f"{folder}/blob.bin", bytes(range(256)), format=ImportFormat.RAW)
    assert sdk.workspace.download(f"{folder}/data.csv").read() == b"a,b\n1,2\n"
    assert sdk.workspace.download(f"{folder}/blob.bin").read() == bytes(range(256))
    status = sdk.workspace.get_status(f"{folder}/blob.bin")
    assert status.object_type == ObjectType.FILE and status.size == 256


def test_auto_turns_a_notebook_source_into_a_notebook_without_extension(
    sdk: WorkspaceClient, folder: str
) -> None:
    source = b"-- Databricks notebook source\nSELECT 1"
    sdk.workspace.upload(f"{folder}/query.sql", source, format=ImportFormat.AUTO)
    status = sdk.workspace.get_status(f"{folder}/query")
    assert status.object_type == ObjectType.NOTEBOOK and status.language == Language.SQL


def test_jupyter_round_trip(sdk: WorkspaceClient, folder: str) -> None:
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": ["# Title"], "metadata": {}},
            {"cell_type": "code", "source": ["x = 1\n", "print(x)"], "metadata": {}, "outputs": []},
        ],
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    sdk.workspace.upload(f"{folder}/nb", json.dumps(notebook).encode(), format=ImportFormat.JUPYTER)
    source = sdk.workspace.download(f"{folder}/nb").read().decode()
    assert source.startswith("# Databricks notebook source\n") and "# MAGIC %md\n# MAGIC # Title" in source
    exported = json.loads(sdk.workspace.download(f"{folder}/nb", format=ExportFormat.JUPYTER).read())
    assert [c["cell_type"] for c in exported["cells"]] == ["markdown", "code"]
    assert exported["cells"][1]["source"] == "x = 1\nprint(x)"


def test_overwrite_and_missing_parent(sdk: WorkspaceClient, folder: str) -> None:
    sdk.workspace.upload(f"{folder}/n.py", b"1")
    with pytest.raises(ResourceAlreadyExists):
        sdk.workspace.upload(f"{folder}/n.py", b"2")
    sdk.workspace.upload(f"{folder}/n.py", b"2", overwrite=True)
    assert sdk.workspace.download(f"{folder}/n.py").read().endswith(b"\n2")
    with pytest.raises(ResourceDoesNotExist, match="parent folder"):
        sdk.workspace.upload(f"{folder}/missing/n.py", b"1")


def test_source_without_language_is_refused_with_a_hint(sdk: WorkspaceClient, folder: str) -> None:
    with pytest.raises(DatabricksError, match=r"format=ImportFormat\.AUTO"):
        sdk.workspace.upload(f"{folder}/notes.txt", b"text")


def test_list_mkdirs_and_delete(sdk: WorkspaceClient, folder: str) -> None:
    sdk.workspace.mkdirs(f"{folder}/a/b/c")
    sdk.workspace.upload(f"{folder}/a/b/c/x.py", b"1")
    paths = [o.path for o in sdk.workspace.list(folder, recursive=True)]
    assert paths == [f"{folder}/a/b/c/x.py"]
    with pytest.raises(DatabricksError) as excinfo:
        sdk.workspace.delete(f"{folder}/a")
    assert excinfo.value.error_code == "DIRECTORY_NOT_EMPTY"
    sdk.workspace.delete(f"{folder}/a", recursive=True)
    assert list(sdk.workspace.list(folder)) == []
    with pytest.raises(ResourceDoesNotExist):
        sdk.workspace.get_status(f"{folder}/a/b")


def test_mkdirs_refuses_a_file_in_the_way(sdk: WorkspaceClient, folder: str) -> None:
    sdk.workspace.upload(f"{folder}/f.txt", b"x", format=ImportFormat.RAW)
    with pytest.raises(ResourceAlreadyExists):
        sdk.workspace.mkdirs(f"{folder}/f.txt/sub")


def test_json_import_export_and_workspace_alias(http: httpx.Client, folder: str) -> None:
    content = base64.b64encode(b"x = 2").decode()
    body = {"path": f"/Workspace{folder}/j.py", "content": content, "language": "PYTHON"}
    assert http.post("/api/2.0/workspace/import", json=body).json() == {}
    exported = http.get("/api/2.0/workspace/export", params={"path": f"{folder}/j.py"}).json()
    assert base64.b64decode(exported["content"]).endswith(b"x = 2") and exported["file_type"] == "py"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"path": "relative.py", "language": "PYTHON"}, "path"),
        ({"path": "/Shared/../x.py", "language": "PYTHON"}, "path"),
        ({"path": "/Shared/x.py", "language": "COBOL"}, "language"),
        ({"path": "/Shared/x.py", "format": "DBC"}, "format"),
        ({"path": "/Shared/x.py", "language": "PYTHON", "content": "%%%"}, "content"),
        ({"path": "/Shared/x", "format": "JUPYTER", "content": base64.b64encode(b"[]").decode()}, "content"),
        ({"language": "PYTHON"}, "path"),
    ],
)
def test_bad_imports_are_400s_naming_the_field(http: httpx.Client, body: dict[str, str], field: str) -> None:
    response = http.post("/api/2.0/workspace/import", json=body)
    assert response.status_code == 400 and field in response.json()["message"]


def test_read_object_gives_the_executor_content_type_and_language(
    workspace: LocalWorkspace, sdk: WorkspaceClient, folder: str
) -> None:
    sdk.workspace.upload(f"{folder}/task.py", b"print(1)")
    sdk.workspace.upload(f"{folder}/data.txt", b"raw", format=ImportFormat.RAW)
    ws = workspace.workspace
    notebook = b"# Databricks notebook source\nprint(1)"
    assert read_object(ws, f"{folder}/task.py") == (notebook, "NOTEBOOK", "PYTHON")
    assert read_object(ws, f"/Workspace{folder}/data.txt") == (b"raw", "FILE", None)
    assert read_object(ws, f"{folder}/nothing") is None and read_object(ws, folder) is None


def test_export_directory_writes_a_folder_tree_for_a_task(
    sdk: WorkspaceClient, folder: str, workspace: LocalWorkspace, tmp_path: Path
) -> None:
    """What a dbt task gets of a workspace folder: files as uploaded, notebooks in SOURCE form with their
    extension [I], subfolders (empty ones too); a path that is no folder gives False."""
    sdk.workspace.mkdirs(f"{folder}/models/empty")
    sdk.workspace.upload(f"{folder}/dbt_project.yml", b"name: shop\n", format=ImportFormat.AUTO)
    sdk.workspace.upload(f"{folder}/models/orders.sql", b"select 1 as id\n", format=ImportFormat.AUTO)
    sdk.workspace.upload(f"{folder}/notes.py", b"print('hi')")
    query = b"-- Databricks notebook source\nselect 1"
    sdk.workspace.upload(f"{folder}/query.sql", query, format=ImportFormat.AUTO)  # AUTO drops the ".sql"
    assert export_directory(workspace.workspace, f"/Workspace{folder}", tmp_path / "out")
    written = {str(p.relative_to(tmp_path / "out")) for p in (tmp_path / "out").rglob("*")}
    assert written == {"dbt_project.yml", "models", "models/orders.sql", "models/empty", "notes.py",
                       "query.sql"}
    assert (tmp_path / "out" / "models" / "orders.sql").read_bytes() == b"select 1 as id\n"
    assert (tmp_path / "out" / "notes.py").read_bytes() == b"# Databricks notebook source\nprint('hi')"
    assert (tmp_path / "out" / "query.sql").read_bytes() == query
    assert not export_directory(workspace.workspace, f"{folder}/notes", tmp_path / "nb")
    assert not export_directory(workspace.workspace, f"{folder}/absent", tmp_path / "absent")
    assert not export_directory(workspace.workspace, "relative/path", tmp_path / "relative")
