"""The runtime of clients and workers: the C core's threads and its telemetry
options, under the official SDK's names.

A :class:`Runtime` owns one core runtime (the threads that drive gRPC and the
core's timers). :meth:`Runtime.default` is the process's runtime, the one
every client uses that is given no ``runtime=``; ``Client.connect(...,
runtime=...)`` puts a connection (and the workers made from its client) on
another one.

Telemetry, as far as this SDK has it:

* logging: the C core writes no log lines of its own (its errors reach you as
  exceptions); the transport it uses (grpc) does. :class:`LoggingConfig`'s
  ``filter`` sets which of those go to stderr: its ``other_level`` (the
  official SDK's level for everything but Core) or, for a string filter, its
  default directive. ``TelemetryConfig(logging=None)`` turns them off. The
  setting is process-wide (grpc has one logger), applied when the
  :class:`Runtime` is made; until a ``Runtime`` is made (also by
  :meth:`Runtime.default`) nothing is logged.
* metrics are not implemented: ``TelemetryConfig(metrics=...)`` with a
  :class:`PrometheusConfig`, :class:`OpenTelemetryConfig` or
  :class:`MetricBuffer` raises :class:`NotImplementedError` naming the
  setting, as do log forwarding (:class:`LogForwardingConfig`) and a log
  ``format`` other than compact. The options that only shape metrics
  (``global_tags``, ``attach_service_name``, ``metric_prefix``) change
  nothing without metrics, in the official SDK too, and are accepted.

Importing this module loads neither the extension nor protobuf.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from enum import Enum
from typing import Any, ClassVar, Mapping, NewType, Optional, Protocol, Sequence, Union

__all__ = [
    "BUFFERED_METRIC_KIND_COUNTER",
    "BUFFERED_METRIC_KIND_GAUGE",
    "BUFFERED_METRIC_KIND_HISTOGRAM",
    "BufferedMetric",
    "BufferedMetricKind",
    "BufferedMetricUpdate",
    "LogForwardingConfig",
    "LoggingConfig",
    "LoggingFormat",
    "MetricBuffer",
    "MetricBufferDurationFormat",
    "OpenTelemetryConfig",
    "OpenTelemetryMetricTemporality",
    "PrometheusConfig",
    "Runtime",
    "TelemetryConfig",
    "TelemetryFilter",
]


def _not_implemented(setting: str, what: str) -> NotImplementedError:
    return NotImplementedError(f"{setting}: {what} is not implemented in this SDK")


class _RuntimeRef:
    """The process's default runtime (made on first use)."""

    def __init__(self) -> None:
        self._default_runtime: Optional[Runtime] = None
        self._prevent_default = False

    def default(self) -> Runtime:
        if self._default_runtime is None:
            if self._prevent_default:
                raise RuntimeError(
                    "Cannot create default Runtime after Runtime.prevent_default has been called"
                )
            rt = Runtime(telemetry=TelemetryConfig())
            rt._process_core = True  # the process's core runtime, shared
            self._default_runtime = rt
        return self._default_runtime

    def prevent_default(self) -> None:
        if self._default_runtime is not None:
            raise RuntimeError(
                "Runtime.prevent_default called after default runtime has been created or set"
            )
        self._prevent_default = True

    def set_default(self, runtime: Runtime, *, error_if_already_set: bool = True) -> None:
        if not isinstance(runtime, Runtime):
            raise TypeError(
                f"runtime must be a temporalio.runtime.Runtime, got {type(runtime).__name__}"
            )
        if self._default_runtime is not None and error_if_already_set:
            raise RuntimeError("Runtime default already set")
        self._default_runtime = runtime


_runtime_ref = _RuntimeRef()


