"""Databricks notebooks (``.py`` source format and ``.ipynb``) split into cells with their language.

Source format: a ``# Databricks notebook source`` header, cells separated by ``# COMMAND ----------``,
magic cells written as ``# MAGIC %md`` lines. Each cell keeps its first line in the file so
tracebacks point at the user's own line numbers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["Cell", "parse_notebook", "runner_cells"]

_COMMENTS = {"#": "python", "--": "sql", "//": "scala"}
_HEADERS = {f"{comment} Databricks notebook source": comment for comment in _COMMENTS}
_SKIPPED = {"md", "md-sandbox", "markdown", "raw"}


@dataclass(frozen=True)
class Cell:
    """One notebook cell: its language (``python``, ``md``, ``sql``, ``pip``…), code and first line."""

    language: str
    source: str
    line: int


def parse_notebook(content: bytes) -> list[Cell]:
    """Split a notebook into cells, reading ``.ipynb`` JSON or the ``.py`` source format."""
    text = content.decode("utf-8-sig", errors="replace")
    notebook = _as_ipynb(text)
    if notebook is not None:
        return _ipynb_cells(notebook)
    return _source_cells(text)


def runner_cells(cells: list[Cell]) -> list[dict[str, Any]]:
    """The cells as the child runner reads them: Python to run, anything else but markdown to refuse."""
    return [
        {"language": cell.language, "source": cell.source, "line": cell.line}
        for cell in cells
        if cell.language not in _SKIPPED
    ]


def _as_ipynb(text: str) -> dict[str, Any] | None:
    if not text.lstrip().startswith("{"):
        return None
    try:
        document = json.loads(text)
    except ValueError:
        return None
    return document if isinstance(document, dict) and isinstance(document.get("cells"), list) else None


def _ipynb_cells(notebook: dict[str, Any]) -> list[Cell]:
    default = _ipynb_language(notebook.get("metadata") or {})
    cells: list[Cell] = []
    line = 1
    for raw in notebook["cells"]:
        source = raw.get("source", "")
        text = "".join(source) if isinstance(source, list) else str(source)
        kind = raw.get("cell_type")
        language = "md" if kind == "markdown" else "raw" if kind != "code" else default
        cells.append(_with_magic(language, text.splitlines(), line))
        line += len(text.splitlines()) + 1
    return cells


def _ipynb_language(metadata: dict[str, Any]) -> str:
    databricks = metadata.get("application/vnd.databricks.v1+notebook") or {}
    language = databricks.get("language") or (metadata.get("language_info") or {}).get("name") or "python"
    return str(language).lower()


def _source_cells(text: str) -> list[Cell]:
    """Cells of the source format; the header's comment token (``#``, ``--``, ``//``) sets the language."""
    lines = text.splitlines()
    comment = _HEADERS.get(lines[0].rstrip(), "#") if lines else "#"
    start = 1 if lines and lines[0].rstrip() in _HEADERS else 0
    cells: list[Cell] = []
    chunk: list[str] = []
    for number, line in enumerate(lines[start:], start=start + 1):
        if line.rstrip() == f"{comment} COMMAND ----------":
            cells.append(_source_cell(comment, chunk, number - len(chunk)))
            chunk = []
        else:
            chunk.append(line)
    cells.append(_source_cell(comment, chunk, len(lines) + 1 - len(chunk)))
    return [cell for cell in cells if cell.source.strip() or cell.language != _COMMENTS[comment]]


def _source_cell(comment: str, lines: list[str], first: int) -> Cell:
    """One cell: blank edges trimmed; a cell written entirely as ``MAGIC`` lines is unwrapped."""
    lead = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    lines, first = lines[lead:], first + lead
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    magic = f"{comment} MAGIC"
    code = [line for line in lines if line.strip() and not line.startswith(f"{comment} DBTITLE")]
    if not code or not all(line.startswith(magic) for line in code):
        return _with_magic(_COMMENTS[comment], lines, first)
    offset = lines.index(code[0])
    unwrapped = [_unwrap(line, magic) for line in lines[offset:]]
    return _with_magic(_COMMENTS[comment], unwrapped, first + offset)


def _unwrap(line: str, magic: str) -> str:
    rest = line[len(magic) :]
    return rest[1:] if rest.startswith(" ") else rest


def _with_magic(language: str, lines: list[str], first: int) -> Cell:
    """Read a leading ``%lang`` line: it sets the cell's language and is not part of its code."""
    index = next((i for i, line in enumerate(lines) if line.strip()), None)
    if index is None or not lines[index].lstrip().startswith("%"):
        return Cell(language, "\n".join(lines), first)
    head = lines[index].strip()
    magic = head[1:].split(maxsplit=1)[0] if len(head) > 1 else ""
    if magic in {"python", "py"}:
        return Cell("python", "\n".join(lines[index + 1 :]), first + index + 1)
    return Cell(magic.lower() or "unknown", "\n".join(lines[index:]), first + index)
