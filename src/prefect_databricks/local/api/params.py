"""Reading typed request fields, with errors that name the field and the rule."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from typing import Any

from ..errors import InvalidParameterValue
from ..jobs.shapes import int_from_text

__all__ = ["Params"]

_INT64_MAX = 2**63 - 1
_TRUE = {"true", "1"}
_FALSE = {"false", "0"}


class Params:
    """Request fields (query string for GET, JSON body for the rest) read with type checks."""

    def __init__(self, data: Mapping[str, Any], *, from_query: bool) -> None:
        self.data = dict(data)
        self.from_query = from_query

    def raw(self, name: str) -> Any:
        """The value as sent, or None."""
        return self.data.get(name)

    def require(self, name: str) -> Any:
        """The value as sent; 400 if it is absent."""
        if self.data.get(name) is None:
            raise InvalidParameterValue(f"Missing required field: {name}")
        return self.data[name]

    def int(self, name: str, *, required: bool = False, default: int | None = None) -> int | None:
        """An integer field; a string of digits counts too, from a query string or a JSON body.

        The service follows proto3's JSON mapping, where an int64 may be sent as a decimal string
        (Airflow's provider and the legacy databricks-cli send ids that way).
        """
        value = self.require(name) if required else self.data.get(name)
        if value is None:
            return default
        if isinstance(value, str):
            value = int_from_text(name, value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidParameterValue(f"Invalid value for field {name}: expected an integer.")
        if not -_INT64_MAX - 1 <= value <= _INT64_MAX:
            raise InvalidParameterValue(f"Invalid value for field {name}: out of the int64 range.")
        return value

    def bool(self, name: str, *, default: bool = False) -> bool:
        """A boolean field (`true`/`false` accepted from a query string)."""
        value = self.data.get(name)
        if value is None:
            return default
        if isinstance(value, str) and self.from_query and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        if not isinstance(value, bool):
            raise InvalidParameterValue(f"Invalid value for field {name}: expected a boolean.")
        return value

    def str(self, name: builtins.str, *, required: builtins.bool = False) -> builtins.str | None:
        """A string field."""
        value = self.require(name) if required else self.data.get(name)
        if value is not None and not isinstance(value, str):
            raise InvalidParameterValue(f"Invalid value for field {name}: expected a string.")
        return value

    def list(self, name: builtins.str) -> builtins.list[Any] | None:
        """An array field."""
        value = self.data.get(name)
        if value is not None and not isinstance(value, list):
            raise InvalidParameterValue(f"Invalid value for field {name}: expected an array.")
        return value

    def obj(self, name: builtins.str, *, required: builtins.bool = False) -> dict[builtins.str, Any] | None:
        """An object field."""
        value = self.require(name) if required else self.data.get(name)
        if value is not None and not isinstance(value, dict):
            raise InvalidParameterValue(f"Invalid value for field {name}: expected an object.")
        return value
