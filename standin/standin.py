"""The local AWS stand-in for barkcheck's tests: moto behind a small front server.

One process runs moto in server mode on an ephemeral loopback port, and a front HTTP server
on 127.0.0.1:--port that every AWS SDK is pointed at (AWS_ENDPOINT_URL). The front server

* forwards each request to moto unchanged (method, path, query, headers, body);
* bridges CloudWatch: the AWS SDK for Rust speaks Smithy RPCv2 CBOR to CloudWatch, which moto
  does not route, so those requests are decoded, sent to moto in CloudWatch's JSON protocol,
  and the answer is typed with botocore's CloudWatch model and encoded back as CBOR;
* injects faults and delays, logs which operations were called, and seeds profiles, all
  through control endpoints under /barkcheck/ that never reach moto;
* answers Cognito's SetRiskConfiguration and DescribeRiskConfiguration itself, which moto
  answers with a 500, from a store the seeding fills;
* renames the root element of S3 answers moto names after the operation
  (GetBucketVersioningResponse for VersioningConfiguration), which the Rust SDK refuses;
* pages Lambda's ListFunctions 50 functions at a time, as AWS does and moto does not.

When both servers answer it prints exactly one line, `READY http://127.0.0.1:PORT`, to stdout;
everything else goes to stderr. It binds 127.0.0.1 only. See README.md beside this file.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import gzip
import hashlib
import http.client
import ipaddress
import json
import logging
import os
import re
import signal
import socket
import sys
import threading
import time
import uuid
import xml.sax.saxutils
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, parse_qsl, unquote, urlsplit

# moto reads these when it is imported, so they are set first. Without the first, EC2 creates
# about 1,300 default AMIs; the second issues ACM certificates at once instead of after 60 s.
os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
os.environ.setdefault("MOTO_ACM_VALIDATION_WAIT", "0")
# Nothing in this process may reach a real AWS host or the instance metadata address.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"

import botocore.session  # noqa: E402
import botocore.utils  # noqa: E402
import cbor2  # noqa: E402
from moto.server import ThreadedMotoServer  # noqa: E402

import seed  # noqa: E402

LOG = logging.getLogger("standin")

HOST = "127.0.0.1"
CLOUDWATCH_TARGET_PREFIX = "GraniteServiceVersion20100801"
CBOR_PATH = re.compile(r"^/service/(?P<service>[^/]+)/operation/(?P<operation>[^/?]+)")
CREDENTIAL_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/(?P<region>[^/]+)/(?P<service>[^/]+)/")
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "expect",
}
# A request's signing name is not always botocore's service name; rules may use either.
SIGNING_NAME_TO_MODELS = {
    "monitoring": ["cloudwatch"],
    "apigateway": ["apigateway", "apigatewayv2"],
    "email": ["ses", "sesv2"],
    "states": ["stepfunctions"],
    "es": ["opensearch", "es"],
    "cognito-idp": ["cognito-idp"],
}


class AwsRequest:
    """What the front server knows about one AWS request: who it is for and how it speaks."""

    def __init__(self, method: str, path: str, headers, body: bytes):
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.region, self.service = _credential_scope(headers, path)
        self.protocol, self.operation = _protocol_and_operation(
            self.service, method, path, headers, body
        )

    def as_log_entry(self) -> dict:
        """The request log's entry. `service` and `operation` name the call; `params` is a digest
        of what it asks (see request_params), equal for two requests that ask the same thing;
        `listing` is the same digest without the page token, equal for the pages of one
        listing; `page_token` is that token (null on a first page); `t` is when it arrived
        (seconds since the epoch); `answered`, added once the answer is sent, when that was."""
        params, token = request_params(self)
        return {
            "service": self.service,
            "operation": self.operation,
            "method": self.method,
            "path": urlsplit(self.path).path,
            "params": _digest(params),
            "listing": _digest({k: v for k, v in params.items() if k != "page_token"}),
            "page_token": token,
            "t": time.time(),
        }


def _credential_scope(headers, path: str) -> tuple[str, str]:
    """Region and signing name, from the SigV4 header or a presigned URL's X-Amz-Credential."""
    auth = headers.get("Authorization", "")
    match = CREDENTIAL_SCOPE.search(auth)
    if match:
        return match["region"], match["service"]
    credential = parse_qs(urlsplit(path).query).get("X-Amz-Credential", [""])[0]
    parts = credential.split("/")
    if len(parts) >= 5:
        return parts[2], parts[3]
    return "unknown", "unknown"


def _protocol_and_operation(service, method, path, headers, body) -> tuple[str, str]:
    cbor = CBOR_PATH.match(path)
    if cbor and method == "POST":
        return "cbor", cbor["operation"]
    target = headers.get("X-Amz-Target")
    if target:
        return "json", target.rsplit(".", 1)[-1]
    action = _query_action(path, headers, body)
    if action:
        return ("ec2" if service == "ec2" else "query"), action
    operation = MODELS.rest_operation(service, method, path)
    if service == "s3":
        operation = _s3_operation(operation, path, headers)
    return MODELS.rest_protocol(service), operation


def _s3_operation(operation: str, path: str, headers) -> str:
    """S3 operations that share their method and path with another, told apart as S3 does: a
    copy names its source in a header, and an upload's abort carries its upload id."""
    if operation == "CopyObject" and "x-amz-copy-source" not in headers:
        return "PutObject"
    if operation == "AbortMultipartUpload" and "uploadId" not in parse_qs(urlsplit(path).query):
        return "DeleteObject"
    return operation


def _query_action(path, headers, body) -> str | None:
    """The Action= of an AWS query protocol request, in the form body or the query string."""
    query = urlsplit(path).query
    if "Action=" in query:
        return parse_qs(query).get("Action", [None])[0]
    content_type = headers.get("Content-Type", "")
    if body and "x-www-form-urlencoded" in content_type:
        return parse_qs(body.decode("utf-8", "replace")).get("Action", [None])[0]
    return None


