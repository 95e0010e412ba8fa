"""Seeds moto with a BarkBase-like production environment, in one of three profiles.

* compliant: everything the BarkBase production checklist asks for is in place;
* gaps: the same resources under the same names, with the known gaps listed in GAPS;
* empty: nothing.

Everything lives in us-east-1 (CloudFront and its certificate and WAF ACL must be there anyway)
and is created with boto3 and dummy credentials against a loopback moto endpoint. standin.py
imports this module; it also runs alone against any stand-in or moto endpoint:

    python seed.py --endpoint http://127.0.0.1:PORT --profile gaps --reset

The data is plain Python below: the compliant profile first, then GAPS, the changes that turn
it into the gaps profile, one line per gap. Strings of the form "${name}" are filled at seed
time with ARNs and ids that only exist once something is created (KMS key, IAM role, topics,
certificate, WAF ACL).
"""

from __future__ import annotations

import argparse
import base64
import copy
import io
import json
import os
import sys
import urllib.request
import zipfile
from dataclasses import dataclass
from typing import Callable

REGION = "us-east-1"
PROFILES = ("compliant", "gaps", "empty")
DROP = object()  # in a gap's changes: remove this key

# --- The compliant profile ------------------------------------------------------------------

KMS_KEY = {"Description": "barkbase-prod RDS storage", "Alias": "alias/barkbase-prod-rds"}

MONITORING_ROLE = {
    "RoleName": "barkbase-rds-monitoring",
    "AssumeRolePolicyDocument": json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "monitoring.rds.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    ),
    # moto has no AWS managed policies unless told to load all of them, so the role carries
    # the permissions of AmazonRDSEnhancedMonitoringRole inline.
    "PolicyName": "rds-enhanced-monitoring",
    "PolicyDocument": json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogGroup", "logs:PutRetentionPolicy"],
                    "Resource": "arn:aws:logs:*:*:log-group:RDS*",
                },
                {
                    "Effect": "Allow",
                    "Action": [
                        "logs:CreateLogStream",
                        "logs:PutLogEvents",
                        "logs:DescribeLogStreams",
                        "logs:GetLogEvents",
                    ],
                    "Resource": "arn:aws:logs:*:*:log-group:RDS*:log-stream:*",
                },
            ],
        }
    ),
}

RDS_INSTANCE = {
    "DBInstanceIdentifier": "barkbase-prod",
    "Engine": "postgres",
    "EngineVersion": "16.4",
    "DBInstanceClass": "db.t4g.medium",
    "AllocatedStorage": 100,
    "StorageType": "gp3",
    "DBName": "barkbase_prod",
    "MasterUsername": "postgres",
    "ManageMasterUserPassword": True,  # RDS keeps the password in Secrets Manager
    "DBSubnetGroupName": "barkbase-prod-db",
    "VpcSecurityGroupIds": ["${sg_db}"],
    "DBParameterGroupName": "barkbase-prod-postgres16",
    "MultiAZ": True,
    "BackupRetentionPeriod": 30,
    "StorageEncrypted": True,
    "KmsKeyId": "${kms_key_arn}",
    "MonitoringInterval": 60,
    "MonitoringRoleArn": "${monitoring_role_arn}",
    "EnablePerformanceInsights": True,  # moto drops it: never returned
    "PerformanceInsightsRetentionPeriod": 7,
    "PubliclyAccessible": False,
    "PreferredBackupWindow": "03:00-04:00",
    "PreferredMaintenanceWindow": "sun:04:30-sun:05:30",
    "DeletionProtection": True,
    "EnableCloudwatchLogsExports": ["postgresql"],
    "AutoMinorVersionUpgrade": True,
    "CopyTagsToSnapshot": True,
    "Tags": [{"Key": "app", "Value": "barkbase"}, {"Key": "env", "Value": "prod"}],
}

# An Aurora cluster beside the instance, so that verifiers meet cluster members in
# DescribeDBInstances (their backup and encryption settings live on the cluster).
AURORA_CLUSTER = {
    "DBClusterIdentifier": "barkbase-reports",
    "Engine": "aurora-postgresql",
    "EngineVersion": "16.4",
    "DatabaseName": "barkbase_reports",
    "MasterUsername": "postgres",
    "MasterUserPassword": "not-a-real-password",
    "BackupRetentionPeriod": 30,
    "StorageEncrypted": True,
    "KmsKeyId": "${kms_key_arn}",
    "DeletionProtection": True,
    "PreferredBackupWindow": "03:00-04:00",
    "PreferredMaintenanceWindow": "sun:04:30-sun:05:30",
    "EnableCloudwatchLogsExports": ["postgresql"],
    "Tags": [{"Key": "app", "Value": "barkbase"}, {"Key": "env", "Value": "prod"}],
}
# Two members in two zones: the writer and a reader, which makes the cluster Multi-AZ.
AURORA_INSTANCES = [
    {"DBInstanceIdentifier": "barkbase-reports-1", "AvailabilityZone": "us-east-1a"},
    {"DBInstanceIdentifier": "barkbase-reports-2", "AvailabilityZone": "us-east-1b"},
]
AURORA_INSTANCE_CLASS = "db.r6g.large"

OPS_EMAIL = "ops@barkbase.com"
SNS_TOPICS = {
    "critical_topic_arn": {
        "Name": "barkbase-prod-critical",
        "subscriptions": {"email": OPS_EMAIL, "sms": "${oncall_phone}",
                          "https": "${oncall_https}"},
    },
    "warning_topic_arn": {"Name": "barkbase-prod-warning", "subscriptions": {"email": OPS_EMAIL}},
}

# Settings every alarm shares unless it says otherwise.
ALARM_DEFAULTS = {
    "ActionsEnabled": True,
    "AlarmActions": ["${critical_topic_arn}"],
    "OKActions": ["${warning_topic_arn}"],
    "Statistic": "Average",
    "Period": 300,
    "EvaluationPeriods": 2,
    "TreatMissingData": "notBreaching",
}
RDS_DIMENSION = [{"Name": "DBInstanceIdentifier", "Value": "barkbase-prod"}]
API_DIMENSION = [{"Name": "ApiName", "Value": "BarkBaseAPI"}]

ALARMS = [
    {
        "AlarmName": "barkbase-prod-rds-cpu",
        "Namespace": "AWS/RDS",
        "MetricName": "CPUUtilization",
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 80,
        "Dimensions": RDS_DIMENSION,
    },
    {
        "AlarmName": "barkbase-prod-rds-connections",
        "Namespace": "AWS/RDS",
        "MetricName": "DatabaseConnections",
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 80,
        "Dimensions": RDS_DIMENSION,
    },
    {
        "AlarmName": "barkbase-prod-rds-free-storage",
        "Namespace": "AWS/RDS",
        "MetricName": "FreeStorageSpace",
        "ComparisonOperator": "LessThanThreshold",
        "Threshold": 5368709120,  # 5 GiB
        "Dimensions": RDS_DIMENSION,
    },
    {
        "AlarmName": "barkbase-prod-api-latency",
        "Namespace": "AWS/ApiGateway",
        "MetricName": "Latency",
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 2000,
        "Dimensions": API_DIMENSION,
    },
    {
        "AlarmName": "barkbase-prod-api-5xx",
        "Namespace": "AWS/ApiGateway",
        "MetricName": "5XXError",
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 10,
        "Statistic": "Sum",
        "EvaluationPeriods": 1,
        "Dimensions": API_DIMENSION,
    },
    {
        "AlarmName": "barkbase-prod-lambda-errors",
        "Namespace": "AWS/Lambda",
        "MetricName": "Errors",
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 10,
        "Statistic": "Sum",
        "EvaluationPeriods": 1,
    },
    {
        "AlarmName": "barkbase-prod-failed-logins",
        "Namespace": "BarkBase/Security",
        "MetricName": "FailedLogins",
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 10,
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 1,
    },
    {
        "AlarmName": "barkbase-prod-failed-auth",
        "Namespace": "BarkBase/Security",
        "MetricName": "FailedAuth",
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 50,
        "Statistic": "Sum",
        "EvaluationPeriods": 1,
    },
]

