"""Run pages of the local workspace."""