# Request parameters that continue a listing rather than choose what it lists. Compared in
# lower case, in the query string and at the top of a JSON or CBOR body.
PAGE_TOKEN_FIELDS = {
    "nexttoken",  # EC2, SNS, CloudFormation, Secrets Manager, ACM, Budgets, Cognito, Logs, ...
    "marker",  # RDS, CloudFront, Lambda, Route 53 ListHostedZones
    "nextmarker",  # WAFv2
    "position",  # API Gateway (REST)
    "continuation-token",  # S3 ListBuckets, ListObjectsV2
    "continuationtoken",
    "paginationtoken",
}
# Route 53 pages record sets by where the next page starts: name, type and identifier.
RECORD_SET_START_FIELDS = {"name", "type", "identifier"}
# Request fields that differ between two requests asking the same thing: presigned URLs'
# signature fields (X-Amz-*) and idempotency tokens.
VOLATILE_FIELDS = {"clienttoken", "clientrequesttoken", "idempotencytoken"}


def request_params(request: AwsRequest) -> tuple[dict, str | None]:
    """What a request asks, canonically, and its page token. The parameters are the method,
    the path (and the host, for a virtual-hosted S3 bucket), the query string sorted, and the
    body decoded (form, JSON or CBOR: sorted; anything else: its SHA-256), with the volatile
    fields left out; the page token is kept under `page_token`. Headers never count."""
    parts = urlsplit(request.path)
    token_fields = set(PAGE_TOKEN_FIELDS)
    if (request.service, request.operation) == ("route53", "ListResourceRecordSets"):
        token_fields |= RECORD_SET_START_FIELDS
    tokens: list[str] = []

    def keep(name: str, value) -> bool:
        lowered = name.lower()
        if lowered.startswith("x-amz-") or lowered in VOLATILE_FIELDS:
            return False
        if lowered in token_fields:
            if value not in (None, ""):
                tokens.append(f"{name}={value}")
            return False
        return True

    query = sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if keep(k, v)
    )
    body: object = None
    raw = request.body or b""
    content_type = request.headers.get("Content-Type", "").lower()
    try:
        if request.headers.get("Content-Encoding", "").lower() == "gzip" and raw:
            raw = gzip.decompress(raw)
        if request.protocol == "cbor":
            decoded = cbor_request_to_json(cbor2.loads(raw)) if raw else {}
            body = {k: v for k, v in (decoded or {}).items() if keep(k, v)}
        elif "x-www-form-urlencoded" in content_type:
            body = sorted(
                (k, v) for k, v in parse_qsl(raw.decode("utf-8"), keep_blank_values=True)
                if keep(k, v)
            )
        elif raw.strip()[:1] == b"{":
            decoded = json.loads(raw)
            if isinstance(decoded, dict):
                decoded = {k: v for k, v in decoded.items() if keep(k, v)}
            body = decoded
        elif raw:
            body = hashlib.sha256(raw).hexdigest()
    except (ValueError, OSError, EOFError, cbor2.CBORDecodeError):
        body = hashlib.sha256(raw).hexdigest()
    params = {"method": request.method, "path": unquote(parts.path), "query": query, "body": body}
    host = (request.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]")
    if host and host != "localhost" and not _is_ip(host):
        params["host"] = host
    token = "&".join(sorted(tokens)) or None
    if token is not None:
        params["page_token"] = token
    return params, token


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def _digest(value) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class ServiceModels:
    """botocore's service models: REST operations by method and path, and answer typing."""

    def __init__(self):
        self._session = botocore.session.get_session()
        self._lock = threading.Lock()
        self._models: dict[str, object] = {}
        self._routes: dict[str, list] = {}

    def model(self, name: str):
        with self._lock:
            if name not in self._models:
                try:
                    self._models[name] = self._session.get_service_model(name)
                except Exception:  # an unknown name: botocore raises UnknownServiceError
                    self._models[name] = None
            return self._models[name]

    def models_for(self, signing_name: str) -> list:
        names = SIGNING_NAME_TO_MODELS.get(signing_name, [signing_name])
        return [m for m in (self.model(n) for n in names) if m is not None]

    def rest_protocol(self, signing_name: str) -> str:
        models = self.models_for(signing_name)
        return models[0].protocol if models else "rest-json"

    def rest_operation(self, signing_name: str, method: str, path: str) -> str:
        """The operation whose HTTP binding matches best: most query literals, then longest
        literal path. CloudFront's GET /2020-05-31/distribution is ListDistributions."""
        parts = urlsplit(path)
        query = parse_qs(parts.query, keep_blank_values=True)
        best, best_score = None, None
        for route in self._routes_for(signing_name):
            route_method, pattern, query_literals, literal_len, name = route
            if route_method != method or not pattern.match(parts.path):
                continue
            if any(
                key not in query or (value is not None and value not in query[key])
                for key, value in query_literals
            ):
                continue
            score = (len(query_literals), literal_len)
            if best_score is None or score > best_score:
                best, best_score = name, score
        return best or f"{method} {parts.path}"

    def _routes_for(self, signing_name: str) -> list:
        with self._lock:
            cached = self._routes.get(signing_name)
        if cached is not None:
            return cached
        routes = []
        for model in self.models_for(signing_name):
            for name in model.operation_names:
                http = model.operation_model(name).http
                routes.append(_compile_route(http.get("method", "POST"), http["requestUri"], name))
        with self._lock:
            self._routes[signing_name] = routes
        return routes

    def query_compatible(self, signing_name: str) -> bool:
        models = self.models_for(signing_name)
        return bool(models) and "awsQueryCompatible" in models[0].metadata


def _compile_route(method: str, request_uri: str, name: str):
    path, _, query = request_uri.partition("?")
    regex, literal_len = "", 0
    for piece in re.split(r"(\{[^}]+\})", path):
        if piece.startswith("{"):
            regex += ".+" if piece.endswith("+}") else "[^/]+"
        else:
            regex += re.escape(piece)
            literal_len += len(piece)
    query_literals = []
    for item in filter(None, query.split("&")):
        key, eq, value = item.partition("=")
        query_literals.append((key, value if eq else None))
    return method, re.compile(f"^{regex}/?$"), query_literals, literal_len, name


