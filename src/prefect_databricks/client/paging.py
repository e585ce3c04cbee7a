"""Jobs API 2.2 paging: merging the 100-element array pages of jobs/get and runs/get, lazy
iterators over jobs/list and runs/list, and finding the one job of a name.

A page sequence ends when `next_page_token` is missing or empty; `has_more` is never consulted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any

from .errors import ClientValidationError, DatabricksError

__all__ = [
    "JOB_ARRAYS",
    "RUN_ARRAYS",
    "PagingMixin",
    "merge_job_page",
    "merge_run_page",
    "next_page_token",
]

JOB_ARRAYS = ("tasks", "job_clusters", "parameters", "environments")
RUN_ARRAYS = ("tasks", "job_clusters", "job_parameters", "repair_history", "iterations")
_PAGING_KEYS = ("next_page_token", "prev_page_token", "has_more")
_LIST_PAGE_SIZES = {"jobs/list": 100, "jobs/runs/list": 25}

Merge = Callable[[dict[str, Any], Mapping[str, Any]], None]


def next_page_token(page: Mapping[str, Any]) -> str | None:
    """The token of the next page, or None when this is the last one."""
    token = page.get("next_page_token")
    return str(token) if token else None


def _extend(target: dict[str, Any], source: Mapping[str, Any], key: str) -> None:
    items = source.get(key)
    if items:
        target.setdefault(key, []).extend(items)


def merge_job_page(merged: dict[str, Any], page: Mapping[str, Any]) -> None:
    """Append the arrays of a later jobs/get page to `merged["settings"]`."""
    settings = page.get("settings") or {}
    target = merged.setdefault("settings", {})
    for key in JOB_ARRAYS:
        _extend(target, settings, key)


def merge_run_page(merged: dict[str, Any], page: Mapping[str, Any]) -> None:
    """Append the arrays of a later runs/get page to `merged`.

    A for-each task run (first page has `iterations`) pages its iterations; its `tasks` are not
    repeated, as in the official SDK.
    """
    skip = "tasks" if merged.get("iterations") else None
    for key in RUN_ARRAYS:
        if key != skip:
            _extend(merged, page, key)


class PagingMixin:
    """Paging helpers on top of `call`, mixed into `DatabricksClient`."""

    api_version: str

    if TYPE_CHECKING:

        async def call(
            self,
            name: str,
            *,
            params: Mapping[str, Any] | None = None,
            path: Mapping[str, Any] | None = None,
        ) -> dict[str, Any]: ...

    async def get_job(self, job_id: int, **params: Any) -> dict[str, Any]:
        """jobs/get with every page merged; with `page_token=` only that page, as sent."""
        return await self._get_merged("jobs/get", {**params, "job_id": job_id}, merge_job_page)

    async def get_run(self, run_id: int, **params: Any) -> dict[str, Any]:
        """runs/get with every page merged; with `page_token=` only that page, as sent."""
        return await self._get_merged("jobs/runs/get", {**params, "run_id": run_id}, merge_run_page)

    async def iter_jobs(self, **params: Any) -> AsyncIterator[dict[str, Any]]:
        """Every job of jobs/list, one page fetched at a time, only when the last is consumed."""
        async for page in self._pages("jobs/list", params):
            for job in page.get("jobs") or ():
                yield job

    async def iter_runs(self, **params: Any) -> AsyncIterator[dict[str, Any]]:
        """Every run of runs/list, one page fetched at a time, only when the last is consumed."""
        async for page in self._pages("jobs/runs/list", params):
            for run in page.get("runs") or ():
                yield run

    async def find_job_ids(self, name: str) -> list[int]:
        """The ids of every job named exactly `name` (jobs/list filtered by name, every page)."""
        return [
            int(job["job_id"])
            async for job in self.iter_jobs(name=name)
            if (job.get("settings") or {}).get("name") == name
        ]

    async def find_job_id(self, name: str) -> int:
        """The id of the one job named exactly `name`.

        None or several matching is a `ClientValidationError` on `job_name` that names the jobs found.
        """
        ids = await self.find_job_ids(name)
        if len(ids) != 1:
            found = f"jobs {', '.join(map(str, ids))} are" if ids else "no job is"
            raise ClientValidationError("job_name", f"must name exactly one job; {found} named {name!r}")
        return ids[0]

    async def _get_merged(self, name: str, params: dict[str, Any], merge: Merge) -> dict[str, Any]:
        merged = await self.call(name, params=params)
        if params.get("page_token"):
            return merged
        seen: set[str] = set()
        token = next_page_token(merged)
        while token is not None:
            _check_new(name, token, seen)
            page = await self.call(name, params={**params, "page_token": token})
            merge(merged, page)
            token = next_page_token(page)
        for key in _PAGING_KEYS:
            merged.pop(key, None)
        return merged

    async def _pages(self, name: str, params: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        params = dict(params)
        if self.api_version == "2.2" and params.get("limit") is None:
            params["limit"] = _LIST_PAGE_SIZES[name]
        seen: set[str] = set()
        while True:
            page = await self.call(name, params=params)
            yield page
            token = next_page_token(page)
            if token is None:
                return
            _check_new(name, token, seen)
            params["page_token"] = token


def _check_new(name: str, token: str, seen: set[str]) -> None:
    """Stop a server that hands out a page token twice instead of looping forever."""
    if token in seen:
        raise DatabricksError(f"GET {name}: the server returned page token {token!r} twice")
    seen.add(token)