DASHBOARD_NAME = "BarkBase-Production"
# Metric rows are [namespace, metric, dimension name, value, ..., {options}]; "." repeats the
# value in the same position of the row above, as the CloudWatch console writes it.
DASHBOARD_WIDGETS = [
    {
        "type": "metric",
        "x": 0,
        "y": 0,
        "width": 12,
        "height": 6,
        "properties": {
            "title": "API",
            "region": REGION,
            "view": "timeSeries",
            "stat": "Sum",
            "period": 300,
            "metrics": [
                ["AWS/ApiGateway", "Count", "ApiName", "BarkBaseAPI"],
                [".", "Latency", ".", ".", {"stat": "p99"}],
                [".", "5XXError", ".", "."],
            ],
        },
    },
    {
        "type": "metric",
        "x": 12,
        "y": 0,
        "width": 12,
        "height": 6,
        "properties": {
            "title": "Database",
            "region": REGION,
            "view": "timeSeries",
            "stat": "Average",
            "period": 300,
            "metrics": [
                ["AWS/RDS", "CPUUtilization", "DBInstanceIdentifier", "barkbase-prod"],
                ["AWS/RDS", "DatabaseConnections", "DBInstanceIdentifier", "barkbase-prod"],
            ],
        },
    },
    {
        "type": "metric",
        "x": 0,
        "y": 6,
        "width": 12,
        "height": 6,
        "properties": {
            "title": "Lambda",
            "region": REGION,
            "view": "timeSeries",
            "stat": "Sum",
            "period": 300,
            "metrics": [
                ["AWS/Lambda", "Errors"],
                [".", "Duration", {"stat": "Average"}],
            ],
        },
    },
    {
        "type": "metric",
        "x": 12,
        "y": 6,
        "width": 12,
        "height": 6,
        "properties": {
            "title": "Security and business",
            "region": REGION,
            "view": "timeSeries",
            "stat": "Sum",
            "period": 300,
            "metrics": [
                ["BarkBase/Security", "FailedLogins"],
                ["BarkBase/Business", "BookingsCreated"],
            ],
        },
    },
    {
        "type": "text",
        "x": 0,
        "y": 12,
        "width": 24,
        "height": 2,
        "properties": {"markdown": "# BarkBase production\nRunbook: see the ops wiki."},
    },
]

LOG_GROUPS = {
    "/aws/lambda/barkbase-auth-api-prod": 90,
    "/aws/lambda/barkbase-bookings-api-prod": 90,
    "/aws/apigateway/barkbase-prod-access": 90,
    "/barkbase/prod/audit": 365,
    "/aws/rds/instance/barkbase-prod/postgresql": 90,
    # Enough further Lambda groups that listing /aws/lambda/ takes more than one page: moto,
    # like AWS, answers DescribeLogGroups with at most 50 groups a page.
    **{f"/aws/lambda/barkbase-fn-{n:02d}-prod": 90 for n in range(1, 51)},
}

CERTIFICATE = {
    "DomainName": "barkbase.com",
    "SubjectAlternativeNames": ["*.barkbase.com"],
    "ValidationMethod": "DNS",
}

# Addresses that abused the API; the ACL's blocklist rule references the set.
IP_SET = {
    "Name": "barkbase-prod-blocklist",
    "Scope": "CLOUDFRONT",
    "IPAddressVersion": "IPV4",
    "Addresses": ["198.51.100.0/24", "203.0.113.7/32"],
    "Description": "Blocked sources",
}


def _visibility(name: str) -> dict:
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name}


WEB_ACL = {
    "Name": "barkbase-prod-cloudfront",
    "Scope": "CLOUDFRONT",
    "DefaultAction": {"Allow": {}},
    "Description": "BarkBase production CloudFront protection",
    "Rules": [
        {
            "Name": "rate-limit-per-ip",
            "Priority": 0,
            "Action": {"Block": {}},
            "Statement": {"RateBasedStatement": {"Limit": 2000, "AggregateKeyType": "IP"}},
            "VisibilityConfig": {
                "SampledRequestsEnabled": True,
                "CloudWatchMetricsEnabled": True,
                "MetricName": "rate-limit-per-ip",
            },
        },
        *(
            {
                "Name": name,
                "Priority": priority,
                "OverrideAction": {"None": {}},
                "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": name}},
                "VisibilityConfig": {
                    "SampledRequestsEnabled": True,
                    "CloudWatchMetricsEnabled": True,
                    "MetricName": name,
                },
            }
            for priority, name in (
                (1, "AWSManagedRulesSQLiRuleSet"),
                (2, "AWSManagedRulesCommonRuleSet"),
            )
        ),
        {
            "Name": "blocked-ips",
            "Priority": 3,
            "Action": {"Block": {}},
            "Statement": {"IPSetReferenceStatement": {"ARN": "${ip_set_arn}"}},
            "VisibilityConfig": _visibility("blocked-ips"),
        },
        # BarkBase serves kennels in the US and Canada only.
        {
            "Name": "outside-served-countries",
            "Priority": 4,
            "Action": {"Block": {}},
            "Statement": {
                "NotStatement": {
                    "Statement": {"GeoMatchStatement": {"CountryCodes": ["US", "CA"]}}
                }
            },
            "VisibilityConfig": _visibility("outside-served-countries"),
        },
    ],
    "VisibilityConfig": {
        "SampledRequestsEnabled": True,
        "CloudWatchMetricsEnabled": True,
        "MetricName": "barkbase-prod-cloudfront",
    },
}

FRONTEND_BUCKET = "barkbase-frontend-prod"
UPLOAD_BUCKET = "barkbase-uploads-prod"
ALL_PUBLIC_ACCESS_BLOCKED = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
# moto reports no default encryption for a new bucket (AWS applies AES256 since 2023), so every
# bucket states its encryption explicitly.
BUCKETS = [
    {
        "Bucket": FRONTEND_BUCKET,
        "Encryption": {"SSEAlgorithm": "AES256"},
        "PublicAccessBlock": ALL_PUBLIC_ACCESS_BLOCKED,
        "Versioning": "Enabled",
        # What `aws s3 sync dist/ s3://barkbase-frontend-prod` leaves behind.
        "Objects": {
            "index.html": ("text/html", b"<!doctype html><div id=root></div>"),
            "assets/index-3f9a2c.js": ("application/javascript", b"console.log('barkbase')"),
        },
    },
    {
        "Bucket": UPLOAD_BUCKET,
        "Encryption": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "${kms_key_arn}"},
        "PublicAccessBlock": ALL_PUBLIC_ACCESS_BLOCKED,
        "Versioning": "Enabled",
        "Objects": {},
    },
]

DISTRIBUTION = {
    "CallerReference": "barkbase-frontend-prod",
    "Comment": "BarkBase frontend (production)",
    "Enabled": True,
    "Aliases": {"Quantity": 1, "Items": ["app.barkbase.com"]},
    "DefaultRootObject": "index.html",
    "Origins": {
        "Quantity": 1,
        "Items": [
            {
                "Id": "barkbase-frontend-prod-s3",
                "DomainName": f"{FRONTEND_BUCKET}.s3.{REGION}.amazonaws.com",
                "S3OriginConfig": {"OriginAccessIdentity": ""},
            }
        ],
    },
    "DefaultCacheBehavior": {
        "TargetOriginId": "barkbase-frontend-prod-s3",
        "ViewerProtocolPolicy": "redirect-to-https",
        "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",  # managed CachingOptimized
        "Compress": True,
    },
    # The single-page app answers every unknown path with index.html.
    "CustomErrorResponses": {
        "Quantity": 2,
        "Items": [
            {
                "ErrorCode": code,
                "ResponsePagePath": "/index.html",
                "ResponseCode": "200",
                "ErrorCachingMinTTL": 10,
            }
            for code in (403, 404)
        ],
    },
    "ViewerCertificate": {
        "ACMCertificateArn": "${certificate_arn}",
        "CloudFrontDefaultCertificate": False,
        "SSLSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    },
    "WebACLId": "${web_acl_arn}",
    "HttpVersion": "http2and3",
    "PriceClass": "PriceClass_100",
}


# One invalidation after the frontend upload, as `aws cloudfront create-invalidation` makes it.
INVALIDATION_PATHS = ["/*"]

LAMBDA_ROLE = {
    "RoleName": "barkbase-lambda-prod",
    "AssumeRolePolicyDocument": json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    ),
}
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:barkbase/prod/{}-AbCdEf"
# Every function reads its secrets through references; none holds a secret's value.
LAMBDA_ENVIRONMENT = {
    "STAGE": "prod",
    "DB_NAME": "barkbase_prod",
    "DB_SECRET_ARN": SECRET_ARN.format("db"),
    "JWT_SECRET_ARN": SECRET_ARN.format("jwt"),
    "ALLOWED_ORIGIN": "https://app.barkbase.com",
}
LAMBDA_VPC = {"SubnetIds": ["subnet-0a1b2c3d", "subnet-4e5f6a7b"], "SecurityGroupIds": ["sg-0c1d"]}
# The 55 functions of the document: the two APIs with log groups above, 50 more, the two
# Cognito triggers and the WebSocket authorizer.
LAMBDA_FUNCTIONS = [
    "barkbase-auth-api-prod",
    "barkbase-bookings-api-prod",
    *(f"barkbase-fn-{n:02d}-prod" for n in range(1, 51)),
    "barkbase-pre-signup-prod",
    "barkbase-post-confirmation-prod",
    "barkbase-ws-authorizer-prod",
]
LAMBDA_DEFAULTS = {
    "Runtime": "nodejs20.x",
    "Handler": "index.handler",
    "Timeout": 30,
    "MemorySize": 512,
    "Environment": {"Variables": LAMBDA_ENVIRONMENT},
    "VpcConfig": LAMBDA_VPC,
    "TracingConfig": {"Mode": "Active"},
}
LAMBDA_ARN = "arn:aws:lambda:us-east-1:123456789012:function:{}"
# How API Gateway names a Lambda it invokes.
LAMBDA_INVOCATION = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{}/invocations"