MODELS = ServiceModels()


# --- CloudWatch RPCv2 CBOR <-> JSON ---------------------------------------------------------


def cbor_request_to_json(value):
    """A decoded CBOR request as JSON protocol input: timestamps become epoch seconds, blobs
    base64, other tags their content."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.timestamp()
    if isinstance(value, cbor2.CBORTag):
        return cbor_request_to_json(value.value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(k): cbor_request_to_json(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [cbor_request_to_json(v) for v in value]
    if value is cbor2.undefined:
        return None
    return value


def typed_for_cbor(shape, value):
    """A JSON value typed by its botocore shape, ready for CBOR: timestamps as tag 1, doubles
    as floats, integers as ints, blobs as bytes. Unknown members and nulls are dropped."""
    if value is None or shape is None:
        return None
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return None
        out = {}
        for name, member in shape.members.items():
            if name in value:
                typed = typed_for_cbor(member, value[name])
                if typed is not None:
                    out[name] = typed
        return out
    if kind == "list":
        if not isinstance(value, list):
            return None
        return [t for t in (typed_for_cbor(shape.member, v) for v in value) if t is not None]
    if kind == "map":
        if not isinstance(value, dict):
            return None
        typed = {str(k): typed_for_cbor(shape.value, v) for k, v in value.items()}
        return {k: v for k, v in typed.items() if v is not None}
    if kind == "timestamp":
        return cbor2.CBORTag(1, _epoch_seconds(value))
    if kind in ("double", "float"):
        return float(value)
    if kind in ("integer", "long", "short", "byte"):
        return int(value)
    if kind == "boolean":
        if isinstance(value, str):
            return value.lower() == "true"
        return bool(value)
    if kind == "blob":
        if isinstance(value, str):
            return base64.b64decode(value)
        return bytes(value)
    if kind == "string":
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        return str(value)
    return value


def _epoch_seconds(value) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    return botocore.utils.parse_timestamp(value).timestamp()


def cbor_error(code: str, message: str, status: int) -> tuple[int, dict, bytes]:
    """An RPCv2 CBOR error. The SDK reads `__type` (stripping any `namespace#` prefix) and
    `message`; CloudWatch is awsQueryCompatible, so x-amzn-query-error carries the code too."""
    fault = "Sender" if status < 500 else "Receiver"
    headers = {
        "smithy-protocol": "rpc-v2-cbor",
        "Content-Type": "application/cbor",
        "x-amzn-query-error": f"{code};{fault}",
    }
    return status, headers, cbor2.dumps({"__type": code, "message": message})


# --- Fault rules and the request log --------------------------------------------------------


class Faults:
    """The fault rules, the fixed delay, and the log of AWS requests seen."""

    def __init__(self):
        self._lock = threading.Lock()
        self._rules: list[dict] = []
        self._delay_ms = 0
        self._requests: list[dict] = []

    def set_rules(self, rules: list[dict]) -> None:
        normalized = [_normalize_rule(rule) for rule in rules]
        with self._lock:
            self._rules = normalized

    def rules(self) -> list[dict]:
        with self._lock:
            return [dict(rule) for rule in self._rules]

    def set_delay(self, ms: int) -> None:
        with self._lock:
            self._delay_ms = max(0, int(ms))

    def delay_ms(self) -> int:
        with self._lock:
            return self._delay_ms

    def record(self, request: AwsRequest) -> dict:
        entry = request.as_log_entry()
        with self._lock:
            self._requests.append(entry)
        return entry

    def answered(self, entry: dict, cached: bool = False) -> None:
        """Notes when the answer to a logged request was sent (`answered`, like `t`), and
        `cached: true` when the answer cache gave it."""
        with self._lock:
            entry["answered"] = time.time()
            if cached:
                entry["cached"] = True

    def requests(self) -> list[dict]:
        with self._lock:
            return [dict(entry) for entry in self._requests]

    def reset_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def take(self, request: AwsRequest) -> dict | None:
        """The first rule that matches the request, counting one use of it."""
        with self._lock:
            for rule in self._rules:
                if not _rule_matches(rule, request):
                    continue
                # `after`: let that many matching requests through first (a listing whose
                # second page fails, say).
                if rule["after"] > 0:
                    rule["after"] -= 1
                    continue
                if rule["times"] is not None:
                    rule["times"] -= 1
                    if rule["times"] <= 0:
                        self._rules.remove(rule)
                return dict(rule)
        return None


def _normalize_rule(rule: dict) -> dict:
    if not isinstance(rule, dict):
        raise ValueError("each rule is a JSON object")
    unknown = set(rule) - {
        "service",
        "operation",
        "status",
        "code",
        "message",
        "times",
        "delay_ms",
        "pass_through",
        "after",
        "rewrite",
        "drop_answer",
    }
    if unknown:
        raise ValueError(f"unknown rule fields: {sorted(unknown)}")
    times = rule.get("times")
    if times is not None and (not isinstance(times, int) or times < 1):
        raise ValueError("times is null or a positive integer")
    rewrite = rule.get("rewrite") or []
    if not isinstance(rewrite, list) or not all(
        isinstance(r, dict) and set(r) == {"pattern", "replacement"} for r in rewrite
    ):
        raise ValueError('rewrite is a list of {"pattern": ..., "replacement": ...}')
    for r in rewrite:
        re.compile(r["pattern"])
    status = rule.get("status")
    return {
        "service": rule.get("service"),
        "operation": rule.get("operation"),
        "status": 500 if status is None else int(status),
        "code": rule.get("code") or "InternalFailure",
        "message": rule.get("message") or "fault injected by the barkcheck stand-in",
        "times": times,
        "delay_ms": int(rule.get("delay_ms") or 0),
        "after": int(rule.get("after") or 0),
        "pass_through": bool(rule.get("pass_through", False))
        or bool(rewrite)
        or bool(rule.get("drop_answer", False)),
        "rewrite": rewrite,
        "drop_answer": bool(rule.get("drop_answer", False)),
    }


def _rule_matches(rule: dict, request: AwsRequest) -> bool:
    service = rule["service"]
    if service is not None:
        names = {request.service, *SIGNING_NAME_TO_MODELS.get(request.service, [])}
        if service not in names:
            return False
    operation = rule["operation"]
    return operation is None or operation == request.operation


def fault_response(request: AwsRequest, rule: dict) -> tuple[int, dict, bytes]:
    """The rule's error in the protocol the request was made in."""
    status, code, message = rule["status"], rule["code"], rule["message"]
    request_id = str(uuid.uuid4())
    fault = "Sender" if status < 500 else "Receiver"
    esc = xml.sax.saxutils.escape
    if request.protocol == "cbor":
        status, headers, body = cbor_error(code, message, status)
        headers["x-amzn-requestid"] = request_id
        return status, headers, body
    if request.protocol in ("json", "rest-json"):
        headers = {
            "Content-Type": request.headers.get("Content-Type") or "application/json",
            "X-Amzn-ErrorType": code,
            "x-amzn-requestid": request_id,
        }
        if MODELS.query_compatible(request.service):
            headers["x-amzn-query-error"] = f"{code};{fault}"
        body = json.dumps({"__type": code, "message": message}).encode()
        return status, headers, body
    if request.protocol == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{esc(code)}</Code><Message>{esc(message)}"
            f"</Message></Error></Errors><RequestID>{request_id}</RequestID></Response>"
        )
    elif request.service == "s3":
        body = (
            f"<Error><Code>{esc(code)}</Code><Message>{esc(message)}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>"
        )
    else:  # query and rest-xml (CloudFront, Route 53) share the ErrorResponse envelope
        body = (
            f"<ErrorResponse><Error><Type>{fault}</Type><Code>{esc(code)}</Code>"
            f"<Message>{esc(message)}</Message></Error><RequestId>{request_id}</RequestId>"
            f"</ErrorResponse>"
        )
    headers = {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}
    return status, headers, ('<?xml version="1.0" encoding="UTF-8"?>\n' + body).encode()


