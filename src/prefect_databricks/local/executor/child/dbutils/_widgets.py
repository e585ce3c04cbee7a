"""`dbutils.widgets`: job parameters seen as notebook widgets."""

from __future__ import annotations

__all__ = ["InputWidgetNotDefined", "Widgets"]


class InputWidgetNotDefined(Exception):
    """``dbutils.widgets.get`` of a name that is neither a parameter nor a created widget."""

    __module__ = "dbutils"


class Widgets:
    """Job parameters seen as notebook widgets; a created widget only supplies a default."""

    def __init__(self) -> None:
        self._parameters: dict[str, str] = {}
        self._defaults: dict[str, str] = {}

    def text(self, name: str, defaultValue: str = "", label: str | None = None) -> None:
        self._defaults[name] = str(defaultValue)

    def dropdown(self, name: str, defaultValue: str, choices: list[str], label: str | None = None) -> None:
        if defaultValue not in choices:
            raise ValueError(f"Default value {defaultValue!r} of widget {name!r} must be one of {choices!r}")
        self._defaults[name] = str(defaultValue)

    def combobox(self, name: str, defaultValue: str, choices: list[str], label: str | None = None) -> None:
        self._defaults[name] = str(defaultValue)

    def multiselect(self, name: str, defaultValue: str, choices: list[str], label: str | None = None) -> None:
        self.dropdown(name, defaultValue, choices, label)

    def get(self, name: str) -> str:
        if name in self._parameters:
            return self._parameters[name]
        if name in self._defaults:
            return self._defaults[name]
        raise InputWidgetNotDefined(f"No input widget named {name} is defined")

    def getArgument(self, name: str, optional: str | None = None) -> str | None:
        return self._parameters.get(name, self._defaults.get(name, optional))

    def getAll(self) -> dict[str, str]:
        return {**self._defaults, **self._parameters}

    def remove(self, name: str) -> None:
        self._defaults.pop(name, None)

    def removeAll(self) -> None:
        self._defaults.clear()