class Runtime:
    """The runtime of clients and workers: one core runtime (its gRPC and
    timer threads) and the telemetry options.

    Most programs use :meth:`default`. Each other ``Runtime`` starts its own
    threads when its first connection is made: use sparingly. Runtimes do not
    work across ``fork()`` (a client used in a child fails with an error).
    """

    @classmethod
    def default(cls) -> Runtime:
        """The default runtime, made (with ``TelemetryConfig()``) on first
        use unless :meth:`set_default` gave one.

        Raises:
            RuntimeError: :meth:`prevent_default` was called and none was set.
        """
        return _runtime_ref.default()

    @classmethod
    def prevent_default(cls) -> None:
        """Make :meth:`default` raise instead of making a runtime (until
        :meth:`set_default` gives one).

        Raises:
            RuntimeError: the default runtime was already made or set.
        """
        _runtime_ref.prevent_default()

    @staticmethod
    def set_default(runtime: Runtime, *, error_if_already_set: bool = True) -> None:
        """Make ``runtime`` the default: clients connected later without
        ``runtime=`` use it; those connected before stay on theirs.

        Raises:
            RuntimeError: a default was already made or set and
                ``error_if_already_set`` is true.
            TypeError: ``runtime`` is not a :class:`Runtime`.
        """
        _runtime_ref.set_default(runtime, error_if_already_set=error_if_already_set)

    def __init__(
        self,
        *,
        telemetry: TelemetryConfig,
        worker_heartbeat_interval: Optional[timedelta] = timedelta(seconds=60),
        disable_environment_info: bool = False,
    ) -> None:
        """Make a runtime; its logging filter applies at once (process-wide).

        Args:
            telemetry: logging and metrics options (see the module docs for
                what this SDK implements).
            worker_heartbeat_interval: the official SDK's interval of worker
                heartbeats (worker status reports to the server). This SDK
                sends none: the default and ``None`` (none) are accepted.
            disable_environment_info: whether worker heartbeats omit host
                information; this SDK sends no worker heartbeats, so either
                value holds.

        Raises:
            ValueError: ``worker_heartbeat_interval`` is not positive, or a
                log filter names an unknown level.
            NotImplementedError: a setting this SDK does not implement, named:
                metrics (``TelemetryConfig.metrics``), log forwarding
                (``LoggingConfig.forwarding``), a log format other than
                compact (``LoggingConfig.format``), or a
                ``worker_heartbeat_interval`` other than the default or None.
            TypeError: ``telemetry`` is not a :class:`TelemetryConfig`.
        """
        if not isinstance(telemetry, TelemetryConfig):
            raise TypeError(
                "telemetry must be a temporalio.runtime.TelemetryConfig, got "
                f"{type(telemetry).__name__}"
            )
        if worker_heartbeat_interval is not None:
            if not isinstance(worker_heartbeat_interval, timedelta):
                raise TypeError(
                    "worker_heartbeat_interval must be a datetime.timedelta or None, got "
                    f"{type(worker_heartbeat_interval).__name__}"
                )
            if worker_heartbeat_interval <= timedelta(0):
                raise ValueError("worker_heartbeat_interval must be positive")
            if worker_heartbeat_interval != timedelta(seconds=60):
                raise _not_implemented(
                    "Runtime.worker_heartbeat_interval",
                    "worker heartbeats (worker status reports to the server)",
                )
        level = telemetry._log_level()
        self._telemetry = telemetry
        self._worker_heartbeat_interval = worker_heartbeat_interval
        self._disable_environment_info = bool(disable_environment_info)
        self._process_core = False
        self._core: Any = None
        from temporalio import _core

        _core.set_log_level(level)

    @property
    def metric_meter(self) -> Any:
        """The official SDK's meter of this runtime's metrics.

        Raises:
            NotImplementedError: always: this SDK has no metrics.
        """
        raise _not_implemented("Runtime.metric_meter", "metrics (temporalio.common.MetricMeter)")

    def _core_runtime(self) -> Any:
        """The core runtime (threads started on first use)."""
        if self._core is None:
            if self._process_core:
                from temporalio.service._client import _core_runtime

                self._core = _core_runtime()
            else:
                from temporalio import _core

                self._core = _core.new_runtime()
        return self._core


def _default_core_runtime() -> Any:
    """The core runtime of a connection given no ``runtime=``: the one of the
    default :class:`Runtime` if one was made or set, else the process's."""
    rt = _runtime_ref._default_runtime
    if rt is not None:
        return rt._core_runtime()
    from temporalio.service._client import _core_runtime

    return _core_runtime()


# ---- logging ---------------------------------------------------------------------

# tracing's level names, most verbose last, and the transport level of each
# (the core's tcore_log_level: 0 off, 1 error, 2 info, 3 debug; grpc has no
# warning severity, so WARN shows its errors).
_LEVELS = {"OFF": 0, "ERROR": 1, "WARN": 1, "INFO": 2, "DEBUG": 3, "TRACE": 3}


def _level_of(name: str, setting: str) -> int:
    level = _LEVELS.get(name.strip().upper())
    if level is None:
        raise ValueError(
            f"{setting}: unknown log level {name!r} (ERROR, WARN, INFO, DEBUG, TRACE or OFF)"
        )
    return level


