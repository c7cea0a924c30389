"""Worker construction and temporalio.activity outside a server."""

from __future__ import annotations

import concurrent.futures
import time
from datetime import timedelta

import pytest

from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker


def client() -> Client:
    return Client("localhost:7233")  # never connected: construction needs no server


async def a(x: int) -> int:
    return x


class CallableThing:
    def __call__(self, x: int) -> int:
        return x


class Methods:
    def method(self) -> str:
        return "m"


def test_every_seed_registration_form_is_accepted() -> None:
    Worker(
        client(),
        task_queue="tq",
        activities={
            "plain": lambda x: x,
            "async": a,
            "callable_class": CallableThing(),
            "method": Methods().method,
            "builtin": len,
        },
    )


def test_non_callable_fails_naming_its_key() -> None:
    with pytest.raises(TypeError, match="'not_callable' is not callable"):
        Worker(client(), task_queue="tq", activities={"ok": a, "not_callable": Methods()})


def test_empty_task_queue_is_rejected() -> None:
    with pytest.raises(ValueError, match="task_queue"):
        Worker(client(), task_queue="", activities={"a": a})


def test_defn_list_needs_decorated_callables_with_unique_names() -> None:
    @activity.defn
    async def one() -> None: ...

    @activity.defn(name="one")
    async def other() -> None: ...

    Worker(client(), task_queue="tq", activities=[one])
    with pytest.raises(ValueError, match="^More than one activity named one$"):
        Worker(client(), task_queue="tq", activities=[one, other])
    with pytest.raises(TypeError, match="@activity.defn"):
        Worker(client(), task_queue="tq", activities=[a])


def test_keyword_only_parameter_without_default_is_rejected() -> None:
    def f(x: int, *, y: int) -> int:
        return x + y

    with pytest.raises(TypeError, match="keyword-only parameter 'y'"):
        Worker(client(), task_queue="tq", activities={"f": f})


def test_executor_of_the_wrong_kind_is_rejected() -> None:
    with pytest.raises(TypeError, match="activity_executor must be a concurrent.futures.Executor"):
        Worker(client(), task_queue="tq", activities={"a": a}, activity_executor=object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="graceful_shutdown_timeout"):
        Worker(client(), task_queue="tq", graceful_shutdown_timeout=5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_concurrent_activities"):
        Worker(client(), task_queue="tq", max_concurrent_activities=0)
    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        Worker(
            client(),
            task_queue="tq",
            activities={"a": a},
            activity_executor=ex,
            graceful_shutdown_timeout=timedelta(seconds=1),
        )


def test_activity_functions_raise_outside_an_activity() -> None:
    assert not activity.in_activity()
    with pytest.raises(RuntimeError, match="^Not in activity context$"):
        activity.info()
    with pytest.raises(RuntimeError, match="^Not in activity context$"):
        activity.heartbeat("x")


def sync_module_level(x: int) -> int:
    return x


def test_process_pool_rejects_an_activity_that_does_not_pickle() -> None:
    with concurrent.futures.ProcessPoolExecutor(1) as pool:
        Worker(
            client(),
            task_queue="tq",
            activities={"ok": sync_module_level, "async_ok": a},
            activity_executor=pool,
        )
        with pytest.raises(
            TypeError, match="^Activity local must be picklable when using a process executor"
        ):
            Worker(
                client(), task_queue="tq", activities={"local": lambda x: x}, activity_executor=pool
            )


def test_process_pool_is_no_async_activity_executor() -> None:
    with concurrent.futures.ProcessPoolExecutor(1) as pool:
        with pytest.raises(
            TypeError, match="async_activity_executor must run callables in this process"
        ):
            Worker(client(), task_queue="tq", activities={"a": a}, async_activity_executor=pool)


def test_logger_is_callable_and_an_adapter() -> None:
    assert activity.logger() is activity.logger
    assert isinstance(activity.logger, activity.LoggerAdapter)
    assert activity.logger.logger.name == "temporalio.activity"


def test_flag_is_cheap_until_waited_on_and_wakes_every_kind_of_waiter() -> None:
    import asyncio
    import threading

    flag = activity._Flag()
    assert not flag.is_set() and flag._event is None and flag._futures is None
    results: list = []

    def thread_waiter() -> None:
        results.append(("thread", flag.wait_sync(10)))

    async def loop_waiter() -> None:
        await flag.wait()
        results.append(("loop", flag.reason))

    t = threading.Thread(target=thread_waiter)
    t.start()
    other = threading.Thread(target=lambda: asyncio.run(loop_waiter()))
    other.start()
    time.sleep(0.1)
    flag.set("first")
    flag.set("second")  # the first reason wins
    t.join(5)
    other.join(5)
    assert sorted(results) == [("loop", "first"), ("thread", True)]
    assert flag.reason == "first"


# ---- slots never exceed what the activities' executor can start ----------------------------


def sync_act() -> None:
    pass


def test_default_slots_are_capped_by_the_executor_the_activities_use() -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the default never warns
        with concurrent.futures.ThreadPoolExecutor(3) as ex:
            assert (
                Worker(
                    client(), task_queue="tq", activities={"s": sync_act}, activity_executor=ex
                ).max_concurrent_activities
                == 3
            )
            # async activities alone do not use activity_executor
            assert (
                Worker(
                    client(), task_queue="tq", activities={"b": a}, activity_executor=ex
                ).max_concurrent_activities
                == 100
            )
            assert (
                Worker(
                    client(), task_queue="tq", activities={"b": a}, async_activity_executor=ex
                ).max_concurrent_activities
                == 3
            )
        with concurrent.futures.ThreadPoolExecutor(7) as ex:
            with concurrent.futures.ThreadPoolExecutor(2) as ex2:
                assert (
                    Worker(
                        client(),
                        task_queue="tq",
                        activities={"s": sync_act, "b": a},
                        activity_executor=ex,
                        async_activity_executor=ex2,
                    ).max_concurrent_activities
                    == 2
                )
        assert (
            Worker(client(), task_queue="tq", activities={"s": sync_act}).max_concurrent_activities
            == 100
        )
        with concurrent.futures.ThreadPoolExecutor(500) as ex:
            assert (
                Worker(
                    client(), task_queue="tq", activities={"s": sync_act}, activity_executor=ex
                ).max_concurrent_activities
                == 100
            )


def test_explicit_slots_above_the_executor_capacity_warn_as_the_official_sdk() -> None:
    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        with pytest.warns(UserWarning) as record:
            w = Worker(
                client(),
                task_queue="tq",
                activities={"s": sync_act},
                activity_executor=ex,
                max_concurrent_activities=5,
            )
        assert w.max_concurrent_activities == 5  # kept: the user said so
        assert [str(r.message) for r in record] == [
            "Worker max_concurrent_activities is 5 but activity_executor's max_workers is only 1"
        ]
        assert record[0].filename == __file__  # points at the Worker(...) line
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("error")
            Worker(
                client(),
                task_queue="tq",
                activities={"s": sync_act},
                activity_executor=ex,
                max_concurrent_activities=1,
            )
