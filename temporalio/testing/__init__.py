"""Testing helpers: a local dev server (:class:`DevServer`),
:class:`WorkflowEnvironment` (the official SDK's test entry point, on a dev
server or an existing client), and :class:`ActivityEnvironment` to run
activity code outside a worker."""

from typing import TYPE_CHECKING, Any

from temporalio.testing._devserver import DevServer, find_temporal_executable, free_port
from temporalio.testing._workflow import WorkflowEnvironment

if TYPE_CHECKING:
    from temporalio.testing._activity import ActivityEnvironment

__all__ = [
    "ActivityEnvironment",
    "DevServer",
    "WorkflowEnvironment",
    "find_temporal_executable",
    "free_port",
]


def __getattr__(name: str) -> Any:
    # Loaded on first use: the dev-server helper stays standard-library only.
    if name == "ActivityEnvironment":
        from temporalio.testing._activity import ActivityEnvironment

        return ActivityEnvironment
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
