"""A background HTTPS server for any WSGI app: TLS 1.3 only, keep-alive, bounded slow clients.

The server is cheroot's WSGI server with these changes:

* the SSL adapter wraps accepted sockets *without* a handshake, so the accept loop never waits
  for a client; a worker advances the handshake as far as the client's bytes allow and hands
  the connection back to the selector in between, so a client that opens TCP and sends
  nothing holds no worker, and is closed ``handshake_timeout`` seconds after it connected;
* refused handshakes (wrong protocol version, dropped connections) are logged at debug level;
* the request line and header fields may take ``MAX_HEADER_BYTES`` together: longer header
  fields get 431 (a longer request line 414), and nothing past the limit is buffered; they
  must arrive within ``header_timeout`` seconds in all (else 408); a refused client's
  remaining bytes are drained, within a budget, so it can read the answer;
* the whole request body is read before the app runs, within ``body_timeout`` seconds in
  all (else 408) and ``max_body_bytes`` (else 413): an app never waits on a slow client,
  and so never while it holds a lock;
* an app may raise :class:`AbortConnection` to make the server reset the TCP connection
  (``SO_LINGER`` 0, so the peer sees a reset and no response);
* a leaner socket reader, and a writer that sends each response in one piece, which roughly
  halves the server's time per small request.

A server runs once: :meth:`HTTPSServer.stop` also deletes its CA file.
"""

from __future__ import annotations

import contextlib
import io
import logging
import select
import shutil
import socket
import ssl
import struct
import tempfile
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import trustme
from cheroot import errors as cheroot_errors
from cheroot import server as cheroot_server
from cheroot import wsgi as cheroot_wsgi
from cheroot.ssl import Adapter
from cheroot.workers import threadpool

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_HEADER_BYTES",
    "AbortConnection",
    "HTTPSServer",
    "TLSCertificates",
]

logger = logging.getLogger("asperion_orm.testing.emulator.server")

_HOSTS = ("127.0.0.1", "localhost")
MAX_HEADER_BYTES = 64 * 1024
"""The request line and header fields together (Kestrel allows 8 kB + 32 kB, IIS 16 kB)."""
MAX_BODY_BYTES = 16 * 1024 * 1024
"""A request body: room for the emulator's largest upload (10 MB) and its multipart framing."""


class AbortConnection(Exception):
    """Raised by a WSGI app to reset the client's connection instead of answering."""