def _rewritten(data: bytes, rewrite: list[dict]) -> bytes:
    """moto's answer with a rule's substitutions applied: how the stand-in shows a state moto
    cannot hold (an unconfirmed e-mail subscription, a root user with MFA) in a real answer."""
    text = data.decode("utf-8")
    for r in rewrite:
        text = re.sub(r["pattern"], r["replacement"], text)
    return text.encode("utf-8")


class QueryDefinitions:
    """CloudWatch Logs Insights saved queries, which moto does not implement (it answers 500):
    the front server keeps them and answers PutQueryDefinition, DescribeQueryDefinitions and
    DeleteQueryDefinition itself, in the Logs JSON protocol, paginated like AWS (nextToken)."""

    OPERATIONS = ("PutQueryDefinition", "DescribeQueryDefinitions", "DeleteQueryDefinition")

    def __init__(self):
        self._lock = threading.Lock()
        self._items: dict[tuple[str, str], list[dict]] = {}

    def replace(self, region: str, definitions: list[dict]) -> None:
        with self._lock:
            self._items = {}
            for d in definitions:
                self._put(region, d)

    def _put(self, region: str, d: dict) -> dict:
        items = self._items.setdefault((region, "123456789012"), [])
        query_id = d.get("queryDefinitionId") or str(uuid.uuid4())
        items[:] = [i for i in items if i["queryDefinitionId"] != query_id]
        item = {
            "queryDefinitionId": query_id,
            "name": d["name"],
            "queryString": d["queryString"],
            "logGroupNames": list(d.get("logGroupNames") or []),
            "lastModified": int(time.time() * 1000),
            "queryLanguage": d.get("queryLanguage", "CWLI"),
        }
        items.append(item)
        return item

    def answer(self, request: AwsRequest) -> tuple[int, dict, bytes]:
        try:
            payload = json.loads(request.body or b"{}")
        except ValueError:
            payload = {}
        headers = {"Content-Type": "application/x-amz-json-1.1", "x-amzn-requestid": str(uuid.uuid4())}
        with self._lock:
            items = self._items.setdefault((request.region, "123456789012"), [])
            if request.operation == "PutQueryDefinition":
                item = self._put(request.region, payload)
                answer = {"queryDefinitionId": item["queryDefinitionId"]}
            elif request.operation == "DeleteQueryDefinition":
                before = len(items)
                items[:] = [i for i in items if i["queryDefinitionId"] != payload.get("queryDefinitionId")]
                answer = {"success": len(items) < before}
            else:
                prefix = payload.get("queryDefinitionNamePrefix") or ""
                chosen = [i for i in items if i["name"].startswith(prefix)]
                start = int(payload.get("nextToken") or 0)
                size = int(payload.get("maxResults") or 1000)
                answer = {"queryDefinitions": chosen[start : start + size]}
                if start + size < len(chosen):
                    answer["nextToken"] = str(start + size)
        return 200, headers, json.dumps(answer).encode()


# --- Cognito risk configurations -------------------------------------------------------------


class RiskConfigurations:
    """Cognito's per-pool risk configurations (account takeover and compromised credentials
    actions), which moto does not implement. Kept by (region, user pool id); client-level
    configurations are not kept apart from the pool's."""

    OPERATIONS = ("SetRiskConfiguration", "DescribeRiskConfiguration")

    def __init__(self):
        self._lock = threading.Lock()
        self._configs: dict[tuple[str, str], dict] = {}

    def clear(self) -> None:
        with self._lock:
            self._configs.clear()

    def put(self, region: str, pool_id: str, config: dict) -> dict:
        stored = {
            "UserPoolId": pool_id,
            **{k: v for k, v in config.items() if k not in ("UserPoolId", "ClientId")},
            "LastModifiedDate": time.time(),
        }
        with self._lock:
            self._configs[(region, pool_id)] = stored
        return stored

    def answer(self, request: AwsRequest) -> tuple[int, dict, bytes]:
        """The JSON answer to one of OPERATIONS."""
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = {}
        pool_id = body.get("UserPoolId")
        headers = {
            "Content-Type": "application/x-amz-json-1.1",
            "x-amzn-requestid": str(uuid.uuid4()),
        }
        if not isinstance(pool_id, str) or not pool_id:
            error = {"__type": "InvalidParameterException", "message": "UserPoolId is required"}
            headers["X-Amzn-ErrorType"] = error["__type"]
            return 400, headers, json.dumps(error).encode()
        if request.operation == "SetRiskConfiguration":
            stored = self.put(request.region, pool_id, body)
            return 200, headers, json.dumps({"RiskConfiguration": stored}).encode()
        with self._lock:
            stored = self._configs.get((request.region, pool_id), {"UserPoolId": pool_id})
        return 200, headers, json.dumps({"RiskConfiguration": stored}).encode()


