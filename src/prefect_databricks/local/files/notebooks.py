"""Notebook formats: Databricks SOURCE files (header line, `COMMAND` separators, `MAGIC` lines) and Jupyter.

Notebooks are kept in SOURCE form; Jupyter documents are converted on import and export. Only code and
markdown cells carry over (outputs and widgets are dropped), which is what a job run needs.
"""

from __future__ import annotations

import json
from typing import Any

from ..errors import InvalidParameterValue

__all__ = [
    "EXTENSIONS",
    "LANGUAGES",
    "extension",
    "from_jupyter",
    "has_source_header",
    "language_of_extension",
    "to_jupyter",
    "with_source_header",
]

_COMMENTS = {"PYTHON": "#", "R": "#", "SQL": "--", "SCALA": "//"}
LANGUAGES = frozenset(_COMMENTS)
EXTENSIONS = {"PYTHON": "py", "R": "r", "SQL": "sql", "SCALA": "scala"}
_HEADER = "Databricks notebook source"


def extension(path: str) -> str:
    """The extension of the last name of `path` (`py` for `/a/b.py`), or "" if it has none."""
    name = path.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1] if "." in name else ""


def language_of_extension(path: str) -> str | None:
    """The notebook language a file name's extension suggests, if any."""
    suffix = extension(path).lower()
    return next((lang for lang, ext in EXTENSIONS.items() if ext == suffix), None)


def has_source_header(text: str, language: str) -> bool:
    """True if `text` starts with the SOURCE notebook header of `language`."""
    return text.lstrip("\ufeff").startswith(f"{_COMMENTS[language]} {_HEADER}")


def with_source_header(text: str, language: str) -> str:
    """`text` as a SOURCE notebook: the header line is added when missing."""
    if has_source_header(text, language):
        return text
    return f"{_COMMENTS[language]} {_HEADER}\n{text}"


def _separator(language: str) -> str:
    return f"\n\n{_COMMENTS[language]} COMMAND ----------\n\n"


def _magic(language: str) -> str:
    return f"{_COMMENTS[language]} MAGIC "


def to_jupyter(source: str, language: str) -> bytes:
    """A SOURCE notebook as an .ipynb document (nbformat 4)."""
    body = source.split("\n", 1)[1] if has_source_header(source, language) else source
    cells = [_cell(chunk.strip("\n"), language) for chunk in body.split(_separator(language).strip("\n"))]
    doc = {
        "cells": cells,
        "metadata": {"language_info": {"name": language.lower()}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(doc, indent=1).encode()


def _cell(chunk: str, language: str) -> dict[str, Any]:
    magic = _magic(language)
    lines = chunk.split("\n")
    if lines and lines[0].startswith(magic + "%md"):
        text = [line.removeprefix(magic).removeprefix(magic.rstrip()) for line in lines[1:]]
        return {"cell_type": "markdown", "metadata": {}, "source": "\n".join(text)}
    return {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": chunk}


def from_jupyter(content: bytes) -> tuple[str, str]:
    """An .ipynb document as (SOURCE text, language); 400 if it is not a notebook document."""
    try:
        doc = json.loads(content)
        cells = doc["cells"]
        language = _jupyter_language(doc.get("metadata") or {})
        chunks = [_chunk(cell, language) for cell in cells]
    except (ValueError, KeyError, TypeError, AttributeError):
        message = "Invalid value for field content: not a Jupyter notebook document."
        raise InvalidParameterValue(message) from None
    return with_source_header(_separator(language).join(chunks), language), language


def _jupyter_language(metadata: dict[str, Any]) -> str:
    name = str((metadata.get("language_info") or {}).get("name") or "python").upper()
    return name if name in LANGUAGES else "PYTHON"


def _chunk(cell: dict[str, Any], language: str) -> str:
    source = cell.get("source") or ""
    text = "".join(source) if isinstance(source, list) else str(source)
    if cell.get("cell_type") == "markdown":
        magic = _magic(language)
        return "\n".join([magic + "%md", *(magic + line for line in text.split("\n"))])
    return text.strip("\n")
