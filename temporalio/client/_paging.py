"""The paging of the client's list iterators (workflows, history events,
standalone activities): a base class with no client imports, so that every
module of the client can use it."""

from __future__ import annotations

from datetime import timedelta
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Generic,
    Mapping,
    Optional,
    Self,
    Sequence,
    TypeVar,
    Union,
)

from temporalio._checks import _check_positive_int, _check_rpc_options, _check_type

if TYPE_CHECKING:
    from temporalio.client._client import Client

PageItem = TypeVar("PageItem")
_ListInput = TypeVar("_ListInput")


def _list_input(
    input_type: Callable[..., _ListInput],
    query: Optional[str],
    limit: Optional[int],
    page_size: int,
    next_page_token: Optional[bytes],
    rpc_metadata: Mapping[str, Union[str, bytes]],
    rpc_timeout: Optional[timedelta],
) -> _ListInput:
    """The ``input_type`` (``ListWorkflowsInput``, ``ListActivitiesInput``)
    of a visibility list call, its paging and RPC options checked (the
    caller checks ``query``). Raises TypeError or ValueError naming the
    option that is off."""
    if limit is not None:
        _check_positive_int(limit, "limit")
    _check_positive_int(page_size, "page_size")
    _check_type(next_page_token, bytes, "next_page_token", "bytes", optional=True)
    _check_rpc_options(rpc_metadata, rpc_timeout)
    return input_type(
        query=query,
        page_size=page_size,
        next_page_token=next_page_token,
        rpc_metadata=rpc_metadata,
        rpc_timeout=rpc_timeout,
        limit=limit,
    )


class _PagedAsyncIterator(Generic[PageItem]):
    """An async iterator over pages fetched by :meth:`fetch_next_page` (of
    the subclass), ``limit`` items at most (None: all)."""

    def __init__(self, next_page_token: Optional[bytes], limit: Optional[int]) -> None:
        self._next_page_token = next_page_token
        self._current_page: Optional[Sequence[PageItem]] = None
        self._current_page_index = 0
        self._limit = limit
        self._yielded = 0

    @property
    def current_page_index(self) -> int:
        """Index in :attr:`current_page` of the item the next iteration yields."""
        return self._current_page_index

    @property
    def current_page(self) -> Optional[Sequence[PageItem]]:
        """The page fetched last (None before the first)."""
        return self._current_page

    @property
    def next_page_token(self) -> Optional[bytes]:
        """Token of the next page (None: no more pages)."""
        return self._next_page_token

    async def fetch_next_page(self, *, page_size: Optional[int] = None) -> None:
        """Fetch the next page into :attr:`current_page`."""
        raise NotImplementedError

    def _capped_page_size(self, page_size: int) -> int:
        """``page_size`` capped by the ``limit`` left (at least 1)."""
        if self._limit is None:
            return page_size
        return max(1, min(page_size, self._limit - self._yielded))

    def _set_page(self, items: Sequence[PageItem], next_page_token: bytes) -> None:
        self._current_page = items
        self._current_page_index = 0
        self._next_page_token = next_page_token or None

    def __aiter__(self) -> Self:
        """The iterator itself."""
        return self

    async def __anext__(self) -> PageItem:
        """The next item, fetching the next page when needed."""
        while True:
            if self._limit is not None and self._yielded >= self._limit:
                raise StopAsyncIteration
            page = self._current_page
            if page is None or self._current_page_index >= len(page):
                if page is not None and self._next_page_token is None:
                    raise StopAsyncIteration
                await self.fetch_next_page()
                continue
            item = page[self._current_page_index]
            self._current_page_index += 1
            self._yielded += 1
            return item


class _QueryPagedAsyncIterator(_PagedAsyncIterator[PageItem]):
    """The items of a visibility list call (``ListWorkflowExecutions``,
    ``ListActivityExecutions``) for ``input``'s query, a page a call.
    ``input`` has ``query``, ``page_size``, ``next_page_token``, ``limit``,
    ``rpc_metadata`` and ``rpc_timeout``."""

    def __init__(self, client: "Client", input: Any) -> None:
        super().__init__(input.next_page_token, input.limit)
        self._client = client
        self._input = input

    async def _fetch_query_page(self, rpc: str, request_type: Any, page_size: Optional[int]) -> Any:
        """The response of ``rpc`` (a request of ``request_type``) for the
        next page: ``page_size`` items (None: the input's), capped by the
        ``limit`` left. Raises what ``Client._call`` raises."""
        input = self._input
        client = self._client
        req = request_type(
            namespace=client.namespace,
            page_size=self._capped_page_size(page_size or input.page_size),
            next_page_token=self._next_page_token or b"",
            query=input.query or "",
        )
        return await client._call(rpc, req, input.rpc_metadata, input.rpc_timeout)