# --- The front server -----------------------------------------------------------------------


# Operations that only read, by the prefix of their name. Any other operation may change what
# moto would answer, so it empties the answer cache.
READ_ONLY_PREFIXES = ("Describe", "List", "Get", "Head", "Filter", "Lookup", "Search")
# Named like reads, but each answer is new (an identity, a password, a token, credentials) or
# creates something: never kept, and treated as writes.
NOT_READ_ONLY = re.compile(r"^Get(Id|RandomPassword|.*Token|.*Credentials.*|Federation.*)$")


# Request headers that differ between two requests asking the same thing: the signature and its
# date, the SDK's per-call ids and attempt counter, and this hop's framing. Every other header
# (Range, If-None-Match, X-Amz-Security-Token, the user agent, from which moto reads a region) is
# part of what a request asks.
VOLATILE_HEADERS = {
    "authorization",
    "x-amz-date",
    "amz-sdk-invocation-id",
    "amz-sdk-request",
    "x-amzn-trace-id",
    "content-length",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "expect",
}
# The access key of a SigV4 Authorization header: whose request it is.
ACCESS_KEY = re.compile(r"Credential=(?P<key>[^/,\s]+)/")


class AnswerCache:
    """Answers moto gave to read-only requests, served again to the same request (off unless
    enabled; scripts/bench enables it).

    moto answers one request at a time under Python's global lock, a few milliseconds each;
    AWS answers many at once. With the cache, a request that asks exactly what an earlier one
    asked is answered from memory in a fraction of a millisecond, so that a benchmark measures
    barkcheck and the network, not moto. "Exactly" is: the same method, path and query, body
    bytes, region and signing name, access key, and every header but the volatile ones
    (VOLATILE_HEADERS). Only 2xx answers of read-only operations are kept: every operation
    name the request carries is a Describe, List, Get, ... and none hands out something new
    each time (NOT_READ_ONLY: GetId, GetRandomPassword, tokens, credentials).

    Any other request is a write. A write, a seed or a moto reset empties the cache when it
    starts and again when it ends, and while one is in flight no answer is kept; an answer moto
    gave to a read that began before a write ended is not kept either (the generation counts
    writes). A request a fault rule matches is never answered from the cache. Requests still go
    through the request log, marked `cached`.

    Known limit: state moto changes on its own as time passes (a DAX cluster leaving
    `creating`, a CloudFront distribution finishing deployment, an SQS message becoming
    visible again) stays as it was first read; the benchmark's seeded resources have none."""

    def __init__(self):
        self._lock = threading.Lock()
        self.enabled = False
        self._answers: dict[tuple, tuple[int, list, bytes, str | None]] = {}
        self._writes_in_flight = 0
        self._generation = 0
        self.hits = self.misses = 0

    @staticmethod
    def key(request: AwsRequest) -> tuple:
        headers = request.headers
        access = ACCESS_KEY.search(headers.get("Authorization", ""))
        kept = sorted(
            (name.lower(), value)
            for name, value in headers.items()
            if name.lower() not in VOLATILE_HEADERS
        )
        return (
            request.method,
            request.path,
            request.region,
            request.service,
            access["key"] if access else "",
            tuple(kept),
            request.body or b"",
        )

    @staticmethod
    def read_only(request: AwsRequest) -> bool:
        """Whether every operation name the request carries (its operation, an X-Amz-Target, an
        Action= in the query or the form body) is a read: moto may act on another one than the
        request log names."""
        names = {request.operation}
        target = request.headers.get("X-Amz-Target")
        if target:
            names.add(target.rsplit(".", 1)[-1])
        query = urlsplit(request.path).query
        names.update(v for k, v in parse_qsl(query) if k == "Action")
        if b"Action=" in (request.body or b""):
            form = parse_qsl((request.body or b"").decode("utf-8", "replace"))
            names.update(v for k, v in form if k == "Action")
        return all(
            name.startswith(READ_ONLY_PREFIXES) and not NOT_READ_ONLY.match(name)
            for name in names
        )

    def begin(self, request: AwsRequest) -> "CacheTicket":
        """Called as a request arrives, once: what the cache makes of it, for `get`, `put` and
        `end`. A write starts here and ends in `end`."""
        if not self.read_only(request):
            self.begin_write()
            return CacheTicket(read=False, generation=-1, key=None)
        with self._lock:
            generation, enabled = self._generation, self.enabled
        return CacheTicket(True, generation, self.key(request) if enabled else None)

    def end(self, ticket: "CacheTicket") -> None:
        """Called once the request is answered."""
        if not ticket.read:
            self.end_write()

    def begin_write(self) -> None:
        with self._lock:
            self._writes_in_flight += 1
            self._generation += 1
            self._answers.clear()

    def end_write(self) -> None:
        with self._lock:
            self._writes_in_flight -= 1
            self._generation += 1
            self._answers.clear()

    def get(self, ticket: "CacheTicket"):
        """The kept answer to this read, or None (counted as a miss when the cache is on)."""
        with self._lock:
            if not self.enabled or ticket.key is None:
                return None
            answer = self._answers.get(ticket.key)
            if answer is None:
                self.misses += 1
            else:
                self.hits += 1
            return answer

    def put(self, ticket: "CacheTicket", answer: tuple[int, list, bytes, str | None]) -> None:
        """Keeps moto's answer to a read, unless a write began or ended since the read began,
        or is still in flight."""
        with self._lock:
            if (
                self.enabled
                and ticket.key is not None
                and ticket.generation == self._generation
                and self._writes_in_flight == 0
                and 200 <= answer[0] < 300
            ):
                self._answers[ticket.key] = answer

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._answers.clear()

    def configure(self, enabled: bool) -> None:
        with self._lock:
            self.enabled = enabled
            self._generation += 1
            self._answers.clear()
            self.hits = self.misses = 0

    def stats(self) -> dict:
        with self._lock:
            return {
                "enabled": self.enabled,
                "entries": len(self._answers),
                "hits": self.hits,
                "misses": self.misses,
            }


