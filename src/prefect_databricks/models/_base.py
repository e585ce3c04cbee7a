"""The base of every generated model: lenient on input, exact on the wire."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, TypeVar, Union

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from . import _wire

__all__ = ["ApiModel", "Open", "Text"]

_E = TypeVar("_E", bound=Enum)

Open = Annotated[Union[_E, str], Field(union_mode="left_to_right")]  # noqa: UP007
"""An enum-typed field that keeps values it does not know as plain strings."""


def _scalar_text(value: Any) -> Any:
    """Spell JSON scalars as the API's strings (`True` -> "true", `3` -> "3"); others untouched."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int | float) else value


Text = Annotated[str, BeforeValidator(_scalar_text)]
"""A string value of a string map (parameters, Spark conf): scalars are accepted, as 0.4 did."""


class ApiModel(BaseModel):
    """A Jobs API object: unknown fields are kept and round-trip; schemas are built on first use."""

    model_config = ConfigDict(
        extra="allow",
        populate_by_name=True,
        protected_namespaces=(),
        defer_build=True,
    )

    def to_wire(self) -> dict[str, Any]:
        """The JSON body for this object, as `prefect_databricks.models.to_wire` spells it."""
        return _wire.to_wire(self)
