"""Turn task inputs (models, plain dicts, or lists of either) into the JSON the API expects."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from pydantic import BaseModel

__all__ = ["to_wire"]


def to_wire(value: Any) -> Any:
    """Wire JSON for `value`: models by alias without unset/None fields; dicts and lists walked."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_none=True)
    if isinstance(value, Mapping):
        return {str(key): to_wire(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    return value
