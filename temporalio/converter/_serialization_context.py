"""Serialization contexts, as the official SDK has them: what a converter
(payload converter, codec, failure converter) may be told about the
workflow or activity whose payloads it converts.

A converter that wants the context implements :class:`WithSerializationContext`:
``with_context(context)`` returns a copy of itself that uses it.
:meth:`DataConverter.with_context` applies a context to every part that
implements it. Where this SDK applies contexts by itself, as the official
SDK does:

* the client's workflow operations (start, signal-with-start, signal,
  query, update, result, terminate details, memo and static metadata read
  back, a schedule's workflow action) convert in the workflow's
  :class:`WorkflowSerializationContext`;
* the activity worker converts each activity's payloads (arguments,
  heartbeat details, result, failure) in its
  :class:`ActivitySerializationContext`, and so do the client's standalone
  activity operations (:meth:`temporalio.client.Client.start_activity`,
  :class:`temporalio.client.ActivityHandle`);
* :meth:`temporalio.client.AsyncActivityHandle.with_context` takes one from
  the caller (without it, async completion converts without a context).

This SDK's workflow worker (phase 2) does not apply contexts yet.
"""

from __future__ import annotations

from abc import ABC
from dataclasses import dataclass
from typing import Optional, Self


class SerializationContext(ABC):
    """Base of the contexts a converter may be given (see the module's doc)."""


@dataclass(frozen=True)
class WorkflowSerializationContext(SerializationContext):
    """The payloads are inputs or outputs of workflow ``workflow_id``."""

    namespace: str
    """Namespace of the workflow."""
    workflow_id: str
    """Id of the workflow whose payloads are converted (for a schedule: its
    workflow id prefix as configured)."""


@dataclass(frozen=True)
class ActivitySerializationContext(SerializationContext):
    """The payloads are inputs or outputs of an activity."""

    namespace: str
    """Namespace of the workflow or the (standalone) activity."""
    activity_id: Optional[str]
    """Activity id (may be None for a workflow's activity)."""
    activity_type: Optional[str]
    """Activity type, when known."""
    activity_task_queue: Optional[str]
    """Task queue of the activity, when known."""
    workflow_id: Optional[str]
    """Id of the workflow that scheduled it (None for a standalone activity)."""
    workflow_type: Optional[str]
    """Type of that workflow (None for a standalone activity)."""
    is_local: bool
    """Whether it is a local activity."""


class WithSerializationContext(ABC):
    """Implemented by a payload converter, codec or failure converter that
    uses a serialization context: wherever a context applies, the object is
    replaced by ``with_context(context)``'s result."""

    def with_context(self, context: SerializationContext) -> Self:
        """A copy of this object that uses ``context`` (``self`` if it needs none).

        Raises:
            NotImplementedError: the subclass did not implement it.
        """
        raise NotImplementedError()
