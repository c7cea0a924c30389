"""Testing helpers: a local dev server (:class:`DevServer`)."""

from temporalio.testing._devserver import DevServer, find_temporal_executable, free_port

__all__ = ["DevServer", "find_temporal_executable", "free_port"]