USER_POOL = {
    "PoolName": "barkbase-prod-users",
    "Policies": {
        "PasswordPolicy": {
            "MinimumLength": 12,
            "RequireUppercase": True,
            "RequireLowercase": True,
            "RequireNumbers": True,
            "RequireSymbols": True,
            "TemporaryPasswordValidityDays": 3,
        }
    },
    # moto's describe_user_pool ignores set_user_pool_mfa_config: MFA is set at creation.
    "MfaConfiguration": "OPTIONAL",
    "AutoVerifiedAttributes": ["email"],
    "UsernameAttributes": ["email"],
    "UserPoolAddOns": {"AdvancedSecurityMode": "ENFORCED"},
    "DeletionProtection": "ACTIVE",
    "LambdaConfig": {
        "PreSignUp": LAMBDA_ARN.format("barkbase-pre-signup-prod"),
        "PostConfirmation": LAMBDA_ARN.format("barkbase-post-confirmation-prod"),
    },
}
# Threat protection's actions; moto has no risk configurations, the stand-in keeps them.
RISK_CONFIGURATION = {
    "AccountTakeoverRiskConfiguration": {
        "Actions": {
            "LowAction": {"Notify": False, "EventAction": "NO_ACTION"},
            "MediumAction": {"Notify": True, "EventAction": "MFA_IF_CONFIGURED"},
            "HighAction": {"Notify": True, "EventAction": "BLOCK"},
        }
    },
    "CompromisedCredentialsRiskConfiguration": {"Actions": {"EventAction": "BLOCK"}},
}

# The REST API behind api.barkbase.com (the document's ApiName=BarkBaseAPI metrics, per-key
# rate limits, API keys and request validation are REST API features).
REST_API = {
    "name": "BarkBaseAPI",
    "description": "BarkBase production API",
    "endpointConfiguration": {"types": ["REGIONAL"]},
    "apiKeySource": "HEADER",
}
# path -> {method: settings}; "auth" is the Cognito user pool authorizer.
REST_METHODS = {
    "/auth/login": {"POST": {"auth": False}},
    "/auth/register": {"POST": {"auth": False}},
    "/auth/refresh": {"POST": {"auth": False}},
    "/bookings": {"GET": {"auth": True}, "POST": {"auth": True}},
    "/bookings/{bookingId}": {"GET": {"auth": True}, "PUT": {"auth": True}},
    "/pets": {"GET": {"auth": True}, "POST": {"auth": True}},
    "/partners/availability": {"GET": {"auth": False, "api_key": True}},
}
REQUEST_VALIDATOR = {
    "name": "validate-body-and-params",
    "validateRequestBody": True,
    "validateRequestParameters": True,
}
REST_STAGE = "prod"
ACCESS_LOG_GROUP_ARN = (
    f"arn:aws:logs:{REGION}:123456789012:log-group:/aws/apigateway/barkbase-prod-access"
)
# Stage-wide and per-method throttles: every /auth method gets 10 requests a second.
REST_STAGE_PATCHES = [
    {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "1000"},
    {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "2000"},
    {"op": "replace", "path": "/*/*/logging/loglevel", "value": "ERROR"},
    {"op": "replace", "path": "/*/*/metrics/enabled", "value": "true"},
    *(
        {
            "op": "replace",
            "path": f"/{path.replace('/', '~1')}/POST/throttling/rateLimit",
            "value": "10",
        }
        for path in ("/auth/login", "/auth/register", "/auth/refresh")
    ),
    {
        "op": "replace",
        "path": "/accessLogSettings/destinationArn",
        "value": ACCESS_LOG_GROUP_ARN,
    },
    {"op": "replace", "path": "/accessLogSettings/format", "value": "$context.requestId"},
    {"op": "replace", "path": "/tracingEnabled", "value": "true"},
]
USAGE_PLAN = {
    "name": "barkbase-third-party",
    "description": "Partners calling the availability API with an API key",
    "throttle": {"rateLimit": 100, "burstLimit": 200},
    "quota": {"limit": 1000000, "period": "MONTH"},
}
API_KEYS = [{"name": "partner-pawsitive-stays", "enabled": True}]

# The WebSocket API behind ws.barkbase.com; moto's v2 update_stage answers 500, so the stage
# is created with all its settings.
WEBSOCKET_API = {
    "Name": "barkbase-ws-prod",
    "ProtocolType": "WEBSOCKET",
    "RouteSelectionExpression": "$request.body.action",
}
WEBSOCKET_ROUTES = ["$connect", "$disconnect", "$default"]
WEBSOCKET_STAGE = {
    "StageName": "prod",
    "DefaultRouteSettings": {
        "ThrottlingRateLimit": 100,
        "ThrottlingBurstLimit": 200,
        "DetailedMetricsEnabled": True,
        "LoggingLevel": "ERROR",
    },
}
# API Gateway assigns a custom domain's endpoint; moto leaves it out of v2 domains unless told,
# so the seed states the one AWS would assign.
WEBSOCKET_DOMAIN_ENDPOINT = "d-ws7barkbase.execute-api.us-east-1.amazonaws.com"

HOSTED_ZONE = "barkbase.com"
# name -> where its alias points: the distribution, or the REST or WebSocket custom domain.
DNS_ALIASES = {
    "app.barkbase.com": "${distribution_domain}",
    "api.barkbase.com": "${rest_domain_endpoint}",
    "ws.barkbase.com": WEBSOCKET_DOMAIN_ENDPOINT,
}
CLOUDFRONT_ZONE_ID = "Z2FDTNDATAQYW2"
EXECUTE_API_ZONE_ID = "Z1UJRXOUMOOFQ8"  # us-east-1's regional API Gateway zone


def _template(description: str, resources: dict, outputs: dict) -> dict:
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": description,
        "Resources": resources,
        "Outputs": {k: {"Value": v} for k, v in outputs.items()},
    }


STACKS = {
    "BarkBaseCdkStack": _template(
        "BarkBase production application (AWS CDK)",
        {
            "ReleaseParameter": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Type": "String", "Name": "/barkbase/prod/release", "Value": "1"},
            }
        },
        {
            "DatabaseEndpoint": "${rds_endpoint}",  # what moto made barkbase-prod's address
            "ApiUrl": "https://abc123xyz.execute-api.us-east-1.amazonaws.com/prod/",
        },
    ),
    "CDKToolkit": _template(
        "This stack includes resources needed to deploy AWS CDK apps into this environment",
        {
            "CdkBootstrapVersion": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {
                    "Type": "String",
                    "Name": "/cdk-bootstrap/hnb659fds/version",
                    "Value": "21",
                },
            }
        },
        {"BootstrapVersion": "21"},
    ),
}


# The production network: a VPC with public subnets (internet gateway, NAT gateway) and private
# ones (outbound through the NAT gateway only), where the database and the functions live.
NETWORK = {
    "vpc": {"CidrBlock": "10.20.0.0/16", "Name": "barkbase-prod"},
    "subnets": [
        {"Name": "barkbase-prod-public-a", "CidrBlock": "10.20.0.0/24",
         "AvailabilityZone": "us-east-1a", "public": True},
        {"Name": "barkbase-prod-public-b", "CidrBlock": "10.20.1.0/24",
         "AvailabilityZone": "us-east-1b", "public": True},
        {"Name": "barkbase-prod-private-a", "CidrBlock": "10.20.10.0/24",
         "AvailabilityZone": "us-east-1a", "public": False},
        {"Name": "barkbase-prod-private-b", "CidrBlock": "10.20.11.0/24",
         "AvailabilityZone": "us-east-1b", "public": False},
    ],
    # In the first public subnet; the private subnets send 0.0.0.0/0 through it.
    "nat_gateway": {"Name": "barkbase-prod-nat", "subnet": "barkbase-prod-public-a"},
    "db_subnet_group": {
        "DBSubnetGroupName": "barkbase-prod-db",
        "DBSubnetGroupDescription": "BarkBase production database subnets",
        "subnets": ["barkbase-prod-private-a", "barkbase-prod-private-b"],
    },
    # The functions (and the RDS proxy) share the Lambda group; the database admits only it.
    "security_groups": {
        "sg_lambda": {"GroupName": "barkbase-prod-lambda",
                      "Description": "BarkBase Lambda functions and RDS proxy", "ingress": []},
        "sg_db": {"GroupName": "barkbase-prod-db", "Description": "BarkBase database",
                  "ingress": [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                               "UserIdGroupPairs": [{"GroupId": "${sg_lambda}"}]}]},
    },
    "vpc_endpoints": [
        {"ServiceName": f"com.amazonaws.{REGION}.secretsmanager", "VpcEndpointType": "Interface",
         "PrivateDnsEnabled": True},
        {"ServiceName": f"com.amazonaws.{REGION}.s3", "VpcEndpointType": "Gateway"},
    ],
    "flow_log": {"TrafficType": "ALL", "LogDestinationType": "cloud-watch-logs",
                 "LogGroupName": "/aws/vpc/barkbase-prod-flow-logs",
                 "Role": "barkbase-vpc-flow-logs"},
}

