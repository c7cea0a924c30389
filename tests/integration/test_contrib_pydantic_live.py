"""pydantic_data_converter end to end on the dev server: an activity and a
workflow on our worker that take and return Pydantic models (datetime,
nested models, UUID), the values rebuilt from the type hints on each side."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import List

import pydantic
import pytest

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Worker

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(120)]


class LineItem(pydantic.BaseModel):
    sku: str
    quantity: int
    unit_price: float


class Order(pydantic.BaseModel):
    id: uuid.UUID
    placed_at: datetime
    items: List[LineItem]
    note: str | None = None


class Receipt(pydantic.BaseModel):
    order_id: uuid.UUID
    total: float
    issued_at: datetime
    items: List[LineItem]


@activity.defn
async def issue_receipt(order: Order) -> Receipt:
    # The activity gets the model itself, typed fields included.
    assert isinstance(order, Order) and isinstance(order.items[0], LineItem)
    assert isinstance(order.id, uuid.UUID) and order.placed_at.tzinfo is not None
    return Receipt(
        order_id=order.id,
        total=sum(i.quantity * i.unit_price for i in order.items),
        issued_at=order.placed_at + timedelta(minutes=5),
        items=order.items,
    )


@activity.defn
def count_items(order: Order) -> int:  # a thread-pool (sync) activity
    assert isinstance(order, Order)
    return sum(i.quantity for i in order.items)


@workflow.defn
class OrderWorkflow:
    @workflow.run
    async def run(self, order: Order) -> Receipt:
        assert isinstance(order, Order) and isinstance(order.id, uuid.UUID)
        receipt = await workflow.execute_activity(
            issue_receipt, order, start_to_close_timeout=timedelta(seconds=10)
        )
        assert isinstance(receipt, Receipt)
        count = await workflow.execute_activity(
            count_items, order, start_to_close_timeout=timedelta(seconds=10)
        )
        return receipt.model_copy(update={"total": receipt.total + count})


ORDER = Order(
    id=uuid.UUID("0f0e0d0c-0b0a-0908-0706-050403020100"),
    placed_at=datetime(2026, 11, 30, 12, 0, 0, 123000, tzinfo=timezone.utc),
    items=[
        LineItem(sku="apple", quantity=3, unit_price=0.5),
        LineItem(sku="pear", quantity=1, unit_price=1.25),
    ],
    note="Zoë's",
)


async def test_a_workflow_and_activities_exchange_pydantic_models(
    client: Client, task_queue: str
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    pyd_client = Client(**{**client.config(), "data_converter": pydantic_data_converter})
    with ThreadPoolExecutor(2) as executor:
        async with Worker(
            pyd_client,
            task_queue=task_queue,
            workflows=[OrderWorkflow],
            activities=[issue_receipt, count_items],
            activity_executor=executor,
        ):
            receipt = await pyd_client.execute_workflow(
                OrderWorkflow.run,
                ORDER,
                id=f"pydantic-{uuid.uuid4()}",
                task_queue=task_queue,
                execution_timeout=timedelta(seconds=60),
            )
    assert receipt == Receipt(
        order_id=ORDER.id,
        total=2.75 + 4,
        issued_at=datetime(2026, 11, 30, 12, 5, 0, 123000, tzinfo=timezone.utc),
        items=ORDER.items,
    )
    assert isinstance(receipt, Receipt)


async def test_the_workflow_input_is_stored_as_pydantic_json(
    client: Client, task_queue: str
) -> None:
    pyd_client = Client(**{**client.config(), "data_converter": pydantic_data_converter})
    handle = await pyd_client.start_workflow(
        OrderWorkflow.run, ORDER, id=f"pydantic-{uuid.uuid4()}", task_queue=task_queue
    )
    try:
        history = await handle.fetch_history()
        started = history.events[0].workflow_execution_started_event_attributes
        (payload,) = started.input.payloads
        assert payload.metadata["encoding"] == b"json/plain"
        assert payload.data == ORDER.model_dump_json().encode()
    finally:
        await handle.terminate()
