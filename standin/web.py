#!/usr/bin/env python3
"""The web stand-in: BarkBase's public endpoints on loopback, for barkcheck's probes.

barkcheck's http, http_latency, tls, websocket and dns checks probe endpoints instead of AWS
APIs. This process plays those endpoints on 127.0.0.1, on ports the OS picks:

    https   TLS 1.2+ with a certificate from a test CA made at start-up (valid 90 days)
    legacy  TLS 1.0+ (OpenSSL security level 0, so old versions still work), with a
            certificate that expires in 10 days
    http    plain HTTP
    silent  accepts TCP connections and never answers (for timeouts)
    dns     UDP DNS answering a small zone of BarkBase names with loopback addresses

Every HTTP(S) server serves the routes of `Handler` (see ROUTES). Start-up writes the CA
certificate to --dir and prints one line, `READY {json}`, with the ports, the CA file, the DNS
server, and for each profile (compliant, gaps) the checklist variables that aim the bundled
checklist's probes here. Nothing is ever sent anywhere but 127.0.0.1.
"""

import argparse
import base64
import datetime
import hashlib
import ipaddress
import json
import os
import signal
import socket
import ssl
import struct
import sys
import tempfile
import threading
import time
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HOST = "127.0.0.1"

ROUTES = """
GET  /                 the frontend, with CSP, HSTS (2 years), X-Frame-Options DENY
                       (on the plain HTTP server: 301 to the https server's /)
GET  /stay             (plain HTTP server) the frontend over HTTP, no redirect
GET  /weak             the frontend with HSTS max-age=300, X-Frame-Options ALLOWALL, no CSP
GET  /health           the API's health route, with security headers
OPTIONS /health        CORS preflight: allows only the https and legacy servers' origins
GET  /open/health      the API without security headers
OPTIONS /open/health   CORS preflight reflecting any Origin, with credentials
OPTIONS /star/health   CORS preflight answering Access-Control-Allow-Origin: *
GET  /slow?ms=N        answers after N ms (at most 10000)
GET  /status/N         answers status N
GET  /redirect-loop    302 to itself
GET  /ws               WebSocket: 101, echoes frames, answers Close
GET  /ws-refuse        403, like an authorizer refusing the connection
GET  /ws-wrong-accept  101 with a Sec-WebSocket-Accept that does not match the key
GET  /_log             what this process saw: HTTP requests and DNS queries
"""

# The gaps the `gaps` profile's variables point at, by the item they break.
GAPS = [
    {"id": "security-headers", "gap": "the frontend (/weak) sends no CSP, HSTS max-age 300, "
     "X-Frame-Options ALLOWALL; the API (/open/health) sends none"},
    {"id": "cors-reflects-origin", "gap": "the API reflects any Origin, with credentials"},
    {"id": "legacy-tls", "gap": "the frontend's endpoint accepts TLS 1.0 and TLS 1.1"},
    {"id": "certificate-expiring", "gap": "the frontend's certificate expires in 10 days"},
    {"id": "api-latency", "gap": "the API answers in 250 ms (average over 200 ms)"},
    {"id": "websocket-refused", "gap": "the WebSocket endpoint answers 403"},
]

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains; preload",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}
WEAK_HEADERS = {
    "Strict-Transport-Security": "max-age=300",
    "X-Frame-Options": "ALLOWALL",
}
PAGE = b"<!doctype html><html><head><title>BarkBase</title></head><body><div id=root></div></body></html>"

# The DNS zone: name -> [(type, value)]. Other barkbase.com names are NXDOMAIN; two names
# misbehave on purpose.
ZONE = {
    "app.barkbase.com": [("CNAME", "edge.barkbase.com")],
    "edge.barkbase.com": [("A", "127.0.0.1"), ("AAAA", "::1")],
    "api.barkbase.com": [("A", "127.0.0.1"), ("AAAA", "::1")],
    "ws.barkbase.com": [("A", "127.0.0.1")],
    "barkbase.com": [("TXT", "barkcheck-test-zone")],
}
DNS_SILENT = "timeout.barkbase.com"
DNS_SERVFAIL = "servfail.barkbase.com"
RR_TYPES = {"A": 1, "NS": 2, "CNAME": 5, "MX": 15, "TXT": 16, "AAAA": 28, "CAA": 257}

