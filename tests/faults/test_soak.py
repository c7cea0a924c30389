"""A bounded soak: many tiny activities through one worker of ours, with the
process's resident memory, open file descriptors and threads read from
/proc/self before and after. Only bounds that catch real leaks are asserted
(nothing about speed): fds and threads back to a small constant above their
level after warm-up, and resident memory growth under a generous bound.

The size is SOAK_WORKFLOWS x SOAK_ACTIVITIES (environment variables), by
default 50 x 200 = 10,000 after a warm-up of 1,000: the peer host (official
SDK) drives ~80-100 activities/s on a busy 2-core machine, and the stage
gives the soak ~2-3 minutes.

Under AddressSanitizer (``scripts/asan-python``) freed memory is not reused at
once but held in ASan's quarantine (``quarantine_size_mb``, 256 MiB by
default), and Python allocates with malloc there: resident memory then grows
by up to the quarantine's size whatever the code does, so the RSS bound is
widened by it (the fd and thread bounds stay as they are).
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import re
import time
import uuid
from dataclasses import dataclass
from typing import Dict

import pytest

from temporalio import activity
from temporalio.client import Client
from temporalio.testing import DevServer
from temporalio.worker import Worker
from tests.faults import figures
from tests.faults.harness import running_peer, start_workflows, wait_closed

pytestmark = [pytest.mark.faults, pytest.mark.timeout(420)]

WORKFLOWS = int(os.environ.get("SOAK_WORKFLOWS", "50"))
ACTIVITIES = int(os.environ.get("SOAK_ACTIVITIES", "200"))
WARMUP_WORKFLOWS = 5
FD_SLACK = 16
THREAD_SLACK = 4
RSS_GROWTH_MAX_MIB = 64.0
ASAN_DEFAULT_QUARANTINE_MIB = 256.0


def asan_quarantine_mib() -> float:
    """ASan's quarantine in MiB if this process runs under ASan, else 0."""
    try:
        ctypes.CDLL(None).__asan_init  # noqa: B018 (a lookup: raises if absent)
    except AttributeError:
        return 0.0
    m = re.search(r"(?:^|:)quarantine_size_mb=(\d+)", os.environ.get("ASAN_OPTIONS", ""))
    return float(m.group(1)) if m else ASAN_DEFAULT_QUARANTINE_MIB


@dataclass
class Usage:
    rss_mib: float
    fds: int
    threads: int

    def __str__(self) -> str:
        return f"RSS {self.rss_mib:.1f} MiB, {self.fds} fds, {self.threads} threads"


def usage() -> Usage:
    """This process's resident memory, open fds and threads (from /proc/self)."""
    status: Dict[str, str] = {}
    with open("/proc/self/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            status[k] = v.strip()
    return Usage(
        rss_mib=int(status["VmRSS"].split()[0]) / 1024,
        fds=len(os.listdir("/proc/self/fd")),
        threads=int(status["Threads"]),
    )


async def test_soak_keeps_memory_fds_and_threads_bounded() -> None:
    done = 0

    @activity.defn(name="soak_tiny")
    async def soak_tiny(lo_ms: int, hi_ms: int) -> int:
        nonlocal done
        done += 1
        return done

    with DevServer() as server:
        async with running_peer(server.target) as peer_tq:
            driver = await Client.connect(server.target)
            wclient = await Client.connect(server.target)
            before = usage()
            tq = f"soak-{uuid.uuid4()}"
            async with Worker(wclient, task_queue=tq, activities=[soak_tiny]):
                # Warm up: one-time allocations (protobuf modules, pools, caches).
                warm = await start_workflows(
                    driver,
                    peer_tq,
                    tq,
                    WARMUP_WORKFLOWS,
                    ACTIVITIES,
                    concurrent=True,
                    prefix="soak-warm",
                    activity_name="soak_tiny",
                )
                assert (await wait_closed(warm, 90)).all_completed
                warmed = usage()
                t0 = time.monotonic()
                done0 = done
                handles = await start_workflows(
                    driver,
                    peer_tq,
                    tq,
                    WORKFLOWS,
                    ACTIVITIES,
                    concurrent=True,
                    prefix="soak",
                    activity_name="soak_tiny",
                )
                # Bounded wait (the default size has taken ~2 min on a busy machine).
                outcome = await wait_closed(handles, 240)
                seconds = time.monotonic() - t0
                ran = done - done0
            await driver.close()
            await wclient.close()
            await asyncio.sleep(0.5)  # let closed channels release their fds
            after = usage()
    name = f"soak ({WORKFLOWS} workflows x {ACTIVITIES} activities)"
    figures.record(name, "activities run", ran)
    figures.record(name, "workflows completed", f"{outcome.completed} / {WORKFLOWS}")
    figures.record(name, "seconds (no speed check)", seconds)
    figures.record(name, "activities / s (no speed check)", ran / seconds)
    figures.record(name, "before worker", str(before))
    figures.record(name, "after warm-up", str(warmed))
    figures.record(name, "after soak, clients closed", str(after))
    figures.record(name, "RSS growth after warm-up MiB", after.rss_mib - warmed.rss_mib)
    rss_bound = RSS_GROWTH_MAX_MIB + asan_quarantine_mib()
    figures.record(name, "RSS growth bound MiB", rss_bound)
    assert outcome.all_completed, outcome
    assert ran >= WORKFLOWS * ACTIVITIES
    assert after.fds <= warmed.fds + FD_SLACK, (warmed, after)
    assert after.threads <= warmed.threads + THREAD_SLACK, (warmed, after)
    assert after.rss_mib - warmed.rss_mib < rss_bound, (warmed, after)
