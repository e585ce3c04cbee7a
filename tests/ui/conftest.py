"""Fixtures of the UI tests: a workspace of their own, and headless Chromium driven over DevTools.

Chromium is Debian's `chromium` package (`apt-get install -y chromium`); it is spoken to over
`--remote-debugging-pipe` (NUL-separated JSON on fds 3 and 4), so no Python package is needed.
Without Chromium the browser tests are skipped, unless PREFECT_DATABRICKS_REQUIRE_BROWSER=1 (CI) makes
that a failure.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from prefect_databricks.local import LocalWorkspace

_ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
    "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--mute-audio", "--remote-debugging-pipe",
]


class Browser:
    """One headless Chromium with one page; `call` sends a DevTools command to that page."""

    def __init__(self, binary: str, profile: Path) -> None:
        to_child, self._out = os.pipe()
        self._in, from_child = os.pipe()
        wrapper = ['bash', '-c', 'exec "$0" "$@" 3<&"$CDP_IN" 4>&"$CDP_OUT"', binary, *_FLAGS]
        env = {**os.environ, "CDP_IN": str(to_child), "CDP_OUT": str(from_child)}
        self.log = profile / "chromium.log"
        with self.log.open("wb") as log:
            self._proc = subprocess.Popen(
                [*wrapper, f"--user-data-dir={profile}", "about:blank"], env=env,
                pass_fds=(to_child, from_child), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            )
        os.close(to_child)
        os.close(from_child)
        self._buffer, self._next_id, self._session = b"", 0, None
        target = self._send("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = self._send("Target.attachToTarget", {"targetId": target, "flatten": True})
        self._session = attached["sessionId"]

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """The result of a DevTools command on the page."""
        return self._send(method, params)

    def evaluate(self, expression: str) -> Any:
        """The JSON value of a JavaScript expression in the page."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 20) -> Any:
        """Poll `expression` until it is truthy; fail with its last value after `timeout` seconds."""
        deadline, value = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"Timed out after {timeout}s waiting for {expression!r}; last value {value!r}")

    def resize(self, height: int) -> None:
        """Make the viewport 1280 CSS pixels wide and `height` high."""
        metrics = {"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": False}
        self._send("Emulation.setDeviceMetricsOverride", metrics)

    def screenshot(self, path: Path) -> None:
        """Save the whole page as a PNG (the viewport is stretched to the page's height first)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.resize(max(int(self.evaluate("document.documentElement.scrollHeight")), 600))
        data = self.call("Page.captureScreenshot", format="png")["data"]
        self.resize(900)
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        """Stop Chromium and close the pipes."""
        try:
            self._session = None
            self._send("Browser.close", {}, timeout=5)
        except (AssertionError, OSError):
            pass
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        os.close(self._in)
        os.close(self._out)

    def _send(self, method: str, params: dict[str, Any], timeout: float = 30) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if self._session is not None:
            message["sessionId"] = self._session
        os.write(self._out, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._receive(deadline, method)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise AssertionError(f"{method} failed: {reply['error']}")
                return reply.get("result", {})

    def _receive(self, deadline: float, method: str) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._in], [], [], max(deadline - time.monotonic(), 0))
            chunk = os.read(self._in, 1 << 20) if ready else b""
            if not chunk:
                raise AssertionError(
                    f"Chromium gave no answer to {method} (exit code {self._proc.poll()}; log: {self.log})"
                )
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """A headless Chromium page, 1280×900; the test is skipped when Chromium is not installed."""
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    if binary is None:
        message = "Chromium is not installed (apt-get install -y chromium)"
        if os.environ.get("PREFECT_DATABRICKS_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    page = Browser(binary, tmp_path_factory.mktemp("chromium-profile"))
    page.resize(900)
    yield page
    page.close()


@pytest.fixture(scope="module")
def ui_workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalWorkspace]:
    """A workspace of the UI tests' own, so the documents they store never show up in other tests' lists."""
    with LocalWorkspace(tmp_path_factory.mktemp("ui-workspace")) as ws:
        yield ws


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """The git-ignored `artifacts/` directory at the repository root, where screenshots are kept."""
    _ARTIFACTS.mkdir(exist_ok=True)
    return _ARTIFACTS
