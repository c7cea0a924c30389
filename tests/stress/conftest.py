"""Fixtures of the stress tests: a second dev server that rate-limits the
namespace (its calls fail RESOURCE_EXHAUSTED and are retried after a
backoff), for races with a call waiting to retry.

These tests also run against an ASan/UBSan build of the extension
(``scripts/asan-python``); there a crash or a sanitizer report fails them."""

from __future__ import annotations

from typing import Iterator

import pytest


@pytest.fixture(scope="session")
def limited_target() -> Iterator[str]:
    """host:port of a dev server allowing 2 requests per second per namespace."""
    from temporalio.testing import DevServer

    with DevServer(extra_args=["--dynamic-config-value", "frontend.namespaceRPS=2"]) as server:
        yield server.target
