#!/usr/bin/env python3
"""barkcheck's benchmark ("measure first"): how long `barkcheck run` takes against AWS with a
fixed round trip, how many AWS requests it makes against how many it needs, and how far its
wall time is from what the requests' dependencies allow. scripts/bench runs it; it is a
measurement, not a test: it exits 0 whatever the figures, and 2 only when it could not measure.

It starts, all on 127.0.0.1: the AWS stand-in (standin.py) seeded with the `compliant` profile,
the local stand-in (local.py: PostgreSQL and a BarkBase checkout) and the web stand-in (web.py:
the public endpoints the probe items reach), and delay_proxy.py in front of the AWS stand-in,
which barkcheck's AWS_ENDPOINT_URL points at, so that every AWS request costs --delay-ms.

Then, for every phase of the bundled checklist (or --phase), each run with a fresh state file,
the stand-in's request log cleared before it and every automated item enabled (--allow-commands,
the stand-ins' variables, --ca-cert and --dns-server of the web stand-in):

    concurrent  `barkcheck run --phase P --format json` through the delay
    baseline    the same with `--max-concurrency 1`, when `barkcheck run --help` lists it
    no delay    the same as concurrent with the proxy's delay at 0: what the stand-ins' own
                answer time and barkcheck's other work cost

Each phase is run once, unmeasured, before that (moto and the front server load a service's
model on its first call). That run also fills the stand-in's answer cache (standin.py
AnswerCache), which then answers the measured runs' repeated read-only requests from memory, as
AWS answers many requests at once where moto answers one at a time; --live-standin leaves it off. It reports per phase and in total: wall time; AWS requests made
(the request log) and distinct requests (same service, operation and parameters digest); the
critical-path bound, the longest chain of dependent requests (DEPENDENCIES below) times the
delay; wall / bound; the peak RSS; then `barkcheck status` and `barkcheck lint` (median of 10
runs each), and each target with whether it is met.

Nothing here reaches anything but 127.0.0.1: barkcheck runs with dummy credentials, the proxy as
its AWS endpoint, no instance metadata, no AWS profile or config file, no HTTP proxy, the
checklist's endpoints aimed at the web stand-in and its database at the local stand-in.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import select
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
READY_TIMEOUT = 240  # seconds: seeding the compliant profile takes a few, a loaded machine more

# --- Targets (issue 6) ----------------------------------------------------------------------

TARGET_BOUND_RATIO = 1.5  # wall time at most 1.5 x the critical-path bound
TARGET_PEAK_MIB = 64  # peak RSS below 64 MiB
TARGET_OFFLINE_MS = 50  # status and lint below 50 ms
OFFLINE_RUNS = 10

# --- The dependency model --------------------------------------------------------------------
#
# Which AWS requests need the answer of which others, read from src/verify/inventory.rs and
# the listing functions of src/verify/*.rs. A request depends on another only when its
# parameters come from that answer: the id or name of the resource a listing named (a
# per-resource call), or a page token (the next page of a listing). Where barkcheck awaits one
# call before another only because of how the code is written, that is no dependency here:
# those waits are what the bound exposes.
#
# The chain of a request is 1 (itself) plus the longest chain among what it needs:
#   - the previous page of its own listing, when it carries a page token (the stand-in's log
#     entry has `page_token`; the pages of one listing share the `listing` digest, and they are
#     numbered by when each was first asked);
#   - for each operation it needs below, the longest chain among that operation's distinct
#     requests, which ends with the last page of the listing: a check selects from a whole
#     listing, so the resource is known once the listing is complete.
# The critical path of a run is the longest chain among its distinct requests; the bound is that
# many delays. A request whose operation is missing here counts 1 and is reported.
#
# Keys are (service, operation): the signing name of the log entry, except API Gateway v2
# (signing name apigateway, paths under /v2/), written apigatewayv2.
DEPENDENCIES: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {
    # rds.rs: instances, clusters. barkcheck lists clusters after instances (inventory.rs,
    # Listing::RdsInstances, when an instance is an Aurora member), but DescribeDBClusters
    # takes no parameter from that answer.
    ("rds", "DescribeDBInstances"): (),
    ("rds", "DescribeDBClusters"): (),
    # rds_security.rs: subnet groups and proxies are whole listings; the joins with subnets and
    # instances are local. DescribeDBParameters names a group an instance uses.
    ("rds", "DescribeDBSubnetGroups"): (),
    ("rds", "DescribeDBProxies"): (),
    ("rds", "DescribeDBParameters"): (("rds", "DescribeDBInstances"),),
    # cloudwatch.rs: GetDashboard names a dashboard ListDashboards listed.
    ("monitoring", "DescribeAlarms"): (),
    ("monitoring", "ListDashboards"): (),
    ("monitoring", "GetDashboard"): (("monitoring", "ListDashboards"),),
    # logs.rs, logs_insights.rs
    ("logs", "DescribeLogGroups"): (),
    ("logs", "DescribeQueryDefinitions"): (),
    # cloudfront.rs: ListInvalidations names a distribution's id.
    ("cloudfront", "ListDistributions"): (),
    ("cloudfront", "ListInvalidations"): (("cloudfront", "ListDistributions"),),
    # cloudformation.rs
    ("cloudformation", "DescribeStacks"): (),
    # sns.rs: topics are joined with subscriptions locally (barkcheck lists subscriptions
    # first, inventory.rs Listing::SnsTopics).
    ("sns", "ListTopics"): (),
    ("sns", "ListSubscriptions"): (),
    # secrets.rs; postgres.rs reads a database_url `secret:ID` by its id, named in the checklist.
    ("secretsmanager", "ListSecrets"): (),
    ("secretsmanager", "GetSecretValue"): (),
    # cloudtrail.rs: GetTrailStatus names a trail DescribeTrails listed.
    ("cloudtrail", "DescribeTrails"): (),
    ("cloudtrail", "GetTrailStatus"): (("cloudtrail", "DescribeTrails"),),
    # config_recorder.rs: the status listing takes no recorder name (barkcheck asks after the
    # recorders, but needs nothing from them).
    ("config", "DescribeConfigurationRecorders"): (),
    ("config", "DescribeConfigurationRecorderStatus"): (),
    # iam.rs, budgets.rs: Budgets needs the account id; GetAccountSummary takes none (barkcheck
    # asks STS first, inventory.rs Listing::IamAccountSummary, only to label the resource).
    ("sts", "GetCallerIdentity"): (),
    ("iam", "GetAccountSummary"): (),
    ("budgets", "DescribeBudgets"): (("sts", "GetCallerIdentity"),),
    ("budgets", "DescribeNotificationsForBudget"): (("budgets", "DescribeBudgets"),),
    # vpc.rs: every EC2 listing is unfiltered; VPC names, route tables and subnets are joined
    # locally (barkcheck chains DescribeVpcs, DescribeRouteTables, DescribeSubnets and
    # DescribeNatGateways in inventory.rs and vpc::subnets).
    ("ec2", "DescribeVpcs"): (),
    ("ec2", "DescribeRouteTables"): (),
    ("ec2", "DescribeSubnets"): (),
    ("ec2", "DescribeSecurityGroups"): (),
    ("ec2", "DescribeNatGateways"): (),
    ("ec2", "DescribeVpcEndpoints"): (),
    ("ec2", "DescribeFlowLogs"): (),
    # waf.rs: GetWebACL names an ACL ListWebACLs listed.
    ("wafv2", "ListWebACLs"): (),
    ("wafv2", "GetWebACL"): (("wafv2", "ListWebACLs"),),
    # acm.rs: DescribeCertificate names a certificate's ARN.
    ("acm", "ListCertificates"): (),
    ("acm", "DescribeCertificate"): (("acm", "ListCertificates"),),
    # route53.rs: ListResourceRecordSets names a zone's id.
    ("route53", "ListHostedZones"): (),
    ("route53", "ListResourceRecordSets"): (("route53", "ListHostedZones"),),
    # cognito.rs: both describe calls name a pool's id (barkcheck makes them one after the other).
    ("cognito-idp", "ListUserPools"): (),
    ("cognito-idp", "DescribeUserPool"): (("cognito-idp", "ListUserPools"),),
    ("cognito-idp", "DescribeRiskConfiguration"): (("cognito-idp", "ListUserPools"),),
    # apigateway.rs: the per-API calls name a REST API's id (barkcheck makes validators,
    # authorizers and resources one after the other); usage plan keys name a plan, base path
    # mappings a domain. GetApiKeys is unfiltered.
    ("apigateway", "GetRestApis"): (),
    ("apigateway", "GetRequestValidators"): (("apigateway", "GetRestApis"),),
    ("apigateway", "GetAuthorizers"): (("apigateway", "GetRestApis"),),
    ("apigateway", "GetResources"): (("apigateway", "GetRestApis"),),
    ("apigateway", "GetStages"): (("apigateway", "GetRestApis"),),
    ("apigateway", "GetApiKeys"): (),
    ("apigateway", "GetUsagePlans"): (),
    ("apigateway", "GetUsagePlanKeys"): (("apigateway", "GetUsagePlans"),),
    ("apigateway", "GetDomainNames"): (),
    ("apigateway", "GetBasePathMappings"): (("apigateway", "GetDomainNames"),),
    # apigatewayv2.rs: routes and stages name an API; GetAuthorizer names an authorizer a route
    # uses; API mappings name a domain.
    ("apigatewayv2", "GetApis"): (),
    ("apigatewayv2", "GetRoutes"): (("apigatewayv2", "GetApis"),),
    ("apigatewayv2", "GetAuthorizer"): (("apigatewayv2", "GetRoutes"),),
    ("apigatewayv2", "GetStages"): (("apigatewayv2", "GetApis"),),
    ("apigatewayv2", "GetDomainNames"): (),
    ("apigatewayv2", "GetApiMappings"): (("apigatewayv2", "GetDomainNames"),),
    # lambda.rs
    ("lambda", "ListFunctions"): (),
    # s3.rs: the four per-bucket calls name a bucket ListBuckets listed (and run together).
    ("s3", "ListBuckets"): (),
    ("s3", "GetBucketEncryption"): (("s3", "ListBuckets"),),
    ("s3", "GetPublicAccessBlock"): (("s3", "ListBuckets"),),
    ("s3", "GetBucketVersioning"): (("s3", "ListBuckets"),),
    ("s3", "HeadObject"): (("s3", "ListBuckets"),),
}


def api_of(entry: dict) -> tuple[str, str]:
    """The (service, operation) of a request log entry, as DEPENDENCIES names it."""
    service = entry.get("service", "unknown")
    if service == "apigateway" and str(entry.get("path", "")).startswith("/v2/"):
        service = "apigatewayv2"
    return service, entry.get("operation", "unknown")


# --- Analysis of one run's requests ----------------------------------------------------------


@dataclass
class Analysis:
    made: int
    distinct: int
    chain: list[tuple[str, str]]  # the longest chain, first request first
    duplicates: list[tuple[str, int, str]]  # (service operation, times, path)
    unknown: list[str]  # operations the model does not know
    late: list[tuple[str, int, int]]  # (request, its chain, the round trip it was sent in)
    observed_depth: int  # the most round trips that ran one after the other
    waves: dict[int, list[tuple[str, int]]]  # round trip -> (request, its chain) sent in it

    @property
    def depth(self) -> int:
        return len(self.chain)


def analyse(requests: list[dict], delay_ms: int) -> Analysis:
    """Requests made and needed, and the longest chain of dependent ones (see DEPENDENCIES)."""
    first: dict[tuple, dict] = {}
    counts: dict[tuple, int] = {}
    for entry in requests:
        key = (*api_of(entry), entry.get("params"))
        counts[key] = counts.get(key, 0) + 1
        first.setdefault(key, entry)
    order = list(first)  # distinct requests by first appearance
    pages: dict[tuple, list[tuple]] = {}
    by_api: dict[tuple[str, str], list[tuple]] = {}
    for key in order:
        entry = first[key]
        pages.setdefault((key[0], key[1], entry.get("listing")), []).append(key)
        by_api.setdefault(key[:2], []).append(key)

    depth: dict[tuple, int] = {}
    parent: dict[tuple, tuple | None] = {}
    unknown: set[str] = set()

    def chain_of(key: tuple) -> int:
        if key in depth:
            return depth[key]
        depth[key] = 1  # a guard against cycles; the model has none
        entry = first[key]
        needs: list[tuple] = []
        api = key[:2]
        if api in DEPENDENCIES:
            if entry.get("page_token"):
                listing = pages[(key[0], key[1], entry.get("listing"))]
                index = listing.index(key)
                if index > 0:
                    needs.append(listing[index - 1])
            for needed in DEPENDENCIES[api]:
                needs.extend(by_api.get(needed, []))
        else:
            unknown.add(" ".join(api))
        best, best_depth = None, 0
        for need in needs:
            d = chain_of(need)
            if d > best_depth:
                best, best_depth = need, d
        depth[key] = 1 + best_depth
        parent[key] = best
        return depth[key]

    for key in order:
        chain_of(key)
    chain: list[tuple[str, str]] = []
    if order:
        node: tuple | None = max(order, key=lambda k: (depth[k], -order.index(k)))
        while node is not None:
            chain.append(node[:2])
            node = parent.get(node)
        chain.reverse()

    duplicates = sorted(
        ((" ".join(key[:2]), n, str(first[key].get("path", ""))) for key, n in counts.items()
         if n > 1),
        key=lambda d: (-d[1], d[0]),
    )

    # In which round trip was each request sent? It reached the stand-in one delay after it was
    # sent (the proxy waits first) at `t`, and was answered at `answered`. Its round trip is 1
    # plus the most round trips among the requests answered before it was sent: the length of
    # the longest chain of requests that ran one after the other, ending with it. That is what
    # the run spent on it, whatever barkcheck awaited; more than its chain in the model means
    # it was sent later than it could have been.
    late: list[tuple[str, int, int]] = []
    waves: dict[int, list[tuple[str, int]]] = {}
    observed = 0
    timed = [e for e in requests if "t" in e and "answered" in e]
    if delay_ms > 0 and len(timed) == len(requests):
        delay = delay_ms / 1000
        timed.sort(key=lambda e: float(e["t"]))
        trip: dict[int, int] = {}
        for i, entry in enumerate(timed):
            sent = float(entry["t"]) - delay
            before = [trip[j] for j in range(i) if float(timed[j]["answered"]) <= sent]
            trip[i] = 1 + max(before, default=0)
        first_trip: dict[tuple, int] = {}
        for i, entry in enumerate(timed):
            first_trip.setdefault((*api_of(entry), entry.get("params")), trip[i])
        observed = max(trip.values(), default=0)
        for key in order:
            waited = first_trip[key]
            waves.setdefault(waited, []).append((" ".join(key[:2]), depth[key]))
            if waited > depth[key]:
                late.append((" ".join(key[:2]), depth[key], waited))
        late.sort(key=lambda item: (item[1] - item[2], item[0]))
    return Analysis(
        made=len(requests),
        distinct=len(order),
        chain=chain,
        duplicates=duplicates,
        unknown=sorted(unknown),
        late=late,
        observed_depth=observed,
        waves=dict(sorted(waves.items())),
    )


# --- Processes --------------------------------------------------------------------------------


class BenchError(Exception):
    """The bench could not measure (a stand-in did not start, barkcheck was refused ...)."""


class Service:
    """A process started here that prints one READY line, stopped by its PID at the end."""

    def __init__(self, name: str, argv: list[str], env: dict, logs: Path):
        self.name = name
        self.log_path = logs / f"{name}.log"
        self.log = open(self.log_path, "wb")
        # stdin stays open: every stand-in here exits when it closes, so even a bench killed
        # with SIGKILL leaves nothing running.
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, env=env,
            cwd=logs,
        )
        self.ready = ""

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.5)
            if ready:
                line = self.proc.stdout.readline().decode("utf-8", "replace")
                if line.startswith("READY "):
                    self.ready = line[len("READY "):].strip()
                    return self.ready
                if not line:
                    break
            elif self.proc.poll() is not None:
                break
        raise BenchError(f"{self.name} did not start; the end of its log:\n{self.tail()}")

    def tail(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-2000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


def http_json(url: str, method: str, path: str, body=None):
    """A control request to a stand-in or the proxy on 127.0.0.1."""
    parts = urlsplit(url)
    if parts.hostname != "127.0.0.1":
        raise BenchError(f"refusing a control request to {parts.hostname}")
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        data = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        payload = response.read()
        if response.status != 200:
            raise BenchError(f"{method} {path} answered {response.status}: {payload[:300]!r}")
        return json.loads(payload or b"null")
    finally:
        conn.close()


def loopback_env(work: Path) -> dict:
    """The environment of everything started here: dummy credentials, no profile, config file,
    instance metadata or HTTP proxy, so nothing can reach past 127.0.0.1; and first on PATH an
    `npm` that refuses to run (see NPM_GUARD)."""
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith("AWS_") and k.lower() not in (
            "http_proxy", "https_proxy", "all_proxy", "no_proxy", "github_step_summary")
    }
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(work / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(work / "no-aws-credentials"),
        NO_PROXY="127.0.0.1,localhost,::1",
        no_proxy="127.0.0.1,localhost,::1",
        NO_COLOR="1",
        PYTHONUNBUFFERED="1",
    )
    guard = work / "guard"
    guard.mkdir()
    npm = guard / "npm"
    # barkcheck runs commands with PATH, HOME and the locale only: the mark's path is written in.
    npm.write_text(NPM_GUARD.replace("MARK", shlex.quote(str(guard / "npm-was-run"))))
    npm.chmod(0o755)
    env["PATH"] = f"{guard}{os.pathsep}{env.get('PATH', '')}"
    return env


# barkcheck runs the npm its `npm` variable names, which the bench sets to the local stand-in's
# (a script printing an audit report). Should the variable not reach it, barkcheck would run
# `npm` from PATH, a real npm that may go to its registry: this one is found first instead, and
# the bench stops.
NPM_GUARD = """#!/bin/sh
# scripts/bench: barkcheck must run the local stand-in's npm, never one from PATH.
echo "bench: refused to run npm from PATH (the npm variable did not reach barkcheck)" >&2
: > MARK
exit 97
"""


# --- barkcheck runs ----------------------------------------------------------------------------


@dataclass
class Run:
    wall: float  # seconds
    peak_kib: int  # peak RSS (see run_barkcheck)
    own_kib: int  # barkcheck's own VmHWM, sampled
    exit_code: int
    summary: dict
    errors: list[str]
    analysis: Analysis
    proxy: dict
    timeline: tuple[float, float] | None  # first AWS request sent, last answered: s after start
    uncached: list[str]  # requests moto answered (not from the stand-in's answer cache)


@dataclass
class Setup:
    binary: Path
    env: dict
    run_args: list[str]
    standin: str
    proxy: str
    work: Path
    max_concurrency: bool


def run_barkcheck(setup: Setup, argv: list[str], out: Path,
                  cwd: Path) -> tuple[float, int, int, int, float]:
    """Runs barkcheck to completion: (wall seconds, peak RSS in KiB, barkcheck's own sampled
    peak in KiB, exit code, when it started in seconds since the epoch).

    The peak RSS is wait4's ru_maxrss: barkcheck's own high-water mark, or that of a program it
    ran if larger (git, the stand-in npm: a few MiB). barkcheck's own VmHWM is also read from
    /proc while it runs, to tell the two apart."""
    with open(out, "wb") as stdout, open(out.with_suffix(".err"), "wb") as stderr:
        started_at = time.time()
        started = time.monotonic()
        proc = subprocess.Popen(
            [str(setup.binary), *argv], stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr,
            env=setup.env, cwd=cwd,
        )
        own = {"kib": 0}
        sampler = threading.Thread(target=_sample_hwm, args=(proc.pid, own), daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - started
        sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss, own["kib"], proc.returncode, started_at


def _sample_hwm(pid: int, own: dict) -> None:
    """Keeps the last VmHWM (peak RSS, KiB) of a running process in own["kib"]; it only grows,
    so the last reading is the peak up to a millisecond before the process ended."""
    path = f"/proc/{pid}/status"
    while True:
        try:
            with open(path) as status:
                text = status.read()
        except OSError:
            return
        match = re.search(r"^VmHWM:\s+(\d+) kB", text, re.M)
        if not match:  # a zombie: the process has ended
            return
        own["kib"] = int(match[1])
        time.sleep(0.001)


def run_phase(setup: Setup, phase: str, delay_ms: int, extra: list[str]) -> Run:
    http_json(setup.proxy, "POST", "/_delay_proxy/delay", {"ms": delay_ms})
    http_json(setup.proxy, "POST", "/_delay_proxy/stats/reset")
    http_json(setup.standin, "POST", "/barkcheck/requests/reset")
    state = Path(tempfile.mkdtemp(prefix="run-", dir=setup.work))
    try:
        argv = [
            "--state", str(state / "bench.state.json"), "--env", "bench", "run", "--phase", phase,
            "--format", "json", "--allow-commands", *setup.run_args, *extra,
        ]
        out = state / "report.json"
        wall, peak, own, code, started_at = run_barkcheck(setup, argv, out, state)
        if (setup.work / "guard" / "npm-was-run").exists():
            raise BenchError(f"barkcheck run --phase {phase} ran `npm` from PATH, not the "
                             "local stand-in's: the --var npm=... did not reach it")
        requests = http_json(setup.standin, "GET", "/barkcheck/requests")
        proxy = http_json(setup.proxy, "GET", "/_delay_proxy/stats")
        stderr = out.with_suffix(".err").read_text(errors="replace")
        if code not in (0, 1, 3):
            raise BenchError(
                f"barkcheck run --phase {phase} {' '.join(extra)} exited {code}:\n{stderr[-2000:]}"
            )
        try:
            report = json.loads(out.read_text())
        except ValueError as error:
            raise BenchError(f"barkcheck run --phase {phase}: no JSON report ({error})") from None
        errors = [
            f"{item['id']}: {item.get('evidence', {}).get('message', '')}"
            for item in report.get("items", []) if item.get("outcome") == "ERROR"
        ]
        timeline = None
        if requests and all("answered" in r for r in requests):
            sent = min(float(r["t"]) for r in requests) - delay_ms / 1000
            answered = max(float(r["answered"]) for r in requests)
            timeline = (sent - started_at, answered - started_at)
        uncached = [" ".join(api_of(r)) for r in requests if not r.get("cached")]
        return Run(wall, peak, own, code, report.get("summary", {}), errors,
                   analyse(requests, delay_ms), proxy, timeline, uncached)
    finally:
        shutil.rmtree(state, ignore_errors=True)


def median_run(runs: list[Run]) -> Run:
    """The run of median wall time (the lower middle one of an even count)."""
    ordered = sorted(runs, key=lambda r: r.wall)
    return ordered[(len(ordered) - 1) // 2]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def offline_timings(setup: Setup, command: str) -> list[float]:
    """`barkcheck status` or `lint`, once to warm up, then OFFLINE_RUNS times: seconds each."""
    cwd = Path(tempfile.mkdtemp(prefix=f"{command}-", dir=setup.work))
    argv = ["--state", str(cwd / "bench.state.json"), "--env", "bench", command]
    times = []
    for attempt in range(OFFLINE_RUNS + 1):
        wall, _, _, code, _ = run_barkcheck(setup, argv, cwd / "out.txt", cwd)
        if code != 0:
            err = (cwd / "out.err").read_text(errors="replace")
            raise BenchError(f"barkcheck {command} exited {code}:\n{err[-1500:]}")
        if attempt:
            times.append(wall)
    shutil.rmtree(cwd, ignore_errors=True)
    return times


def phases_of(setup: Setup, only: str | None) -> list[str]:
    """The phases of the bundled checklist, as `barkcheck status` lists them."""
    cwd = Path(tempfile.mkdtemp(prefix="phases-", dir=setup.work))
    run_barkcheck(setup, ["--state", str(cwd / "s.json"), "status"], cwd / "out.txt", cwd)
    found = re.findall(r"^phase (\S+) ", (cwd / "out.txt").read_text(), re.M)
    if not found:  # another status layout: the YAML's phase ids
        text = (REPO / "checklists" / "barkbase-production.yaml").read_text()
        found = re.findall(r"^  - id: (\S+)", text, re.M)
    shutil.rmtree(cwd, ignore_errors=True)
    if only:
        if only not in found:
            raise BenchError(f"no phase {only!r}; the phases are {', '.join(found)}")
        return [only]
    return found


# --- Report -----------------------------------------------------------------------------------


def _wrapped(lead: str, words: list[str], width: int = 100) -> str:
    """words joined by ", " after lead, wrapped under it at width."""
    lines, line = [], lead
    for i, word in enumerate(words):
        piece = word + ("," if i < len(words) - 1 else "")
        if len(line) + len(piece) + 1 > width and line.strip():
            lines.append(line.rstrip())
            line = " " * len(lead)
        line += piece + " "
    lines.append(line.rstrip())
    return "\n".join(lines)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "NOT MET")


def summary_text(summary: dict) -> str:
    order = ["PASS", "FAIL", "ERROR", "PENDING", "SKIPPED", "SIGNED", "WAIVED"]
    return " ".join(f"{k} {summary[k]}" for k in order if summary.get(k))


@dataclass
class PhaseResult:
    phase: str
    modes: dict[str, list[Run]]  # "concurrent", "baseline", "no delay" -> runs


def report(results: list[PhaseResult], delay_ms: int, status_times: list[float],
           lint_times: list[float], baseline: bool, runs: int, answer_cache: bool) -> None:
    answers = ("the stand-in answered repeated reads from its cache, filled by the warm-up"
               if answer_cache else "moto answered every AWS request (--live-standin)")
    modes = ["concurrent", "baseline", "no delay"] if baseline else ["concurrent", "no delay"]
    print()
    header = (f"{'phase':<12} {'run':<11} {'wall':>9} {'made':>5} {'needed':>6} {'chain':>5} "
              f"{'bound':>8} {'wall/bound':>10} {'peak RSS':>10}  outcomes")
    print(header)
    print("-" * len(header))
    totals: dict[str, dict] = {m: {"wall": 0.0, "made": 0, "distinct": 0, "bound": 0.0,
                                   "peak": 0} for m in modes}
    for result in results:
        for mode in modes:
            runs_of = result.modes[mode]
            chosen = median_run(runs_of)
            wall = median([r.wall for r in runs_of])
            peak = median([r.peak_kib for r in runs_of])
            a = chosen.analysis
            bound = a.depth * delay_ms / 1000
            shown_bound = bound if mode != "no delay" else 0.0
            ratio = f"{wall / shown_bound:.2f}" if shown_bound else "-"
            total = totals[mode]
            total["wall"] += wall
            total["made"] += a.made
            total["distinct"] += a.distinct
            total["bound"] += shown_bound
            total["peak"] = max(total["peak"], peak)
            print(f"{result.phase if mode == 'concurrent' else '':<12} {mode:<11} "
                  f"{ms(wall):>9} {a.made:>5} {a.distinct:>6} {a.depth:>5} "
                  f"{ms(shown_bound) if mode != 'no delay' else '-':>8} {ratio:>10} "
                  f"{mib(peak):>10}  {summary_text(chosen.summary)}")
    print("-" * len(header))
    for mode in modes:
        t = totals[mode]
        ratio = f"{t['wall'] / t['bound']:.2f}" if t["bound"] else "-"
        print(f"{'total' if mode == 'concurrent' else '':<12} {mode:<11} {ms(t['wall']):>9} "
              f"{t['made']:>5} {t['distinct']:>6} {'':>5} "
              f"{ms(t['bound']) if mode != 'no delay' else '-':>8} {ratio:>10} "
              f"{mib(t['peak']):>10}")
    print(f"(made: AWS requests in the stand-in's log; needed: distinct ones; chain: the longest "
          f"chain of\n dependent requests; bound: chain x {delay_ms} ms; wall and peak RSS: "
          f"median of {runs} run(s);\n {answers})")

    print("\ndetails")
    for result in results:
        run = median_run(result.modes["concurrent"])
        a = run.analysis
        print(f"\n  {result.phase}")
        print(f"    longest chain ({a.depth}): " + (" -> ".join(" ".join(s) for s in a.chain)
                                                    or "no AWS request"))
        if a.made:
            trips = "round trip" if a.observed_depth == 1 else "round trips"
            print(f"    observed chain: {a.observed_depth} {trips} ran one after the "
                  f"other; {run.proxy.get('connections', '?')} connection(s), at most "
                  f"{run.proxy.get('max_in_flight', '?')} request(s) in flight")
        if a.made:
            counts = []
            for mode, runs_of in result.modes.items():
                made = sum(r.analysis.made for r in runs_of)
                moto = sum(len(r.uncached) for r in runs_of)
                counts.append(f"{mode} {made - moto} of {made}")
            print(_wrapped("    answered from the stand-in's cache (all runs): ", counts))
            print(_wrapped("    answered by moto in the median concurrent run: ",
                           run.uncached or ["none"]))
        if a.duplicates:
            print("    requested more than once (same service, operation and parameters):")
            for name, times, path in a.duplicates:
                print(f"      {times}x {name}  {path}")
        if a.waves:
            print(f"    distinct requests by the round trip they were sent in (after how "
                  f"many sequential\n    answers); [n] is the request's chain in the model, "
                  f"* marks one sent later than that\n    ({len(a.late)} of {a.distinct}):")
            for wave, sent in a.waves.items():
                counted: dict[tuple[str, int], int] = {}
                for item in sent:
                    counted[item] = counted.get(item, 0) + 1
                words = [f"{'*' if chain < wave else ''}{name} [{chain}]"
                         + (f" x{n}" if n > 1 else "") for (name, chain), n in counted.items()]
                print(_wrapped(f"      {wave:>2}: ", words))
        if a.unknown:
            print("    WARNING: operations the dependency model does not know (counted as "
                  "depth 1): " + ", ".join(a.unknown))
        if run.timeline:
            first, last = run.timeline
            print(f"    timeline: the first AWS request left {ms(first)} after barkcheck "
                  f"started, the last answer came\n    {ms(last)} after (AWS: {ms(last - first)}"
                  f", {(last - first) * 1000 / delay_ms:.1f} delays); barkcheck ended at "
                  f"{ms(run.wall)}")
        if run.own_kib and run.peak_kib > run.own_kib + 4096:
            print(f"    peak RSS {mib(run.peak_kib)} may be a program's barkcheck ran: its own "
                  f"sampled peak was {mib(run.own_kib)}")
        if run.errors:
            print("    items that ended in ERROR (the run could not verify them):")
            for line in run.errors[:10]:
                print(f"      {line[:160]}")
        if baseline:
            base = median_run(result.modes["baseline"]).analysis
            if (base.made, base.distinct) != (a.made, a.distinct):
                print(f"    baseline: {base.made} made, {base.distinct} distinct")

    print(f"\ntargets ({answers})")
    for result in results:
        runs_of = result.modes["concurrent"]
        a = median_run(runs_of).analysis
        wall = median([r.wall for r in runs_of])
        peak = median([r.peak_kib for r in runs_of])
        bound = a.depth * delay_ms / 1000
        bound_ok = (wall <= TARGET_BOUND_RATIO * bound) if bound else None
        bound_text = (f"{ms(wall)} vs {TARGET_BOUND_RATIO} x {ms(bound)} = "
                      f"{ms(TARGET_BOUND_RATIO * bound)}" if bound else "no AWS request")
        print(f"  {result.phase:<12} wall <= {TARGET_BOUND_RATIO} x bound: {bound_text}: "
              f"{verdict(bound_ok)}")
        print(f"  {'':<12} requests made == needed: {a.made} vs {a.distinct}: "
              f"{verdict(a.made == a.distinct)}")
        print(f"  {'':<12} peak RSS < {TARGET_PEAK_MIB} MiB: {mib(peak)}: "
              f"{verdict(peak < TARGET_PEAK_MIB * 1024)}")
    status_ms, lint_ms = median(status_times) * 1000, median(lint_times) * 1000
    print(f"  {'status':<12} median of {len(status_times)} runs < {TARGET_OFFLINE_MS} ms: "
          f"{status_ms:.1f} ms (min {min(status_times) * 1000:.1f}, max "
          f"{max(status_times) * 1000:.1f}): {verdict(status_ms < TARGET_OFFLINE_MS)}")
    print(f"  {'lint':<12} median of {len(lint_times)} runs < {TARGET_OFFLINE_MS} ms: "
          f"{lint_ms:.1f} ms (min {min(lint_times) * 1000:.1f}, max "
          f"{max(lint_times) * 1000:.1f}): {verdict(lint_ms < TARGET_OFFLINE_MS)}")
    if not baseline:
        print("\nbaseline: unavailable (`barkcheck run --help` lists no --max-concurrency)")


# --- Main -------------------------------------------------------------------------------------


def start_services(work: Path, env: dict, delay_ms: int,
                   answer_cache: bool) -> tuple[list[Service], dict]:
    python = sys.executable
    logs = work / "logs"
    logs.mkdir()
    services: list[Service] = []
    try:
        cache = ["--answer-cache"] if answer_cache else []
        aws = Service("standin", [python, str(HERE / "standin.py"), "--port", "0", "--seed",
                                  "compliant", *cache, "--exit-on-stdin-eof"], env, logs)
        services.append(aws)
        local = Service("local", [python, str(HERE / "local.py"), "--profile", "compliant",
                                  "--checkout", "--exit-on-stdin-eof"], env, logs)
        services.append(local)
        web_dir = work / "web"
        web_dir.mkdir()
        web = Service("web", [python, str(HERE / "web.py"), "--dir", str(web_dir),
                              "--exit-on-stdin-eof"], env, logs)
        services.append(web)
        standin_url = aws.wait_ready()
        local_ready = json.loads(local.wait_ready())
        web_ready = json.loads(web.wait_ready())
        proxy = Service("delay-proxy", [python, str(HERE / "delay_proxy.py"), "--upstream",
                                        standin_url, "--delay-ms", str(delay_ms),
                                        "--exit-on-stdin-eof"], env, logs)
        services.append(proxy)
        proxy_url = proxy.wait_ready()
    except BaseException:
        for service in reversed(services):
            service.stop()
        raise
    for url in (standin_url, proxy_url):
        if urlsplit(url).hostname != "127.0.0.1":
            raise BenchError(f"a stand-in is not on 127.0.0.1: {url}")
    return services, {
        "standin": standin_url, "proxy": proxy_url, "local": local_ready, "web": web_ready,
    }


def has_debug_info(binary: Path) -> bool:
    """Whether an ELF executable has DWARF sections (`.debug_*`), as a debug build has and the
    release profile's stripped build does not; False when it cannot tell (not ELF)."""
    import struct

    try:
        with open(binary, "rb") as f:
            head = f.read(64)
            if head[:4] != b"\x7fELF" or head[4] != 2:  # ELF, 64-bit
                return False
            order = "<" if head[5] == 1 else ">"
            shoff, = struct.unpack_from(order + "Q", head, 0x28)
            shentsize, shnum, shstrndx = struct.unpack_from(order + "HHH", head, 0x3A)
            f.seek(shoff)
            table = f.read(shentsize * shnum)
            sections = [table[i * shentsize:(i + 1) * shentsize] for i in range(shnum)]
            names_at, names_size = struct.unpack_from(order + "QQ", sections[shstrndx], 0x18)
            f.seek(names_at)
            names = f.read(names_size)
    except (OSError, struct.error, IndexError):
        return False
    for section in sections:
        start, = struct.unpack_from(order + "I", section, 0)
        name = names[start:names.find(b"\0", start)]
        if name.startswith(b".debug_"):
            return True
    return False


