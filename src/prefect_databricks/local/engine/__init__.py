"""The engine of the local workspace."""
