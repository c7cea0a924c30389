"""temporalio.runtime: the official names, what takes effect (the transport's
log level, the default runtime), and a typed error naming each setting this
SDK does not implement. Each check that touches the process-wide default
runtime or the log level runs in a child interpreter of its own."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from datetime import timedelta

import pytest

from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    LoggingFormat,
    MetricBuffer,
    OpenTelemetryConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)


def child_output(code: str) -> str:
    """What ``code`` prints in a fresh interpreter (which must exit 0)."""
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_importing_the_client_does_not_import_the_runtime_module() -> None:
    out = child_output(
        """
        import sys
        import temporalio.client
        print("temporalio.runtime" in sys.modules)
        """
    )
    assert out == "False"


def test_default_is_made_once_and_set_default_refuses_a_second() -> None:
    out = child_output(
        """
        from temporalio.runtime import Runtime, TelemetryConfig
        d = Runtime.default()
        assert Runtime.default() is d
        other = Runtime(telemetry=TelemetryConfig())
        try:
            Runtime.set_default(other)
        except RuntimeError as e:
            print(e)
        Runtime.set_default(other, error_if_already_set=False)
        assert Runtime.default() is other
        """
    )
    assert out == "Runtime default already set"


def test_prevent_default_makes_default_raise_until_one_is_set() -> None:
    out = child_output(
        """
        from temporalio.runtime import Runtime, TelemetryConfig
        Runtime.prevent_default()
        try:
            Runtime.default()
        except RuntimeError as e:
            print(e)
        rt = Runtime(telemetry=TelemetryConfig())
        Runtime.set_default(rt)
        assert Runtime.default() is rt
        """
    )
    assert out == ("Cannot create default Runtime after Runtime.prevent_default has been called")


def test_prevent_default_after_the_default_was_made_raises() -> None:
    out = child_output(
        """
        from temporalio.runtime import Runtime
        Runtime.default()
        try:
            Runtime.prevent_default()
        except RuntimeError as e:
            print(e)
        """
    )
    assert out == ("Runtime.prevent_default called after default runtime has been created or set")


def test_the_official_defaults() -> None:
    assert TelemetryConfig().logging == LoggingConfig.default
    assert LoggingConfig.default.filter == TelemetryFilter(core_level="WARN", other_level="ERROR")
    assert TelemetryFilter("WARN", "ERROR").formatted() == (
        "ERROR,temporalio_common=WARN,temporalio_sdk_core=WARN,temporalio_client=WARN,"
        "temporalio_sdk=WARN,temporal_sdk_bridge=WARN"
    )


@pytest.mark.parametrize(
    "metrics, name",
    [
        (PrometheusConfig(bind_address="127.0.0.1:0"), "PrometheusConfig"),
        (OpenTelemetryConfig(url="http://127.0.0.1:4317"), "OpenTelemetryConfig"),
        (MetricBuffer(1000), "MetricBuffer"),
    ],
)
def test_metrics_raise_naming_the_setting(metrics: object, name: str) -> None:
    with pytest.raises(NotImplementedError, match=rf"^TelemetryConfig\.metrics: .*{name}"):
        Runtime(telemetry=TelemetryConfig(metrics=metrics))  # type: ignore[arg-type]


def test_log_forwarding_raises_naming_the_setting() -> None:
    logging_config = LoggingConfig(
        filter="WARN", forwarding=LogForwardingConfig(logger=logging.getLogger("x"))
    )
    with pytest.raises(NotImplementedError, match=r"^LoggingConfig\.forwarding: "):
        Runtime(telemetry=TelemetryConfig(logging=logging_config))


def test_a_log_format_other_than_compact_raises_naming_the_setting() -> None:
    logging_config = LoggingConfig(filter="WARN", format=LoggingFormat.JSON)
    with pytest.raises(NotImplementedError, match=r"^LoggingConfig\.format: "):
        Runtime(telemetry=TelemetryConfig(logging=logging_config))


def test_an_unknown_log_level_raises_value_error() -> None:
    with pytest.raises(ValueError, match=r"TelemetryFilter\.other_level: unknown log level 'LOUD'"):
        Runtime(
            telemetry=TelemetryConfig(
                logging=LoggingConfig(filter=TelemetryFilter(core_level="WARN", other_level="LOUD"))
            )
        )
    with pytest.raises(ValueError, match=r"LoggingConfig\.filter: unknown log level 'VERBOSE'"):
        Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(filter="x=VERBOSE")))


def test_worker_heartbeat_interval() -> None:
    with pytest.raises(ValueError, match="^worker_heartbeat_interval must be positive$"):
        Runtime(telemetry=TelemetryConfig(), worker_heartbeat_interval=timedelta(0))
    with pytest.raises(NotImplementedError, match=r"^Runtime\.worker_heartbeat_interval: "):
        Runtime(telemetry=TelemetryConfig(), worker_heartbeat_interval=timedelta(seconds=5))
    Runtime(telemetry=TelemetryConfig(logging=None), worker_heartbeat_interval=None)


def test_metric_meter_raises_naming_it() -> None:
    rt = Runtime(telemetry=TelemetryConfig(logging=None))
    with pytest.raises(NotImplementedError, match=r"^Runtime\.metric_meter: "):
        rt.metric_meter


# The transport's log lines reach stderr at the level asked for (a connection
# to a closed loopback port: grpc logs its subchannel at INFO).
_CONNECT_CLOSED_PORT = """
    import asyncio, sys
    from temporalio.client import Client
    from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
    from temporalio.service import RetryConfig

    async def main():
        runtime = None
        if sys.argv[1] != "none":
            f = sys.argv[1]
            filter = TelemetryFilter(core_level="WARN", other_level=f) if "," not in f else f
            runtime = Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(filter=filter)))
        try:
            await Client.connect(
                "127.0.0.1:1", runtime=runtime, retry_config=RetryConfig(max_retries=1)
            )
        except Exception as e:
            print("failed:", type(e).__name__)

    asyncio.run(main())
"""


@pytest.mark.parametrize(
    "level, info_lines",
    [("none", False), ("ERROR", False), ("INFO", True), ("DEBUG", True), ("INFO,x=DEBUG", True)],
)
def test_the_log_filter_sets_which_transport_lines_reach_stderr(
    level: str, info_lines: bool
) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_CONNECT_CLOSED_PORT), level],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "failed:" in proc.stdout, proc.stderr
    assert ("INFO grpc " in proc.stderr) is info_lines, proc.stderr[-2000:]
    assert ("DEBUG grpc " in proc.stderr) is (level == "DEBUG"), proc.stderr[-2000:]


def test_a_connection_given_no_runtime_uses_the_default_one_set() -> None:
    out = child_output(
        """
        import asyncio
        from temporalio.client import Client
        from temporalio.runtime import Runtime, TelemetryConfig
        from temporalio.service import RetryConfig
        rt = Runtime(telemetry=TelemetryConfig(logging=None))
        Runtime.set_default(rt)
        assert rt._core is None  # threads start with the first connection
        client = asyncio.run(Client.connect("127.0.0.1:1", lazy=True))
        print(client.service_client.config.runtime, rt._core is not None)
        """
    )
    assert out == "None True"
