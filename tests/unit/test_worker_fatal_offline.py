"""What a worker whose polling failed for good raises (no server needed)."""

from __future__ import annotations

from temporalio.service import PermissionDeniedError, RPCError, RPCStatusCode
from temporalio.worker._activity import _fatal_error


def test_a_status_becomes_its_rpc_error_subclass() -> None:
    err = _fatal_error("polling for activity tasks failed for good (status 7: no)", 7, b"")
    assert isinstance(err, PermissionDeniedError)
    assert err.status == RPCStatusCode.PERMISSION_DENIED
    assert "failed for good" in str(err)

    err = _fatal_error("polling for activity tasks failed for good (status 16: who?)", 16, b"")
    assert isinstance(err, RPCError) and err.status == RPCStatusCode.UNAUTHENTICATED


def test_no_status_is_a_runtime_error() -> None:
    err = _fatal_error("cannot poll for activity tasks: the client is closed", 0, b"")
    assert type(err) is RuntimeError
    assert "the client is closed" in str(err)
