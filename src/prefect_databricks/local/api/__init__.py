"""The HTTP surface of the local workspace."""