def default_binary() -> Path:
    """The release build if there is one (what users install), else the debug build."""
    target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
    release = target / "release" / "barkcheck"
    return release if release.exists() else target / "debug" / "barkcheck"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Measure barkcheck run against the stand-ins with a fixed AWS round trip.")
    parser.add_argument("--delay-ms", type=int, default=50,
                        help="delay added to every AWS request (default 50)")
    parser.add_argument("--phase", help="measure this phase only")
    parser.add_argument("--runs", type=int, default=1,
                        help="runs of each measurement; the median is reported (default 1)")
    parser.add_argument("--bin", default=os.environ.get("BARKCHECK_BIN"),
                        help="the barkcheck binary (default $BARKCHECK_BIN, else the release "
                             "build, else the debug build, under $CARGO_TARGET_DIR or target/)")
    parser.add_argument("--live-standin", action="store_true",
                        help="have moto answer every request, without the stand-in's answer "
                             "cache (moto then adds its own few ms per request, one at a time)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.delay_ms < 1:
        parser.error("--runs and --delay-ms must be at least 1")
    binary = Path(args.bin or default_binary()).resolve()
    if not os.access(binary, os.X_OK):
        print(f"bench: no barkcheck binary at {binary}: build it (cargo build --release) or "
              "set BARKCHECK_BIN", file=sys.stderr)
        return 2

    # SIGTERM and SIGHUP end the bench like Ctrl-C: through the finally below, which stops
    # every process started here by its PID and removes the temporary folder.
    def interrupted(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGHUP, interrupted)
    work = Path(tempfile.mkdtemp(prefix="barkcheck-bench-"))
    services: list[Service] = []
    try:
        env = loopback_env(work)
        setup = Setup(binary, env, [], "", "", work, False)
        help_text = subprocess.run([str(binary), "run", "--help"], env=env, cwd=work,
                                   capture_output=True, text=True, timeout=60).stdout
        missing = [f for f in ("--allow-commands", "--ca-cert", "--dns-server")
                   if f not in help_text]
        if missing:
            raise BenchError(f"`{binary} run --help` lists no {', '.join(missing)}: the probe "
                             "and command items cannot be aimed at the stand-ins")
        setup.max_concurrency = "--max-concurrency" in help_text
        phases = phases_of(setup, args.phase)

        load = os.getloadavg()
        print(f"bench: {binary} (built {time.ctime(binary.stat().st_mtime)})")
        if has_debug_info(binary):
            print("bench: WARNING: not a release build (it carries debug info); `cargo build "
                  "--release` is what users run, and much faster")
        if args.live_standin:
            print("bench: moto answers every AWS request (--live-standin)")
        else:
            print("bench: the AWS stand-in answers a read-only request it has answered before "
                  "from its cache"
                  + "\n       (filled by the warm-up), so moto's own time per request is not "
                  "counted;\n       --live-standin measures with moto answering every request")
        print(f"bench: phases {', '.join(phases)}; delay {args.delay_ms} ms; {args.runs} "
              f"run(s) each; load average {load[0]:.2f} on {os.cpu_count()} CPU(s)")
        print("bench: starting the AWS stand-in (compliant), the local and web stand-ins and "
              "the delay proxy", flush=True)
        built = (binary.stat().st_mtime, binary.stat().st_size)
        services, ready = start_services(work, env, args.delay_ms, not args.live_standin)
        local, web = ready["local"], ready["web"]
        aimed = [local.get("env", {}).get("BARKCHECK_DATABASE_URL", ""), web["dns_server"],
                 *web["profiles"]["compliant"].values()]
        for where in aimed:
            host = urlsplit(where if "//" in where else f"//{where}").hostname
            if host != "127.0.0.1":
                raise BenchError(f"a stand-in gave an address off 127.0.0.1: {where}")
        setup.standin, setup.proxy = ready["standin"], ready["proxy"]
        env.update(local.get("env", {}))
        env["AWS_ENDPOINT_URL"] = setup.proxy
        env["BARKCHECK_DNS_SERVER"] = web["dns_server"]
        # Every --var after `run`: given on both sides of it, those after replace those before.
        variables = {**local.get("vars", {}), **web["profiles"]["compliant"]}
        setup.run_args = [a for name, value in variables.items()
                          for a in ("--var", f"{name}={value}")]
        setup.run_args += ["--ca-cert", web["ca_cert"], "--dns-server", web["dns_server"]]

        modes = {"concurrent": (args.delay_ms, [])}
        if setup.max_concurrency:
            modes["baseline"] = (args.delay_ms, ["--max-concurrency", "1"])
        modes["no delay"] = (0, [])
        print("bench: warming up (each phase once, unmeasured)", flush=True)
        for phase in phases:
            run_phase(setup, phase, 0, [])
        results = []
        for phase in phases:
            result = PhaseResult(phase, {})
            for mode, (delay, extra) in modes.items():
                result.modes[mode] = []
                for _ in range(args.runs):
                    run = run_phase(setup, phase, delay, extra)
                    result.modes[mode].append(run)
                    print(f"bench: {phase} {mode}: {ms(run.wall)}, {run.analysis.made} "
                          f"requests", flush=True)
            results.append(result)
        print("bench: timing status and lint", flush=True)
        status_times = offline_timings(setup, "status")
        lint_times = offline_timings(setup, "lint")
        report(results, args.delay_ms, status_times, lint_times, setup.max_concurrency,
               args.runs, not args.live_standin)
        if (binary.stat().st_mtime, binary.stat().st_size) != built:
            print(f"\nWARNING: {binary} changed while the bench ran: the figures mix builds")
        return 0
    except BenchError as error:
        print(f"bench: cannot measure: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    finally:
        for service in reversed(services):
            service.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
