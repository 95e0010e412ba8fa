#!/usr/bin/env python3
"""A loopback HTTP/1.1 forwarder that delays every request, for barkcheck's benchmark.

scripts/bench puts it between barkcheck and the AWS stand-in (AWS_ENDPOINT_URL points here), so that
each AWS call costs a fixed round trip, as over a real network, while the stand-in itself answers in
milliseconds. For each request it reads the whole request, waits until --delay-ms (50 by default)
after the request arrived, then forwards it to --upstream unchanged (method, path and query,
headers, body) and relays the answer as it comes: status, reason, headers and body, a chunked answer
chunk by chunk, a HEAD answer with its Content-Length and no body. Only the hop-by-hop headers
(Connection, Transfer-Encoding, ...) are the proxy's own: a chunked request body is forwarded with a
Content-Length. Each client connection is kept alive as long as the client wants it and has its own
kept-alive connection upstream, so the SDK's connection reuse shows through unchanged. The delay is
counted from the request's arrival: from the accept of its connection for the first request on it,
from its request line for the others. The proxy's own work before the forward (a thread for the
connection, reading the request, opening the upstream connection) is thus inside the delay, not
added to it, so that the delay is all the proxy adds to a request's round trip, up to forwarding it
and relaying the answer.

It binds 127.0.0.1 on a free port (or --port), forwards only to a loopback upstream, and prints
one line, `READY http://127.0.0.1:PORT`, to stdout; logs go to stderr. It stops on SIGTERM,
SIGINT or, with --exit-on-stdin-eof, the end of its input.

Paths under /_delay_proxy/ are its own and never forwarded (no S3 bucket name starts with `_`):

    GET  /_delay_proxy/stats        {"requests", "connections", "max_in_flight", "delay_ms"}
    POST /_delay_proxy/stats/reset  zero the counters
    POST /_delay_proxy/delay        {"ms": N}: change the delay
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

LOG = logging.getLogger("delay-proxy")
HOST = "127.0.0.1"
CONTROL = "/_delay_proxy/"
# Headers that describe one hop, not the message: never copied across the proxy.
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "expect",
}
CHUNK = 65536


class Stats:
    """Counters since the last reset: requests forwarded, client connections accepted, and the
    most requests that were in the proxy (waiting or forwarded) at once."""

    def __init__(self):
        self._lock = threading.Lock()
        self.requests = self.connections = self.in_flight = self.max_in_flight = 0

    def connected(self) -> None:
        with self._lock:
            self.connections += 1

    def begin(self) -> None:
        with self._lock:
            self.requests += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def end(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def reset(self) -> None:
        with self._lock:
            self.requests = self.connections = 0
            self.max_in_flight = self.in_flight

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "requests": self.requests,
                "connections": self.connections,
                "max_in_flight": self.max_in_flight,
            }


class ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    # An SDK opens dozens of connections at once; the default backlog of 5 would drop some
    # SYNs and add a retransmission second to a measurement.
    request_queue_size = 256

    def __init__(self, port: int, upstream: tuple[str, int], delay_ms: int):
        super().__init__((HOST, port), ProxyHandler)
        self.upstream = upstream
        self.delay_ms = delay_ms
        self.stats = Stats()
        # When each connection not yet taken by its handler was accepted, by socket.
        self._accepted: dict[int, float] = {}
        self._accepted_lock = threading.Lock()

    def process_request(self, request, client_address):
        # Called on the accepting thread, before the connection's own thread is started.
        with self._accepted_lock:
            self._accepted[id(request)] = time.monotonic()
        super().process_request(request, client_address)

    def accepted_at(self, request) -> float | None:
        with self._accepted_lock:
            return self._accepted.pop(id(request), None)


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "barkcheck-delay-proxy"
    timeout = 300
    server: ProxyServer

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._upstream: http.client.HTTPConnection | None = None
        # Whether the upstream connection has carried an answer: only such a kept-alive one may
        # have been closed meanwhile and is worth a second try; a fresh one failing is final.
        self._upstream_answered = False
        self.server.stats.connected()
        # The first request on the connection arrived with it; the others, with their request
        # line (see parse_request).
        self._accepted_at = self.server.accepted_at(self.request)
        self._arrived = time.monotonic()

    def parse_request(self):
        # Called once the request line is read, before the headers are.
        self._arrived = self._accepted_at or time.monotonic()
        self._accepted_at = None
        return super().parse_request()

    def finish(self):
        self._drop_upstream()
        super().finish()

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        LOG.debug("%s %s", self.address_string(), format % args)

    def _handle(self):
        if self.path.startswith(CONTROL):
            self._control(self._read_body())
            return
        body = self._read_body()
        stats = self.server.stats
        stats.begin()
        try:
            delay = self.server.delay_ms
            if delay:
                self._connect_while_waiting()
                left = self._arrived + delay / 1000 - time.monotonic()
                if left > 0:
                    time.sleep(left)
            try:
                response = self._send_upstream(body)
            except OSError as error:
                self._drop_upstream()
                LOG.warning("%s %s: upstream failed: %s", self.command, self.path, error)
                self._plain(502, f"delay proxy: upstream failed: {error}")
                return
            self._relay(response)
        finally:
            stats.end()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _handle

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    # Trailers, if any, end with an empty line.
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _connection(self) -> http.client.HTTPConnection:
        if self._upstream is None:
            host, port = self.server.upstream
            self._upstream = http.client.HTTPConnection(host, port, timeout=self.timeout)
            self._upstream.connect()
            self._upstream.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return self._upstream

    def _connect_while_waiting(self) -> None:
        """Opens the upstream connection, when there is none yet, during the delay rather than
        after it: the delay stands for the whole network round trip, and the proxy's own connect
        (and the stand-in's accepting it) would otherwise be added on top of it. A failure here
        is left to the forward after the delay, which reports it."""
        try:
            self._connection()
        except OSError:
            self._drop_upstream()

    def _drop_upstream(self) -> None:
        if self._upstream is not None:
            self._upstream.close()
            self._upstream = None
        self._upstream_answered = False

    def _send_upstream(self, body: bytes) -> http.client.HTTPResponse:
        """The request sent upstream on this connection's upstream connection; once more on a
        fresh one if the kept-alive one was closed meanwhile."""
        own = _connection_tokens(self.headers)
        for attempt in (1, 2):
            reused = self._upstream is not None and self._upstream_answered
            conn = self._connection()
            try:
                conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                has_host = False
                for name, value in self.headers.items():
                    lowered = name.lower()
                    if lowered in HOP_BY_HOP or lowered in own or lowered == "content-length":
                        continue
                    has_host = has_host or lowered == "host"
                    conn.putheader(name, value)
                if not has_host:
                    conn.putheader("Host", "%s:%d" % self.server.upstream)
                if body or "Content-Length" in self.headers or self.command in ("POST", "PUT"):
                    conn.putheader("Content-Length", str(len(body)))
                conn.endheaders(body or None)
                response = conn.getresponse()
                self._upstream_answered = True
                return response
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self._drop_upstream()
                if attempt == 2 or not reused:
                    raise
        raise AssertionError("unreachable")

    def _relay(self, response: http.client.HTTPResponse) -> None:
        """The upstream answer, passed on as it arrives."""
        status = response.status
        own = _connection_tokens(response.headers)
        headers = [
            (name, value)
            for name, value in response.getheaders()
            if name.lower() not in HOP_BY_HOP and name.lower() not in own
        ]
        no_body = self.command == "HEAD" or status in (204, 304) or 100 <= status < 200
        length = response.getheader("Content-Length")
        until_close = not no_body and not response.chunked and length is None
        self.send_response_only(status, response.reason)
        for name, value in headers:
            if response.chunked and name.lower() == "content-length":
                continue
            self.send_header(name, value)
        if response.chunked and not no_body:
            self.send_header("Transfer-Encoding", "chunked")
        if until_close or self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        try:
            if no_body:
                response.read()
            elif response.chunked:
                while data := response.read1(CHUNK):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
                self.wfile.write(b"0\r\n\r\n")
            else:
                while data := response.read1(CHUNK):
                    self.wfile.write(data)
                # read1 leaves a fully read answer open; read() closes it, so that the upstream
                # connection takes the next request.
                self.wfile.write(response.read())
        finally:
            if response.will_close or until_close:
                self._drop_upstream()
        if until_close:
            self.close_connection = True

    def _plain(self, status: int, text: str) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _control(self, body: bytes) -> None:
        route = (self.command, self.path.split("?", 1)[0].rstrip("/"))
        stats = self.server.stats
        if route == ("GET", CONTROL + "stats"):
            answer = {**stats.snapshot(), "delay_ms": self.server.delay_ms}
        elif route == ("POST", CONTROL + "stats/reset"):
            stats.reset()
            answer = stats.snapshot()
        elif route == ("POST", CONTROL + "delay"):
            try:
                self.server.delay_ms = max(0, int(json.loads(body or b"{}").get("ms", 0)))
            except (ValueError, TypeError, AttributeError) as error:
                self._plain(400, f"expected {{\"ms\": N}}: {error}")
                return
            answer = {"delay_ms": self.server.delay_ms}
        else:
            self._plain(404, f"no control endpoint {route[0]} {route[1]}")
            return
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _connection_tokens(headers) -> set[str]:
    """Header names the Connection header lists, which belong to this hop only."""
    tokens = set()
    for value in headers.get_all("Connection") or []:
        tokens.update(t.strip().lower() for t in value.split(",") if t.strip())
    return tokens


def loopback_upstream(url: str) -> tuple[str, int]:
    """(host, port) of an http:// URL on a loopback address; anything else is refused."""
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname or not parts.port:
        raise ValueError(f"--upstream must be http://HOST:PORT, not {url!r}")
    if parts.hostname != "localhost" and not ipaddress.ip_address(parts.hostname).is_loopback:
        raise ValueError(f"--upstream must be a loopback address, not {parts.hostname}")
    return parts.hostname, parts.port


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="http://127.0.0.1:PORT to forward to")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1; 0 picks one")
    parser.add_argument("--delay-ms", type=int, default=50, help="delay of every request")
    parser.add_argument("--exit-on-stdin-eof", action="store_true",
                        help="exit when stdin closes, so a harness that dies leaves nothing")
    parser.add_argument("--log-level", default=os.environ.get("DELAY_PROXY_LOG", "WARNING"))
    args = parser.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=args.log_level.upper(),
                        format="delay-proxy %(asctime)s %(levelname)s: %(message)s")
    try:
        upstream = loopback_upstream(args.upstream)
    except ValueError as error:
        parser.error(str(error))

    server = ProxyServer(args.port, upstream, max(0, args.delay_ms))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if args.exit_on_stdin_eof:
        threading.Thread(target=_wait_for_stdin_eof, args=(stop,), daemon=True).start()
    threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True).start()
    print(f"READY http://{HOST}:{server.server_address[1]}", flush=True)
    LOG.info("forwarding to %s:%d with %d ms", *upstream, server.delay_ms)
    while not stop.wait(0.2):
        pass
    server.shutdown()
    server.server_close()
    return 0


def _wait_for_stdin_eof(stop: threading.Event) -> None:
    try:
        while os.read(0, 65536):
            pass
    except (OSError, ValueError):
        pass
    stop.set()


if __name__ == "__main__":
    sys.exit(main())
