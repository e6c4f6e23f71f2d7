"""A small HTTP/1.1 client for webhooks: POST a body on a keep-alive connection, read the
status, discard the answer.

Chosen over httpx and aiohttp by measurement (figures in the commit that added it): a
webhook needs one request line, a few fixed headers and the status of the answer, and this
costs a fraction of a general client's CPU per request, which is what bounds the webhooks a
sandbox can post on its one event loop.

One :class:`Connection` carries one request at a time (HTTP/1.1 without pipelining, as 8x8
delivers). The answer may be sized by ``Content-Length``, chunked, or end with the
connection; ``Connection: close`` is honoured. Anything else (no status line, a head over
64 KiB, a bad chunk size) is a :class:`PostError`, as are connection failures and timeouts.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from typing import cast
from urllib.parse import quote, urlsplit

MAX_HEAD = 64 * 1024
USER_AGENT = "agent-console-sandbox"
_VISIBLE_ASCII = "".join(map(chr, range(0x21, 0x7F)))


class PostError(Exception):
    """The POST got no complete answer: connection refused or lost, timeout, not HTTP."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where a webhook goes: the connection's origin and the request's fixed bytes."""

    scheme: str
    host: str
    port: int
    head: bytes  # the request line and fixed headers, up to "Content-Length: "

    @classmethod
    def parse(cls, url: str, authorization: str | None) -> Target:
        """A Target for an http(s) URL; ValueError for anything else."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        port = parts.port or (443 if scheme == "https" else 80)
        host = parts.hostname
        shown = f"[{host}]" if ":" in host else host
        authority = shown if parts.port is None else f"{shown}:{port}"
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        target = quote(target, safe=_VISIBLE_ASCII)  # as a browser would send it
        lines = [
            f"POST {target} HTTP/1.1",
            f"Host: {authority}",
            f"User-Agent: {USER_AGENT}",
            "Content-Type: application/json",
        ]
        if authorization is not None:
            lines.append(f"Authorization: {authorization}")
        if not all(line.isprintable() for line in lines):
            raise ValueError("a header would carry a control character")
        head = "\r\n".join(lines) + "\r\nContent-Length: "
        return cls(scheme, host, port, head.encode("latin-1"))

    @property
    def origin(self) -> tuple[str, str, int]:
        return self.scheme, self.host, self.port

    def request(self, body: bytes) -> bytes:
        return b"%s%d\r\n\r\n%s" % (self.head, len(body), body)


_HEAD, _BODY, _CHUNK_SIZE, _CHUNK_DATA, _TRAILER, _UNTIL_EOF = range(6)


class Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection; ``post`` one request at a time."""

    def __init__(self) -> None:
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._waiter: asyncio.Future[int] | None = None
        self._state = _HEAD
        self._status = 0
        self._remaining = 0
        self._keep_alive = True
        self.closed = False

    @classmethod
    async def open(cls, target: Target, timeout: float) -> Connection:
        loop = asyncio.get_running_loop()
        context = ssl.create_default_context() if target.scheme == "https" else None
        try:
            async with asyncio.timeout(timeout):
                _, protocol = await loop.create_connection(
                    cls,
                    target.host,
                    target.port,
                    ssl=context,
                    server_hostname=target.host if context else None,
                )
        except (OSError, TimeoutError, ssl.SSLError) as error:
            raise PostError(f"cannot connect to {target.host}:{target.port}: {error}") from None
        return protocol

    # -- asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:
            self.close()  # an answer nobody asked for: this connection is out of step
            return
        self._buffer += data
        try:
            self._advance()
        except PostError as error:
            self._fail(error)
            self.close()

    def eof_received(self) -> bool | None:
        self.closed = True
        if self._state == _UNTIL_EOF:
            self._finish()
        return None  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._transport = None
        if self._state == _UNTIL_EOF:
            self._finish()
        else:
            self._fail(PostError(f"connection lost: {exc or 'closed by the server'}"))

    # -- requests

    async def post(self, data: bytes) -> int:
        """Send one whole request; return the answer's status once it has been read."""
        if self.closed or self._transport is None:
            raise PostError("connection closed")
        if self._waiter is not None:
            raise RuntimeError("one request at a time on a connection")
        self._state, self._status, self._keep_alive = _HEAD, 0, True
        self._buffer.clear()
        waiter = self._waiter = asyncio.get_running_loop().create_future()
        self._transport.write(data)
        try:
            return await waiter
        finally:
            if self._waiter is waiter:  # cancelled (timeout): the stream is out of step
                self._waiter = None
                self.close()

    def close(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.close()

    # -- the answer

    def _finish(self) -> None:
        waiter, self._waiter = self._waiter, None
        self._state = _HEAD
        if waiter is not None and not waiter.done():
            waiter.set_result(self._status)
        if not self._keep_alive:
            self.close()

    def _fail(self, error: PostError) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(error)

    def _advance(self) -> None:
        buffer = self._buffer
        while self._waiter is not None:
            state = self._state
            if state == _HEAD:
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    if len(buffer) > MAX_HEAD:
                        raise PostError("the answer's head is too long")
                    return
                head = bytes(buffer[:end])
                del buffer[: end + 4]
                self._read_head(head)
            elif state == _BODY:
                if len(buffer) < self._remaining:
                    self._remaining -= len(buffer)
                    buffer.clear()
                    return
                del buffer[: self._remaining]
                self._finish()
            elif state == _CHUNK_SIZE:
                end = buffer.find(b"\r\n")
                if end < 0:
                    if len(buffer) > MAX_HEAD:
                        raise PostError("a chunk size line is too long")
                    return
                line = bytes(buffer[:end]).split(b";", 1)[0].strip()
                del buffer[: end + 2]
                try:
                    size = int(line, 16)
                except ValueError:
                    raise PostError(f"bad chunk size {line[:20]!r}") from None
                if size < 0:
                    raise PostError("bad chunk size")
                self._remaining = size + 2  # the data and its CRLF
                self._state = _CHUNK_DATA if size else _TRAILER
            elif state == _CHUNK_DATA:
                if len(buffer) < self._remaining:
                    self._remaining -= len(buffer)
                    buffer.clear()
                    return
                del buffer[: self._remaining]
                self._state = _CHUNK_SIZE
            elif state == _TRAILER:
                if buffer.startswith(b"\r\n"):
                    del buffer[:2]
                    self._finish()
                    continue
                end = buffer.find(b"\r\n\r\n")
                if end < 0:
                    if len(buffer) > MAX_HEAD:
                        raise PostError("the answer's trailer is too long")
                    return
                del buffer[: end + 4]
                self._finish()
            else:  # _UNTIL_EOF: the answer ends with the connection
                buffer.clear()
                return

    def _read_head(self, head: bytes) -> None:
        lines = head.split(b"\r\n")
        status_line = lines[0].split(None, 2)
        if len(status_line) < 2 or not status_line[0].startswith(b"HTTP/1."):
            raise PostError(f"not an HTTP answer: {lines[0][:40]!r}")
        try:
            status = int(status_line[1])
        except ValueError:
            raise PostError(f"bad status {status_line[1][:10]!r}") from None
        if not 100 <= status <= 599:
            raise PostError(f"bad status {status}")
        if status < 200:
            return  # an interim answer (100 Continue): the real one follows
        self._status = status
        self._keep_alive = status_line[0] != b"HTTP/1.0"
        length: int | None = None
        chunked = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    raise PostError("bad Content-Length") from None
                if length < 0:
                    raise PostError("bad Content-Length")
            elif name == b"transfer-encoding":
                chunked = value.strip().lower().endswith(b"chunked")
            elif name == b"connection":
                token = value.strip().lower()
                if token == b"close":
                    self._keep_alive = False
                elif token == b"keep-alive":
                    self._keep_alive = True
        if chunked:
            self._state = _CHUNK_SIZE
        elif status in (204, 304):
            self._state = _BODY
            self._remaining = 0
        elif length is not None:
            self._state = _BODY
            self._remaining = length
        else:
            self._state = _UNTIL_EOF
            self._keep_alive = False


class Poster:
    """Keep-alive connections of one worker, one per origin; ``post`` retries a stale one.

    A keep-alive connection the server closed while idle fails on its next request; that
    request is sent again once on a new connection (it was never answered, and a webhook
    is keyed by its umid, so a rare duplicate is what 8x8 itself may deliver).
    """

    def __init__(self, timeout: float, connect_timeout: float) -> None:
        self._timeout = timeout
        self._connect_timeout = connect_timeout
        self._connections: dict[tuple[str, str, int], Connection] = {}

    async def post(self, target: Target, body: bytes) -> int:
        """POST ``body`` to ``target``; the answer's status, or PostError."""
        data = target.request(body)
        connection = self._connections.get(target.origin)
        reused = connection is not None and not connection.closed
        async with asyncio.timeout(self._timeout):
            if connection is None or connection.closed:
                connection = await self._connect(target)
            try:
                return await connection.post(data)
            except PostError:
                self._connections.pop(target.origin, None)
                if not reused:
                    raise
            connection = await self._connect(target)  # the idle one had gone stale
            try:
                return await connection.post(data)
            except PostError:
                self._connections.pop(target.origin, None)
                raise

    async def _connect(self, target: Target) -> Connection:
        connection = await Connection.open(target, self._connect_timeout)
        self._connections[target.origin] = connection
        return connection

    def close(self) -> None:
        for connection in self._connections.values():
            connection.close()
        self._connections.clear()
