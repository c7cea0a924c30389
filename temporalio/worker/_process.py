"""Sync activities in a ``concurrent.futures.ProcessPoolExecutor``.

The official SDK carries heartbeats and cancellation between a pool's child
processes and the worker through a ``multiprocessing.Manager``: an extra
server process whose queue calls time out and hang the process tree. Here
the worker owns a Unix stream socket instead (in a private directory, mode
0700), read by its event loop (``loop.add_reader``: no thread, no manager
process). Each process-pool attempt connects to it from the child:

* child -> worker: ``HELLO`` (the attempt's random key, the child's pid),
  then ``HEARTBEAT`` frames (the details, pickled);
* child -> worker: ``INFO?`` (no body) when the activity calls
  ``activity.info()`` and an outbound interceptor of the worker has its own
  ``info()``: the worker calls its outbound chain and answers ``INFO``
  (``1`` + the pickled Info, or ``0`` + the pickled exception);
* worker -> child: ``READY`` (the answer to HELLO: only then does the child
  call the activity, so the worker knows which attempts started), then
  ``CANCEL`` (the reason) and ``SHUTDOWN``, read by the child whenever the
  activity heartbeats or asks ``is_cancelled()`` / ``is_worker_shutdown()``;
  ``heartbeat()`` raises :class:`temporalio.exceptions.CancelledError` once
  a cancel came. The worker's end closing (the worker ended, or died) reads
  as a cancel with reason ``worker_shutdown``.

Frames are a 5-byte header (body length, big-endian u32; kind, u8) and the
body. Nothing is unpickled before a connection presented a key the worker
issued, and the socket's directory admits only this user.

The outcome travels back through the pool itself, but pickled by the child
(``(True, result)`` / ``(False, exception)`` as bytes), so an unpicklable
result or exception fails that attempt with a clear error instead of
breaking the pool. A child that dies breaks the pool: the stdlib fails every
attempt it holds (``BrokenProcessPool``) and kills the other children. The
worker then makes a new pool with the same settings, runs there again the
attempts that had not started (no READY sent: they ran no user code), and
fails the ones that had (retryable), the dead child's among them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import dataclasses
import logging
import os
import pickle
import select
import socket
import struct
import sys
import tempfile
import threading
import time
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

import temporalio.activity as _act
import temporalio.exceptions as _exc

logger = logging.getLogger("temporalio.worker")

_HEADER = struct.Struct("!IB")
_HELLO, _HEARTBEAT, _CANCEL, _SHUTDOWN, _READY, _INFO_REQ, _INFO = 1, 2, 3, 4, 5, 6, 7
_KEY_LEN = 16
_MAX_FRAME = 256 * 1024 * 1024
_PICKLE = pickle.HIGHEST_PROTOCOL


def _frame(kind: int, body: bytes = b"") -> bytes:
    return _HEADER.pack(len(body), kind) + body


def _split_frames(buf: bytearray) -> Optional[list]:
    """Takes the complete frames off the front of ``buf``: [(kind, body)];
    None if a frame is too large to be ours."""
    out = []
    pos = 0
    while len(buf) - pos >= _HEADER.size:
        n, kind = _HEADER.unpack_from(buf, pos)
        if n > _MAX_FRAME:
            return None
        end = pos + _HEADER.size + n
        if len(buf) < end:
            break
        out.append((kind, bytes(buf[pos + _HEADER.size : end])))
        pos = end
    del buf[:pos]
    return out


# ---- the worker's end ------------------------------------------------------------------


class _Conn:
    __slots__ = ("sock", "buf", "out", "attempt")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()
        self.out = bytearray()  # what the socket did not take yet (add_writer drains it)
        self.attempt: Optional[_Attempt] = None


class _Attempt:
    __slots__ = ("key", "owner", "conn", "pid", "started")

    def __init__(self, key: bytes, owner: Any) -> None:
        self.key = key
        self.owner = owner  # the worker's record of the attempt (has .cancel, a _Flag)
        self.conn: Optional[_Conn] = None
        self.pid = 0
        self.started = False  # READY was sent: the child runs the activity


class ProcessHub:
    """The worker's end of the channel to its process-pool activities.
    Lives on the worker's event loop; every method runs there."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        on_heartbeat: Callable[[Any, Sequence[Any]], None],
        on_info: Optional[Callable[[Any], Any]] = None,
    ) -> None:
        self._loop = loop
        self._on_heartbeat = on_heartbeat
        self._on_info = on_info
        base = None
        if len(tempfile.gettempdir()) > 60:  # sun_path holds ~107 bytes
            base = "/tmp"
        self._dir = tempfile.mkdtemp(prefix="temporal-worker-", dir=base)  # mode 0700
        self.address = os.path.join(self._dir, "activities.sock")
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(self.address)
        self._listener.listen(128)
        self._listener.setblocking(False)
        self._attempts: Dict[bytes, _Attempt] = {}
        self._conns: Dict[int, _Conn] = {}
        self._shutdown = False
        self._closed = False
        loop.add_reader(self._listener.fileno(), self._accept_all)

    # -- attempts --

    def register(self, owner: Any) -> bytes:
        """A key for one attempt; the child presents it in its HELLO."""
        key = os.urandom(_KEY_LEN)
        self._attempts[key] = _Attempt(key, owner)
        return key

    def started(self, key: bytes) -> bool:
        """Whether the attempt's child was told to run the activity."""
        att = self._attempts.get(key)
        return att is not None and att.started

    def unregister(self, key: bytes) -> None:
        """The attempt is over (or given up): first takes in every heartbeat
        the child sent (they are in the socket by now; a failed attempt's
        last details must reach the next attempt), then closes the
        connection. A HELLO for this key read from now on gets no READY:
        that child returns without running the activity."""
        att = self._attempts.pop(key, None)
        self._accept_all()
        conn = att.conn if att is not None else None
        if conn is not None:
            self._read(conn)  # may drop it already (the child closed its end)
            self._drop(conn)

    def cancel(self, key: bytes, reason: str) -> None:
        att = self._attempts.get(key)
        if att is not None and att.conn is not None:
            self._send(att.conn, _frame(_CANCEL, reason.encode()))

    def notify_shutdown(self) -> None:
        self._shutdown = True
        for conn in list(self._conns.values()):
            if conn.attempt is not None:
                self._send(conn, _frame(_SHUTDOWN))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._loop.remove_reader(self._listener.fileno())
        except Exception:  # the loop is closed already
            pass
        self._listener.close()
        for conn in list(self._conns.values()):
            self._drop(conn)
        self._attempts.clear()
        try:
            os.unlink(self.address)
            os.rmdir(self._dir)
        except OSError:
            pass

    # -- sockets --

    def _accept_all(self) -> None:
        if self._closed:
            return
        while True:
            try:
                sock, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as err:
                logger.warning("Process-pool activity channel: accept failed: %s", err)
                return
            sock.setblocking(False)
            conn = _Conn(sock)
            self._conns[sock.fileno()] = conn
            self._loop.add_reader(sock.fileno(), self._read, conn)
            self._read(conn)  # its HELLO is likely there already

    def _read(self, conn: _Conn) -> None:
        if conn.sock.fileno() < 0:
            return
        eof = False
        while True:
            try:
                data = conn.sock.recv(262144)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                eof = True
                break
            if not data:
                eof = True
                break
            conn.buf += data
        frames = _split_frames(conn.buf)
        if frames is None:
            self._drop(conn)
            return
        for kind, body in frames:
            if not self._handle(conn, kind, body):
                self._drop(conn)
                return
        if eof:
            self._drop(conn)

    def _handle(self, conn: _Conn, kind: int, body: bytes) -> bool:
        att = conn.attempt
        if att is None:  # nothing but a valid HELLO first
            if kind != _HELLO or len(body) != _KEY_LEN + 4:
                return False
            found = self._attempts.get(body[:_KEY_LEN])
            if found is None or found.conn is not None:
                return False
            found.conn = conn
            found.pid = struct.unpack("!I", body[_KEY_LEN:])[0]
            found.started = True
            conn.attempt = found
            self._send(conn, _frame(_READY))
            flag = found.owner.cancel
            if flag.is_set():
                self._send(conn, _frame(_CANCEL, (flag.reason or "").encode()))
            if self._shutdown:
                self._send(conn, _frame(_SHUTDOWN))
            return True
        if kind == _HEARTBEAT:
            try:
                details = pickle.loads(body)
            except Exception as err:
                logger.warning(
                    "Heartbeat details from a process-pool activity did not unpickle: %s", err
                )
                return True
            self._on_heartbeat(att.owner, details)
            return True
        if kind == _INFO_REQ:
            self._send(conn, _frame(_INFO, self._info_reply(att.owner)))
            return True
        return False

    def _info_reply(self, owner: Any) -> bytes:
        try:
            if self._on_info is None:
                raise RuntimeError("this worker answers no info requests")
            value = self._on_info(owner)
            if isinstance(value, _act.Info):
                value = dataclasses.replace(value, _cancel=None)  # the child has its own
            return b"\x01" + pickle.dumps(value, protocol=_PICKLE)
        except Exception as err:  # the interceptor's error: raised by info() in the child
            return b"\x00" + _dump_error(err)

    def _send(self, conn: _Conn, data: bytes) -> None:
        """Sends without blocking the loop: what the socket does not take
        now is sent when it is writable again."""
        if conn.out:
            conn.out += data
            return
        try:
            n = conn.sock.send(data)
        except (BlockingIOError, InterruptedError):
            n = 0
        except OSError:
            return  # the child is gone or never reads: its outcome tells the rest
        if n < len(data):
            conn.out += data[n:]
            try:
                self._loop.add_writer(conn.sock.fileno(), self._flush, conn)
            except Exception:
                conn.out.clear()

    def _flush(self, conn: _Conn) -> None:
        try:
            n = conn.sock.send(conn.out)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            n = len(conn.out)
        del conn.out[:n]
        if not conn.out:
            try:
                self._loop.remove_writer(conn.sock.fileno())
            except Exception:
                pass

    def _drop(self, conn: _Conn) -> None:
        """Closes a connection; safe to call again."""
        fd = conn.sock.fileno()
        if fd >= 0:
            self._conns.pop(fd, None)
            try:
                self._loop.remove_reader(fd)
                if conn.out:
                    self._loop.remove_writer(fd)
            except Exception:
                pass
            conn.out.clear()
            conn.sock.close()
        if conn.attempt is not None and conn.attempt.conn is conn:
            conn.attempt.conn = None


