"""Worker interceptors: wrap the execution of activities and the calls they
make (names and shapes as in the official Python SDK).

``Worker(..., interceptors=[MyInterceptor()])``. For each activity attempt
the worker builds a chain of :class:`ActivityInboundInterceptor` links: it
calls :meth:`Interceptor.intercept_activity` of each interceptor, last one
first, each wrapping the link built so far, so the first in the list is
outermost. Then it calls ``init(outbound)`` of the outermost link with the
innermost :class:`ActivityOutboundInterceptor`; each inbound link may wrap
that outbound before passing it on (``self.next.init(MyOutbound(outbound))``).
Finally it awaits ``execute_activity(input)`` of the outermost link; the
innermost link runs the activity as the worker always does, and
:func:`temporalio.activity.info` / :func:`temporalio.activity.heartbeat`
called by the activity go through the outbound chain that reached the
innermost ``init``.
"""

from __future__ import annotations

import concurrent.futures
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, Sequence

import temporalio.activity
from temporalio._checks import _check_list, _describe

if TYPE_CHECKING:
    from temporalio.api.common.v1 import Payload

__all__ = [
    "Interceptor",
    "ActivityInboundInterceptor",
    "ActivityOutboundInterceptor",
    "ExecuteActivityInput",
]


@dataclass
class ExecuteActivityInput:
    """Input of :meth:`ActivityInboundInterceptor.execute_activity`.

    An interceptor may change the fields (or pass another input) before
    calling ``next``: the innermost link calls ``fn(*args)`` where
    ``executor`` says.
    """

    fn: Callable[..., Any]
    """The registered activity callable."""
    args: Sequence[Any]
    """The decoded arguments."""
    executor: Optional[concurrent.futures.Executor]
    """Where ``fn`` runs: for a sync activity the worker's ``activity_executor``
    (a thread pool, or a process pool: then ``fn`` and ``args`` must pickle);
    for an async one None (the worker's event loop) or the worker's
    ``async_activity_executor`` (a loop of its own in one of its threads)."""
    headers: Mapping[str, "Payload"]
    """The activity task's headers (as the workflow's outbound interceptors
    set them; usually empty)."""


class ActivityOutboundInterceptor:
    """Wraps the calls an activity makes: :func:`temporalio.activity.info`
    and :func:`temporalio.activity.heartbeat`. Subclass it and override what
    to observe or change; the defaults delegate to :attr:`next`.

    Where these run: in an async activity, in its task (the worker's loop, or
    its own loop with ``async_activity_executor``); in a thread-pool activity,
    in the activity's thread; in a process-pool activity, in the worker
    process on its event loop, for calls relayed from the child (see
    :class:`temporalio.worker.Worker`).
    """

    def __init__(self, next: "ActivityOutboundInterceptor") -> None:
        self.next = next
        """The next link (the innermost one is the worker's own)."""

    def info(self) -> temporalio.activity.Info:
        """Called for every :func:`temporalio.activity.info`."""
        return self.next.info()

    def heartbeat(self, *details: Any) -> None:
        """Called for every :func:`temporalio.activity.heartbeat`."""
        self.next.heartbeat(*details)


class ActivityInboundInterceptor:
    """Wraps the execution of an activity attempt. Subclass it and override
    what to observe or change; the defaults delegate to :attr:`next`.

    Every method runs in the worker process, on the worker's event loop, in
    the attempt's task (also for thread- and process-pool activities: the
    innermost ``execute_activity`` hands the call to the executor and awaits
    it). The activity context is set already: :func:`temporalio.activity.info`
    works here (before ``init`` reaches the innermost link it is not
    intercepted yet).
    """

    def __init__(self, next: "ActivityInboundInterceptor") -> None:
        self.next = next
        """The next link (the innermost one runs the activity)."""

    def init(self, outbound: ActivityOutboundInterceptor) -> None:
        """Called once per attempt, before :meth:`execute_activity`, with the
        outbound chain built so far. To intercept the activity's calls, wrap
        it: ``self.next.init(MyOutbound(outbound))``."""
        self.next.init(outbound)

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        """Run the activity; returns its result or raises its error."""
        return await self.next.execute_activity(input)


class Interceptor:
    """A worker interceptor: ``Worker(..., interceptors=[MyInterceptor()])``.

    Subclass it and override :meth:`intercept_activity`. An object that
    subclasses both this and :class:`temporalio.client.Interceptor`, given
    to a client, is also used by every worker built on that client (before
    the worker's own interceptors), as in the official SDK.
    """

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        """Called for each activity attempt with the link to wrap; return the
        link that wraps it (default: ``next`` itself)."""
        return next


def _check_interceptors(interceptors: Any) -> Sequence[Interceptor]:
    """The worker's ``interceptors`` as a list; a wrong item raises
    TypeError naming its position."""
    items = list(
        _check_list(interceptors, "interceptors", "a list of temporalio.worker.Interceptor")
    )
    for i, item in enumerate(items):
        if isinstance(item, Interceptor):
            continue
        if isinstance(item, type) and issubclass(item, Interceptor):
            raise TypeError(
                f"interceptors[{i}] is the class {item.__name__}, not an instance: "
                f"write {item.__name__}()"
            )
        hint = ""
        if isinstance(item, type) and issubclass(item, ActivityInboundInterceptor):
            hint = (
                ": give an Interceptor whose intercept_activity(next) returns "
                f"{item.__name__}(next)"
            )
        raise TypeError(
            f"interceptors[{i}] is a {_describe(item)}, not a temporalio.worker.Interceptor{hint}"
        )
    return items