DB_PARAMETER_GROUP = {
    "DBParameterGroupName": "barkbase-prod-postgres16",
    "DBParameterGroupFamily": "postgres16",
    "Description": "BarkBase production PostgreSQL settings",
    "Parameters": {"rds.force_ssl": "1", "log_min_duration_statement": "1000"},
}

RDS_PROXY = {
    "DBProxyName": "barkbase-prod-proxy",
    "EngineFamily": "POSTGRESQL",
    "RequireTLS": True,
    "IdleClientTimeout": 1800,
    "Role": "barkbase-rds-proxy",
}
# Where the master password lives when RDS does not manage it (the gaps profile).
DB_SELF_MANAGED_SECRET = "barkbase/prod/db-credentials"

JWT_SECRET = {
    "Name": "barkbase/prod/jwt-secret",
    "Description": "BarkBase JWT signing secret",
    "RotationDays": 30,
}
# RDS rotates the master password it manages every 7 days unless told otherwise.
MASTER_SECRET_ROTATION_DAYS = 7

# A phone for SMS alerts (a number reserved for fiction) and the on-call integration, an HTTPS
# endpoint on loopback that nothing ever calls: moto posts to HTTPS subscribers only on Publish.
ONCALL_PHONE = "+15555550100"
ONCALL_HTTPS = "https://127.0.0.1:9/pagerduty/integration/0000000000000000deadbeef/enqueue"

TRAIL = {"Name": "barkbase-prod-trail", "S3BucketName": "barkbase-prod-audit-logs",
         "IsMultiRegionTrail": True, "IncludeGlobalServiceEvents": True,
         "EnableLogFileValidation": True, "logging": True}
CONFIG_RECORDER = {"name": "default", "role": "barkbase-aws-config", "recording": True,
                   "bucket": "barkbase-prod-audit-logs"}

BUDGET = {
    "BudgetName": "barkbase-prod-monthly",
    "BudgetLimit": {"Amount": "500", "Unit": "USD"},
    "TimeUnit": "MONTHLY",
    "BudgetType": "COST",
    "notifications": [("ACTUAL", 80), ("FORECASTED", 100)],  # percent of the limit
}

QUERY_DEFINITIONS = [
    {"name": "barkbase/audit/failed-logins",
     "queryString": "fields @timestamp, tenantId, userId, sourceIp"
                    " | filter eventType = 'LOGIN_FAILED' | sort @timestamp desc",
     "logGroupNames": ["/barkbase/prod/audit"]},
    {"name": "barkbase/audit/data-exports",
     "queryString": "fields @timestamp, tenantId, userId | filter eventType = 'DATA_EXPORT'",
     "logGroupNames": ["/barkbase/prod/audit"]},
    {"name": "barkbase/lambda/errors",
     "queryString": "fields @timestamp, @message | filter level = 'ERROR'",
     "logGroupNames": ["/aws/lambda/barkbase-auth-api-prod",
                       "/aws/lambda/barkbase-bookings-api-prod"]},
]


def compliant() -> dict:
    """The compliant profile, as a fresh copy that a gap may change."""
    return copy.deepcopy(
        {
            "kms_key": KMS_KEY,
            "monitoring_role": MONITORING_ROLE,
            "rds_instance": RDS_INSTANCE,
            "aurora_cluster": AURORA_CLUSTER,
            "aurora_instances": AURORA_INSTANCES,
            "sns_topics": SNS_TOPICS,
            "alarms": [{**ALARM_DEFAULTS, **alarm} for alarm in ALARMS],
            "dashboard": {"DashboardName": DASHBOARD_NAME, "widgets": DASHBOARD_WIDGETS},
            "log_groups": LOG_GROUPS,
            "certificate": CERTIFICATE,
            "ip_set": IP_SET,
            "web_acl": WEB_ACL,
            "buckets": BUCKETS,
            "distribution": DISTRIBUTION,
            "invalidation_paths": INVALIDATION_PATHS,
            "lambda_role": LAMBDA_ROLE,
            "lambda_functions": {
                name: copy.deepcopy(LAMBDA_DEFAULTS) for name in LAMBDA_FUNCTIONS
            },
            "user_pool": USER_POOL,
            "risk_configuration": RISK_CONFIGURATION,
            "rest_api": {
                "api": REST_API,
                "methods": REST_METHODS,
                "validator": REQUEST_VALIDATOR,
                "stage": REST_STAGE,
                "stage_patches": REST_STAGE_PATCHES,
                "usage_plan": USAGE_PLAN,
                "api_keys": API_KEYS,
            },
            "websocket_api": {
                "api": WEBSOCKET_API,
                "routes": WEBSOCKET_ROUTES,
                "authorized_routes": ["$connect"],
                "stage": WEBSOCKET_STAGE,
            },
            "dns_aliases": DNS_ALIASES,
            "stacks": STACKS,
            "network": NETWORK,
            "db_parameter_group": DB_PARAMETER_GROUP,
            "rds_proxy": RDS_PROXY,
            "jwt_secret": JWT_SECRET,
            "trail": TRAIL,
            "config_recorder": CONFIG_RECORDER,
            "budget": BUDGET,
            "query_definitions": QUERY_DEFINITIONS,
        }
    )


# --- The gaps profile: the compliant one with these changes ---------------------------------


@dataclass(frozen=True)
class Gap:
    """One known gap: which checklist concern it breaks, and the change that makes it."""

    id: str
    description: str
    apply: Callable[[dict], None]


def _change(key: str, **changes) -> Callable[[dict], None]:
    def apply(profile: dict) -> None:
        _update(profile[key], changes)

    return apply


def _change_alarm(name: str, **changes) -> Callable[[dict], None]:
    def apply(profile: dict) -> None:
        _update(_alarm(profile, name), changes)

    return apply


def _remove_alarm(name: str) -> Callable[[dict], None]:
    def apply(profile: dict) -> None:
        profile["alarms"].remove(_alarm(profile, name))

    return apply


def _remove(key: str) -> Callable[[dict], None]:
    def apply(profile: dict) -> None:
        profile[key] = None

    return apply


def _retention(group: str, days: int) -> Callable[[dict], None]:
    def apply(profile: dict) -> None:
        profile["log_groups"][group] = days

    return apply


def _remove_stack(name: str) -> Callable[[dict], None]:
    def apply(profile: dict) -> None:
        del profile["stacks"][name]

    return apply


def _drop_subscription(topic: str, protocol: str) -> Callable[[dict], None]:
    def apply(profile: dict) -> None:
        del profile["sns_topics"][topic]["subscriptions"][protocol]

    return apply


def _remove_rule(name: str) -> Callable[[dict], None]:
    def apply(profile: dict) -> None:
        rules = profile["web_acl"]["Rules"]
        rules[:] = [rule for rule in rules if rule["Name"] != name]

    return apply


def _override_rules(group: str, *rules: str) -> Callable[[dict], None]:
    """Sets rules of a managed group to Count, as a team silencing false positives would."""

    def apply(profile: dict) -> None:
        rule = next(r for r in profile["web_acl"]["Rules"] if r["Name"] == group)
        rule["Statement"]["ManagedRuleGroupStatement"]["RuleActionOverrides"] = [
            {"Name": name, "ActionToUse": {"Count": {}}} for name in rules
        ]

    return apply


def _audit_only(profile: dict) -> None:
    profile["user_pool"]["UserPoolAddOns"] = {"AdvancedSecurityMode": "AUDIT"}
    profile["risk_configuration"] = None


def _unthrottle(path: str) -> Callable[[dict], None]:
    def apply(profile: dict) -> None:
        patches = profile["rest_api"]["stage_patches"]
        key = f"/{path.replace('/', '~1')}/"
        patches[:] = [p for p in patches if not p["path"].startswith(key)]

    return apply


def _bucket(profile: dict, name: str) -> dict:
    return next(b for b in profile["buckets"] if b["Bucket"] == name)