@dataclass(frozen=True)
class CacheTicket:
    """What the answer cache made of one request as it arrived: whether it is a read, the
    cache's generation then, and its key (None for a write, or when the cache was off)."""

    read: bool
    generation: int
    key: tuple | None


class FrontServer(ThreadingHTTPServer):
    daemon_threads = True
    # An SDK starting every check at once opens dozens of connections together; with the
    # default listen backlog of 5 the kernel drops some of them and the client retries a
    # second later, which would show up as a stall in every timing taken through here.
    request_queue_size = 256

    def get_request(self):
        # An answer goes out as two writes (headers, then body); with Nagle's algorithm the
        # body waited for the client's delayed ACK of the headers: about 45 ms on every call.
        request, address = super().get_request()
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return request, address


class StandIn:
    """Owns moto, the fault state and the front server."""

    def __init__(self, port: int):
        self.moto = ThreadedMotoServer(ip_address=HOST, port=0, verbose=False)
        self.moto.start()
        host, moto_port = self.moto.get_host_and_port()
        self.moto_host, self.moto_port = host, moto_port
        self.moto_url = f"http://{host}:{moto_port}"
        self.faults = Faults()
        self.query_definitions = QueryDefinitions()
        self.risk = RiskConfigurations()
        self.answers = AnswerCache()
        self.seed_lock = threading.Lock()
        handler = type("BoundHandler", (FrontHandler,), {"standin": self})
        self.front = FrontServer((HOST, port), handler)
        self.url = f"http://{HOST}:{self.front.server_address[1]}"
        self._front_thread = threading.Thread(
            target=self.front.serve_forever, args=(0.1,), name="front", daemon=True
        )

    def start(self) -> None:
        self._front_thread.start()
        _wait_until_answering(self.moto_url + "/moto-api/")
        _wait_until_answering(self.url + "/barkcheck/health")

    def stop(self) -> None:
        self.front.shutdown()
        self.front.server_close()
        self.moto.stop()

    def seed(self, profile: str) -> dict:
        with self.seed_lock:
            status, _, body = self.call_moto("POST", "/moto-api/reset", {}, b"")
            if status != 200:
                raise RuntimeError(f"moto reset answered {status}: {body[:200]!r}")
            self.faults.reset_requests()
            self.risk.clear()
            # Seeding writes to moto directly: a write as far as the answer cache goes.
            self.answers.begin_write()
            try:
                summary = seed.seed(self.moto_url, profile)
                self.query_definitions.replace(seed.REGION, seed.query_definitions(profile))
                # The seeder cannot store risk configurations in moto; they are kept here.
                for pool_id, config in summary["created"].get("risk_configurations", {}).items():
                    self.risk.put(summary["region"], pool_id, config)
            finally:
                self.answers.end_write()
            return summary

    def call_moto(self, method, path, headers, body) -> tuple[int, list, bytes]:
        conn = http.client.HTTPConnection(self.moto_host, self.moto_port, timeout=120)
        try:
            conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            has_host = False
            for name, value in headers.items() if isinstance(headers, dict) else headers:
                if name.lower() in HOP_BY_HOP or name.lower() == "content-length":
                    continue
                has_host = has_host or name.lower() == "host"
                conn.putheader(name, value)
            if not has_host:
                conn.putheader("Host", f"{self.moto_host}:{self.moto_port}")
            if body or method in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
            response = conn.getresponse()
            data = response.read()
            return response.status, response.getheaders(), data
        finally:
            conn.close()


