"""Job runs of the local workspace."""