def _remove_dashboard_namespaces(*namespaces: str) -> Callable[[dict], None]:
    def apply(profile: dict) -> None:
        dashboard = profile["dashboard"]
        dashboard["widgets"] = _without_namespaces(dashboard["widgets"], set(namespaces))

    return apply


GAPS = [
    Gap("rds-instance-class", "barkbase-prod is db.t4g.micro, not db.t4g.medium",
        _change("rds_instance", DBInstanceClass="db.t4g.micro")),
    Gap("rds-multi-az", "barkbase-prod is single-AZ",
        _change("rds_instance", MultiAZ=False)),
    Gap("rds-backup-retention", "barkbase-prod keeps backups 7 days, not 30",
        _change("rds_instance", BackupRetentionPeriod=7)),
    Gap("rds-enhanced-monitoring", "barkbase-prod has no enhanced monitoring (interval 0)",
        _change("rds_instance", MonitoringInterval=0, MonitoringRoleArn=DROP)),
    Gap("rds-public", "barkbase-prod is publicly accessible",
        _change("rds_instance", PubliclyAccessible=True)),
    Gap("rds-deletion-protection", "barkbase-prod has no deletion protection",
        _change("rds_instance", DeletionProtection=False)),
    Gap("rds-backup-window", "barkbase-prod backs up at 12:00-13:00 UTC, in business hours",
        _change("rds_instance", PreferredBackupWindow="12:00-13:00")),
    Gap("aurora-missing", "there is no Aurora cluster barkbase-reports",
        _remove("aurora_cluster")),
    Gap("alarm-rds-cpu-threshold", "barkbase-prod-rds-cpu fires at 90, not 80",
        _change_alarm("barkbase-prod-rds-cpu", Threshold=90)),
    Gap("alarm-failed-auth-missing", "alarm barkbase-prod-failed-auth does not exist",
        _remove_alarm("barkbase-prod-failed-auth")),
    Gap("alarm-lambda-errors-no-action", "barkbase-prod-lambda-errors notifies nobody",
        _change_alarm("barkbase-prod-lambda-errors", AlarmActions=[])),
    Gap("dashboard-metrics", "the dashboard lacks the AWS/Lambda and BarkBase/Business metrics",
        _remove_dashboard_namespaces("AWS/Lambda", "BarkBase/Business")),
    Gap("logs-bookings-retention", "/aws/lambda/barkbase-bookings-api-prod keeps 30 days",
        _retention("/aws/lambda/barkbase-bookings-api-prod", 30)),
    Gap("logs-audit-retention", "/barkbase/prod/audit keeps 90 days, not 365",
        _retention("/barkbase/prod/audit", 90)),
    Gap("cloudfront-https", "the distribution allows plain HTTP (allow-all)",
        lambda p: _update(p["distribution"]["DefaultCacheBehavior"],
                          {"ViewerProtocolPolicy": "allow-all"})),
    Gap("cloudfront-waf", "the distribution has no WAF web ACL",
        _change("distribution", WebACLId=DROP)),
    Gap("cloudfront-spa-errors", "the distribution has no custom error responses",
        _change("distribution", CustomErrorResponses=DROP)),
    Gap("cdk-bootstrap", "there is no CDKToolkit stack",
        _remove_stack("CDKToolkit")),
    Gap("sns-sms-missing", "the critical topic has no SMS subscription",
        _drop_subscription("critical_topic_arn", "sms")),
    Gap("sns-oncall-missing", "the critical topic has no HTTPS (PagerDuty) subscription",
        _drop_subscription("critical_topic_arn", "https")),
    Gap("rds-master-password-unmanaged",
        f"RDS does not manage the master password; it sits in {DB_SELF_MANAGED_SECRET}, unrotated",
        _change("rds_instance", ManageMasterUserPassword=DROP,
                MasterUserPassword="not-a-real-password")),
    Gap("jwt-secret-rotation", "the JWT secret has no rotation",
        _change("jwt_secret", RotationDays=None)),
    Gap("rds-force-ssl", "the parameter group sets rds.force_ssl to 0",
        lambda p: p["db_parameter_group"]["Parameters"].update({"rds.force_ssl": "0"})),
    Gap("rds-proxy-tls", "the RDS proxy does not require TLS",
        _change("rds_proxy", RequireTLS=False)),
    Gap("db-sg-open", "the database security group also admits 0.0.0.0/0 on 5432",
        lambda p: p["network"]["security_groups"]["sg_db"]["ingress"].append(
            {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
             "IpRanges": [{"CidrIp": "0.0.0.0/0"}]})),
    Gap("rds-subnet-public", "the database subnet group includes the public subnet public-b",
        lambda p: _update(p["network"]["db_subnet_group"],
                          {"subnets": ["barkbase-prod-private-a", "barkbase-prod-public-b"]})),
    Gap("nat-missing", "there is no NAT gateway; the private subnets cannot reach the internet",
        lambda p: _update(p["network"], {"nat_gateway": None})),
    Gap("vpc-endpoints-missing", "the VPC has no endpoints",
        lambda p: _update(p["network"], {"vpc_endpoints": []})),
    Gap("flow-logs-missing", "the VPC has no flow log",
        lambda p: _update(p["network"], {"flow_log": None})),
    Gap("cloudtrail-not-logging", "the trail exists but logging is stopped",
        _change("trail", logging=False)),
    Gap("config-not-recording", "the Config recorder exists but is stopped",
        _change("config_recorder", recording=False)),
    Gap("budget-no-alerts", "the monthly budget has no alert notifications",
        _change("budget", notifications=[])),
    Gap("insights-queries-missing", "no saved Logs Insights query runs on the audit log group",
        lambda p: _update(p, {"query_definitions": [
            q for q in p["query_definitions"] if "/barkbase/prod/audit" not in q["logGroupNames"]
        ]})),
    # moto always answers AccountMFAEnabled 0, so this gap is in every profile (see README).
    Gap("iam-root-mfa", "the root user has no MFA device (moto cannot represent one)",
        lambda p: None),
    Gap("waf-sqli-missing", "the web ACL has no AWSManagedRulesSQLiRuleSet rule",
        _remove_rule("AWSManagedRulesSQLiRuleSet")),
    Gap("waf-xss-count-only", "the core rule set's cross-site scripting rules only count",
        _override_rules("AWSManagedRulesCommonRuleSet", "CrossSiteScripting_BODY",
                        "CrossSiteScripting_QUERYARGUMENTS")),
    Gap("acm-no-wildcard", "the certificate covers app.barkbase.com, not *.barkbase.com",
        _change("certificate", SubjectAlternativeNames=["app.barkbase.com"])),
    Gap("dns-ws-missing", "there is no ws.barkbase.com record",
        lambda p: p["dns_aliases"].pop("ws.barkbase.com")),
    Gap("cognito-weak-passwords", "passwords need 6 characters and no symbols",
        lambda p: _update(p["user_pool"]["Policies"]["PasswordPolicy"],
                          {"MinimumLength": 6, "RequireSymbols": False})),
    Gap("cognito-audit-only", "threat protection only audits, with no takeover actions",
        _audit_only),
    Gap("api-auth-register-unthrottled", "POST /auth/register gets the stage's 1000/s",
        _unthrottle("/auth/register")),
    Gap("api-pets-unvalidated", "POST /pets has no request validator",
        lambda p: p["rest_api"]["methods"]["/pets"]["POST"].update(validate=False)),
    Gap("ws-connect-unauthorized", "the WebSocket $connect route has no authorizer",
        lambda p: p["websocket_api"].update(authorized_routes=[])),
    Gap("ws-stage-unthrottled", "the WebSocket stage has no default throttle",
        lambda p: _update(p["websocket_api"]["stage"]["DefaultRouteSettings"],
                          {"ThrottlingRateLimit": DROP, "ThrottlingBurstLimit": DROP})),
    Gap("lambda-functions-missing", "53 of the 55 functions are deployed",
        lambda p: [p["lambda_functions"].pop(f"barkbase-fn-{n}-prod") for n in (49, 50)]),
    Gap("lambda-plaintext-secret", "barkbase-auth-api-prod holds JWT_SECRET in plain text",
        lambda p: p["lambda_functions"]["barkbase-auth-api-prod"]["Environment"]["Variables"]
        .update(JWT_SECRET="not-a-real-secret-but-plain-text")),
    Gap("s3-uploads-unencrypted", "barkbase-uploads-prod has no default encryption",
        lambda p: _bucket(p, UPLOAD_BUCKET).pop("Encryption")),
    Gap("s3-frontend-empty", "barkbase-frontend-prod has no index.html: assets not uploaded",
        lambda p: _bucket(p, FRONTEND_BUCKET).update(Objects={})),
    Gap("cloudfront-not-invalidated", "the distribution's cache was never invalidated",
        lambda p: p.update(invalidation_paths=None)),
]