def _wait_until_answering(url: str, timeout: float = 30.0) -> None:
    parts = urlsplit(url)
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
            conn.request("GET", parts.path)
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class FrontHandler(BaseHTTPRequestHandler):
    """Serves the control endpoints under /barkcheck/ and forwards everything else to moto."""

    standin: StandIn
    protocol_version = "HTTP/1.1"
    server_version = "barkcheck-standin"
    timeout = 300

    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        LOG.debug("%s %s", self.address_string(), format % args)

    def _handle(self):
        try:
            body = self._read_body()
            if self.path.startswith("/barkcheck/"):
                self._control(body)
            else:
                self._aws(body)
        except Exception as error:  # an answer beats a dropped connection in a test
            LOG.exception("%s %s failed", self.command, self.path)
            self._send(500, {"Content-Type": "text/plain"}, f"stand-in error: {error}".encode())

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _handle

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, headers, body: bytes, head_length: str | None = None):
        self.send_response(status)
        items = headers.items() if isinstance(headers, dict) else headers
        for name, value in items:
            # send_response already wrote Server and Date.
            if name.lower() in HOP_BY_HOP or name.lower() in ("content-length", "server", "date"):
                continue
            self.send_header(name, value)
        if self.command == "HEAD":
            # HeadObject and friends report the resource's length, not the empty body's.
            self.send_header("Content-Length", head_length or str(len(body)))
            self.end_headers()
            return
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, status: int, value) -> None:
        self._send(status, {"Content-Type": "application/json"}, json.dumps(value).encode())

    # --- control endpoints

    def _control(self, body: bytes) -> None:
        parts = urlsplit(self.path)
        route = (self.command, parts.path.rstrip("/"))
        faults = self.standin.faults
        try:
            payload = json.loads(body) if body else {}
        except ValueError as error:
            self._send_json(400, {"error": f"body is not JSON: {error}"})
            return
        try:
            if route == ("GET", "/barkcheck/health"):
                self._send_json(200, {"ok": True})
            elif route == ("GET", "/barkcheck/answer-cache"):
                self._send_json(200, self.standin.answers.stats())
            elif route == ("POST", "/barkcheck/answer-cache"):
                enabled = payload.get("enabled") if isinstance(payload, dict) else None
                if not isinstance(enabled, bool):
                    raise ValueError('expected {"enabled": true|false}')
                self.standin.answers.configure(enabled)
                self._send_json(200, self.standin.answers.stats())
            elif route == ("POST", "/barkcheck/faults"):
                rules = payload.get("rules") if isinstance(payload, dict) else None
                if not isinstance(rules, list):
                    raise ValueError('expected {"rules": [...]}')
                faults.set_rules(rules)
                self._send_json(200, {"rules": faults.rules()})
            elif route == ("GET", "/barkcheck/faults"):
                self._send_json(200, {"rules": faults.rules(), "delay_ms": faults.delay_ms()})
            elif route == ("DELETE", "/barkcheck/faults"):
                faults.set_rules([])
                self._send_json(200, {"rules": []})
            elif route == ("GET", "/barkcheck/requests"):
                self._send_json(200, faults.requests())
            elif route == ("POST", "/barkcheck/requests/reset"):
                faults.reset_requests()
                self._send_json(200, [])
            elif route == ("POST", "/barkcheck/delay"):
                faults.set_delay(int(payload.get("ms", 0)))
                self._send_json(200, {"ms": faults.delay_ms()})
            elif route == ("POST", "/barkcheck/seed"):
                profile = parse_qs(parts.query).get("profile", [None])[0]
                if profile not in seed.PROFILES:
                    raise ValueError(f"profile must be one of {sorted(seed.PROFILES)}")
                self._send_json(200, self.standin.seed(profile))
            else:
                self._send_json(404, {"error": f"no control endpoint {route[0]} {route[1]}"})
        except (ValueError, TypeError) as error:
            self._send_json(400, {"error": str(error)})

    # --- AWS requests

    def _aws(self, body: bytes) -> None:
        if self.path.startswith("/moto-api/"):
            # moto's own API (reset, config) is no AWS request: not logged, never faulted.
            if self.path.startswith("/moto-api/reset"):
                # What the front server keeps for moto goes with moto's own state.
                self.standin.risk.clear()
                self.standin.query_definitions.replace(seed.REGION, [])
            answers = self.standin.answers
            answers.begin_write()
            try:
                answer = self.standin.call_moto(self.command, self.path, self.headers.items(), body)
            finally:
                answers.end_write()
            self._send(*answer)
            return
        request = AwsRequest(self.command, self.path, self.headers, body)
        entry = self.standin.faults.record(request)
        cached = False
        answers = self.standin.answers
        ticket = answers.begin(request)
        try:
            cached = self._answer_aws(request, body, ticket)
        finally:
            answers.end(ticket)
            self.standin.faults.answered(entry, cached)

    def _answer_aws(self, request: AwsRequest, body: bytes, ticket: CacheTicket) -> bool:
        """Answers the request; True when the answer came from the answer cache."""
        faults = self.standin.faults

        delay = faults.delay_ms()
        rule = faults.take(request)
        if rule:
            delay += rule["delay_ms"]
        if delay:
            time.sleep(delay / 1000)
        if rule and not rule["pass_through"]:
            LOG.info(
                "fault %s %s: %s %s",
                request.service,
                request.operation,
                rule["status"],
                rule["code"],
            )
            self._send(*fault_response(request, rule))
            return False

        # A rule that passes the request through may delay or rewrite it: never from the cache.
        cache = self.standin.answers if rule is None else None
        answer = cache.get(ticket) if cache is not None else None
        if answer is not None:
            self._send(*answer)
            return True
        answer = self._answer_of_moto(request, body, rule)
        if rule and rule["drop_answer"]:
            # The request took effect, but its answer is lost on the way: the connection closes
            # without one, as when a network drops it.
            LOG.info("fault %s %s: answer dropped", request.service, request.operation)
            self.close_connection = True
            return False
        if cache is not None:
            cache.put(ticket, answer)
        self._send(*answer)
        return False

    def _answer_of_moto(self, request: AwsRequest, body: bytes, rule: dict | None):
        """(status, headers, body, HEAD length) for a request moto (or the bridges) answer."""
        if request.protocol == "cbor":
            return (*self._cloudwatch_cbor(request), None)
        if request.service == "logs" and request.operation in QueryDefinitions.OPERATIONS:
            return (*self.standin.query_definitions.answer(request), None)
        if request.service == "cognito-idp" and request.operation in RiskConfigurations.OPERATIONS:
            return (*self.standin.risk.answer(request), None)
        status, headers, data = self.standin.call_moto(
            self.command, self.path, self.headers.items(), body
        )
        if request.service == "s3" and status == 200 and request.operation in S3_ROOT_FIXES:
            data = _fix_s3_root(data, *S3_ROOT_FIXES[request.operation])
        if (request.service, request.operation, status) == ("lambda", "ListFunctions", 200):
            data = _page_of_functions(data, self.path)
        head_length = next((v for k, v in headers if k.lower() == "content-length"), None)
        if rule and rule["rewrite"]:
            data = _rewritten(data, rule["rewrite"])
            head_length = None
        LOG.debug("%s %s -> %s", request.service, request.operation, status)
        return status, headers, data, head_length

    def _cloudwatch_cbor(self, request: AwsRequest) -> tuple[int, dict, bytes]:
        model = MODELS.model("cloudwatch")
        try:
            operation = model.operation_model(request.operation)
        except Exception:
            return cbor_error("UnknownOperationException", request.operation, 404)

        raw = request.body
        if request.headers.get("Content-Encoding", "").lower() == "gzip":
            raw = gzip.decompress(raw)
        try:
            decoded = cbor2.loads(raw) if raw else {}
        except Exception as error:
            return cbor_error("SerializationException", f"bad CBOR request: {error}", 400)
        json_body = json.dumps(cbor_request_to_json(decoded) or {}).encode()

        # The signature stays: moto reads the region from its credential scope.
        headers = [
            (name, value)
            for name, value in request.headers.items()
            if name.lower()
            not in ("content-type", "content-encoding", "smithy-protocol", "accept", "host")
        ]
        headers += [
            ("Host", request.headers.get("Host") or f"{HOST}"),
            ("Content-Type", "application/x-amz-json-1.0"),
            ("X-Amz-Target", f"{CLOUDWATCH_TARGET_PREFIX}.{request.operation}"),
        ]
        status, moto_headers, data = self.standin.call_moto("POST", "/", headers, json_body)
        request_id = next(
            (v for k, v in moto_headers if k.lower() == "x-amzn-requestid"), str(uuid.uuid4())
        )

        if status >= 300:
            code, message = _moto_error(moto_headers, data)
            LOG.debug("cloudwatch %s -> %s %s", request.operation, status, code)
            status, headers_out, body = cbor_error(code, message, status)
            headers_out["x-amzn-requestid"] = request_id
            return status, headers_out, body

        try:
            answer = json.loads(data) if data.strip() else {}
        except ValueError:
            return cbor_error("InternalFailure", "moto answered with something not JSON", 500)
        typed = typed_for_cbor(operation.output_shape, answer) if operation.output_shape else {}
        headers_out = {
            "smithy-protocol": "rpc-v2-cbor",
            "Content-Type": "application/cbor",
            "x-amzn-requestid": request_id,
        }
        LOG.debug("cloudwatch %s -> %s", request.operation, status)
        return status, headers_out, cbor2.dumps(typed or {})


