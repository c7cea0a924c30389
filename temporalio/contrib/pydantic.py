"""A data converter for Pydantic v2.

To use, pass ``pydantic_data_converter`` as the ``data_converter`` argument to
:class:`temporalio.client.Client`:

.. code-block:: python

    client = await Client.connect(
        "localhost:7233",
        data_converter=pydantic_data_converter,
    )

Workers made from that client use it too (activities and workflows). Values
are written as ``json/plain`` with ``pydantic_core.to_json`` (so the payload
bytes are those of the official SDK's ``temporalio.contrib.pydantic``) and
read with ``TypeAdapter(type_hint).validate_json``: a parameter or return
type hint of a Pydantic model, a dataclass, ``datetime``, ``UUID``, ``set``
... gives that type back.

Needs ``pydantic`` v2 (``pip install 'temporalio-c[pydantic]'``): importing
this module without it raises :class:`ImportError`. Pydantic v1 is not
supported.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, Optional

from pydantic import TypeAdapter
from pydantic_core import SchemaSerializer, to_json
from pydantic_core.core_schema import any_schema

from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    EncodingPayloadConverter,
    JSONPlainPayloadConverter,
)
from temporalio.converter._payload_converter import _new_payload

if TYPE_CHECKING:
    from temporalio.api.common.v1 import Payload

__all__ = [
    "PydanticJSONPlainPayloadConverter",
    "PydanticPayloadConverter",
    "ToJsonOptions",
    "pydantic_data_converter",
]


@dataclass
class ToJsonOptions:
    """Options for converting to JSON with pydantic."""

    exclude_unset: bool = False
    """Leave out model fields that were not set explicitly."""


class PydanticJSONPlainPayloadConverter(EncodingPayloadConverter):
    """Pydantic JSON payload converter (``json/plain``).

    Converts every type Pydantic supports to and from JSON: Pydantic models,
    every ``json.dump``-able value, and standard library types such as
    dataclasses, ``datetime`` values, sets and ``UUID``, and types composed of
    them. Pickling keeps the cache size but not the cached type adapters.
    """

    encoding = "json/plain"

    def __init__(
        self,
        to_json_options: Optional[ToJsonOptions] = None,
        *,
        max_cached_type_adapters: Optional[int] = 1024,
    ) -> None:
        """Create a new payload converter.

        Args:
            to_json_options: Options for serializing values to JSON.
            max_cached_type_adapters: Maximum number of type adapters to
                cache (least recently used evicted first); ``None``: no
                bound; 0: no caching.

        Raises:
            ValueError: ``max_cached_type_adapters`` is negative.
        """
        if max_cached_type_adapters is not None and max_cached_type_adapters < 0:
            raise ValueError("max_cached_type_adapters cannot be negative")
        self._enc_bytes = self.encoding.encode()
        self._schema_serializer = SchemaSerializer(any_schema())
        self._to_json_options = to_json_options
        self._type_adapter = functools.lru_cache(maxsize=max_cached_type_adapters)(TypeAdapter)

    def __getstate__(self) -> Dict[str, Any]:
        """Pickle without the type adapter cache (its wrapper does not pickle)."""
        state = self.__dict__.copy()
        state["_type_adapter"] = self._type_adapter.cache_info().maxsize
        return state

    def __setstate__(self, state: Dict[str, Any]) -> None:
        """Restore the state with an empty type adapter cache."""
        self.__dict__.update(state)
        self._type_adapter = functools.lru_cache(maxsize=state["_type_adapter"])(TypeAdapter)

    def accepts_type(self, t: type) -> Optional[bool]:
        return True

    def to_payload(self, value: Any) -> "Payload":
        """``value`` as JSON by ``pydantic_core.to_json`` (with
        ``exclude_unset`` from the options, if given).

        Raises:
            pydantic_core.PydanticSerializationError: the value cannot be
                serialized.
        """
        options = self._to_json_options
        data = (
            self._schema_serializer.to_json(value, exclude_unset=options.exclude_unset)
            if options
            else to_json(value)
        )
        return _new_payload(self._enc_bytes, data)

    def from_payload(self, payload: "Payload", type_hint: Optional[type] = None) -> Any:
        """The value of the JSON payload, validated as ``type_hint`` (``Any``
        when None) by ``TypeAdapter(type_hint).validate_json``. Type adapters
        are cached per hashable type hint.

        Raises:
            pydantic.ValidationError: the JSON is invalid or does not fit
                ``type_hint``.
        """
        hint: Any = type_hint if type_hint is not None else Any
        try:
            adapter: TypeAdapter[Any] = self._type_adapter(hint)
        except TypeError:
            # An unhashable hint skips the cache; a TypeError from making the
            # adapter itself is the caller's.
            try:
                hash(hint)
            except TypeError:
                adapter = TypeAdapter(hint)
            else:
                raise
        return adapter.validate_json(payload.data)

    def to_payload_or_none(self, value: Any) -> Optional["Payload"]:
        return self.to_payload(value)

    def decode_one(self, payload: "Payload", type_hint: Optional[type] = None) -> Any:
        return self.from_payload(payload, type_hint)


class PydanticPayloadConverter(CompositePayloadConverter):
    """The default payload converter with JSON done by
    :class:`PydanticJSONPlainPayloadConverter`."""

    def __init__(
        self,
        to_json_options: Optional[ToJsonOptions] = None,
        *,
        max_cached_type_adapters: Optional[int] = 1024,
    ) -> None:
        """Create the converter.

        Args:
            to_json_options: Options for serializing values to JSON.
            max_cached_type_adapters: Maximum number of type adapters to
                cache (see :class:`PydanticJSONPlainPayloadConverter`). To set
                it through a :class:`~temporalio.converter.DataConverter`, give
                a subclass that takes no arguments as its
                ``payload_converter_class``::

                    class MyPayloadConverter(PydanticPayloadConverter):
                        def __init__(self) -> None:
                            super().__init__(max_cached_type_adapters=128)

                    my_data_converter = DataConverter(
                        payload_converter_class=MyPayloadConverter
                    )
        """
        json_converter = PydanticJSONPlainPayloadConverter(
            to_json_options, max_cached_type_adapters=max_cached_type_adapters
        )
        super().__init__(
            *(
                json_converter if isinstance(c, JSONPlainPayloadConverter) else c
                for c in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )


pydantic_data_converter = DataConverter(payload_converter_class=PydanticPayloadConverter)
"""Pydantic data converter: the default one with JSON by Pydantic (see
:class:`PydanticJSONPlainPayloadConverter`). Give it as ``data_converter`` of
a :class:`temporalio.client.Client`."""
