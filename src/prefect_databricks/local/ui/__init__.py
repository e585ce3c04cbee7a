"""The run pages `run_page_url` opens: handlers, views, task graph and HTML building blocks."""
