"""The comparison table: medians per client next to raw httpx, ratios, and what each figure means."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["CLIENTS", "render"]

CLIENTS = {
    "raw": "raw httpx",
    "ours": "this package",
    "sdk": "databricks-sdk",
    "old": "prefect-databricks 0.4.2",
}
_NOTES = """
How to read it: import, listing and get are medians over 3 passes that alternate the clients (each
pass itself a median of 3 rounds after a warm-up; imports: 3 fresh processes), submit-and-wait is a
median of 3 rounds after a warm-up, the 200 waits are one round; the ratio is the client's figure
over raw httpx doing the same requests (lower is better). Import: `python -c` of the client's import
line, wall time including the interpreter start. Listing: every run of one job, 10,000 runs stored,
pages of 25. 1,000-task job: `jobs/get` with every page merged; fewer tasks returned is a
correctness failure, not a speed. Submit-and-wait: one run of a script that prints and exits;
overhead is the wall time minus the run's own start-to-end duration, with a 1 s poll interval where
the client lets one be set (raw httpx polls every 1 s; the SDK's waiter uses its own schedule). This
package and 0.4.2 wait through their Prefect flows (a local ephemeral Prefect server, started before
timing). 200 waits: 200 runs of {sleep} s submitted at once, then waited on concurrently: raw httpx
and the SDK poll `runs/get` per run (asyncio tasks; SDK waiter threads); this package waits through
its shared poller (`prefect_databricks.waiting.watcher.watcher_for(...).wait`, what its waiting flows use,
without Prefect); 0.4.2 has no waiting API outside Prefect, so it runs 200 concurrent
`jobs_runs_wait_for_completion` flow runs (each poll a Prefect task run) on its ephemeral Prefect
server. Requests are counted by the workspace; a poll cycle is one pass over every waited run (for
per-run polling: the `runs/get` requests divided by the number of runs).
"""


def _number(entry: dict[str, Any], key: str = "seconds", scale: float = 1.0) -> float | None:
    value = entry.get(key)
    return None if value is None else float(value) * scale


def _correct(
    measure: str, expected: dict[str, int], errors: list[str]
) -> Callable[[dict[str, Any]], str | None]:
    def check(entry: dict[str, Any]) -> str | None:
        if "error" in entry:
            if entry["error"] not in errors:
                errors.append(entry["error"])
            verdict = "**FAIL**" if measure in ("list", "get") else "error"
            return f"{verdict} [{errors.index(entry['error']) + 1}]"
        if measure in expected and entry.get("items") != expected[measure]:
            return f"**FAIL**: {entry.get('items')} of {expected[measure]:,} returned"
        return None

    return check


def _per_cycle(entry: dict[str, Any], waits: int) -> float | None:
    requests = entry.get("requests")
    if not requests:
        return None
    total = sum(requests.values())
    cycles = entry.get("cycles") or requests.get("jobs/runs/get", 0) / waits
    return total / cycles if cycles else None


def _rows(expected: dict[str, int]) -> list[tuple[str, str, Callable[[dict[str, Any]], float | None]]]:
    waits = expected["waits"]
    return [
        ("import", "import (ms)", lambda e: _number(e, scale=1000)),
        ("list", "list 10,000 runs (s)", _number),
        ("get", "get a 1,000-task job (s)", _number),
        ("wait1", "submit-and-wait overhead (s)", _number),
        ("wait200", f"{waits} concurrent waits: wall (s)", _number),
        ("wait200", f"{waits} concurrent waits: requests per poll cycle", lambda e: _per_cycle(e, waits)),
        (
            "wait200",
            f"{waits} concurrent waits: requests in total",
            lambda e: float(sum((e.get("requests") or {}).values())) or None,
        ),
    ]


def _cell(value: float | None, base: float | None) -> tuple[str, str]:
    if value is None:
        return "–", ""
    shown = f"{value:,.0f}" if value >= 100 else f"{value:.3g}"
    return shown, (f"{value / base:.2f}×" if base else "")


def _row(
    results: dict[str, dict[str, Any]], measure: str, pick: Any, expected: dict[str, int], errors: list[str]
) -> list[str]:
    check = _correct(measure, expected, errors)
    base = pick(results["raw"].get(measure, {})) if "raw" in results else None
    cells: list[str] = []
    for client in CLIENTS:
        entry = results.get(client, {}).get(measure)
        if entry is None:
            cells += ["not measured", ""]
            continue
        failure = check(entry)
        cells += [failure, ""] if failure else list(_cell(pick(entry), base if client != "raw" else None))
    return cells


def render(results: dict[str, dict[str, Any]], expected: dict[str, int], header: dict[str, Any]) -> str:
    """The Markdown report: header, table of medians and ratios to raw httpx, and the method."""
    lines = [
        "# Benchmarks: this package, its peers and raw httpx",
        "",
        f"- Date: {header['date']}",
        f"- Machine: {header['machine']}",
        "- Versions: " + "; ".join(f"{name} {value}" for name, value in header["versions"].items()),
        f"- Command: `.venv/bin/python {header['command']}`",
    ]
    if header.get("old"):
        lines.append(f"- prefect-databricks 0.4.2: {header['old']}")
    titles = " | ".join(f"{CLIENTS[c]} | ratio" for c in CLIENTS)
    lines += ["", f"| measure | {titles} |", "|---" * (1 + 2 * len(CLIENTS)) + "|"]
    errors: list[str] = []
    for measure, label, pick in _rows(expected):
        lines.append(f"| {label} | " + " | ".join(_row(results, measure, pick, expected, errors)) + " |")
    lines += ["", *(f"[{i}] `{error[:400]}`" + "  " for i, error in enumerate(errors, 1))]
    return "\n".join(lines) + "\n" + _NOTES.format(sleep=header.get("sleep", ""))
