"""Completing activities from outside the worker: :class:`AsyncActivityHandle`
(from :meth:`Client.get_async_activity_handle`) for an activity that called
:func:`temporalio.activity.raise_complete_async`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Mapping, Optional, Self, Sequence, Union

from temporalio._checks import _ARG_UNSET, _check_args, _check_rpc_options, _check_type
from temporalio.client._interceptor import (
    CompleteAsyncActivityInput,
    FailAsyncActivityInput,
    HeartbeatAsyncActivityInput,
    ReportCancellationAsyncActivityInput,
)
from temporalio.converter._serialization_context import (
    SerializationContext,
    WithSerializationContext,
)

if TYPE_CHECKING:
    from temporalio.client._client import Client
    from temporalio.converter import DataConverter


@dataclass(frozen=True)
class AsyncActivityIDReference:
    """An activity named by its ids (instead of its task token)."""

    workflow_id: Optional[str]
    """Id of the workflow that scheduled it."""
    run_id: Optional[str]
    """Run of that workflow (None: the latest)."""
    activity_id: str
    """The activity's id in that workflow."""


class AsyncActivityHandle(WithSerializationContext):
    """An activity this process completes, heartbeats or fails in the
    worker's stead. Each method is one call to the server, through the
    client's interceptors; a task token or ids the server does not know (the
    activity completed, timed out or its attempt is over) raise
    :class:`~temporalio.service.NotFoundError`."""

    def __init__(
        self,
        client: "Client",
        id_or_token: Union[AsyncActivityIDReference, bytes],
        data_converter_override: Optional["DataConverter"] = None,
    ) -> None:
        """Made by :meth:`Client.get_async_activity_handle`;
        ``data_converter_override`` converts instead of the client's converter."""
        self._client = client
        self._id_or_token = id_or_token
        self._data_converter_override = data_converter_override

    @property
    def id_or_token(self) -> Union[AsyncActivityIDReference, bytes]:
        """The activity's ids or task token."""
        return self._id_or_token

    async def heartbeat(
        self,
        *details: Any,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> None:
        """Record a heartbeat with ``details`` (sent at once, not throttled).
        Raises :class:`AsyncActivityCancelledError` if the server answers
        that the activity's cancellation was requested (or it was paused or
        reset); the activity should then :meth:`report_cancellation`."""
        _check_rpc_options(rpc_metadata, rpc_timeout)
        await self._client._impl.heartbeat_async_activity(
            HeartbeatAsyncActivityInput(
                id_or_token=self._id_or_token,
                details=list(details),
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
                data_converter_override=self._data_converter_override,
            )
        )

    async def complete(
        self,
        result: Any = _ARG_UNSET,
        *,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> None:
        """Complete the activity with ``result`` (none if not given; None is a result)."""
        _check_rpc_options(rpc_metadata, rpc_timeout)
        await self._client._impl.complete_async_activity(
            CompleteAsyncActivityInput(
                id_or_token=self._id_or_token,
                result=result,
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
                data_converter_override=self._data_converter_override,
            )
        )

    async def fail(
        self,
        error: Exception,
        *,
        last_heartbeat_details: Sequence[Any] = [],
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> None:
        """Fail this attempt with ``error`` (converted by the client's data
        converter, e.g. an :class:`~temporalio.exceptions.ApplicationError`);
        the server retries per the activity's retry policy."""
        _check_type(error, BaseException, "error", "an exception")
        last_heartbeat_details = _check_args(last_heartbeat_details, "last_heartbeat_details")
        _check_rpc_options(rpc_metadata, rpc_timeout)
        await self._client._impl.fail_async_activity(
            FailAsyncActivityInput(
                id_or_token=self._id_or_token,
                error=error,
                last_heartbeat_details=list(last_heartbeat_details),
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
                data_converter_override=self._data_converter_override,
            )
        )

    async def report_cancellation(
        self,
        *details: Any,
        rpc_metadata: Mapping[str, Union[str, bytes]] = {},
        rpc_timeout: Optional[timedelta] = None,
    ) -> None:
        """Report the activity cancelled, with ``details`` (the server
        accepts it only after its cancellation was requested)."""
        _check_rpc_options(rpc_metadata, rpc_timeout)
        await self._client._impl.report_cancellation_async_activity(
            ReportCancellationAsyncActivityInput(
                id_or_token=self._id_or_token,
                details=list(details),
                rpc_metadata=rpc_metadata,
                rpc_timeout=rpc_timeout,
                data_converter_override=self._data_converter_override,
            )
        )

    def with_context(self, context: SerializationContext) -> Self:
        """A handle to the same activity whose payloads are converted by the
        client's data converter given ``context`` (e.g. the
        :class:`~temporalio.converter.ActivitySerializationContext` the
        activity's worker used); ``self`` if the converter uses no context.

        Raises:
            TypeError: a subclass overrides ``__init__`` but not this method.
        """
        converter = self._client.data_converter.with_context(context)
        if converter is self._client.data_converter:
            return self
        cls = type(self)
        if cls.__init__ is not AsyncActivityHandle.__init__:
            raise TypeError(
                "If you have subclassed AsyncActivityHandle and overridden the __init__ method "
                "then you must override with_context to return an instance of your class."
            )
        return cls(self._client, self._id_or_token, converter)
