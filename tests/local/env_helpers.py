"""Helpers of the task-environment tests: wheels zipped here and a PEP 503 index on loopback (no network)."""

from __future__ import annotations

import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = ["simple_index", "write_wheel"]


_WHEEL = "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def write_wheel(
    directory: Path, name: str, module: str, *, version: str = "0.1", entry_point: str = ""
) -> Path:
    """A pure-Python wheel of package `name` (its `__init__` is `module`), with a `run` console script
    calling `<name>:<entry_point>` if given; zipped here, as no build backend may be fetched."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}-{version}-py3-none-any.whl"
    dist_info = f"{name}-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"{name}/__init__.py", module)
        metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        archive.writestr(f"{dist_info}/METADATA", metadata)
        archive.writestr(f"{dist_info}/WHEEL", _WHEEL)
        if entry_point:
            scripts = f"[console_scripts]\nrun = {name}:{entry_point}\n"
            archive.writestr(f"{dist_info}/entry_points.txt", scripts)
        archive.writestr(f"{dist_info}/RECORD", "")
    return path


@contextmanager
def simple_index(root: Path, *wheels: Path, delay: float = 0.0) -> Iterator[str]:
    """Serve `wheels` as a PEP 503 simple index on 127.0.0.1, each answer `delay` seconds late; yields
    the index URL (`…/simple`)."""
    for wheel in wheels:
        project = wheel.name.split("-")[0].replace("_", "-").lower()
        page = root / "simple" / project
        page.mkdir(parents=True, exist_ok=True)
        (root / wheel.name).write_bytes(wheel.read_bytes())
        (page / "index.html").write_text(f'<a href="../../{wheel.name}">{wheel.name}</a>\n', encoding="utf-8")
    handler = partial(_QuietHandler, directory=str(root), delay=delay)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/simple"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    """A static file handler that does not log each request to stderr, and answers `delay` seconds late."""

    def __init__(self, *args: Any, delay: float, **kwargs: Any) -> None:
        self._delay = delay
        super().__init__(*args, **kwargs)

    def do_GET(self) -> None:
        """Serve the file after the delay."""
        time.sleep(self._delay)
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        """Requests are not logged."""