def gaps() -> dict:
    profile = compliant()
    for gap in GAPS:
        gap.apply(profile)
    return profile


def _update(target: dict, changes: dict) -> None:
    for key, value in changes.items():
        if value is DROP:
            target.pop(key, None)
        else:
            target[key] = value


def _alarm(profile: dict, name: str) -> dict:
    return next(a for a in profile["alarms"] if a["AlarmName"] == name)


def _without_namespaces(widgets: list, namespaces: set) -> list:
    """The widgets without metric rows in the given namespaces. A kept row uses the "."
    shorthand only while the row above it is kept too; widgets left empty go."""
    kept_widgets = []
    for widget in widgets:
        rows = widget.get("properties", {}).get("metrics")
        if rows is None:
            kept_widgets.append(widget)
            continue
        kept, previous_full, previous_kept = [], [], False
        for row in rows:
            full = [
                previous_full[i] if value == "." and i < len(previous_full) else value
                for i, value in enumerate(row)
            ]
            if full[0] not in namespaces:
                kept.append(row if previous_kept else full)
                previous_kept = True
            else:
                previous_kept = False
            previous_full = full
        if kept:
            widget["properties"]["metrics"] = kept
            kept_widgets.append(widget)
    return kept_widgets


# --- Seeding --------------------------------------------------------------------------------


def query_definitions(profile_name: str) -> list[dict]:
    """The profile's saved Logs Insights queries. moto does not implement them, so standin.py
    keeps them in its front server; seeding moto alone leaves them out."""
    if profile_name == "empty":
        return []
    profile = compliant() if profile_name == "compliant" else gaps()
    return profile["query_definitions"]



def seed(endpoint_url: str, profile_name: str) -> dict:
    """Creates the profile's resources in moto at endpoint_url; answers what it created."""
    if profile_name not in PROFILES:
        raise ValueError(f"unknown profile {profile_name!r}; one of {PROFILES}")
    summary: dict = {"profile": profile_name, "region": REGION, "created": {}}
    if profile_name == "empty":
        return summary
    profile = compliant() if profile_name == "compliant" else gaps()
    if profile_name == "gaps":
        summary["gaps"] = [{"id": g.id, "description": g.description} for g in GAPS]
    Seeder(endpoint_url, summary["created"]).run(profile)
    return summary


