"""The one spelling of request JSON: models, plain dicts, or lists of either, as the API expects them.

A model sends the fields that were set, by wire name, and never a null: an unset field and one set to
None both mean "not given" (the Jobs API reads a null as unset, and 0.4 sent a null for every field).
A plain dict is the caller's own JSON and goes as given; at the top of a request, None means not given.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from pydantic import BaseModel

__all__ = ["to_wire", "wire_fields"]


def to_wire(value: Any) -> Any:
    """Wire JSON for `value`: models by alias with their set, non-None fields; dicts and lists walked."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True, exclude_none=True)
    if isinstance(value, Mapping):
        return {str(key): to_wire(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(item) for item in value]
    if isinstance(value, Enum):
        return value.value
    return value


def wire_fields(**fields: Any) -> dict[str, Any]:
    """A request body: the fields given (not None), each as wire JSON."""
    return {name: to_wire(value) for name, value in fields.items() if value is not None}
