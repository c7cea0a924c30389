"""The operation mixins of :class:`Client`, :class:`OutboundInterceptor`,
the innermost link and :class:`WorkflowHandle` for schedules, standalone
activities and updates, standing in for the real ones until first use.

Their home modules (``_schedule``, ``_activity_execution``, ``_update``)
define dozens of dataclasses and cost more to import than the rest of the
client together, while most programs never touch them. Each class here has
the same attribute names as the real mixin (tests/unit/test_client_lazy.py
checks it); each attribute is a :class:`_LazyAttribute` that imports the
home module on first access and puts the real attribute in its place, so
from then on a lookup is a plain class-attribute lookup. Type checkers see
the real mixins.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Dict, Optional, Sequence, Tuple


class _LazyAttribute:
    """A non-data descriptor: on first access, ``module.mixin.<name>``
    replaces it on the class that holds it (then binds as it would have)."""

    __slots__ = ("module", "mixin", "owner", "name")

    def __init__(self, module: str, mixin: str) -> None:
        self.module = module
        self.mixin = mixin
        self.owner: Optional[type] = None
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.owner = owner
        self.name = name

    def resolve(self) -> Any:
        real = vars(getattr(importlib.import_module(self.module), self.mixin))[self.name]
        setattr(self.owner, self.name, real)
        return real

    def __get__(self, obj: Any, objtype: Optional[type] = None) -> Any:
        real = self.resolve()
        get = getattr(real, "__get__", None)
        return real if get is None else get(obj, objtype)


def _lazy_mixin(module: str, mixin: str, names: Sequence[str]) -> type:
    """A class named ``mixin`` whose attributes ``names`` come from
    ``module.mixin`` on first access."""
    body: Dict[str, Any] = {name: _LazyAttribute(module, mixin) for name in names}
    body["__module__"] = __name__
    body["__doc__"] = f"Stands in for {module}.{mixin} until first use."
    return type(mixin, (), body)


# The operations the outbound interceptor and the innermost link both have.
_ACTIVITY_OPS = (
    "start_activity",
    "cancel_activity",
    "terminate_activity",
    "pause_activity",
    "unpause_activity",
    "update_activity_options",
    "describe_activity",
    "list_activities",
    "count_activities",
)
_SCHEDULE_OPS = (
    "create_schedule",
    "list_schedules",
    "backfill_schedule",
    "delete_schedule",
    "describe_schedule",
    "pause_schedule",
    "trigger_schedule",
    "unpause_schedule",
    "update_schedule",
)
_UPDATE_OPS = ("start_workflow_update", "start_update_with_start_workflow")

# module -> mixin -> its attributes (all but dunders), as in the home module
MIXINS: Dict[str, Dict[str, Tuple[str, ...]]] = {
    "temporalio.client._activity_execution": {
        "_ActivityClientMixin": (
            "_start_activity",
            "_execute_activity",
            "start_activity",
            "execute_activity",
            "start_activity_class",
            "execute_activity_class",
            "start_activity_method",
            "execute_activity_method",
            "list_activities",
            "count_activities",
            "get_activity_handle",
        ),
        "_ActivityOutboundMixin": _ACTIVITY_OPS,
        "_ActivityImplMixin": ("_request", *_ACTIVITY_OPS),
    },
    "temporalio.client._schedule": {
        "_ScheduleClientMixin": ("create_schedule", "get_schedule_handle", "list_schedules"),
        "_ScheduleOutboundMixin": _SCHEDULE_OPS,
        "_ScheduleImplMixin": ("_patch", *_SCHEDULE_OPS),
    },
    "temporalio.client._update": {
        "_UpdateWorkflowHandleMixin": (
            "execute_update",
            "start_update",
            "get_update_handle_for",
            "get_update_handle",
        ),
        "_UpdateClientMixin": (
            "execute_update_with_start_workflow",
            "start_update_with_start_workflow",
        ),
        "_UpdateOutboundMixin": _UPDATE_OPS,
        "_UpdateImplMixin": (
            "_fill_start_request",
            "_update_request",
            "_update_with_start",
            *_UPDATE_OPS,
        ),
    },
}

if TYPE_CHECKING:
    from temporalio.client._activity_execution import (
        _ActivityClientMixin,
        _ActivityImplMixin,
        _ActivityOutboundMixin,
    )
    from temporalio.client._schedule import (
        _ScheduleClientMixin,
        _ScheduleImplMixin,
        _ScheduleOutboundMixin,
    )
    from temporalio.client._update import (
        _UpdateClientMixin,
        _UpdateImplMixin,
        _UpdateOutboundMixin,
        _UpdateWorkflowHandleMixin,
    )
else:
    for _module, _mixins in MIXINS.items():
        for _mixin, _names in _mixins.items():
            globals()[_mixin] = _lazy_mixin(_module, _mixin, _names)

__all__ = [
    "_ActivityClientMixin",
    "_ActivityImplMixin",
    "_ActivityOutboundMixin",
    "_ScheduleClientMixin",
    "_ScheduleImplMixin",
    "_ScheduleOutboundMixin",
    "_UpdateClientMixin",
    "_UpdateImplMixin",
    "_UpdateOutboundMixin",
    "_UpdateWorkflowHandleMixin",
]