log_lock = threading.Lock()
seen = {"requests": [], "dns": []}


def remember(kind, entry):
    with log_lock:
        seen[kind].append(entry)


# Certificates ------------------------------------------------------------------------------

def make_ca(now):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "barkcheck test CA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=120))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False,
                          key_agreement=False, key_cert_sign=True, crl_sign=True,
                          encipher_only=False, decipher_only=False),
            critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def make_leaf(ca_cert, ca_key, not_before, not_after):
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
             x509.IPAddress(ipaddress.ip_address("::1")),
             x509.DNSName("localhost")]
    names += [x509.DNSName(n) for n in ZONE if n != "barkbase.com"]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "app.barkbase.com")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False,
                          key_encipherment=False, data_encipherment=False,
                          key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False),
            critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def write_pair(directory, stem, cert, key):
    cert_path = os.path.join(directory, f"{stem}.pem")
    key_path = os.path.join(directory, f"{stem}-key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


def tls_context(cert_path, key_path, legacy):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    if legacy:
        # The deprecated versions are the point of this server.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    else:
        context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


# HTTP ----------------------------------------------------------------------------------------

class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, name, context=None):
        super().__init__((HOST, 0), Handler)
        self.name = name
        self.context = context
        self.port = self.server_address[1]
        self.allowed_origins = set()
        self.https_port = None

    def finish_request(self, request, client_address):
        # An answer goes out as two writes (headers, then body); with Nagle's algorithm the
        # second waits for the client's delayed ACK of the first, about 40 ms per request,
        # which every latency probe would measure instead of the route's own time.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # The handshake runs in the connection's own thread, so a client that never finishes
        # it (a legacy ClientHello refused, a probe that hangs up) holds up nobody else.
        if self.context is None:
            return super().finish_request(request, client_address)
        request.settimeout(15)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        pass


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 15
    server_version = "barkbase-web-standin"
    sys_version = ""

    def log_message(self, fmt, *args):
        if os.environ.get("STANDIN_WEB_LOG"):
            sys.stderr.write(f"web {self.server.name}: {fmt % args}\n")

    def answer(self, status, body=b"", content_type="application/json", headers=None):
        self.send_response(status)
        if body or status not in (204, 304):
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urlsplit(self.path)
        path = url.path
        remember("requests", [self.server.name, self.command, self.path])
        plain = self.server.context is None
        if path == "/" and plain:
            target = f"https://{HOST}:{self.server.https_port}/"
            return self.answer(301, b"", "text/plain", {"Location": target})
        if path in ("/", "/stay"):
            headers = {} if plain else SECURITY_HEADERS
            return self.answer(200, PAGE, "text/html; charset=utf-8", headers)
        if path == "/weak":
            return self.answer(200, PAGE, "text/html; charset=utf-8", WEAK_HEADERS)
        if path == "/health":
            return self.answer(200, b'{"ok":true}', headers={**SECURITY_HEADERS,
                                                            **self.cors_strict()})
        if path == "/open/health":
            return self.answer(200, b'{"ok":true}')
        if path == "/slow":
            ms = min(int(parse_qs(url.query).get("ms", ["0"])[0]), 10_000)
            time.sleep(ms / 1000)
            return self.answer(200, b'{"ok":true}')
        if path.startswith("/status/"):
            return self.answer(int(path.rsplit("/", 1)[1]), b'{"status":"as asked"}')
        if path == "/redirect-loop":
            return self.answer(302, b"", "text/plain", {"Location": "/redirect-loop"})
        if path == "/ws":
            return self.websocket()
        if path == "/ws-wrong-accept":
            return self.websocket(wrong_accept=True)
        if path == "/ws-refuse":
            return self.answer(403, b'{"message":"Forbidden"}')
        if path == "/_log":
            with log_lock:
                body = json.dumps(seen).encode()
            return self.answer(200, body)
        return self.answer(404, b'{"message":"Not Found"}')

    def do_OPTIONS(self):
        path = urlsplit(self.path).path
        remember("requests", [self.server.name, self.command, path])
        origin = self.headers.get("Origin", "")
        methods = {"Access-Control-Allow-Methods": "GET, POST, OPTIONS",
                   "Access-Control-Allow-Headers": "Authorization, Content-Type"}
        if path == "/health":
            headers = self.cors_strict()
            if not headers:
                return self.answer(403, b'{"message":"origin not allowed"}')
            return self.answer(204, b"", headers={**headers, **methods})
        if path == "/open/health":
            return self.answer(204, b"", headers={"Access-Control-Allow-Origin": origin,
                                                  "Access-Control-Allow-Credentials": "true",
                                                  **methods})
        if path == "/star/health":
            return self.answer(204, b"", headers={"Access-Control-Allow-Origin": "*", **methods})
        return self.answer(404, b'{"message":"Not Found"}')

    def cors_strict(self):
        origin = self.headers.get("Origin")
        if origin in self.server.allowed_origins:
            return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        return {}

    def websocket(self, wrong_accept=False):
        key = self.headers.get("Sec-WebSocket-Key")
        if self.headers.get("Upgrade", "").lower() != "websocket" or not key:
            return self.answer(426, b'{"message":"Upgrade Required"}',
                               headers={"Upgrade": "websocket"})
        accept = base64.b64encode(hashlib.sha1(
            (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
        if wrong_accept:
            accept = base64.b64encode(hashlib.sha1(key.encode()).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        while True:
            head = self.rfile.read(2)
            if len(head) < 2:
                return
            opcode, length = head[0] & 0x0F, head[1] & 0x7F
            if length == 126:
                length = struct.unpack(">H", self.rfile.read(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self.rfile.read(8))[0]
            mask = self.rfile.read(4) if head[1] & 0x80 else b"\0\0\0\0"
            payload = bytes(b ^ mask[i % 4] for i, b in enumerate(self.rfile.read(length)))
            if opcode == 0x8:
                self.wfile.write(bytes([0x88, len(payload)]) + payload)
                self.wfile.flush()
                return
            reply = 0xA if opcode == 0x9 else opcode
            if len(payload) < 126:
                self.wfile.write(bytes([0x80 | reply, len(payload)]) + payload)
                self.wfile.flush()


# DNS -----------------------------------------------------------------------------------------

def encode_name(name):
    return b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"


def record(name, rtype, value):
    if rtype == "A":
        data = socket.inet_pton(socket.AF_INET, value)
    elif rtype == "AAAA":
        data = socket.inet_pton(socket.AF_INET6, value)
    elif rtype == "CNAME":
        data = encode_name(value)
    else:
        data = bytes([len(value)]) + value.encode()
    return encode_name(name) + struct.pack(">HHIH", RR_TYPES[rtype], 1, 300, len(data)) + data


def dns_answer(query):
    ident, flags = struct.unpack(">HH", query[:4])
    labels, i = [], 12
    while query[i] != 0:
        labels.append(query[i + 1:i + 1 + query[i]].decode().lower())
        i += 1 + query[i]
    qtype = struct.unpack(">H", query[i + 1:i + 3])[0]
    question = query[12:i + 5]
    name = ".".join(labels)
    type_name = next((k for k, v in RR_TYPES.items() if v == qtype), str(qtype))
    remember("dns", [name, type_name])

    def header(rcode, count):
        # QR, AA, the client's RD, RA.
        return struct.pack(">HHHHHH", ident, 0x8400 | (flags & 0x0100) | 0x0080 | rcode,
                           1, count, 0, 0)

    if name == DNS_SILENT:
        return None
    if name == DNS_SERVFAIL:
        return header(2, 0) + question
    if name not in ZONE:
        return header(3, 0) + question
    answers, current = [], name
    for _ in range(8):
        records = ZONE.get(current, [])
        matching = [(t, v) for t, v in records if RR_TYPES[t] == qtype]
        if matching:
            answers += [record(current, t, v) for t, v in matching]
            break
        cname = [v for t, v in records if t == "CNAME"]
        if not cname:
            break
        answers.append(record(current, "CNAME", cname[0]))
        current = cname[0]
    return header(0, len(answers)) + question + b"".join(answers)


def serve_dns(sock):
    while True:
        query, client = sock.recvfrom(4096)
        try:
            answer = dns_answer(query)
        except (IndexError, struct.error, UnicodeDecodeError):
            continue
        if answer is not None:
            sock.sendto(answer, client)


def serve_silent(listener):
    held = []
    while True:
        connection, _ = listener.accept()
        held.append(connection)  # never read, never answered, closed at exit


# Main ----------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", help="where to write the CA certificate (default: a temp dir)")
    parser.add_argument("--exit-on-stdin-eof", action="store_true",
                        help="exit when stdin closes, so a harness that dies leaves nothing")
    args = parser.parse_args()
    directory = args.dir or tempfile.mkdtemp(prefix="barkcheck-web-")
    os.makedirs(directory, exist_ok=True)

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_cert, ca_key = make_ca(now)
    ca_path, _ = write_pair(directory, "ca", ca_cert, ca_key)
    good = write_pair(directory, "https", *make_leaf(
        ca_cert, ca_key, now - datetime.timedelta(hours=1), now + datetime.timedelta(days=90)))
    expiring = write_pair(directory, "legacy", *make_leaf(
        ca_cert, ca_key, now - datetime.timedelta(days=80),
        now + datetime.timedelta(days=10, hours=1)))

    https = Server("https", tls_context(*good, legacy=False))
    legacy = Server("legacy", tls_context(*expiring, legacy=True))
    plain = Server("http")
    origins = {f"https://{HOST}:{https.port}", f"https://{HOST}:{legacy.port}"}
    for server in (https, legacy, plain):
        server.allowed_origins = origins
        server.https_port = https.port
        threading.Thread(target=server.serve_forever, daemon=True).start()

    silent = socket.socket()
    silent.bind((HOST, 0))
    silent.listen(16)
    threading.Thread(target=serve_silent, args=(silent,), daemon=True).start()
    dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dns.bind((HOST, 0))
    threading.Thread(target=serve_dns, args=(dns,), daemon=True).start()

    base = f"https://{HOST}:{https.port}"
    old = f"https://{HOST}:{legacy.port}"
    ready = {
        "ca_cert": ca_path,
        "dns_server": f"{HOST}:{dns.getsockname()[1]}",
        "ports": {"https": https.port, "legacy": legacy.port, "http": plain.port,
                  "silent": silent.getsockname()[1], "dns": dns.getsockname()[1]},
        "profiles": {
            "compliant": {
                "app_url": base,
                "api_url": base,
                "ws_url": f"wss://{HOST}:{https.port}/ws",
            },
            "gaps": {
                "app_url": f"{old}/weak",
                "api_url": f"{base}/open",
                "api_latency_url": f"{base}/slow?ms=250",
                "ws_url": f"wss://{HOST}:{https.port}/ws-refuse",
            },
        },
        "gaps": GAPS,
    }
    print("READY " + json.dumps(ready), flush=True)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        if args.exit_on_stdin_eof:
            while sys.stdin.read(4096):
                pass
        else:
            threading.Event().wait()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