def check_picklable(name: str, fn: Any) -> None:
    """Raises TypeError unless ``fn`` pickles (a process pool sends it to
    its children by pickle)."""
    try:
        pickle.dumps(fn, protocol=_PICKLE)
    except Exception as err:
        # The official SDK's text, then ours; the pickling error is the cause.
        raise TypeError(
            f"Activity {name} must be picklable when using a process executor "
            f"({type(err).__name__}: {err}; use a module-level function or a "
            "picklable callable object, or a thread pool)"
        ) from err


def renew_pool(
    broken: concurrent.futures.ProcessPoolExecutor,
) -> Optional[concurrent.futures.ProcessPoolExecutor]:
    """A new pool with the settings of a broken one, or None if they
    cannot be read."""
    try:
        kwargs: Dict[str, Any] = {
            "max_workers": broken._max_workers,  # type: ignore[attr-defined]
            "mp_context": broken._mp_context,  # type: ignore[attr-defined]
            "initializer": broken._initializer,  # type: ignore[attr-defined]
            "initargs": broken._initargs,  # type: ignore[attr-defined]
        }
        if sys.version_info >= (3, 11):
            kwargs["max_tasks_per_child"] = broken._max_tasks_per_child  # type: ignore[attr-defined]
        return type(broken)(**kwargs)
    except Exception as err:
        logger.error("Could not make a new process pool in place of a broken one: %s", err)
        return None


