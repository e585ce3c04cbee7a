"""A notebook as one self-contained HTML page, the ``views[].content`` of runs/export.

Code cells are shown as code; markdown cells get headings and paragraphs (no third-party
renderer, so emphasis and links stay as written).
"""

from __future__ import annotations

from html import escape

from .notebook import Cell, parse_notebook

__all__ = ["export_notebook_html"]

_STYLE = (
    "body{font-family:sans-serif;max-width:60em;margin:2em auto}"
    ".cell{margin:1em 0}pre{background:#f6f8fa;padding:.8em;overflow-x:auto}"
)
_MARKDOWN = {"md", "md-sandbox", "markdown"}


def export_notebook_html(source: bytes, name: str) -> str:
    """The notebook ``source`` (``.py`` source format or ``.ipynb``) as an HTML document titled ``name``."""
    cells = "\n".join(_cell(cell) for cell in parse_notebook(source))
    title = escape(name)
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{title}</title>\n'
        f"<style>{_STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n{cells}\n</body>\n</html>\n"
    )


def _cell(cell: Cell) -> str:
    language = escape(cell.language, quote=True)
    if cell.language in _MARKDOWN:
        return f'<div class="cell markdown" data-language="{language}">{_markdown(cell.source)}</div>'
    code = escape(cell.source)
    return f'<div class="cell code" data-language="{language}"><pre><code>{code}</code></pre></div>'


def _markdown(source: str) -> str:
    """Headings and paragraphs of a markdown cell, without its ``%md`` line."""
    lines = source.splitlines()
    if lines and lines[0].lstrip().startswith("%md"):
        lines = lines[1:]
    blocks = "\n".join(lines).split("\n\n")
    return "".join(_block(block.strip()) for block in blocks if block.strip())


def _block(block: str) -> str:
    level = len(block) - len(block.lstrip("#"))
    if 1 <= level <= 6 and block[level : level + 1] == " " and "\n" not in block:
        return f"<h{level + 1}>{escape(block[level + 1 :])}</h{level + 1}>"
    return f"<p>{escape(block)}</p>"
