"""A loopback TCP proxy that injects network faults between a gRPC client and
its server.

It runs its own asyncio loop in a daemon thread, so a fault never depends on
the test's loop (where the client and worker run). Modes:

* ``pass_through()``: forward bytes both ways (the start mode).
* ``stall()``: stop forwarding; connections stay open and what arrives is
  held, to be delivered when forwarding resumes (a frozen middlebox or peer).
* ``blackhole()``: bytes on every connection, old and new, are read and
  dropped; new connections are accepted and never answered (a partition, or a
  load balancer that lost its flow table). On ``pass_through()`` those
  connections are reset, as their streams lost bytes.
* ``reset()``: one shot, RST every open connection (``SO_LINGER`` 0); new
  connections pass.
* ``reject()``: RST every open connection, and every new one as soon as it
  is accepted (a server that keeps crashing), until ``pass_through()``.

Example::

    proxy = FaultProxy("127.0.0.1", 7233).start()
    client = await Client.connect(proxy.target)
    proxy.stall(); ...; proxy.pass_through()
    proxy.close()
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from typing import Any, Coroutine, Optional, Set

PASS, STALL, BLACKHOLE, REJECT = "pass", "stall", "blackhole", "reject"


class _Conn:
    """One proxied connection: the client side and the upstream side."""

    def __init__(
        self, proxy: "FaultProxy", cr: asyncio.StreamReader, cw: asyncio.StreamWriter
    ) -> None:
        self.proxy = proxy
        self.cr, self.cw = cr, cw
        self.ur: Optional[asyncio.StreamReader] = None
        self.uw: Optional[asyncio.StreamWriter] = None
        self.dropped = False  # lost bytes in a blackhole: reset at heal
        self.tasks: Set["asyncio.Task[None]"] = set()

    async def run(self) -> None:
        if self.proxy.mode == REJECT:
            self.abort(rst=True)
            return
        try:
            if self.proxy.mode == BLACKHOLE:
                # Accepted, never answered: never even connects upstream.
                self.dropped = True
                await self._pump(self.cr, None)
                return
            self.ur, self.uw = await asyncio.open_connection(self.proxy.up_host, self.proxy.up_port)
        except OSError:
            self.abort()
            return
        for src, dst in ((self.cr, self.uw), (self.ur, self.cw)):
            t = asyncio.ensure_future(self._pump(src, dst))
            self.tasks.add(t)
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.abort()

    async def _pump(self, src: asyncio.StreamReader, dst: Optional[asyncio.StreamWriter]) -> None:
        proxy = self.proxy
        try:
            while True:
                await proxy.not_stalled.wait()
                data = await src.read(65536)
                if not data:
                    break
                await proxy.not_stalled.wait()  # a stall holds what was read
                if proxy.mode == BLACKHOLE or dst is None or self.dropped:
                    self.dropped = True
                    continue
                dst.write(data)
                await dst.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            if dst is not None and not self.dropped:
                try:
                    dst.write_eof()
                except (OSError, RuntimeError):
                    pass

    def abort(self, rst: bool = False) -> None:
        """Close both sides; with ``rst`` the client side gets a TCP RST."""
        for w in (self.cw, self.uw):
            if w is None:
                continue
            if rst:
                sock = w.get_extra_info("socket")
                if sock is not None:
                    try:
                        sock.setsockopt(
                            socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                        )
                    except OSError:
                        pass
            w.transport.abort()
        for t in self.tasks:
            t.cancel()
        self.proxy.conns.discard(self)


class FaultProxy:
    """Proxy ``127.0.0.1:<port>`` to ``up_host:up_port``; see the module doc.

    The mode methods are thread-safe and take effect before they return.
    """

    def __init__(self, up_host: str, up_port: int) -> None:
        self.up_host, self.up_port = up_host, up_port
        self.port = 0
        self.mode = PASS
        self.accepted = 0
        """Connections accepted so far."""
        self.conns: Set[_Conn] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="fault-proxy", daemon=True
        )
        self._server: Optional[asyncio.AbstractServer] = None
        self.not_stalled: asyncio.Event

    @property
    def target(self) -> str:
        """``127.0.0.1:port`` to connect to instead of the server."""
        return f"127.0.0.1:{self.port}"

    def start(self) -> "FaultProxy":
        """Listen on a free loopback port and start forwarding."""
        self._thread.start()
        self._do(self._start())
        return self

    async def _start(self) -> None:
        self.not_stalled = asyncio.Event()
        self.not_stalled.set()
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _accept(self, r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        self.accepted += 1
        conn = _Conn(self, r, w)
        self.conns.add(conn)
        await conn.run()

    def _do(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(10)

    def pass_through(self) -> None:
        """Forward again; connections that lost bytes in a blackhole are reset."""

        async def go() -> None:
            if self.mode == BLACKHOLE:
                for c in list(self.conns):
                    if c.dropped or c.uw is None:
                        c.abort(rst=True)
            self.mode = PASS
            self.not_stalled.set()

        self._do(go())

    def stall(self) -> None:
        """Stop forwarding, keep every connection open (bytes are held)."""

        async def go() -> None:
            self.mode = STALL
            self.not_stalled.clear()

        self._do(go())

    def blackhole(self) -> None:
        """Drop every byte, accept new connections and never answer them."""

        async def go() -> None:
            self.mode = BLACKHOLE
            self.not_stalled.set()

        self._do(go())

    def reject(self) -> None:
        """RST every connection, open or new, until :meth:`pass_through`."""

        async def go() -> None:
            self.mode = REJECT
            self.not_stalled.set()
            for c in list(self.conns):
                c.abort(rst=True)

        self._do(go())

    def reset(self) -> int:
        """RST every open connection now; returns how many. Mode is unchanged."""

        async def go() -> int:
            conns = list(self.conns)
            for c in conns:
                c.abort(rst=True)
            return len(conns)

        n: int = self._do(go())
        return n

    def close(self) -> None:
        """Stop listening, reset every connection, stop the thread."""

        async def go() -> None:
            if self._server is not None:
                self._server.close()
            for c in list(self.conns):
                c.abort(rst=True)

        if self._thread.is_alive():
            self._do(go())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
        self._loop.close()