def load_outcome(ok: bool, data: bytes) -> Any:
    """The value a child returned, or raises the exception it raised."""
    try:
        value = pickle.loads(data)
    except Exception as err:
        raise _exc.ApplicationError(
            f"the outcome of a process-pool activity did not unpickle in the worker: "
            f"{type(err).__name__}: {err}",
            type="PicklingError",
        ) from None
    if ok:
        return value
    raise value


# ---- the child's end ---------------------------------------------------------------------


class _NotStarted(Exception):
    """The worker gave up on this attempt before it started (or is gone)."""


class _ChildChannel:
    """The child's connection to the worker for one attempt. Activity code
    may heartbeat from several threads: a lock guards the socket."""

    def __init__(self, address: str, key: bytes) -> None:
        self._lock = threading.Lock()
        self._info_lock = threading.Lock()  # one info request at a time
        self._info_reply: Optional[bytes] = None
        self._buf = bytearray()
        self._gone = False
        self.cancel = _RemoteFlag(self)
        self.shutdown = _RemoteFlag(self)
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._sock.connect(address)
            self._sock.sendall(_frame(_HELLO, key + struct.pack("!I", os.getpid() & 0xFFFFFFFF)))
            self._wait_ready()
        except BaseException:
            self._sock.close()
            raise

    def _wait_ready(self) -> None:
        while True:
            data = self._sock.recv(4096)
            if not data:
                raise _NotStarted()
            self._buf += data
            if len(self._buf) >= _HEADER.size:
                n, kind = _HEADER.unpack_from(self._buf, 0)
                if kind != _READY or n != 0:
                    raise _NotStarted()
                del self._buf[: _HEADER.size]
                self._take(_split_frames(self._buf) or ())
                return

    def _take(self, frames: Any) -> None:
        for kind, body in frames:
            if kind == _CANCEL:
                self.cancel._mark(body.decode(errors="replace") or "cancel_requested")
            elif kind == _SHUTDOWN:
                self.shutdown._mark("worker_shutdown")
            elif kind == _INFO:
                self._info_reply = body

    def poll(self, timeout: float = 0.0) -> None:
        """Takes in what the worker sent, waiting up to ``timeout`` seconds
        for something when nothing came yet."""
        if timeout > 0 and not self._gone:
            # Wait without the lock: other threads of the activity may heartbeat meanwhile.
            try:
                ready, _, _ = select.select([self._sock], [], [], timeout)
            except (OSError, ValueError):  # closed meanwhile
                ready = [self._sock]
            if not ready:
                return
        with self._lock:
            if self._gone:
                return
            while True:
                try:
                    data = self._sock.recv(65536, socket.MSG_DONTWAIT)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    data = b""
                if not data:
                    self._lost()
                    break
                self._buf += data
            self._take(_split_frames(self._buf) or ())

    def _lost(self) -> None:
        """The worker's end closed: it is gone (or shut down)."""
        self._gone = True
        self.shutdown._mark("worker_shutdown")
        self.cancel._mark("worker_shutdown")

    def heartbeat(self, *details: Any) -> None:
        self.poll()
        if self.cancel._set:
            raise _exc.CancelledError(f"Cancelled ({self.cancel.reason})")
        body = pickle.dumps(details, protocol=_PICKLE)  # raises on unpicklable details
        with self._lock:
            if self._gone:
                return
            try:
                self._sock.sendall(_frame(_HEARTBEAT, body))
            except OSError:
                self._lost()

    def request_info(self) -> Optional[bytes]:
        """Asks the worker for ``activity.info()`` (its outbound interceptor
        chain answers): the ``INFO`` body, or None if the worker is gone."""
        with self._info_lock:
            with self._lock:
                if self._gone:
                    return None
                self._info_reply = None
                try:
                    self._sock.sendall(_frame(_INFO_REQ))
                except OSError:
                    self._lost()
                    return None
            while True:
                with self._lock:
                    reply, self._info_reply = self._info_reply, None
                    if reply is not None:
                        return reply
                    if self._gone:
                        return None
                # short: another thread's poll() may take the reply off the socket
                self.poll(0.05)

    def close(self) -> None:
        with self._lock:
            self._gone = True
            self._sock.close()


