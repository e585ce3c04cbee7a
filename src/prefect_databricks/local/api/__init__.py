"""The HTTP surface: the one route table, auth and request parsing, handlers, OAuth, control, faults."""
