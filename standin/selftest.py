"""End-to-end check of the stand-in: starts it, seeds every profile, reads back with boto3.

It also drives the CloudWatch CBOR bridge with hand-signed RPCv2 CBOR requests (what the AWS
SDK for Rust sends), the fault rules in every protocol, the request log, the delay, and both
ways of stopping (SIGTERM, stdin closing). Run it with the venv's python:

    "$(scripts/standin-venv | tail -n 1)" standin/selftest.py

Everything goes to 127.0.0.1 with dummy credentials. The last line reads "N passed, N failed".
"""

from __future__ import annotations

import datetime
import http.client
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from urllib.parse import urlsplit

os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_EC2_METADATA_DISABLED="true",
    AWS_DEFAULT_REGION="us-east-1",
)
os.environ.pop("AWS_PROFILE", None)

import boto3  # noqa: E402
import botocore.auth  # noqa: E402
import botocore.awsrequest  # noqa: E402
import botocore.config  # noqa: E402
import botocore.credentials  # noqa: E402
import cbor2  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NO_RETRY = botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"})


class StandInProcess:
    """A stand-in started for the test, read up to its READY line."""

    def __init__(self, *args: str):
        self.stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "standin.py"), "--port", "0", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
        )
        ready, _, _ = select.select([self.proc.stdout], [], [], 120)
        line = self.proc.stdout.readline().decode() if ready else ""
        if not line.startswith("READY http://127.0.0.1:"):
            self.proc.kill()
            raise RuntimeError(f"no READY line, got {line!r}; stderr:\n{self.log_tail()}")
        self.url = line.split()[1]

    def log_tail(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read().decode(errors="replace")[-3000:]

    def control(self, method: str, path: str, body=None):
        parts = urlsplit(self.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        data = json.dumps(body).encode() if body is not None else None
        conn.request(method, path, body=data, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        payload = json.loads(response.read() or b"null")
        conn.close()
        if response.status != 200:
            raise RuntimeError(f"{method} {path} answered {response.status}: {payload}")
        return payload

    def client(self, service: str, config=None):
        return boto3.client(
            service, region_name="us-east-1", endpoint_url=self.url, config=config
        )

    def cbor(self, operation: str, params: dict, region: str = "us-east-1"):
        """A CloudWatch call as the AWS SDK for Rust makes it: RPCv2 CBOR, SigV4 signed."""
        body = cbor2.dumps(params)
        request = botocore.awsrequest.AWSRequest(
            method="POST",
            url=f"{self.url}/service/GraniteServiceVersion20100801/operation/{operation}",
            data=body,
            headers={
                "smithy-protocol": "rpc-v2-cbor",
                "Content-Type": "application/cbor",
                "Accept": "application/cbor",
            },
        )
        credentials = botocore.credentials.Credentials("testing", "testing")
        botocore.auth.SigV4Auth(credentials, "monitoring", region).add_auth(request)
        parts = urlsplit(request.url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        conn.request("POST", parts.path, body=body, headers=dict(request.headers.items()))
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)


RESULTS: list[tuple[str, str | None]] = []


def check(name: str):
    def run(function):
        try:
            function()
            RESULTS.append((name, None))
            print(f"ok   {name}", flush=True)
        except Exception:
            RESULTS.append((name, traceback.format_exc()))
            print(f"FAIL {name}\n{traceback.format_exc()}", flush=True)
        return function

    return run


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def client_error(call) -> ClientError:
    try:
        call()
    except ClientError as error:
        return error
    raise AssertionError("the call succeeded")


def dashboard_metrics(body: str) -> set[tuple[str, str]]:
    """(namespace, metric) of every metric row, with the "." shorthand expanded."""
    found = set()
    for widget in json.loads(body)["widgets"]:
        previous: list = []
        for row in widget.get("properties", {}).get("metrics", []):
            full = [
                previous[i] if v == "." and i < len(previous) else v for i, v in enumerate(row)
            ]
            found.add((full[0], full[1]))
            previous = full
    return found


def main() -> int:
    standin = StandInProcess("--exit-on-stdin-eof", "--seed", "compliant")
    try:
        run_checks(standin)
    finally:
        code = standin.stop()
        RESULTS.append(("sigterm exits 0", None if code == 0 else f"exit code {code}"))
        if code != 0:
            print(standin.log_tail())
    check_stdin_eof()
    failed = [name for name, error in RESULTS if error]
    print(f"{len(RESULTS) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def run_checks(s: StandInProcess) -> None:
    rds, cw, logs = s.client("rds"), s.client("cloudwatch"), s.client("logs")

    @check("compliant: rds instance barkbase-prod")
    def _():
        db = rds.describe_db_instances(DBInstanceIdentifier="barkbase-prod")["DBInstances"][0]
        expect(db["DBInstanceClass"] == "db.t4g.medium", db["DBInstanceClass"])
        expect(db["MultiAZ"] is True and db["BackupRetentionPeriod"] == 30, "multi-az/backup")
        expect(db["StorageEncrypted"] and db["KmsKeyId"].startswith("arn:aws:kms:"), "kms")
        expect(db["MonitoringInterval"] == 60 and "MonitoringRoleArn" in db, "monitoring")
        expect(db["PubliclyAccessible"] is False and db["DeletionProtection"] is True, "public")
        expect(db["PreferredBackupWindow"] == "03:00-04:00", db["PreferredBackupWindow"])
        expect(db["PreferredMaintenanceWindow"] == "sun:04:30-sun:05:30", "maintenance")
        expect(db["EnabledCloudwatchLogsExports"] == ["postgresql"], "log exports")

    @check("compliant: aurora cluster with two members")
    def _():
        cluster = rds.describe_db_clusters(DBClusterIdentifier="barkbase-reports")["DBClusters"][0]
        expect(cluster["MultiAZ"] is True, "cluster multi-az")
        expect(cluster["BackupRetentionPeriod"] == 30 and cluster["DeletionProtection"], "bk")
        members = {m["DBInstanceIdentifier"] for m in cluster["DBClusterMembers"]}
        expect(members == {"barkbase-reports-1", "barkbase-reports-2"}, str(members))

    @check("compliant: eight alarms, OK, notifying the critical topic")
    def _():
        alarms = {a["AlarmName"]: a for a in cw.describe_alarms()["MetricAlarms"]}
        expect(len(alarms) == 8, str(sorted(alarms)))
        for alarm in alarms.values():
            expect(alarm["StateValue"] == "OK", alarm["AlarmName"])
            expect(alarm["AlarmActions"][0].endswith(":barkbase-prod-critical"), "actions")
        expect(alarms["barkbase-prod-rds-cpu"]["Threshold"] == 80.0, "cpu threshold")

    @check("compliant: dashboard metrics, with the '.' shorthand")
    def _():
        body = cw.get_dashboard(DashboardName="BarkBase-Production")["DashboardBody"]
        metrics = dashboard_metrics(body)
        for wanted in [
            ("AWS/ApiGateway", "Latency"),
            ("AWS/ApiGateway", "5XXError"),
            ("AWS/Lambda", "Duration"),
            ("BarkBase/Business", "BookingsCreated"),
        ]:
            expect(wanted in metrics, f"{wanted} missing")
        expect('[".", "Latency"' in body, "no shorthand in the body")

    @check("compliant: log groups paginate, retention 365 on audit")
    def _():
        pages = list(
            logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix="/aws/lambda/")
        )
        expect(len(pages) >= 2, f"{len(pages)} page(s)")
        groups = {
            g["logGroupName"]: g.get("retentionInDays")
            for page in logs.get_paginator("describe_log_groups").paginate()
            for g in page["logGroups"]
        }
        expect(groups["/barkbase/prod/audit"] == 365, "audit retention")
        expect(groups["/aws/lambda/barkbase-bookings-api-prod"] == 90, "bookings retention")

    @check("compliant: cloudfront, certificate, waf, stacks")
    def _():
        cf = s.client("cloudfront")
        item = cf.list_distributions()["DistributionList"]["Items"][0]
        config = cf.get_distribution(Id=item["Id"])["Distribution"]["DistributionConfig"]
        expect(config["Aliases"]["Items"] == ["app.barkbase.com"], "aliases")
        expect(config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https", "")
        expect(config["CustomErrorResponses"]["Quantity"] == 2, "error responses")
        expect(config["WebACLId"].startswith("arn:aws:wafv2:us-east-1:"), "waf")
        cert = config["ViewerCertificate"]
        expect(cert["MinimumProtocolVersion"] == "TLSv1.2_2021", "tls")
        acm = s.client("acm").describe_certificate(CertificateArn=cert["ACMCertificateArn"])
        expect(acm["Certificate"]["Status"] == "ISSUED", acm["Certificate"]["Status"])
        stacks = {
            st["StackName"]: {o["OutputKey"]: o["OutputValue"] for o in st.get("Outputs", [])}
            for st in s.client("cloudformation").describe_stacks()["Stacks"]
        }
        expect(stacks["CDKToolkit"]["BootstrapVersion"] == "21", "bootstrap version")
        expect(stacks["BarkBaseCdkStack"]["DatabaseEndpoint"].startswith("barkbase-prod."), "")

    @check("compliant: cognito risk configurations are served by the stand-in")
    def _():
        cognito = s.client("cognito-idp")
        pool_id = cognito.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
        risk = cognito.describe_risk_configuration(UserPoolId=pool_id)["RiskConfiguration"]
        actions = risk["AccountTakeoverRiskConfiguration"]["Actions"]
        expect(actions["HighAction"]["EventAction"] == "BLOCK", json.dumps(actions))
        cognito.set_risk_configuration(
            UserPoolId=pool_id,
            CompromisedCredentialsRiskConfiguration={"Actions": {"EventAction": "NO_ACTION"}},
        )
        risk = cognito.describe_risk_configuration(UserPoolId=pool_id)["RiskConfiguration"]
        expect("AccountTakeoverRiskConfiguration" not in risk, "set replaces the whole config")
        logged = [(r["service"], r["operation"]) for r in s.control("GET", "/barkcheck/requests")]
        expect(("cognito-idp", "DescribeRiskConfiguration") in logged, "")
        s.control("POST", "/barkcheck/seed?profile=compliant")

    @check("compliant: the edge and application resources")
    def _():
        functions = [
            f for page in s.client("lambda").get_paginator("list_functions").paginate()
            for f in page["Functions"]
        ]
        expect(len(functions) == 55, str(len(functions)))
        expect(all(f["VpcConfig"]["SubnetIds"] for f in functions), "vpc")
        apis = s.client("apigateway").get_rest_apis()["items"]
        expect([a["name"] for a in apis] == ["BarkBaseAPI"], str(apis))
        stage = s.client("apigateway").get_stage(restApiId=apis[0]["id"], stageName="prod")
        expect(stage["methodSettings"]["~1auth~1login/POST"]["throttlingRateLimit"] == 10, "")
        ws = s.client("apigatewayv2").get_apis()["Items"]
        expect([a["ProtocolType"] for a in ws] == ["WEBSOCKET"], str(ws))
        s3 = s.client("s3")
        rules = s3.get_bucket_encryption(Bucket="barkbase-uploads-prod")[
            "ServerSideEncryptionConfiguration"
        ]["Rules"]
        expect(rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms", "")

    @check("cbor: DescribeAlarms answers typed CBOR")
    def _():
        status, headers, data = s.cbor("DescribeAlarms", {"AlarmNamePrefix": "barkbase-prod-rds"})
        expect(status == 200, f"status {status}")
        expect(headers.get("smithy-protocol") == "rpc-v2-cbor", str(headers))
        expect(headers.get("content-type") == "application/cbor", str(headers))
        alarms = cbor2.loads(data)["MetricAlarms"]
        expect(len(alarms) == 3, str(len(alarms)))
        expect(isinstance(alarms[0]["Threshold"], float), "threshold is not a float")
        expect(isinstance(alarms[0]["Period"], int), "period is not an int")
        expect(isinstance(alarms[0]["StateUpdatedTimestamp"], datetime.datetime), "timestamp")

    @check("cbor: timestamps in the request reach moto")
    def _():
        now = datetime.datetime.now(datetime.timezone.utc)
        status, _, data = s.cbor(
            "GetMetricStatistics",
            {
                "Namespace": "AWS/RDS",
                "MetricName": "CPUUtilization",
                "StartTime": now - datetime.timedelta(hours=1),
                "EndTime": now,
                "Period": 300,
                "Statistics": ["Average"],
            },
        )
        expect(status == 200, f"status {status}: {data[:300]!r}")
        expect(cbor2.loads(data).get("Label") == "CPUUtilization", str(cbor2.loads(data)))

    @check("cbor: moto's errors keep status, code and message")
    def _():
        status, headers, data = s.cbor("GetDashboard", {"DashboardName": "nope"})
        error = cbor2.loads(data)
        expect(status == 404, f"status {status}")
        expect(error["__type"] == "ResourceNotFound", str(error))
        expect(error["message"] == "Dashboard does not exist", str(error))
        expect(headers.get("x-amzn-query-error") == "ResourceNotFound;Sender", str(headers))

    @check("cbor: the region comes from the signature")
    def _():
        status, _, data = s.cbor("DescribeAlarms", {}, region="eu-west-1")
        expect(status == 200 and cbor2.loads(data)["MetricAlarms"] == [], "eu-west-1 not empty")

    @check("faults: query protocol (rds), once, then gone")
    def _():
        s.control("POST", "/barkcheck/faults", {"rules": [{
            "service": "rds", "operation": "DescribeDBInstances", "status": 500,
            "code": "InternalFailure", "message": "boom", "times": 1, "delay_ms": 0}]})
        client = s.client("rds", NO_RETRY)
        error = client_error(client.describe_db_instances)
        expect(error.response["Error"]["Code"] == "InternalFailure", str(error.response))
        expect(error.response["Error"]["Message"] == "boom", str(error.response))
        expect(error.response["ResponseMetadata"]["HTTPStatusCode"] == 500, "status")
        expect(len(client.describe_db_instances()["DBInstances"]) == 3, "second call faulted")

    @check("faults: json protocol (logs) and a service-wide rule")
    def _():
        s.control("POST", "/barkcheck/faults", {"rules": [{
            "service": "logs", "status": 400, "code": "AccessDeniedException",
            "message": "not allowed", "times": None}]})
        client = s.client("logs", NO_RETRY)
        for call in (client.describe_log_groups, client.describe_metric_filters):
            error = client_error(call)
            expect(error.response["Error"]["Code"] == "AccessDeniedException", str(error))
        s.control("DELETE", "/barkcheck/faults")
        client.describe_log_groups()

    @check("faults: rest-xml (cloudfront ListDistributions, GetDistribution)")
    def _():
        cf = s.client("cloudfront", NO_RETRY)
        distribution_id = cf.list_distributions()["DistributionList"]["Items"][0]["Id"]
        s.control("POST", "/barkcheck/faults", {"rules": [
            {"service": "cloudfront", "operation": "GetDistribution", "status": 404,
             "code": "NoSuchDistribution", "message": "gone"},
            {"service": "cloudfront", "operation": "ListDistributions", "status": 403,
             "code": "AccessDenied", "message": "denied"}]})
        error = client_error(cf.list_distributions)
        expect(error.response["Error"]["Code"] == "AccessDenied", str(error.response))
        error = client_error(lambda: cf.get_distribution(Id=distribution_id))
        expect(error.response["Error"]["Code"] == "NoSuchDistribution", str(error.response))
        s.control("DELETE", "/barkcheck/faults")

    @check("faults: cbor (cloudwatch), rule naming the service 'cloudwatch'")
    def _():
        s.control("POST", "/barkcheck/faults", {"rules": [{
            "service": "cloudwatch", "operation": "DescribeAlarms", "status": 403,
            "code": "AccessDenied", "message": "nope", "times": 2}]})
        for _ in range(2):
            status, headers, data = s.cbor("DescribeAlarms", {})
            expect(status == 403, f"status {status}")
            expect(cbor2.loads(data) == {"__type": "AccessDenied", "message": "nope"}, "body")
        status, _, _ = s.cbor("DescribeAlarms", {})
        expect(status == 200, "the rule outlived times=2")
        expect(s.control("GET", "/barkcheck/faults")["rules"] == [], "rule left behind")

    @check("faults: a JSON-protocol cloudwatch call (boto3) meets the same rule")
    def _():
        s.control("POST", "/barkcheck/faults", {"rules": [{
            "service": "monitoring", "operation": "DescribeAlarms", "status": 500,
            "code": "InternalFailure", "message": "boom"}]})
        error = client_error(s.client("cloudwatch", NO_RETRY).describe_alarms)
        expect(error.response["Error"]["Code"] == "InternalFailure", str(error.response))
        s.control("DELETE", "/barkcheck/faults")

    @check("faults: pass_through rules only delay")
    def _():
        s.control("POST", "/barkcheck/faults", {"rules": [{
            "service": "rds", "pass_through": True, "delay_ms": 300}]})
        started = time.monotonic()
        rds.describe_db_clusters()
        expect(time.monotonic() - started >= 0.3, "no delay")
        s.control("DELETE", "/barkcheck/faults")

    @check("faults: bad rules are refused with 400")
    def _():
        try:
            s.control("POST", "/barkcheck/faults", {"rules": [{"servce": "rds"}]})
        except RuntimeError as error:
            expect("400" in str(error), str(error))
        else:
            raise AssertionError("accepted")

    @check("faults: rewrite rules change moto's answer, which the SDK then parses")
    def _():
        s.control("POST", "/barkcheck/faults", {"rules": [{
            "service": "iam", "operation": "GetAccountSummary",
            "rewrite": [{"pattern": "<key>AccountMFAEnabled</key>(\\s*)<value>0</value>",
                         "replacement": "<key>AccountMFAEnabled</key>\\1<value>1</value>"}]}]})
        summary = s.client("iam").get_account_summary()["SummaryMap"]
        expect(summary["AccountMFAEnabled"] == 1, str(summary["AccountMFAEnabled"]))
        s.control("DELETE", "/barkcheck/faults")
        summary = s.client("iam").get_account_summary()["SummaryMap"]
        expect(summary["AccountMFAEnabled"] == 0, "moto's own answer")
        try:
            s.control("POST", "/barkcheck/faults", {"rules": [{"rewrite": [{"pattern": "("}]}]})
        except RuntimeError as error:
            expect("400" in str(error), str(error))
        else:
            raise AssertionError("a rewrite without replacement was accepted")

    @check("logs: the front server keeps Logs Insights query definitions, paginated")
    def _():
        seeded = logs.describe_query_definitions()["queryDefinitions"]
        expect(len(seeded) == 3, json.dumps(seeded))
        created = logs.put_query_definition(
            name="selftest/one", queryString="fields @message", logGroupNames=["/x"]
        )["queryDefinitionId"]
        first = logs.describe_query_definitions(maxResults=2)
        second = logs.describe_query_definitions(maxResults=2, nextToken=first["nextToken"])
        expect(len(first["queryDefinitions"]) == 2, json.dumps(first["queryDefinitions"]))
        expect(len(second["queryDefinitions"]) == 2 and "nextToken" not in second, "page 2")
        only = logs.describe_query_definitions(queryDefinitionNamePrefix="selftest/")
        expect([q["name"] for q in only["queryDefinitions"]] == ["selftest/one"], str(only))
        expect(logs.delete_query_definition(queryDefinitionId=created)["success"], "delete")

    @check("requests: each AWS call logged once, with service and operation")
    def _():
        s.control("POST", "/barkcheck/requests/reset")
        rds.describe_db_instances()
        s.cbor("DescribeAlarms", {})
        logs.describe_log_groups()
        s.client("cloudfront").list_distributions()
        s.client("s3").list_buckets()
        seen = [(r["service"], r["operation"]) for r in s.control("GET", "/barkcheck/requests")]
        expect(seen == [
            ("rds", "DescribeDBInstances"),
            ("monitoring", "DescribeAlarms"),
            ("logs", "DescribeLogGroups"),
            ("cloudfront", "ListDistributions"),
            ("s3", "ListBuckets"),
        ], json.dumps(seen))

    @check("requests: params digest the same ask equally, pages share their listing's")
    def _():
        s.control("POST", "/barkcheck/requests/reset")
        rds.describe_db_instances()
        rds.describe_db_instances()
        rds.describe_db_instances(DBInstanceIdentifier="barkbase-prod")
        s.cbor("DescribeAlarms", {"AlarmNamePrefix": "barkbase-"})
        s.cbor("DescribeAlarms", {"AlarmNamePrefix": "barkbase-"})
        pages = list(logs.get_paginator("describe_log_groups").paginate())
        seen = s.control("GET", "/barkcheck/requests")
        rds_all, rds_again, rds_one, alarms, alarms_again, page1, page2 = seen
        expect(rds_all["params"] == rds_again["params"], json.dumps(seen[:2]))
        expect(rds_one["params"] != rds_all["params"], "a parameter changes the digest")
        expect(alarms["params"] == alarms_again["params"], "CBOR bodies digest equally")
        expect(len(pages) == 2 and page1["page_token"] is None, json.dumps(page1))
        expect(page2["page_token"] is not None, json.dumps(page2))
        expect(page1["listing"] == page2["listing"], "pages of one listing")
        expect(page1["params"] != page2["params"], "distinct pages")
        expect(all(r["answered"] >= r["t"] and r["path"].startswith("/") for r in seen), "")

    @check("delay: every AWS request waits")
    def _():
        s.control("POST", "/barkcheck/delay", {"ms": 250})
        started = time.monotonic()
        rds.describe_db_instances()
        elapsed = time.monotonic() - started
        s.control("POST", "/barkcheck/delay", {"ms": 0})
        expect(elapsed >= 0.25, f"{elapsed:.3f}s")

    @check("front server: 60 connections opened at once are all answered at once")
    def _():
        parts = urlsplit(s.url)
        done = []

        def health():
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            conn.request("GET", "/barkcheck/health")
            done.append(conn.getresponse().status)
            conn.close()

        started = time.monotonic()
        threads = [threading.Thread(target=health) for _ in range(60)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        # A listen backlog too short drops connections, which the client retries after 1 s.
        expect(done == [200] * 60 and elapsed < 0.9, f"{len(done)} in {elapsed:.3f}s")

    @check("delay proxy: delays, keeps alive, passes bodies, HEAD and errors through")
    def _():
        proxy = subprocess.Popen(
            [sys.executable, os.path.join(HERE, "delay_proxy.py"), "--upstream", s.url,
             "--delay-ms", "100", "--exit-on-stdin-eof"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        )
        try:
            ready, _, _ = select.select([proxy.stdout], [], [], 30)
            line = proxy.stdout.readline().decode() if ready else ""
            expect(line.startswith("READY http://127.0.0.1:"), repr(line))
            url = line.split()[1]
            via = boto3.client("rds", region_name="us-east-1", endpoint_url=url)
            s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=url)
            s.control("POST", "/barkcheck/requests/reset")
            started = time.monotonic()
            db = via.describe_db_instances(DBInstanceIdentifier="barkbase-prod")["DBInstances"]
            expect(time.monotonic() - started >= 0.1, "no delay")
            expect(db[0]["DBInstanceClass"] == "db.t4g.medium", str(db))
            s3.put_object(Bucket="barkbase-uploads-prod", Key="proxy.bin", Body=b"y" * 90000)
            head = s3.head_object(Bucket="barkbase-uploads-prod", Key="proxy.bin")
            expect(head["ContentLength"] == 90000, str(head["ContentLength"]))
            got = s3.get_object(Bucket="barkbase-uploads-prod", Key="proxy.bin")["Body"].read()
            expect(got == b"y" * 90000, str(len(got)))
            s3.delete_object(Bucket="barkbase-uploads-prod", Key="proxy.bin")
            error = client_error(lambda: via.describe_db_instances(DBInstanceIdentifier="nope"))
            expect(error.response["Error"]["Code"] == "DBInstanceNotFound", str(error))
            seen = [r["operation"] for r in s.control("GET", "/barkcheck/requests")]
            expect(len(seen) == 6 and seen[0] == seen[5] == "DescribeDBInstances", str(seen))
            expect(seen[1:5] == ["PutObject", "HeadObject", "GetObject", "DeleteObject"], str(seen))
            parts = urlsplit(url)
            conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
            conn.request("GET", "/_delay_proxy/stats")
            stats = json.loads(conn.getresponse().read())
            # boto3 keeps one connection per client alive: two clients, and this one.
            expect(stats["requests"] == 6 and stats["connections"] == 3, json.dumps(stats))
        finally:
            proxy.stdin.close()
            expect(proxy.wait(timeout=30) == 0, "the proxy did not stop")

    @check("s3: objects round-trip through the proxy, HEAD keeps Content-Length")
    def _():
        s3 = s.client("s3")
        s3.put_object(Bucket="barkbase-frontend-prod", Key="index.html", Body=b"x" * 70000)
        head = s3.head_object(Bucket="barkbase-frontend-prod", Key="index.html")
        expect(head["ContentLength"] == 70000, str(head["ContentLength"]))
        body = s3.get_object(Bucket="barkbase-frontend-prod", Key="index.html")["Body"].read()
        expect(len(body) == 70000, str(len(body)))

    @check("gaps: every gap is there")
    def _():
        summary = s.control("POST", "/barkcheck/seed?profile=gaps")
        expect(len(summary["gaps"]) == 49, str(len(summary["gaps"])))
        db = rds.describe_db_instances(DBInstanceIdentifier="barkbase-prod")["DBInstances"][0]
        expect(db["DBInstanceClass"] == "db.t4g.micro" and db["MultiAZ"] is False, "class/az")
        expect(db["BackupRetentionPeriod"] == 7 and db["MonitoringInterval"] == 0, "bk/mon")
        expect(db["PubliclyAccessible"] is True and db["DeletionProtection"] is False, "pub")
        expect(db["PreferredBackupWindow"] == "12:00-13:00", "window")
        expect(rds.describe_db_clusters()["DBClusters"] == [], "aurora present")
        alarms = {a["AlarmName"]: a for a in cw.describe_alarms()["MetricAlarms"]}
        expect("barkbase-prod-failed-auth" not in alarms, "failed-auth present")
        expect(alarms["barkbase-prod-rds-cpu"]["Threshold"] == 90.0, "cpu threshold")
        expect(alarms["barkbase-prod-lambda-errors"]["AlarmActions"] == [], "lambda actions")
        metrics = dashboard_metrics(
            cw.get_dashboard(DashboardName="BarkBase-Production")["DashboardBody"]
        )
        expect(not any(ns in ("AWS/Lambda", "BarkBase/Business") for ns, _ in metrics), "")
        expect(("AWS/ApiGateway", "Latency") in metrics, "api metrics lost")
        groups = {
            g["logGroupName"]: g.get("retentionInDays")
            for page in logs.get_paginator("describe_log_groups").paginate()
            for g in page["logGroups"]
        }
        expect(groups["/aws/lambda/barkbase-bookings-api-prod"] == 30, "bookings")
        expect(groups["/barkbase/prod/audit"] == 90, "audit")
        cf = s.client("cloudfront")
        item = cf.list_distributions()["DistributionList"]["Items"][0]
        config = cf.get_distribution(Id=item["Id"])["Distribution"]["DistributionConfig"]
        expect(config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "allow-all", "vpp")
        expect(not config.get("WebACLId"), "waf")
        expect(config["CustomErrorResponses"]["Quantity"] == 0, "errors")
        stacks = [st["StackName"] for st in s.client("cloudformation").describe_stacks()["Stacks"]]
        expect(stacks == ["BarkBaseCdkStack"], str(stacks))
        cognito = s.client("cognito-idp")
        pool_id = cognito.list_user_pools(MaxResults=60)["UserPools"][0]["Id"]
        pool = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
        expect(pool["Policies"]["PasswordPolicy"]["MinimumLength"] == 6, "password length")
        expect(pool["UserPoolAddOns"]["AdvancedSecurityMode"] == "AUDIT", "advanced security")
        risk = cognito.describe_risk_configuration(UserPoolId=pool_id)["RiskConfiguration"]
        expect("AccountTakeoverRiskConfiguration" not in risk, json.dumps(risk, default=str))
        functions = [
            f for page in s.client("lambda").get_paginator("list_functions").paginate()
            for f in page["Functions"]
        ]
        expect(len(functions) == 53, str(len(functions)))
        s3 = s.client("s3")
        expect(s3.list_objects_v2(Bucket="barkbase-frontend-prod").get("KeyCount") == 0, "index")
        cf_id = item["Id"]
        invalidations = cf.list_invalidations(DistributionId=cf_id)["InvalidationList"]
        expect(invalidations["Quantity"] == 0, "invalidations")
        zone = s.client("route53").list_hosted_zones()["HostedZones"][0]["Id"]
        names = {
            r["Name"]
            for r in s.client("route53").list_resource_record_sets(HostedZoneId=zone)[
                "ResourceRecordSets"
            ]
        }
        expect("ws.barkbase.com." not in names and "app.barkbase.com." in names, str(names))

    @check("answer cache: a repeated read is answered from memory, a write empties it")
    def _():
        s.control("POST", "/barkcheck/answer-cache", {"enabled": True})
        try:
            s.control("POST", "/barkcheck/requests/reset")
            mine = {"logGroupNamePrefix": "/selftest/"}
            first = logs.describe_log_groups(**mine)["logGroups"]
            again = logs.describe_log_groups(**mine)["logGroups"]
            expect(first == again, "the cached answer differs")
            logs.create_log_group(logGroupName="/selftest/answer-cache")
            after = logs.describe_log_groups(**mine)["logGroups"]
            names = {g["logGroupName"] for g in after}
            expect("/selftest/answer-cache" in names, "a write did not empty the cache")
            log = s.control("GET", "/barkcheck/requests")
            cached = [bool(e.get("cached")) for e in log]
            expect(cached == [False, True, False, False], str(cached))
            stats = s.control("GET", "/barkcheck/answer-cache")
            expect((stats["hits"], stats["misses"]) == (1, 2), json.dumps(stats))
        finally:
            s.control("POST", "/barkcheck/answer-cache", {"enabled": False})
            logs.delete_log_group(logGroupName="/selftest/answer-cache")

    @check("answer cache: a different header or access key makes a different request")
    def _():
        s.control("POST", "/barkcheck/answer-cache", {"enabled": True})
        s3 = s.client("s3")
        try:
            s3.create_bucket(Bucket="selftest-answer-cache")
            s3.put_object(Bucket="selftest-answer-cache", Key="k", Body=b"0123456789")
            ranged = s3.get_object(Bucket="selftest-answer-cache", Key="k", Range="bytes=0-3")
            expect(ranged["Body"].read() == b"0123", "ranged read")
            whole = s3.get_object(Bucket="selftest-answer-cache", Key="k")["Body"].read()
            expect(whole == b"0123456789", f"a Range header made no difference: {whole!r}")
            sts = s.client("sts")
            mine = sts.get_caller_identity()["Account"]
            role = sts.assume_role(RoleArn="arn:aws:iam::111111111111:role/selftest",
                                   RoleSessionName="selftest")["Credentials"]
            other = boto3.client(
                "sts", region_name="us-east-1", endpoint_url=s.url,
                aws_access_key_id=role["AccessKeyId"],
                aws_secret_access_key=role["SecretAccessKey"],
                aws_session_token=role["SessionToken"],
            ).get_caller_identity()["Account"]
            expect((mine, other) == ("123456789012", "111111111111"), f"{mine} {other}")
        finally:
            s.control("POST", "/barkcheck/answer-cache", {"enabled": False})
            s3.delete_object(Bucket="selftest-answer-cache", Key="k")
            s3.delete_bucket(Bucket="selftest-answer-cache")

    @check("empty: nothing at all")
    def _():
        s.control("POST", "/barkcheck/seed?profile=empty")
        expect(rds.describe_db_instances()["DBInstances"] == [], "rds")
        expect(cw.describe_alarms()["MetricAlarms"] == [], "alarms")
        expect(logs.describe_log_groups()["logGroups"] == [], "logs")


def check_stdin_eof() -> None:
    @check("stdin closing stops the stand-in")
    def _():
        standin = StandInProcess("--exit-on-stdin-eof")
        standin.proc.stdin.close()
        code = standin.proc.wait(timeout=30)
        expect(code == 0, f"exit code {code}\n{standin.log_tail()}")


if __name__ == "__main__":
    sys.exit(main())