@dataclass
class TelemetryFilter:
    """Filter for telemetry use."""

    core_level: str
    """Level for Core. Can be ``ERROR``, ``WARN``, ``INFO``, ``DEBUG``, or
    ``TRACE``. (This SDK's C core writes no log lines: nothing to filter.)"""

    other_level: str
    """Level for non-Core. Can be ``ERROR``, ``WARN``, ``INFO``, ``DEBUG``, or
    ``TRACE``. Here: the transport's (grpc's) log lines written to stderr."""

    def formatted(self) -> str:
        """This filter in the ``tracing`` env-filter syntax (the official
        SDK's form: other level, then ``target=core_level`` per Core crate)."""
        targets = [
            "temporalio_common",
            "temporalio_sdk_core",
            "temporalio_client",
            "temporalio_sdk",
            "temporal_sdk_bridge",
        ]
        return ",".join([self.other_level, *(f"{t}={self.core_level}" for t in targets)])


class LoggingFormat(Enum):
    """Format for Core logs written to the console."""

    COMPACT = "compact"
    PRETTY = "pretty"
    JSON = "json"


@dataclass(frozen=True)
class LoggingConfig:
    """Configuration for runtime logging."""

    filter: Union[TelemetryFilter, str]
    """Filter for logging: a :class:`TelemetryFilter` or a ``tracing``
    env-filter string (e.g. ``"WARN"`` or ``"INFO,temporalio_sdk_core=DEBUG"``,
    whose default directive, ``INFO`` there, sets the transport's level)."""

    forwarding: Optional[LogForwardingConfig] = None
    """The official SDK forwards Core log lines to a Python logger with this;
    not implemented here (:class:`NotImplementedError` when a runtime is
    made with one)."""

    format: Optional[LoggingFormat] = None
    """Format of console lines: ``None`` or ``COMPACT`` (one line each);
    others raise :class:`NotImplementedError` when a runtime is made."""

    default: ClassVar[LoggingConfig]
    """Default logging configuration of Core WARN level and other ERROR level."""

    def _log_level(self) -> int:
        if self.forwarding is not None:
            raise _not_implemented(
                "LoggingConfig.forwarding", "forwarding log lines to a Python logger"
            )
        if self.format not in (None, LoggingFormat.COMPACT):
            raise _not_implemented(
                "LoggingConfig.format", f"log format {self.format!r} (only COMPACT)"
            )
        f = self.filter
        if isinstance(f, TelemetryFilter):
            _level_of(f.core_level, "TelemetryFilter.core_level")
            return _level_of(f.other_level, "TelemetryFilter.other_level")
        if not isinstance(f, str):
            raise TypeError(
                f"LoggingConfig.filter must be a TelemetryFilter or str, got {type(f).__name__}"
            )
        # tracing's env filter: "LEVEL" is the default directive, "target=LEVEL"
        # a per-target one; with no default directive other targets are off.
        level = 0
        for directive in filter(None, (d.strip() for d in f.split(","))):
            target, sep, name = directive.rpartition("=")
            if sep:
                _level_of(name, "LoggingConfig.filter")
            else:
                level = _level_of(directive, "LoggingConfig.filter")
        return level


LoggingConfig.default = LoggingConfig(
    filter=TelemetryFilter(core_level="WARN", other_level="ERROR")
)


@dataclass
class LogForwardingConfig:
    """The official SDK's forwarding of Core log lines to a Python logger.

    Not implemented here: a :class:`LoggingConfig` with one raises
    :class:`NotImplementedError` when a :class:`Runtime` is made with it.
    """

    logger: logging.Logger
    """Core logger messages will be sent to this logger."""

    append_target_to_name: bool = True
    """If true, the default, the target is appended to the name."""

    prepend_target_on_message: bool = True
    """If true, the default, the target is prepended on the message."""

    overwrite_log_record_time: bool = True
    """If true, the default, the log record time is overwritten with the core
    log time."""

    append_log_fields_to_message: bool = True
    """If true, the default, the extra fields dict is appended to the message."""


# ---- metrics (not implemented: the option types, for code that builds them) -----


class OpenTelemetryMetricTemporality(Enum):
    """Temporality for OpenTelemetry metrics."""

    CUMULATIVE = 1
    DELTA = 2