# S3 answers whose root element moto names after the operation, where S3 (and the AWS SDK for
# Rust, which checks it) uses the document's own name.
S3_ROOT_FIXES = {
    "GetBucketVersioning": ("GetBucketVersioningResponse", "VersioningConfiguration"),
}


def _fix_s3_root(data: bytes, moto_root: str, s3_root: str) -> bytes:
    return data.replace(f"<{moto_root}".encode(), f"<{s3_root}".encode(), 1).replace(
        f"</{moto_root}>".encode(), f"</{s3_root}>".encode(), 1
    )


# AWS answers ListFunctions 50 functions a page at most; moto answers every one at once.
LAMBDA_PAGE = 50


def _page_of_functions(data: bytes, path: str) -> bytes:
    """One page of moto's ListFunctions answer, as AWS pages it: MaxItems (at most 50) from
    Marker on, with NextMarker when more follow. The marker is the offset, as text."""
    query = parse_qs(urlsplit(path).query)
    answer = json.loads(data)
    functions = answer.get("Functions", [])
    try:
        start = int(query.get("Marker", ["0"])[0])
        size = min(int(query.get("MaxItems", [str(LAMBDA_PAGE)])[0]), LAMBDA_PAGE)
    except ValueError:
        start, size = 0, LAMBDA_PAGE
    answer["Functions"] = functions[start : start + size]
    if start + size < len(functions):
        answer["NextMarker"] = str(start + size)
    return json.dumps(answer).encode()


def _moto_error(headers, data: bytes) -> tuple[str, str]:
    """The error code and message of a failed moto answer, JSON or XML."""
    header = {k.lower(): v for k, v in headers}
    code, message = None, ""
    try:
        parsed = json.loads(data)
        code = parsed.get("__type") or parsed.get("code")
        message = parsed.get("message") or parsed.get("Message") or ""
    except (ValueError, AttributeError):
        text = data.decode("utf-8", "replace")
        code_match = re.search(r"<Code>([^<]*)</Code>", text)
        message_match = re.search(r"<Message>([^<]*)</Message>", text)
        code = code_match[1] if code_match else None
        message = message_match[1] if message_match else text[:500]
    query_error = header.get("x-amzn-query-error", "")
    if ";" in query_error:
        # awsQueryCompatible: this is the code the SDK's error variants are matched against.
        code = query_error.split(";", 1)[0]
    code = (code or header.get("x-amzn-errortype") or "InternalFailure").split(":", 1)[0]
    return code.rsplit("#", 1)[-1], message


# --- Process --------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="front port on 127.0.0.1; 0 picks one")
    parser.add_argument("--seed", choices=sorted(seed.PROFILES), help="seed before READY")
    parser.add_argument(
        "--exit-on-stdin-eof",
        action="store_true",
        help="exit when stdin closes, so a test harness that dies leaves nothing running",
    )
    parser.add_argument(
        "--answer-cache",
        action="store_true",
        help="answer a read-only request asked before from memory (see AnswerCache; benchmarks)",
    )
    parser.add_argument("--log-level", default=os.environ.get("STANDIN_LOG", "INFO"))
    args = parser.parse_args(argv)

    logging.basicConfig(
        stream=sys.stderr,
        level=args.log_level.upper(),
        format="standin %(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if LOG.getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
    # Only READY goes to stdout; anything moto or a library prints goes to stderr.
    ready_out = sys.stdout
    sys.stdout = sys.stderr

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if args.exit_on_stdin_eof:
        threading.Thread(target=_wait_for_stdin_eof, args=(stop,), daemon=True).start()

    standin = StandIn(args.port)
    try:
        standin.start()
        LOG.info("moto on %s, front on %s", standin.moto_url, standin.url)
        if args.seed:
            summary = standin.seed(args.seed)
            LOG.info("seeded %s: %s", args.seed, json.dumps(summary))
        standin.answers.configure(args.answer_cache)
        if not stop.is_set():
            print(f"READY {standin.url}", file=ready_out, flush=True)
        while not stop.wait(0.2):
            pass
    except Exception:
        LOG.exception("the stand-in failed")
        return 1
    finally:
        LOG.info("stopping")
        standin.stop()
    return 0


def _wait_for_stdin_eof(stop: threading.Event) -> None:
    # os.read on the descriptor: a thread blocked in sys.stdin's buffered reader holds its
    # lock and makes the interpreter abort at shutdown.
    try:
        while os.read(0, 65536):
            pass
    except (OSError, ValueError):
        pass
    LOG.info("stdin closed")
    stop.set()


if __name__ == "__main__":
    sys.exit(main())
