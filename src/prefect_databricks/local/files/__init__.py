"""The Workspace API of the local workspace."""
