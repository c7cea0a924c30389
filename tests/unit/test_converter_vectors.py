"""Cross-SDK vectors: our payload and failure bytes against the official
Python SDK 1.35.0's (tests/data/payload_vectors.json, made by
scripts/make_vectors.py)."""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from temporalio.converter import BinaryProtoPayloadConverter, DataConverter

ROOT = Path(__file__).resolve().parents[2]
VECTORS = json.loads((ROOT / "tests" / "data" / "payload_vectors.json").read_text())


def _load_script() -> Any:
    name = "make_vectors_for_tests"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / "make_vectors.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


mv = _load_script()
VALUES = {name: (value, hint) for name, value, hint in mv.values()}
FAILURES = dict(mv.failures())
dc = DataConverter.default


def test_tables_match_the_vector_file() -> None:
    assert VECTORS["official_sdk_version"] == "1.35.0"
    assert set(VECTORS["payloads"]) == set(VALUES)
    assert set(VECTORS["binary_proto_payloads"]) == {n for n, _ in mv.binary_proto_values()}
    assert set(VECTORS["failures"]) == set(FAILURES)


@pytest.mark.parametrize("name", sorted(VALUES))
def test_payload_bytes_identical_to_official(name: str) -> None:
    value, _ = VALUES[name]
    (payload,) = dc._encode_sync([value])
    assert mv.payload_json(payload) == VECTORS["payloads"][name]


@pytest.mark.parametrize("name", sorted(VECTORS["binary_proto_payloads"]))
def test_binary_proto_bytes_identical_to_official(name: str) -> None:
    value = dict(mv.binary_proto_values())[name]
    payload = BinaryProtoPayloadConverter().to_payload(value)
    assert mv.payload_json(payload) == VECTORS["binary_proto_payloads"][name]
    # and the default composite decodes binary/protobuf
    assert dc._decode_sync([payload]) == [value]


def _payload_from(vec: dict) -> Any:
    from temporalio.api.common.v1 import Payload

    return Payload(
        metadata={k: v.encode() for k, v in vec["metadata"].items()},
        data=base64.b64decode(vec["data_b64"]),
    )


def _expected_plain(value: Any) -> Any:
    """What an untyped JSON decode gives back for ``value``."""
    return json.loads(json.dumps(value, cls=mv_json_encoder()))


def mv_json_encoder() -> Any:
    from temporalio.converter import AdvancedJSONEncoder

    return AdvancedJSONEncoder


@pytest.mark.parametrize("name", sorted(VALUES))
def test_official_payloads_decode_to_the_value(name: str) -> None:
    value, hint = VALUES[name]
    payload = _payload_from(VECTORS["payloads"][name])
    if hint is not None:
        assert dc._decode_sync([payload], [hint]) == [value]
    elif isinstance(value, (bytes, type(None))):
        assert dc._decode_sync([payload]) == [value]
    else:
        assert dc._decode_sync([payload]) == [_expected_plain(value)]


def _failure_from_b64(s: str) -> Any:
    from temporalio.api.failure.v1 import Failure

    return Failure.FromString(base64.b64decode(s))


@pytest.mark.parametrize("name", sorted(FAILURES))
def test_our_failure_bytes_identical_to_official(name: str) -> None:
    failure = asyncio.run(dc.encode_failure(FAILURES[name]()))
    ours = base64.b64encode(failure.SerializeToString(deterministic=True)).decode()
    assert ours == VECTORS["failures"][name]["official_failure_b64"]


@pytest.mark.parametrize("name", sorted(FAILURES))
def test_official_failure_decodes_identically_with_ours(name: str) -> None:
    vec = VECTORS["failures"][name]
    exc = asyncio.run(dc.decode_failure(_failure_from_b64(vec["official_failure_b64"])))
    assert mv.describe(exc) == vec["official_decoded"]


@pytest.mark.parametrize("name", sorted(FAILURES))
def test_our_failure_decoded_by_official_sdk(name: str) -> None:
    vec = VECTORS["failures"][name]
    # What the official SDK saw of our failure equals what it sees of its own...
    assert vec["ours_decoded_by_official"] == vec["official_decoded"]
    # ...and what we encode today is still what it decoded then.
    failure = asyncio.run(dc.encode_failure(FAILURES[name]()))
    assert failure == _failure_from_b64(vec["ours_failure_b64"])
