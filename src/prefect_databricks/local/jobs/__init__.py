"""Saved jobs: create/get/list/reset/update/delete, their documented rules, settings and permissions."""