class TLSCertificates:
    """A throwaway CA and a server certificate for 127.0.0.1 and localhost."""

    def __init__(self) -> None:
        """Create the CA, issue the certificate and write the CA PEM to a private temp dir."""
        self._ca = trustme.CA()
        self._cert = self._ca.issue_cert(*_HOSTS)
        self._dir = tempfile.mkdtemp(prefix="asperion-sandbox-")
        self.ca_bundle = str(Path(self._dir) / "ca.pem")
        self._ca.cert_pem.write_to_path(self.ca_bundle)
        self._finalizer = weakref.finalize(self, shutil.rmtree, self._dir, True)

    def server_context(self) -> ssl.SSLContext:
        """Return a server context that accepts TLS 1.3 only."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        self._cert.configure_cert(context)
        return context

    def cleanup(self) -> None:
        """Remove the CA PEM file (idempotent)."""
        self._finalizer()


class _DeferredHandshakeAdapter(Adapter):
    """Wrap accepted sockets without a handshake; the worker thread does it later."""

    def __init__(self, context: ssl.SSLContext) -> None:
        """Use ``context`` for every connection."""
        super().__init__(None, None)
        self.context = context
        self.accepted = 0
        self._count_lock = threading.Lock()

    def bind(self, sock: socket.socket) -> socket.socket:
        """Return the listening socket unchanged."""
        return sock

    def wrap(self, sock: socket.socket) -> tuple[ssl.SSLSocket, dict[str, str]]:
        """Wrap an accepted socket; the TLS handshake is left to the worker."""
        with self._count_lock:
            self.accepted += 1
        wrapped = self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return wrapped, self.get_environ()

    def get_environ(self, sock: object = None) -> dict[str, str]:
        """Return the WSGI environ entries for an HTTPS connection."""
        return {"wsgi.url_scheme": "https", "HTTPS": "on"}

    def makefile(self, sock: socket.socket, mode: str = "r", bufsize: int = -1) -> Any:
        """Return the lean reader or the coalescing writer below."""
        return _SocketReader(sock) if "r" in mode else _CoalescingWriter(sock)


class _SocketReader:
    """A buffered socket reader with the methods cheroot uses.

    cheroot's own reader is built on the pure-Python ``_pyio`` module, which costs more per
    header line than the rest of the request handling.
    """

    def __init__(self, sock: socket.socket, chunk: int = 65536) -> None:
        """Read from ``sock`` in ``chunk``-sized receives."""
        self._sock = sock
        self._chunk = chunk
        self._buf = b""
        self._pos = 0
        self.bytes_read = 0
        self.closed = False
        self._deadline: float | None = None
        self._budget: int | None = None

    @contextlib.contextmanager
    def limits(self, seconds: float, max_bytes: int | None = None) -> Iterator[None]:
        """Bound the receives in the block: ``seconds`` in all and ``max_bytes`` together.

        Past either, a receive raises ``TimeoutError`` or ``MaxSizeExceeded``.
        """
        idle = self._sock.gettimeout()
        self._deadline, self._budget = time.monotonic() + seconds, max_bytes
        try:
            yield
        finally:
            self._deadline = self._budget = None
            self._sock.settimeout(idle)

    def _recv(self, size: int) -> bytes:
        """Receive up to ``size`` bytes, within the limits if any are set."""
        if self._deadline is None:
            return self._sock.recv(size)
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")  # the words cheroot recognises (it answers 408)
        if self._budget is not None and self._budget <= 0:
            raise cheroot_errors.MaxSizeExceeded
        idle = self._sock.gettimeout()
        self._sock.settimeout(left if idle is None else min(left, idle))
        data = self._sock.recv(size if self._budget is None else min(size, self._budget))
        if self._budget is not None:
            self._budget -= len(data)
        return data

    def has_data(self) -> bool:
        """Return whether bytes are buffered (a pipelined request)."""
        return self._pos < len(self._buf)

    def _fill(self) -> bool:
        """Receive more bytes; return False at end of stream."""
        data = self._recv(self._chunk)
        if not data:
            return False
        self._buf = self._buf[self._pos :] + data
        self._pos = 0
        return True

    def _take(self, stop: int) -> bytes:
        """Return buffered bytes up to ``stop`` and consume them."""
        data = self._buf[self._pos : stop]
        self._pos = stop
        self.bytes_read += len(data)
        return data

    def readline(self, size: int | None = -1) -> bytes:
        """Return one line (with its newline), at most ``size`` bytes when given."""
        limit = size if size is not None and size >= 0 else None
        while True:
            end = self._buf.find(b"\n", self._pos)
            if end >= 0:
                stop = end + 1
                break
            if limit is not None and len(self._buf) - self._pos >= limit:
                stop = len(self._buf)
                break
            if not self._fill():
                stop = len(self._buf)
                break
        if limit is not None:
            stop = min(stop, self._pos + limit)
        return self._take(stop)

    def read(self, size: int | None = -1) -> bytes:
        """Return ``size`` bytes (fewer at end of stream); all of them when size < 0."""
        parts = [
            self._take(
                len(self._buf)
                if size is None or size < 0
                else min(len(self._buf), self._pos + size)
            )
        ]
        missing = -1 if size is None or size < 0 else size - len(parts[0])
        while missing != 0:
            data = self._recv(self._chunk if missing < 0 else min(missing, self._chunk))
            if not data:
                break
            parts.append(data)
            self.bytes_read += len(data)
            missing = missing if missing < 0 else missing - len(data)
        return b"".join(parts)

    def __iter__(self) -> _SocketReader:
        """Iterate over lines."""
        return self

    def __next__(self) -> bytes:
        """Return the next line."""
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def close(self) -> None:
        """Drop the buffer (the connection closes the socket)."""
        self.closed = True
        self._buf, self._pos = b"", 0


class _CoalescingWriter:
    """Collect a response and send it in one ``sendall`` (one TLS record, one segment).

    cheroot writes the headers and each body chunk separately; over TLS with Nagle off that
    is one record and one packet each, and the client wakes up for every one of them.
    The connection flushes after every request; interim 1xx answers go out at once.
    """

    def __init__(self, sock: socket.socket, limit: int = 262144) -> None:
        """Write to ``sock``, flushing whenever ``limit`` bytes are pending."""
        self._sock = sock
        self._limit = limit
        self._buf = bytearray()
        self.bytes_written = 0
        self.closed = False

    def write(self, data: bytes) -> int:
        """Buffer ``data``."""
        self._buf += data
        self.bytes_written += len(data)
        if len(self._buf) >= self._limit or data.startswith(b"HTTP/1.1 1"):
            self.flush()
        return len(data)

    def flush(self) -> None:
        """Send what is pending."""
        if self._buf:
            pending, self._buf = bytes(self._buf), bytearray()
            self._sock.sendall(pending)

    def discard(self) -> None:
        """Forget what is pending (the connection is being reset)."""
        self._buf = bytearray()

    def close(self) -> None:
        """Flush and mark closed."""
        try:
            self.flush()
        finally:
            self.closed = True


def _reset(conn: cheroot_server.HTTPConnection) -> None:
    """Close ``conn`` abortively: the peer gets a TCP reset and no response."""
    sock = conn.socket
    conn.linger = True  # keep cheroot from shutting down (FIN) the socket we close here
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        logger.debug("could not set SO_LINGER before a reset", exc_info=True)
    discard = getattr(conn.wfile, "discard", None)
    if discard is not None:
        discard()
    conn.rfile.close()
    sock.close()


class _Gateway(cheroot_wsgi.Gateway_10):
    """WSGI gateway that reads the whole body first and turns :class:`AbortConnection` into a reset.

    The app gets the body in memory, so it never waits for a client while it holds a lock:
    a body that does not arrive within ``body_timeout`` seconds gets 408, and one longer than
    ``max_body_bytes`` gets 413, before the app runs.
    """

    def respond(self) -> None:
        """Read the body, run the app; reset the connection when it asks for that."""
        try:
            self._read_body()
        except TimeoutError:
            self._refuse("408 Request Timeout", "The request body did not arrive in time.")
            return
        except cheroot_errors.MaxSizeExceeded:
            limit = self.req.server.max_body_bytes
            self._refuse("413 Request Entity Too Large", f"The body exceeds {limit} bytes.")
            return
        except ValueError as exc:  # cheroot's chunked reader: malformed chunk framing
            self._refuse("400 Bad Request", str(exc))
            return
        try:
            super().respond()
        except AbortConnection:
            self.req.close_connection = True
            self.req.ready = False
            self.req.sent_headers = True  # nothing may be written to the reset socket
            _reset(self.req.conn)

    def _read_body(self) -> None:
        """Replace ``wsgi.input`` by the whole body, read within the server's body timeout."""
        req, limit = self.req, self.req.server.max_body_bytes
        if int(req.inheaders.get(b"Content-Length") or 0) > limit:
            raise cheroot_errors.MaxSizeExceeded
        # The chunked framing may add to the body: a chunk-size line per chunk.
        with req.conn.rfile.limits(req.server.body_timeout, limit + limit // 8 + 1024):
            body = req.rfile.read()
        if len(body) > limit:
            raise cheroot_errors.MaxSizeExceeded
        self.env["wsgi.input"] = io.BytesIO(body)
        self.env["wsgi.input_terminated"] = True
        self.env["CONTENT_LENGTH"] = str(len(body))
        self.env.pop("HTTP_TRANSFER_ENCODING", None)

    def _refuse(self, status: str, message: str) -> None:
        """Answer without running the app, and close the connection."""
        self.req.close_connection = True
        self.req.simple_response(status, message)
        self.req.sent_headers = True


class _Request(cheroot_server.HTTPRequest):
    """cheroot's request: its head must arrive within ``header_timeout`` (else 408), and
    header fields past the server's size limit get 431."""

    def parse_request(self) -> None:
        """Read the request line and header fields within the server's header timeout."""
        with self.conn.rfile.limits(self.server.header_timeout):
            super().parse_request()

    def read_request_headers(self) -> bool:
        """Read the header fields; refuse them with 431 past ``max_request_header_size``."""
        try:
            return bool(super().read_request_headers())  # type: ignore[no-untyped-call]
        except cheroot_errors.MaxSizeExceeded:
            self.close_connection = True
            limit = self.server.max_request_header_size
            self.simple_response(
                "431 Request Header Fields Too Large",
                f"The request line and header fields exceed {limit} bytes.",
            )
            return False

    def simple_response(self, status: str, msg: str = "") -> None:
        """Answer a request refused before it was read whole; the connection drains it."""
        self.conn.refused = True
        super().simple_response(status, msg)


class _Connection(cheroot_server.HTTPConnection):
    """An HTTP connection whose TLS handshake advances without blocking a worker.

    A worker moves the handshake on as far as the client's bytes allow, then hands the
    connection back to cheroot's selector until the client sends more. A connection whose
    handshake is not done ``handshake_timeout`` seconds after it was accepted is expired
    there (cheroot closes a connection idle for ``timeout``; see :attr:`last_used`).
    """

    RequestHandlerClass = _Request
    _handshake_done = False
    refused = False
    """Set when a request was refused before it was read whole (the rest is drained)."""

    drain_bytes = 1 << 20
    drain_seconds = 1.0
    drain_idle = 0.2
    """How much, for how long, and with what pauses a refused client may still send, so
    that it gets to read the refusal."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Remember when the connection was accepted (wall clock, as cheroot's expiry uses)."""
        super().__init__(*args, **kwargs)
        self._accepted = time.time()
        self._last_used: float | None = None

    @property
    def last_used(self) -> float | None:
        """Return when the connection was last used, as cheroot's expiry sees it.

        cheroot closes a connection in its selector once ``last_used`` is ``timeout`` seconds
        old; while the handshake is pending this reports the time that makes that happen
        ``handshake_timeout`` seconds after the connection was accepted.
        """
        if self._handshake_done or self._last_used is None:
            return self._last_used
        server = self.server
        expires: float = self._accepted + server.handshake_timeout - server.timeout
        return min(self._last_used, expires)

    @last_used.setter
    def last_used(self, value: float | None) -> None:
        self._last_used = value

    def communicate(self) -> bool:
        """Advance the TLS handshake if needed, then serve requests; False closes."""
        if not self._handshake_done:
            done = self._handshake()
            if done is None:
                return True  # back to the selector until the client sends more
            if not done:
                return False
            self._handshake_done = True
            if not self._next_request_soon():
                return True
        for _ in range(self.linger_requests):
            if not self._serve_one():
                return False
            if not self._next_request_soon():
                break
        return True

    linger_requests = 100
    """How many requests in a row a worker serves before handing the connection back."""

    linger_seconds = 0.005
    """How long a worker waits for the next request on its connection.

    A client that sends its next request at once is served by the same thread; this saves
    the hops through the selector thread and the worker queue, each of which must take the
    GIL, and they cost more than the request on a busy machine.
    """

    def _serve_one(self) -> bool:
        """Serve one request; return whether the connection stays open."""
        try:
            return bool(super().communicate())  # type: ignore[no-untyped-call]
        finally:
            self._flush()
            if self.refused:
                self._drain()

    def _drain(self) -> None:
        """Discard what a refused client still sends, within a budget, before closing.

        Closing a socket with unread input resets the connection, and the reset can destroy
        the answer before the client reads it.
        """
        left, deadline = self.drain_bytes, time.monotonic() + self.drain_seconds
        while left > 0 and (remaining := deadline - time.monotonic()) > 0:
            try:
                self.socket.settimeout(min(remaining, self.drain_idle))
                data = self.socket.recv(min(left, 65536))
            except (OSError, ValueError):
                return
            if not data:
                return
            left -= len(data)

    def _next_request_soon(self) -> bool:
        """Return whether the next request arrives within ``linger_seconds`` (idle server only)."""
        if self.rfile.has_data() or self.socket.pending():
            return True
        if not self.server.ready or self.server.requests.qsize:
            return False  # stopping, or other connections are waiting for a worker
        try:
            ready, _, _ = select.select([self.socket], [], [], self.linger_seconds)
        except (OSError, ValueError):
            return False
        return bool(ready)

    def _flush(self) -> None:
        """Send the buffered response (the writer coalesces headers and body)."""
        try:
            self.wfile.flush()
        except OSError as exc:
            logger.debug("client %s went away before the answer: %s", self.remote_addr, exc)

    def _handshake(self) -> bool | None:
        """Advance the handshake without waiting for the client.

        Return True once it is done, None while it needs more from the client, and False when
        it failed (refusals are logged quietly).
        """
        sock = self.socket
        try:
            sock.settimeout(0.0)
            while True:
                try:
                    sock.do_handshake()
                    return True
                except ssl.SSLWantReadError:
                    return None
                except ssl.SSLWantWriteError:  # our flight does not fit the send buffer
                    if not select.select([], [sock], [], 1.0)[1]:
                        raise TimeoutError("the client does not read the handshake") from None
        except (OSError, ValueError) as exc:
            logger.debug("TLS handshake with %s failed: %s", self.remote_addr, exc)
            return False
        finally:
            with contextlib.suppress(OSError):
                sock.settimeout(self.server.timeout)


class _ThreadPool(threadpool.ThreadPool):
    """cheroot's worker pool, checking a new worker is running every millisecond.

    cheroot sleeps 100 ms whenever a worker it just started has not yet run; on a busy
    machine that happened at almost every start and was most of a sandbox's start-up time.
    """

    def grow(self, amount: int) -> None:
        """Start ``amount`` more workers (up to the maximum) and wait until each runs."""
        threads: list[threadpool.WorkerThread] = self._threads  # type: ignore[attr-defined]
        budget = max(self.max - len(threads), 0)
        workers = [self._spawn_worker() for _ in range(min(amount, budget))]  # type: ignore[attr-defined]
        for worker in workers:
            while not worker.ready:
                time.sleep(0.001)
        threads.extend(workers)


class _CherootServer(cheroot_wsgi.Server):
    """cheroot's WSGI server with the gateway, connection class and quiet log above."""

    ConnectionClass = _Connection
    body_timeout = 10.0
    """Seconds a request body may take to arrive, in all."""
    handshake_timeout = 5.0
    """Seconds a client may take to complete the TLS handshake after it connected."""
    header_timeout = 10.0
    """Seconds the request line and header fields may take to arrive, in all."""
    max_body_bytes = MAX_BODY_BYTES
    """The longest request body (cheroot's own ``max_request_body_size`` stays off)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Build the server and install the resetting gateway."""
        super().__init__(*args, **kwargs)
        self.gateway = _Gateway
        pool = self.requests
        self.requests = _ThreadPool(self, min=pool.min, max=pool.max)

    def error_log(self, msg: str = "", level: int = 20, traceback: bool = False) -> None:
        """Send cheroot's messages to logging; only app errors above debug level."""
        if level >= logging.ERROR:
            logger.error("%s", msg, exc_info=traceback)
        else:
            logger.debug("%s", msg)


class HTTPSServer:
    """Serve a WSGI app over HTTPS (TLS 1.3 only) on 127.0.0.1 in a background thread.

    Use as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self,
        app: WSGIApplication,
        *,
        port: int = 0,
        threads: int = 32,
        timeout: float = 10.0,
        certificates: TLSCertificates | None = None,
        max_header_bytes: int = MAX_HEADER_BYTES,
        max_body_bytes: int = MAX_BODY_BYTES,
        body_timeout: float = 10.0,
        handshake_timeout: float = 5.0,
        header_timeout: float = 10.0,
    ) -> None:
        """Prepare (but do not start) a server for ``app`` on 127.0.0.1:``port`` (0: free).

        The request line and header fields together may take ``max_header_bytes``; a longer
        request line gets 414, longer header fields 431. A body may take ``max_body_bytes``
        (else 413) and must arrive within ``body_timeout`` seconds in all (else 408); the app
        runs once it has. The request line and header fields must arrive within
        ``header_timeout`` seconds (else 408). Each of these refusals closes the connection.
        A client must finish the TLS handshake within ``handshake_timeout`` seconds of
        connecting; until then it holds no worker thread.
        """
        self._app = app
        self._limits = (max_header_bytes, max_body_bytes, float(body_timeout))
        self._timeouts = (float(handshake_timeout), float(header_timeout))
        self._requested_port = port
        self._threads = threads
        self._timeout = timeout
        self.certificates = certificates or TLSCertificates()
        self._server: _CherootServer | None = None
        self._adapter: _DeferredHandshakeAdapter | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def ca_bundle(self) -> str:
        """Return the path of the CA PEM that clients must trust."""
        return self.certificates.ca_bundle

    @property
    def url(self) -> str:
        """Return ``https://127.0.0.1:PORT`` (valid once started)."""
        return f"https://127.0.0.1:{self.port}"

    @property
    def connections_accepted(self) -> int:
        """Return how many TCP connections the server has accepted so far."""
        return self._adapter.accepted if self._adapter else 0

    @property
    def thread(self) -> threading.Thread | None:
        """Return the thread running the accept loop (None before start)."""
        return self._thread

    def start(self) -> None:
        """Bind, listen and serve in a background thread."""
        if self._thread is not None:
            raise RuntimeError("a server runs once; create a new one")
        self._adapter = _DeferredHandshakeAdapter(self.certificates.server_context())
        server = _make_cheroot(self._app, self._requested_port, self._threads, self._timeout)
        server.max_request_header_size, server.max_body_bytes, server.body_timeout = self._limits
        server.handshake_timeout, server.header_timeout = self._timeouts
        server.ssl_adapter = self._adapter
        server.prepare()
        self._server = server
        self.port = int(server.bind_addr[1])
        self._thread = threading.Thread(target=server.serve, name="asperion-https", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, close connections and wait for the threads (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.certificates.cleanup()

    def __enter__(self) -> HTTPSServer:
        """Start the server."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server."""
        self.stop()


def _make_cheroot(app: WSGIApplication, port: int, threads: int, timeout: float) -> _CherootServer:
    """Build the cheroot server with settings for quick shutdown and many clients."""
    server = _CherootServer(
        ("127.0.0.1", port),
        app,
        numthreads=threads,
        request_queue_size=1024,  # the listen backlog: a burst of connections is not dropped
        timeout=timeout,
        shutdown_timeout=0.25,
        server_name="asperion-sandbox",
    )
    server.expiration_interval = 0.05  # the accept loop's select timeout: bounds stop() time
    server.nodelay = True
    server.keep_alive_conn_limit = 1024  # cheroot's default (10) closes busy clients' connections
    return server
