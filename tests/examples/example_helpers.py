"""Helpers of the examples' tests: where the examples are."""

from __future__ import annotations

from pathlib import Path

__all__ = ["EXAMPLES", "README"]

EXAMPLES = Path(__file__).parents[2] / "examples"
README = Path(__file__).parents[2] / "README.md"