@dataclass(frozen=True)
class OpenTelemetryConfig:
    """Export of metrics to an OpenTelemetry collector (the official SDK's
    option; not implemented here: a runtime made with it raises
    :class:`NotImplementedError`)."""

    url: str
    headers: Optional[Mapping[str, str]] = None
    metric_periodicity: Optional[timedelta] = None
    metric_temporality: OpenTelemetryMetricTemporality = OpenTelemetryMetricTemporality.CUMULATIVE
    durations_as_seconds: bool = False
    http: bool = False
    histogram_bucket_overrides: Optional[Mapping[str, Sequence[float]]] = None


@dataclass(frozen=True)
class PrometheusConfig:
    """A Prometheus scrape endpoint for metrics (the official SDK's option;
    not implemented here: a runtime made with it raises
    :class:`NotImplementedError`)."""

    bind_address: str
    counters_total_suffix: bool = False
    unit_suffix: bool = False
    durations_as_seconds: bool = False
    histogram_bucket_overrides: Optional[Mapping[str, Sequence[float]]] = None


class MetricBufferDurationFormat(Enum):
    """How durations are represented for metrics buffers."""

    MILLISECONDS = 1
    """Durations are millisecond integers."""

    SECONDS = 2
    """Durations are second floats."""


class MetricBuffer:
    """A buffer of metric updates (the official SDK's option; not
    implemented here: a runtime made with it raises
    :class:`NotImplementedError`)."""

    def __init__(
        self,
        buffer_size: int,
        duration_format: MetricBufferDurationFormat = MetricBufferDurationFormat.MILLISECONDS,
    ) -> None:
        """A buffer of ``buffer_size`` updates."""
        self._buffer_size = buffer_size
        self._durations_as_seconds = duration_format == MetricBufferDurationFormat.SECONDS
        self._runtime: Optional[Runtime] = None

    def retrieve_updates(self) -> Sequence[BufferedMetricUpdate]:
        """Drain the buffer.

        Raises:
            RuntimeError: always here: no runtime takes a buffer.
        """
        raise RuntimeError("Attempting to retrieve updates before runtime created")


@dataclass(frozen=True)
class TelemetryConfig:
    """Configuration for Core telemetry."""

    logging: Optional[LoggingConfig] = LoggingConfig.default
    """Logging configuration (``None``: no log lines)."""

    metrics: Union[OpenTelemetryConfig, PrometheusConfig, MetricBuffer, None] = None
    """Metrics configuration or buffer: only ``None`` here (metrics are not
    implemented; a runtime made with one raises :class:`NotImplementedError`)."""

    global_tags: Mapping[str, str] = field(default_factory=dict)
    """Tags applied to all metrics (none without metrics)."""

    attach_service_name: bool = True
    """Whether to put the service_name on every metric (none without metrics)."""

    metric_prefix: Optional[str] = None
    """Prefix to put on every Temporal metric (none without metrics)."""

    def _log_level(self) -> int:
        if self.metrics is not None:
            raise _not_implemented(
                "TelemetryConfig.metrics", f"metrics export ({type(self.metrics).__name__})"
            )
        if self.logging is None:
            return 0
        if not isinstance(self.logging, LoggingConfig):
            raise TypeError(
                "TelemetryConfig.logging must be a LoggingConfig or None, got "
                f"{type(self.logging).__name__}"
            )
        return self.logging._log_level()


BufferedMetricKind = NewType("BufferedMetricKind", int)
"""Representation of a buffered metric kind."""

BUFFERED_METRIC_KIND_COUNTER = BufferedMetricKind(0)
"""Buffered metric is a counter which means values are deltas."""

BUFFERED_METRIC_KIND_GAUGE = BufferedMetricKind(1)
"""Buffered metric is a gauge."""

BUFFERED_METRIC_KIND_HISTOGRAM = BufferedMetricKind(2)
"""Buffered metric is a histogram."""


class BufferedMetric(Protocol):
    """A metric for a buffered update."""

    @property
    def name(self) -> str:
        """Get the name of the metric."""
        ...

    @property
    def description(self) -> Optional[str]:
        """Get the description of the metric if any."""
        ...

    @property
    def unit(self) -> Optional[str]:
        """Get the unit of the metric if any."""
        ...

    @property
    def kind(self) -> BufferedMetricKind:
        """Get the metric kind."""
        ...


class BufferedMetricUpdate(Protocol):
    """A buffered metric update."""

    @property
    def metric(self) -> BufferedMetric:
        """Metric being updated."""
        ...

    @property
    def value(self) -> Union[int, float]:
        """Value for the update."""
        ...

    @property
    def attributes(self) -> Mapping[str, Union[str, int, float, bool]]:
        """Attributes for the update."""
        ...
