"""The Workspace API subset that puts code in place: import, export, mkdirs, list, get-status, delete.

Objects live in the store's `objects` table; notebooks are kept in SOURCE form (see `notebooks`), files as
bytes. As on Databricks, import needs an existing parent folder (404 otherwise) while mkdirs creates
parents; `/Workspace/...` is an alias of `/...`; `/`, `/Users`, the local user's home and `/Shared` exist
from the start. Notebooks export as HTML too (limits: README, "What it cannot run").
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import ApiError, InvalidParameterValue
from ..executor import export_notebook_html
from ..state import Workspace
from .notebooks import (
    EXTENSIONS,
    LANGUAGES,
    extension,
    from_jupyter,
    has_source_header,
    language_of_extension,
    to_jupyter,
    with_source_header,
)
from .objects import DIRECTORY, FILE, NOTEBOOK, ObjectStore, normalize_path

__all__ = [
    "decode_content", "delete_object", "export_directory", "export_object", "import_object", "list_objects",
    "make_directories", "object_status", "read_object", "read_workspace_object",
]

_MAX_CONTENT = 10 * 1024 * 1024
_UNSUPPORTED = ("DBC", "HTML", "R_MARKDOWN")


class _DirectoryNotEmpty(ApiError):
    """A directory with children was deleted without `recursive`."""

    error_code = "DIRECTORY_NOT_EMPTY"


class _TooLarge(ApiError):
    """Imported content above the 10 MB limit."""

    error_code = "MAX_NOTEBOOK_SIZE_EXCEEDED"


def read_object(ws: Workspace, path: str) -> tuple[bytes, str, str | None] | None:
    """(content, object type, language) of a notebook or file, for the task executor; None if absent.

    Notebooks come in Databricks SOURCE form (header line and `COMMAND` separators).
    """
    row = ObjectStore(ws).get(normalize_path(path))
    if row is None or row["object_type"] == DIRECTORY:
        return None
    return row["content"] or b"", row["object_type"], row["language"]


def import_object(
    ws: Workspace, path: str, content: bytes, *, fmt: str, language: str | None, overwrite: bool
) -> None:
    """Create or replace a notebook or file at `path` (AUTO may drop the extension of a notebook)."""
    if len(content) > _MAX_CONTENT:
        raise _TooLarge("The content exceeds the 10 MB import limit.")
    if language is not None and language not in LANGUAGES:
        allowed = ", ".join(sorted(LANGUAGES))
        raise InvalidParameterValue(f"Invalid value for field language: must be one of {allowed}.")
    target, object_type, language, body = _interpret(path, content, fmt, language)
    ObjectStore(ws).put(target, object_type, language, body, overwrite=overwrite)


def _interpret(
    path: str, content: bytes, fmt: str, language: str | None
) -> tuple[str, str, str | None, bytes]:
    """(path, object type, language, stored content) of an import in format `fmt`."""
    if fmt in _UNSUPPORTED:
        raise _bad_format(f"{fmt} is not supported by the local workspace.")
    if fmt == "RAW":
        return path, FILE, None, content
    if fmt == "JUPYTER":
        source, language = from_jupyter(content)
        return path, NOTEBOOK, language, source.encode()
    if fmt == "AUTO":
        return _auto(path, content)
    if fmt != "SOURCE":
        raise _bad_format(f"unknown format '{fmt}'.")
    if language is None:
        raise InvalidParameterValue(
            "Invalid value for field language: required to import a notebook in SOURCE format "
            "(use format AUTO or RAW for a plain file)."
        )
    return path, NOTEBOOK, language, with_source_header(_text(content), language).encode()


def _auto(path: str, content: bytes) -> tuple[str, str, str | None, bytes]:
    """AUTO: .ipynb and sources with a notebook header become notebooks without their extension."""
    stem = path.rsplit(".", 1)[0]
    if path.lower().endswith(".ipynb"):
        source, notebook_language = from_jupyter(content)
        return stem, NOTEBOOK, notebook_language, source.encode()
    language = language_of_extension(path)
    text = content.decode("utf-8", "replace")
    if language is not None and has_source_header(text, language):
        return stem, NOTEBOOK, language, content
    return path, FILE, None, content


def _text(content: bytes) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        message = "Invalid value for field content: a notebook source must be UTF-8."
        raise InvalidParameterValue(message) from None


def export_object(ws: Workspace, path: str, fmt: str) -> tuple[bytes, str]:
    """(content, file type) of a notebook (SOURCE, AUTO or JUPYTER) or a file (SOURCE, AUTO or RAW)."""
    row = ObjectStore(ws).require(path)
    if row["object_type"] == DIRECTORY:
        raise InvalidParameterValue("Exporting a directory is not supported by the local workspace.")
    if row["object_type"] == FILE and fmt in ("SOURCE", "AUTO", "RAW"):
        return row["content"] or b"", extension(path)
    if row["object_type"] == NOTEBOOK and fmt in ("SOURCE", "AUTO"):
        return row["content"] or b"", EXTENSIONS[row["language"]]
    if row["object_type"] == NOTEBOOK and fmt == "JUPYTER":
        return to_jupyter((row["content"] or b"").decode(), row["language"]), "ipynb"
    if row["object_type"] == NOTEBOOK and fmt == "HTML":
        name = path.rsplit("/", 1)[-1]
        return export_notebook_html(row["content"] or b"", name).encode(), "html"
    raise _bad_format(f"cannot export a {row['object_type']} as {fmt}.")


def _bad_format(rule: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"Invalid value for field format: {rule}")


def delete_object(ws: Workspace, path: str, *, recursive: bool) -> None:
    """Delete an object, or a directory (only empty ones unless `recursive`)."""
    objects = ObjectStore(ws)
    row = objects.require(path)
    if path == "/":
        raise InvalidParameterValue("Invalid value for field path: the root folder cannot be deleted.")
    if row["object_type"] == DIRECTORY and not recursive and objects.children(path):
        raise _DirectoryNotEmpty(f"Folder ({path}) is not empty.")
    objects.delete_tree(path)


def list_objects(ws: Workspace, path: str, *, notebooks_modified_after: int | None = None) -> dict[str, Any]:
    """The children of a directory (or the object itself), omitted when there are none; with
    `notebooks_modified_after` (epoch ms), notebooks modified at or before it are left out ([I])."""
    objects = ObjectStore(ws)
    row = objects.require(path)
    rows = objects.children(path) if row["object_type"] == DIRECTORY else [row]
    after = notebooks_modified_after
    if after is not None:
        rows = [r for r in rows if r["object_type"] != NOTEBOOK or r["modified_at"] > after]
    return {"objects": [objects.info(r) for r in rows]} if rows else {}


def read_workspace_object(ws: Workspace, path: str) -> bytes | None:
    """The content of a workspace notebook or file, or None."""
    found = read_object(ws, path)
    return None if found is None else found[0]


def export_directory(ws: Workspace, path: str, target: Path) -> bool:
    """Write the workspace folder at `path` and everything below it under `target`, for a task that runs
    a folder (a dbt project); False when `path` is no workspace folder.

    Files keep their bytes; notebooks are written in SOURCE form, named with their language's extension [I].
    """
    try:
        root = normalize_path(path)
    except InvalidParameterValue:
        return False
    objects = ObjectStore(ws)
    row = objects.get(root)
    if row is None or row["object_type"] != DIRECTORY:
        return False
    target.mkdir(parents=True, exist_ok=True)
    folders = [root]
    while folders:
        for child in objects.children(folders.pop()):
            local = target / PurePosixPath(child["path"]).relative_to(root)
            if child["object_type"] == DIRECTORY:
                local.mkdir(exist_ok=True)
                folders.append(child["path"])
            else:
                suffix = f".{EXTENSIONS[child['language']]}" if child["object_type"] == NOTEBOOK else ""
                name = local.name if local.name.endswith(suffix) else local.name + suffix
                local.with_name(name).write_bytes(child["content"] or b"")
    return True


def decode_content(content: str | None) -> bytes:
    """The bytes of an import's base64 `content`; 400 naming the field if it is not base64."""
    try:
        return base64.b64decode(content or "", validate=True)
    except (binascii.Error, ValueError):
        raise InvalidParameterValue("Invalid value for field content: expected base64.") from None


def make_directories(ws: Workspace, path: str) -> None:
    """workspace/mkdirs: a directory and its missing parents."""
    ObjectStore(ws).mkdirs(path)


def object_status(ws: Workspace, path: str) -> dict[str, Any]:
    """workspace/get-status: the `ObjectInfo` at `path` (404 if absent)."""
    objects = ObjectStore(ws)
    return objects.info(objects.require(path))
