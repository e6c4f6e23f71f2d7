"""The sandbox's webhook poster against real sockets: keep-alive, the ways an answer can end,
a stale connection, and answers that are not HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest

from console.sandbox.poster import Poster, PostError, Target

SECRET = "Basic d2ViaG9vazpzZWNyZXQ="
OK = b'HTTP/1.1 200 OK\r\ncontent-length: 9\r\ncontent-type: application/json\r\n\r\n{"seq":1}'


@dataclass
class Peer:
    """A scripted HTTP server: ``answer(request_index)`` gives the bytes to send back
    (None: close the connection without answering)."""

    answer: Callable[[int], bytes | None]
    requests: list[bytes] = field(default_factory=list)
    connections: int = 0
    close_after_answer: bool = False
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                self.requests.append(head + await reader.readexactly(length))
                reply = self.answer(len(self.requests) - 1)
                if reply is None:
                    break
                writer.write(reply)
                await writer.drain()
                if self.close_after_answer:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Peer]]:
    servers: list[asyncio.Server] = []

    async def start(answer: Callable[[int], bytes | None], **options: object) -> Peer:
        peer = Peer(answer, **options)  # type: ignore[arg-type]
        server = await asyncio.start_server(peer.handle, "127.0.0.1", 0)
        peer.port = server.sockets[0].getsockname()[1]
        servers.append(server)
        return peer

    yield start  # type: ignore[misc]
    for server in servers:
        server.close()


def target(peer: Peer, path: str = "/webhooks/sms?x=1") -> Target:
    return Target.parse(f"http://127.0.0.1:{peer.port}{path}", SECRET)


async def test_posts_share_one_keep_alive_connection_and_carry_the_secret_verbatim(serve) -> None:
    peer = await serve(lambda _: OK)
    poster = Poster(timeout=5, connect_timeout=2)
    statuses = [await poster.post(target(peer), b'{"n":%d}' % i) for i in range(3)]
    poster.close()
    assert statuses == [200, 200, 200]
    assert peer.connections == 1
    first = peer.requests[0]
    assert first.startswith(b"POST /webhooks/sms?x=1 HTTP/1.1\r\n")
    assert f"\r\nHost: 127.0.0.1:{peer.port}\r\n".encode() in first
    assert f"\r\nAuthorization: {SECRET}\r\n".encode() in first
    assert b"\r\nContent-Type: application/json\r\n" in first
    assert first.endswith(b'Content-Length: 7\r\n\r\n{"n":0}')


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nabcd\r\n0\r\n\r\n",
        b"HTTP/1.1 201 Created\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T: 1\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
    ],
    ids=["chunked", "chunked-trailer", "interim-100", "empty"],
)
async def test_an_answer_of_any_framing_is_read_whole_and_the_connection_kept(
    serve, answer: bytes
) -> None:
    peer = await serve(lambda _: answer)
    poster = Poster(timeout=5, connect_timeout=2)
    assert [await poster.post(target(peer), b"{}") for _ in range(2)] == [201, 201]
    poster.close()
    assert peer.connections == 1


async def test_an_answer_ended_by_the_connection_or_connection_close_opens_a_new_one(
    serve,
) -> None:
    unsized = await serve(lambda _: b"HTTP/1.0 503 Busy\r\n\r\nbusy", close_after_answer=True)
    closing = await serve(
        lambda _: b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    )
    poster = Poster(timeout=5, connect_timeout=2)
    assert [await poster.post(target(unsized), b"{}") for _ in range(2)] == [503, 503]
    assert [await poster.post(target(closing), b"{}") for _ in range(2)] == [200, 200]
    poster.close()
    assert unsized.connections == 2 and closing.connections == 2


async def test_a_connection_the_server_dropped_while_idle_is_replaced_once(serve) -> None:
    peer = await serve(lambda _: OK, close_after_answer=True)  # keep-alive not honoured
    poster = Poster(timeout=5, connect_timeout=2)
    assert await poster.post(target(peer), b"{}") == 200
    await asyncio.sleep(0)  # (the close may or may not have reached us yet: both must work)
    assert await poster.post(target(peer), b"{}") == 200
    poster.close()
    assert len(peer.requests) == 2


@pytest.mark.parametrize(
    "answer",
    [
        b"SSH-2.0-OpenSSH\r\n\r\n",
        b"HTTP/1.1 abc Nope\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: -4\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        None,  # closed without a word
    ],
    ids=["not-http", "bad-status", "bad-length", "bad-chunk", "no-answer"],
)
async def test_an_answer_that_is_not_http_is_a_post_error(serve, answer: bytes | None) -> None:
    peer = await serve(lambda _: answer)
    poster = Poster(timeout=5, connect_timeout=2)
    with pytest.raises(PostError):
        await poster.post(target(peer), b"{}")
    poster.close()


async def test_no_answer_in_time_is_a_timeout_and_a_closed_port_a_post_error(serve) -> None:
    silent = await serve(lambda _: b"HTTP/1.1 200 OK\r\n")  # never finishes its head
    poster = Poster(timeout=0.2, connect_timeout=0.2)
    with pytest.raises(TimeoutError):
        await poster.post(target(silent), b"{}")
    closed = Target.parse("http://127.0.0.1:9/webhooks/sms", None)  # discard port: refused
    with pytest.raises(PostError):
        await poster.post(closed, b"{}")
    poster.close()


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "http:///nohost", "127.0.0.1:80/webhooks"])
def test_only_http_urls_are_targets(url: str) -> None:
    with pytest.raises(ValueError, match="http"):
        Target.parse(url, None)


@pytest.mark.parametrize("secret", ["a\r\nX-Evil: 1", "a\nb", "a\0b"])
def test_a_secret_that_would_break_the_header_is_refused(secret: str) -> None:
    with pytest.raises(ValueError, match="control character"):
        Target.parse("http://127.0.0.1:8801/webhooks/sms", secret)


def test_a_path_with_spaces_or_accents_is_sent_percent_encoded() -> None:
    head = Target.parse("http://127.0.0.1:8801/hooks/é x?q=a b", None).head
    assert head.startswith(b"POST /hooks/%C3%A9%20x?q=a%20b HTTP/1.1\r\n")
