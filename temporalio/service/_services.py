"""The service wrappers: :class:`WorkflowService` and
:class:`OperatorService`, whose RPC methods are made from the service
descriptors on first use.

Type checkers see each RPC's request and response types: the wrappers' bases
for them are the classes of ``temporalio/api/_service_rpcs.pyi``, a stub
generated with the ``temporalio.api`` modules from the same service protos
(scripts/protos.py). At run time the bases are plain ``object``."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Mapping, Optional, Sequence, Tuple, Type, Union

if TYPE_CHECKING:
    from google.protobuf.message import Message

    from temporalio.api._service_rpcs import OperatorServiceRPCs, WorkflowServiceRPCs
    from temporalio.service._client import ServiceClient
else:
    OperatorServiceRPCs = WorkflowServiceRPCs = object

# importlib and re are imported where used: importing this module stays cheap.


def _snake(name: str) -> str:
    # scripts/protos.py names the typed signatures with the same rule.
    import re

    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _make_rpc(full_method: str, response_type: Type["Message"], doc: str) -> Any:
    async def rpc(
        self: "_Service",
        req: "Message",
        *,
        retry: bool = True,
        metadata: Optional[Mapping[str, Union[str, bytes]]] = None,
        timeout: Union[None, float, timedelta] = None,
    ) -> Any:
        return await self._client.call(
            full_method, req, response_type, retry=retry, metadata=metadata, timeout=timeout
        )

    rpc.__doc__ = (
        f"{doc}\n\nKeyword options: ``retry`` (default True: retried by the client's retry "
        "policy), ``metadata`` (extra headers for this call), ``timeout`` (timedelta or "
        "seconds): bounds the call as a whole, retries and their backoff included "
        "(:class:`DeadlineExceededError` when it passes). Failures raise :class:`RPCError`."
    )
    return rpc


class _Service:
    """Base of the service wrappers: RPC methods are made from the service
    descriptor on first use (so importing this module loads no protos)."""

    _module: str = ""
    _service: str = ""
    _installed = False
    _rpc_names: Tuple[str, ...] = ()

    def __init__(self, client: ServiceClient) -> None:
        self._client = client

    @classmethod
    def _install(cls) -> None:
        import importlib

        from google.protobuf import symbol_database

        pb = importlib.import_module(cls._module)
        service = pb.DESCRIPTOR.services_by_name[cls._service]
        db = symbol_database.Default()
        # Importing the package registers every request/response class.
        importlib.import_module(cls._module.rsplit(".", 1)[0])
        names = []
        for m in service.methods:
            resp = db.GetSymbol(m.output_type.full_name)
            path = f"/{service.full_name}/{m.name}"
            doc = f"{m.name}({m.input_type.name}) -> {m.output_type.name}"
            setattr(cls, _snake(m.name), _make_rpc(path, resp, doc))
            names.append(_snake(m.name))
        cls._rpc_names = tuple(names)
        cls._installed = True

    if not TYPE_CHECKING:  # so that a type checker reports an RPC that does not exist

        def __getattr__(self, name: str) -> Any:
            cls = type(self)
            if name.startswith("_") or cls._installed:
                raise AttributeError(f"{cls.__name__} has no RPC {name!r}")
            cls._install()
            return getattr(self, name)

    def __dir__(self) -> list:
        type(self)._installed or type(self)._install()
        return sorted(set(super().__dir__()) | set(type(self)._rpc_names))

    @classmethod
    def rpc_names(cls) -> Sequence[str]:
        """snake_case names of every RPC of the service."""
        cls._installed or cls._install()
        return cls._rpc_names


class WorkflowService(_Service, WorkflowServiceRPCs):
    """``temporal.api.workflowservice.v1.WorkflowService``: one async method per RPC."""

    _module = "temporalio.api.workflowservice.v1.service_pb2"
    _service = "WorkflowService"


class OperatorService(_Service, OperatorServiceRPCs):
    """``temporal.api.operatorservice.v1.OperatorService``: one async method per RPC."""

    _module = "temporalio.api.operatorservice.v1.service_pb2"
    _service = "OperatorService"