class _RemoteFlag(_act._Flag):
    """A cancel or shutdown flag of a process-pool activity: set by frames
    from the worker, read when asked."""

    __slots__ = ("_chan",)

    def __init__(self, chan: _ChildChannel) -> None:
        super().__init__(None)
        self._chan = chan

    def _mark(self, reason: str) -> None:
        _act._Flag.set(self, reason)

    def set(self, reason: str) -> None:
        raise RuntimeError("a process-pool activity cannot set this flag")

    def is_set(self) -> bool:
        if not self._set:
            self._chan.poll()
        return self._set

    def wait_sync(self, timeout: Optional[float] = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self.is_set():
            left = 1.0 if deadline is None else deadline - time.monotonic()
            if left <= 0:
                return False
            self._chan.poll(min(left, 1.0))
        return True

    async def wait(self) -> None:
        while not self.is_set():
            await asyncio.sleep(0.05)

    def future(self) -> "asyncio.Future[str]":
        raise RuntimeError(
            "info().cancellation is not available in a process-pool activity; "
            "use info().cancelled or activity.wait_for_cancelled_sync()"
        )


def _dump_error(err: BaseException) -> bytes:
    """Pickles an exception so that the worker can load it; one that does
    not survive the trip becomes an ApplicationError of its type's name."""
    err.__traceback__ = None
    try:
        data = pickle.dumps(err, protocol=_PICKLE)
        pickle.loads(data)
        return data
    except Exception:
        sub = _exc.ApplicationError(str(err) or type(err).__name__, type=type(err).__name__)
        return pickle.dumps(sub, protocol=_PICKLE)


def _call(ctx: _act._Context, fn: Callable[..., Any], args: Sequence[Any]) -> Any:
    _act._current.set(ctx)
    return fn(*args)


def _remote_info(chan: _ChildChannel, local: _act.Info) -> _act.Info:
    """``activity.info()`` in a child whose worker intercepts it."""
    reply = chan.request_info()
    if reply is None:  # the worker is gone (or shut the channel): what it sent at the start
        return local
    value = load_outcome(reply[:1] == b"\x01", reply[1:])  # raises the interceptor's error
    if isinstance(value, _act.Info):
        value = dataclasses.replace(value, _cancel=chan.cancel)
    return value


def run_activity(
    fn: Callable[..., Any],
    args: Sequence[Any],
    info: _act.Info,
    address: str,
    key: bytes,
    remote_info: bool = False,
    payload_converter_class: Optional[type] = None,
) -> Tuple[bool, bytes]:
    """Runs in the pool's child: one attempt of a sync activity. Returns
    ``(ok, pickled value or exception)``; never raises. ``activity.heartbeat()``
    sends the details to the worker (whose outbound interceptors see them
    there); ``activity.info()`` asks the worker when ``remote_info``, else
    returns ``info``."""
    try:
        chan = _ChildChannel(address, key)
    except _NotStarted:
        return False, _dump_error(
            _exc.ApplicationError(
                "the worker gave up on this attempt before it started", type="NotStarted"
            )
        )
    except OSError as err:
        return False, _dump_error(
            _exc.ApplicationError(
                f"a process-pool activity could not reach its worker at {address}: {err}",
                type="WorkerUnreachable",
            )
        )
    try:
        local = dataclasses.replace(info, _cancel=chan.cancel)
        ctx = _act._Context(
            info=local,
            heartbeat=chan.heartbeat,
            cancel=chan.cancel,
            worker_shutdown=chan.shutdown,
            is_async=False,
            info_fn=(lambda: _remote_info(chan, local)) if remote_info else None,
            payload_converter_source=payload_converter_class,
        )
        try:
            result = contextvars.copy_context().run(_call, ctx, fn, args)
        except BaseException as err:  # noqa: B902 - every outcome goes back
            return False, _dump_error(err)
        try:
            return True, pickle.dumps(result, protocol=_PICKLE)
        except Exception as err:
            return False, _dump_error(
                _exc.ApplicationError(
                    f"the result of activity {info.activity_type!r} does not pickle: "
                    f"{type(err).__name__}: {err}",
                    type="PicklingError",
                )
            )
    finally:
        chan.close()