class Seeder:
    """Creates one profile's resources, in dependency order, recording what it made."""

    def __init__(self, endpoint_url: str, created: dict):
        import boto3  # imported here so that `--help` works without the venv

        self._session = boto3.session.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name=REGION,
        )
        self._endpoint_url = endpoint_url
        self.created = created
        self.refs: dict[str, str] = {}

    def client(self, service: str):
        return self._session.client(service, endpoint_url=self._endpoint_url)

    def run(self, profile: dict) -> None:
        self.kms_key(profile["kms_key"])
        self.monitoring_role(profile["monitoring_role"])
        self.network(profile["network"])
        self.parameter_group(profile["db_parameter_group"])
        self.rds(profile)
        self.rds_proxy(profile["rds_proxy"])
        self.jwt_secret(profile["jwt_secret"])
        self.refs["oncall_phone"], self.refs["oncall_https"] = ONCALL_PHONE, ONCALL_HTTPS
        self.sns(profile["sns_topics"])
        self.alarms(profile["alarms"])
        self.dashboard(profile["dashboard"])
        self.log_groups(profile["log_groups"])
        self.certificate(profile["certificate"])
        self.ip_set(profile["ip_set"])
        self.web_acl(profile["web_acl"])
        self.buckets(profile["buckets"])
        self.distribution(profile["distribution"])
        self.invalidation(profile["invalidation_paths"])
        self.lambda_functions(profile["lambda_role"], profile["lambda_functions"])
        self.user_pool(profile["user_pool"], profile["risk_configuration"])
        self.rest_api(profile["rest_api"])
        self.websocket_api(profile["websocket_api"])
        self.dns(profile["dns_aliases"])
        self.stacks(profile["stacks"])
        self.trail(profile["trail"])
        self.config_recorder(profile["config_recorder"])
        self.budget(profile["budget"])

    def resolve(self, value):
        """value with every "${name}" string replaced by the ARN or id recorded under name."""
        if isinstance(value, str) and value.startswith("${") and value.endswith("}"):
            return self.refs[value[2:-1]]
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def kms_key(self, spec: dict) -> None:
        kms = self.client("kms")
        key = kms.create_key(Description=spec["Description"])["KeyMetadata"]
        kms.create_alias(AliasName=spec["Alias"], TargetKeyId=key["KeyId"])
        self.refs["kms_key_arn"] = key["Arn"]
        self.created["kms_key_arn"] = key["Arn"]

    def monitoring_role(self, spec: dict) -> None:
        iam = self.client("iam")
        role = iam.create_role(
            RoleName=spec["RoleName"], AssumeRolePolicyDocument=spec["AssumeRolePolicyDocument"]
        )["Role"]
        iam.put_role_policy(
            RoleName=spec["RoleName"],
            PolicyName=spec["PolicyName"],
            PolicyDocument=spec["PolicyDocument"],
        )
        self.refs["monitoring_role_arn"] = role["Arn"]
        self.created["monitoring_role_arn"] = role["Arn"]

    def rds(self, profile: dict) -> None:
        rds = self.client("rds")
        instance = self.resolve(profile["rds_instance"])
        rds.create_db_instance(**instance)
        described = rds.describe_db_instances(DBInstanceIdentifier=instance["DBInstanceIdentifier"])
        self.refs["rds_endpoint"] = described["DBInstances"][0]["Endpoint"]["Address"]
        secrets = self.client("secretsmanager")
        managed = described["DBInstances"][0].get("MasterUserSecret")
        if managed:
            secrets.rotate_secret(
                SecretId=managed["SecretArn"],
                RotationRules={"AutomaticallyAfterDays": MASTER_SECRET_ROTATION_DAYS},
            )
            self.refs["db_secret_arn"] = managed["SecretArn"]
        else:
            self.refs["db_secret_arn"] = secrets.create_secret(
                Name=DB_SELF_MANAGED_SECRET,
                SecretString=json.dumps({"username": instance["MasterUsername"],
                                         "password": instance["MasterUserPassword"]}),
            )["ARN"]
        self.created["db_secret_arn"] = self.refs["db_secret_arn"]
        self.created["rds_instances"] = [instance["DBInstanceIdentifier"]]
        self.created["rds_clusters"] = []

        cluster = profile["aurora_cluster"]
        if cluster is None:
            return
        cluster = self.resolve(cluster)
        rds.create_db_cluster(**cluster)
        for member in profile["aurora_instances"]:
            rds.create_db_instance(
                DBClusterIdentifier=cluster["DBClusterIdentifier"],
                Engine=cluster["Engine"],
                DBInstanceClass=AURORA_INSTANCE_CLASS,
                PubliclyAccessible=False,
                Tags=cluster["Tags"],
                **member,
            )
            self.created["rds_instances"].append(member["DBInstanceIdentifier"])
        self.created["rds_clusters"].append(cluster["DBClusterIdentifier"])

    def sns(self, topics: dict) -> None:
        sns = self.client("sns")
        self.created["sns_topics"] = []
        for ref, topic in topics.items():
            arn = sns.create_topic(Name=topic["Name"])["TopicArn"]
            for protocol, endpoint in topic["subscriptions"].items():
                sns.subscribe(TopicArn=arn, Protocol=protocol, Endpoint=self.resolve(endpoint))
            self.refs[ref] = arn
            self.created["sns_topics"].append(arn)

    def alarms(self, alarms: list) -> None:
        cloudwatch = self.client("cloudwatch")
        for alarm in alarms:
            cloudwatch.put_metric_alarm(**self.resolve(alarm))
            # moto starts alarms OK already (AWS: INSUFFICIENT_DATA); say so explicitly.
            cloudwatch.set_alarm_state(
                AlarmName=alarm["AlarmName"],
                StateValue="OK",
                StateReason="Seeded by the barkcheck stand-in",
            )
        self.created["alarms"] = [alarm["AlarmName"] for alarm in alarms]

    def dashboard(self, dashboard: dict) -> None:
        body = json.dumps({"widgets": dashboard["widgets"]})
        self.client("cloudwatch").put_dashboard(
            DashboardName=dashboard["DashboardName"], DashboardBody=body
        )
        self.created["dashboards"] = [dashboard["DashboardName"]]

    def log_groups(self, groups: dict) -> None:
        logs = self.client("logs")
        for name, days in groups.items():
            logs.create_log_group(logGroupName=name, tags={"app": "barkbase"})
            logs.put_retention_policy(logGroupName=name, retentionInDays=days)
        self.created["log_groups"] = len(groups)

    def certificate(self, spec: dict) -> None:
        arn = self.client("acm").request_certificate(**spec)["CertificateArn"]
        self.refs["certificate_arn"] = arn
        self.created["certificate_arn"] = arn

    def web_acl(self, spec: dict) -> None:
        summary = self.client("wafv2").create_web_acl(**self.resolve(spec))["Summary"]
        self.refs["web_acl_arn"] = summary["ARN"]
        self.created["web_acl_arn"] = summary["ARN"]

    def ip_set(self, spec: dict) -> None:
        summary = self.client("wafv2").create_ip_set(**spec)["Summary"]
        self.refs["ip_set_arn"] = summary["ARN"]
        self.created["ip_set_arn"] = summary["ARN"]

    def buckets(self, specs: list) -> None:
        s3 = self.client("s3")
        for spec in self.resolve(specs):
            name = spec["Bucket"]
            s3.create_bucket(Bucket=name)
            s3.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=spec["PublicAccessBlock"]
            )
            if "Encryption" in spec:
                s3.put_bucket_encryption(
                    Bucket=name,
                    ServerSideEncryptionConfiguration={
                        "Rules": [{"ApplyServerSideEncryptionByDefault": spec["Encryption"]}]
                    },
                )
            s3.put_bucket_versioning(
                Bucket=name, VersioningConfiguration={"Status": spec["Versioning"]}
            )
            for key, (content_type, body) in spec["Objects"].items():
                s3.put_object(Bucket=name, Key=key, Body=body, ContentType=content_type)
        self.created["buckets"] = [spec["Bucket"] for spec in specs]

    def distribution(self, spec: dict) -> None:
        config = self.resolve(spec)
        distribution = self.client("cloudfront").create_distribution(DistributionConfig=config)[
            "Distribution"
        ]
        self.created["distribution_id"] = distribution["Id"]
        self.created["distribution_domain"] = distribution["DomainName"]
        self.refs["distribution_id"] = distribution["Id"]
        self.refs["distribution_domain"] = distribution["DomainName"]

    def invalidation(self, paths: list | None) -> None:
        if paths is None:
            return
        answer = self.client("cloudfront").create_invalidation(
            DistributionId=self.refs["distribution_id"],
            InvalidationBatch={
                "Paths": {"Quantity": len(paths), "Items": paths},
                "CallerReference": "barkbase-frontend-deploy",
            },
        )
        self.created["invalidation_id"] = answer["Invalidation"]["Id"]

    def lambda_functions(self, role_spec: dict, functions: dict) -> None:
        role = self.client("iam").create_role(**role_spec)["Role"]["Arn"]
        # A real package is not needed: moto stores the zip and never runs it here.
        package = io.BytesIO()
        with zipfile.ZipFile(package, "w") as archive:
            archive.writestr("index.js", "exports.handler = async () => ({statusCode: 200});\n")
        client = self.client("lambda")
        for name, spec in functions.items():
            client.create_function(
                FunctionName=name, Role=role, Code={"ZipFile": package.getvalue()}, **spec
            )
        self.created["lambda_functions"] = len(functions)

    def user_pool(self, spec: dict, risk: dict | None) -> None:
        pool = self.client("cognito-idp").create_user_pool(**spec)["UserPool"]
        self.refs["user_pool_arn"] = pool["Arn"]
        self.created["user_pool_id"] = pool["Id"]
        # The stand-in keeps these (moto answers SetRiskConfiguration with a 500).
        self.created["risk_configurations"] = {pool["Id"]: risk} if risk else {}

    def rest_api(self, spec: dict) -> None:
        client = self.client("apigateway")
        api_id = client.create_rest_api(**spec["api"])["id"]
        validator = client.create_request_validator(restApiId=api_id, **spec["validator"])
        authorizer = client.create_authorizer(
            restApiId=api_id,
            name="cognito-user-pool",
            type="COGNITO_USER_POOLS",
            providerARNs=[self.refs["user_pool_arn"]],
            identitySource="method.request.header.Authorization",
        )
        resources = {r["path"]: r["id"] for r in client.get_resources(restApiId=api_id)["items"]}
        for path, methods in spec["methods"].items():
            parent = "/"
            for part in path.strip("/").split("/"):
                here = parent.rstrip("/") + "/" + part
                if here not in resources:
                    created = client.create_resource(
                        restApiId=api_id, parentId=resources[parent], pathPart=part
                    )
                    resources[here] = created["id"]
                parent = here
            for verb, method in methods.items():
                settings = {"authorizationType": "NONE"}
                if method["auth"]:
                    settings = {
                        "authorizationType": "COGNITO_USER_POOLS",
                        "authorizerId": authorizer["id"],
                    }
                # Methods with a body are validated unless a gap says otherwise.
                if verb in ("POST", "PUT", "PATCH") and method.get("validate", True):
                    settings["requestValidatorId"] = validator["id"]
                client.put_method(
                    restApiId=api_id,
                    resourceId=resources[path],
                    httpMethod=verb,
                    apiKeyRequired=method.get("api_key", False),
                    **settings,
                )
                client.put_integration(
                    restApiId=api_id,
                    resourceId=resources[path],
                    httpMethod=verb,
                    type="AWS_PROXY",
                    integrationHttpMethod="POST",
                    uri=LAMBDA_INVOCATION.format(LAMBDA_ARN.format("barkbase-bookings-api-prod")),
                )
        client.create_deployment(restApiId=api_id, stageName=spec["stage"])
        client.update_stage(
            restApiId=api_id, stageName=spec["stage"], patchOperations=spec["stage_patches"]
        )
        plan = client.create_usage_plan(
            apiStages=[{"apiId": api_id, "stage": spec["stage"]}], **spec["usage_plan"]
        )
        for key_spec in spec["api_keys"]:
            key = client.create_api_key(**key_spec)
            client.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
        domain = client.create_domain_name(
            domainName="api.barkbase.com",
            regionalCertificateArn=self.refs["certificate_arn"],
            endpointConfiguration={"types": ["REGIONAL"]},
            securityPolicy="TLS_1_2",
        )
        client.create_base_path_mapping(
            domainName="api.barkbase.com", restApiId=api_id, stage=spec["stage"]
        )
        self.refs["rest_domain_endpoint"] = domain["regionalDomainName"]
        self.created["rest_api_id"] = api_id

    def websocket_api(self, spec: dict) -> None:
        client = self.client("apigatewayv2")
        api_id = client.create_api(**spec["api"])["ApiId"]
        authorizer = client.create_authorizer(
            ApiId=api_id,
            AuthorizerType="REQUEST",
            Name="barkbase-ws-authorizer",
            IdentitySource=["route.request.querystring.token"],
            AuthorizerUri=LAMBDA_INVOCATION.format(
                LAMBDA_ARN.format("barkbase-ws-authorizer-prod")
            ),
        )
        for route in spec["routes"]:
            settings = {"AuthorizationType": "NONE"}
            if route in spec["authorized_routes"]:
                settings = {
                    "AuthorizationType": "CUSTOM",
                    "AuthorizerId": authorizer["AuthorizerId"],
                }
            client.create_route(ApiId=api_id, RouteKey=route, **settings)
        client.create_stage(ApiId=api_id, **spec["stage"])
        client.create_domain_name(
            DomainName="ws.barkbase.com",
            DomainNameConfigurations=[
                {
                    "CertificateArn": self.refs["certificate_arn"],
                    "EndpointType": "REGIONAL",
                    "SecurityPolicy": "TLS_1_2",
                    "ApiGatewayDomainName": WEBSOCKET_DOMAIN_ENDPOINT,
                    "HostedZoneId": EXECUTE_API_ZONE_ID,
                }
            ],
        )
        client.create_api_mapping(
            DomainName="ws.barkbase.com", ApiId=api_id, Stage=spec["stage"]["StageName"]
        )
        self.created["websocket_api_id"] = api_id

    def dns(self, aliases: dict) -> None:
        route53 = self.client("route53")
        zone = route53.create_hosted_zone(Name=HOSTED_ZONE, CallerReference="barkbase-prod")
        zone_id = zone["HostedZone"]["Id"]
        changes = [
            {
                "Action": "CREATE",
                "ResourceRecordSet": {
                    "Name": name,
                    "Type": "A",
                    "AliasTarget": {
                        "HostedZoneId": (
                            CLOUDFRONT_ZONE_ID
                            if target.endswith(".cloudfront.net")
                            else EXECUTE_API_ZONE_ID
                        ),
                        "DNSName": target,
                        "EvaluateTargetHealth": False,
                    },
                },
            }
            for name, target in self.resolve(aliases).items()
        ]
        route53.change_resource_record_sets(
            HostedZoneId=zone_id, ChangeBatch={"Changes": changes}
        )
        self.created["hosted_zone_id"] = zone_id.rsplit("/", 1)[-1]

    def stacks(self, stacks: dict) -> None:
        cloudformation = self.client("cloudformation")
        for name, template in stacks.items():
            cloudformation.create_stack(
                StackName=name,
                TemplateBody=json.dumps(self.resolve(template)),
                Tags=[{"Key": "app", "Value": "barkbase"}],
            )
        self.created["stacks"] = list(stacks)


    def role(self, name: str, service: str) -> str:
        policy = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}
        return self.client("iam").create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps(policy)
        )["Role"]["Arn"]

    def network(self, spec: dict) -> None:
        ec2 = self.client("ec2")
        vpc = spec["vpc"]
        vpc_id = ec2.create_vpc(
            CidrBlock=vpc["CidrBlock"],
            TagSpecifications=[{"ResourceType": "vpc",
                                "Tags": [{"Key": "Name", "Value": vpc["Name"]}]}],
        )["Vpc"]["VpcId"]
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
        public_table = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=public_table, DestinationCidrBlock="0.0.0.0/0",
                         GatewayId=igw)
        private_table = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
        subnet_ids = {}
        for subnet in spec["subnets"]:
            subnet_id = ec2.create_subnet(
                VpcId=vpc_id, CidrBlock=subnet["CidrBlock"],
                AvailabilityZone=subnet["AvailabilityZone"],
                TagSpecifications=[{"ResourceType": "subnet",
                                    "Tags": [{"Key": "Name", "Value": subnet["Name"]}]}],
            )["Subnet"]["SubnetId"]
            subnet_ids[subnet["Name"]] = subnet_id
            ec2.associate_route_table(
                RouteTableId=public_table if subnet["public"] else private_table,
                SubnetId=subnet_id,
            )
            if subnet["public"]:
                ec2.modify_subnet_attribute(SubnetId=subnet_id,
                                            MapPublicIpOnLaunch={"Value": True})
        private = [subnet_ids[s["Name"]] for s in spec["subnets"] if not s["public"]]
        self.refs["private_subnets"] = private

        nat = spec["nat_gateway"]
        if nat:
            allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
            nat_id = ec2.create_nat_gateway(
                SubnetId=subnet_ids[nat["subnet"]], AllocationId=allocation,
                TagSpecifications=[{"ResourceType": "natgateway",
                                    "Tags": [{"Key": "Name", "Value": nat["Name"]}]}],
            )["NatGateway"]["NatGatewayId"]
            ec2.create_route(RouteTableId=private_table, DestinationCidrBlock="0.0.0.0/0",
                             NatGatewayId=nat_id)

        for ref, group in spec["security_groups"].items():
            self.refs[ref] = ec2.create_security_group(
                GroupName=group["GroupName"], Description=group["Description"], VpcId=vpc_id,
                TagSpecifications=[{"ResourceType": "security-group",
                                    "Tags": [{"Key": "Name", "Value": group["GroupName"]}]}],
            )["GroupId"]
        for ref, group in spec["security_groups"].items():
            if group["ingress"]:
                ec2.authorize_security_group_ingress(
                    GroupId=self.refs[ref], IpPermissions=self.resolve(group["ingress"]))

        for endpoint in spec["vpc_endpoints"]:
            extra = ({"SubnetIds": private, "SecurityGroupIds": [self.refs["sg_lambda"]]}
                     if endpoint["VpcEndpointType"] == "Interface"
                     else {"RouteTableIds": [private_table]})
            ec2.create_vpc_endpoint(VpcId=vpc_id, **endpoint, **extra)

        flow = spec["flow_log"]
        if flow:
            role = self.role(flow["Role"], "vpc-flow-logs.amazonaws.com")
            ec2.create_flow_logs(
                ResourceIds=[vpc_id], ResourceType="VPC", TrafficType=flow["TrafficType"],
                LogDestinationType=flow["LogDestinationType"],
                LogGroupName=flow["LogGroupName"], DeliverLogsPermissionArn=role,
            )

        group = spec["db_subnet_group"]
        self.client("rds").create_db_subnet_group(
            DBSubnetGroupName=group["DBSubnetGroupName"],
            DBSubnetGroupDescription=group["DBSubnetGroupDescription"],
            SubnetIds=[subnet_ids[name] for name in group["subnets"]],
        )
        self.created["vpc_id"] = vpc_id
        self.created["subnets"] = subnet_ids

    def parameter_group(self, spec: dict) -> None:
        rds = self.client("rds")
        rds.create_db_parameter_group(
            DBParameterGroupName=spec["DBParameterGroupName"],
            DBParameterGroupFamily=spec["DBParameterGroupFamily"],
            Description=spec["Description"],
        )
        rds.modify_db_parameter_group(
            DBParameterGroupName=spec["DBParameterGroupName"],
            Parameters=[{"ParameterName": k, "ParameterValue": v, "ApplyMethod": "immediate"}
                        for k, v in spec["Parameters"].items()],
        )

    def rds_proxy(self, spec: dict) -> None:
        role = self.role(spec["Role"], "rds.amazonaws.com")
        self.client("rds").create_db_proxy(
            DBProxyName=spec["DBProxyName"], EngineFamily=spec["EngineFamily"],
            Auth=[{"AuthScheme": "SECRETS", "SecretArn": self.refs["db_secret_arn"],
                   "IAMAuth": "DISABLED"}],
            RoleArn=role, VpcSubnetIds=self.refs["private_subnets"],
            VpcSecurityGroupIds=[self.refs["sg_lambda"]], RequireTLS=spec["RequireTLS"],
            IdleClientTimeout=spec["IdleClientTimeout"],
        )
        self.created["rds_proxy"] = spec["DBProxyName"]

    def jwt_secret(self, spec: dict) -> None:
        secrets = self.client("secretsmanager")
        # A value of the shape the checklist asks for; nothing ever reads it back.
        value = base64.b64encode(os.urandom(64)).decode("ascii")
        arn = secrets.create_secret(Name=spec["Name"], Description=spec["Description"],
                                    SecretString=value)["ARN"]
        if spec["RotationDays"]:
            secrets.rotate_secret(SecretId=arn,
                                  RotationRules={"AutomaticallyAfterDays": spec["RotationDays"]})
        self.created["jwt_secret_arn"] = arn

    def trail(self, spec: dict) -> None:
        s3 = self.client("s3")
        s3.create_bucket(Bucket=spec["S3BucketName"])
        s3.put_public_access_block(
            Bucket=spec["S3BucketName"],
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
        settings = {k: v for k, v in spec.items() if k != "logging"}
        self.client("cloudtrail").create_trail(**settings)
        if spec["logging"]:
            self.client("cloudtrail").start_logging(Name=spec["Name"])
        self.created["trail"] = spec["Name"]

    def config_recorder(self, spec: dict) -> None:
        config = self.client("config")
        role = self.role(spec["role"], "config.amazonaws.com")
        config.put_configuration_recorder(ConfigurationRecorder={
            "name": spec["name"], "roleARN": role,
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
        })
        config.put_delivery_channel(DeliveryChannel={"name": "default",
                                                     "s3BucketName": spec["bucket"]})
        if spec["recording"]:
            config.start_configuration_recorder(ConfigurationRecorderName=spec["name"])
        self.created["config_recorder"] = spec["name"]

    def budget(self, spec: dict) -> None:
        account = self.client("sts").get_caller_identity()["Account"]
        budget = {k: v for k, v in spec.items() if k != "notifications"}
        self.client("budgets").create_budget(
            AccountId=account, Budget=budget,
            NotificationsWithSubscribers=[
                {"Notification": {"NotificationType": kind, "ComparisonOperator": "GREATER_THAN",
                                  "Threshold": percent, "ThresholdType": "PERCENTAGE"},
                 "Subscribers": [{"SubscriptionType": "EMAIL", "Address": OPS_EMAIL}]}
                for kind, percent in spec["notifications"]
            ],
        )
        self.created["budget"] = spec["BudgetName"]


def _reset(endpoint_url: str) -> None:
    request = urllib.request.Request(endpoint_url + "/moto-api/reset", method="POST", data=b"")
    urllib.request.urlopen(request, timeout=60).read()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Seed a moto endpoint with a BarkBase profile.")
    parser.add_argument("--endpoint", required=True, help="e.g. http://127.0.0.1:5000")
    parser.add_argument("--profile", required=True, choices=PROFILES)
    parser.add_argument("--reset", action="store_true", help="empty moto first")
    args = parser.parse_args(argv)
    host = args.endpoint.split("//", 1)[-1].split(":", 1)[0].split("/", 1)[0]
    if host not in ("127.0.0.1", "localhost", "[::1]"):
        parser.error("the endpoint must be on loopback")
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    if args.reset:
        _reset(args.endpoint)
    json.dump(seed(args.endpoint, args.profile), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
