"""The task graph of a run as inline SVG: one column per dependency depth, edges from each dependency.

Drawn on the server (no layout library, no script): positions follow from the `depends_on` lists alone.
"""

from __future__ import annotations

from typing import Any

from .html import Safe, duration, join, state_of, tag

__all__ = ["task_graph"]

_W, _H, _GAP_X, _GAP_Y, _PAD, _KEY_CHARS = 200, 50, 56, 14, 8, 24


def task_graph(tasks: list[dict[str, Any]], now_ms: int) -> Safe:
    """An SVG of `tasks` (latest attempt of each) linked to their rows in the task table."""
    depth = _depths(tasks)
    places = _places(tasks, depth)
    width = _PAD * 2 + (max(depth.values(), default=0) + 1) * (_W + _GAP_X) - _GAP_X
    rows = max((row for _, row in places.values()), default=0) + 1
    height = _PAD * 2 + rows * (_H + _GAP_Y) - _GAP_Y
    edges = join(_edge(places, dep, task["task_key"]) for task in tasks for dep in _deps(task, places))
    nodes = join(_node(task, places[task["task_key"]], now_ms) for task in tasks)
    return tag(
        "svg", tag("title", "Task graph"), edges, nodes, class_="graph", width=width, height=height,
        viewBox=f"0 0 {width} {height}", role="img", xmlns="http://www.w3.org/2000/svg",
    )


def _deps(task: dict[str, Any], known: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for d in task.get("depends_on") or [] if d.get("task_key") in known]


def _depths(tasks: list[dict[str, Any]]) -> dict[str, int]:
    """Longest chain of dependencies above each task (a cycle, impossible in valid jobs, counts as 0)."""
    by_key = {t["task_key"]: t for t in tasks}
    depth: dict[str, int] = {}

    def visit(key: str, seen: frozenset[str]) -> int:
        if key not in depth:
            parents = [d["task_key"] for d in _deps(by_key[key], by_key) if d["task_key"] not in seen]
            depth[key] = max((visit(p, seen | {key}) + 1 for p in parents), default=0)
        return depth[key]

    for key in by_key:
        visit(key, frozenset())
    return depth


def _places(tasks: list[dict[str, Any]], depth: dict[str, int]) -> dict[str, tuple[int, int]]:
    """(column, row) of each task: columns by depth, rows in task order."""
    used: dict[int, int] = {}
    places = {}
    for task in tasks:
        column = depth[task["task_key"]]
        places[task["task_key"]] = (column, used.get(column, 0))
        used[column] = used.get(column, 0) + 1
    return places


def _origin(place: tuple[int, int]) -> tuple[int, int]:
    return _PAD + place[0] * (_W + _GAP_X), _PAD + place[1] * (_H + _GAP_Y)


def _edge(places: dict[str, tuple[int, int]], dep: dict[str, Any], key: str) -> Safe:
    (x1, y1), (x2, y2) = _origin(places[dep["task_key"]]), _origin(places[key])
    x1, y1, y2 = x1 + _W, y1 + _H // 2, y2 + _H // 2
    bend = (x2 - x1) // 2
    path = tag("path", d=f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}", class_="edge")
    outcome = dep.get("outcome")
    if outcome is None:
        return path
    label = tag("text", outcome, x=(x1 + x2) // 2, y=(y1 + y2) // 2 - 4, class_="edge-label")
    return join([path, label])


def _node(task: dict[str, Any], place: tuple[int, int], now_ms: int) -> Safe:
    x, y = _origin(place)
    key = str(task["task_key"])
    shown = key if len(key) <= _KEY_CHARS else key[: _KEY_CHARS - 1] + "…"
    label, _ = state_of(task)
    detail = " · ".join(p for p in (label, duration(task, now_ms)) if p)
    return tag(
        "a",
        tag("title", key),
        tag("rect", x=x, y=y, width=_W, height=_H, rx=6, class_=f"node state-{label.lower()}"),
        tag("text", shown, x=x + 10, y=y + 20, class_="node-key"),
        tag("text", detail, x=x + 10, y=y + 38, class_="node-state"),
        href=f"#task-{key}",
    )
