"""Saved jobs of the local workspace."""
