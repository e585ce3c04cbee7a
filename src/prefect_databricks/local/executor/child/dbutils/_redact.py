"""Redaction of the secret values this task read: "[REDACTED]" in its printed output and its result.

`dbutils.secrets` remembers each value it returns; the runner wraps stdout and stderr so a print of
one never reaches the log, and passes the exit value and the error through `redact`. Output written by
child processes straight to the file descriptors is not seen here.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

__all__ = ["REDACTED", "install", "redact", "remember"]

REDACTED = "[REDACTED]"
_values: list[str] = []


def remember(value: str) -> None:
    """Redact `value` from now on (longest values first, so one inside another is fully hidden)."""
    if value and value not in _values:
        _values.append(value)
        _values.sort(key=len, reverse=True)


def redact(text: str) -> str:
    """`text` with every remembered secret value replaced by "[REDACTED]"."""
    for value in _values:
        text = text.replace(value, REDACTED)
    return text


class _RedactingStream:
    """A text stream that redacts what is written before passing it on."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(redact(text))
        return len(text)

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def install() -> None:
    """Wrap sys.stdout and sys.stderr (once)."""
    if not isinstance(sys.stdout, _RedactingStream):
        sys.stdout = _RedactingStream(sys.stdout)
        sys.stderr = _RedactingStream(sys.stderr)
