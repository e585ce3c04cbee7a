"""Saved jobs: create/get/list/reset/update/delete, their documented rules, settings, permissions and
access checks (`access`: who may view, run, manage or own a job)."""
