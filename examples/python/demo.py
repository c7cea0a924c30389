"""The demo: a local Temporal dev server, and our client talking to it.

Run it with ``scripts/demo`` (which installs what it needs first).
"""

import asyncio

from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, GetSystemInfoRequest
from temporalio.client import Client
from temporalio.testing import DevServer


async def main(target: str) -> None:
    async with Client(target, namespace="default") as client:
        info = await client.service.get_system_info(GetSystemInfoRequest())
        print(f"connected to {target}: Temporal server {info.server_version}")
        ns = await client.service.describe_namespace(DescribeNamespaceRequest(namespace="default"))
        print(f"namespace {ns.namespace_info.name!r}: state "
              f"{ns.namespace_info.state}, retention "
              f"{ns.config.workflow_execution_retention_ttl.ToTimedelta()}")


if __name__ == "__main__":
    with DevServer() as server:
        asyncio.run(main(server.target))
