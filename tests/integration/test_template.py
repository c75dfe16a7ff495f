"""What moto does not enforce is checked here, on template.yaml itself and on its translation:
encryption, versioning, public access, TLS-only, the queue's redrive, partial batch responses,
log retention, and least privilege."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest
from cfnlint.api import lint_all

from nianbao import aws
from nianbao.config import Settings
from nianbao.local.stack import load_template, point_code_at, translate
from nianbao.store import Current, FindingRow, ReportRow

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(ROOT)


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


def statements(policy: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}


def env(template: dict[str, Any], name: str) -> str:
    return str(template["Globals"]["Function"]["Environment"]["Variables"][name])


def test_cfn_lint_finds_no_error_or_warning():
    matches = lint_all((ROOT / "template.yaml").read_text(encoding="utf-8"))
    assert [str(m) for m in matches if m.rule.id[0] in "EW"] == []


def test_the_bucket_is_encrypted_versioned_private_and_tls_only(template):
    [bucket] = resources(template, "AWS::S3::Bucket").values()
    props = bucket["Properties"]
    assert props["VersioningConfiguration"]["Status"] == "Enabled"
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    [policy] = resources(template, "AWS::S3::BucketPolicy").values()
    statement = statements(policy)["TlsOnly"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": False}}
    queues = props["NotificationConfiguration"]["QueueConfigurations"]
    assert {q["Event"] for q in queues} == {"s3:ObjectCreated:*"}
    assert [q["Filter"]["S3Key"]["Rules"] for q in queues] == [
        [{"Name": "prefix", "Value": "reports/"}],
        [{"Name": "prefix", "Value": "rosters/"}],
    ]


def test_the_queue_dead_letters_and_outlasts_the_function(template):
    queue = template["Resources"]["ReportsQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["ReportsDeadLetterQueue", "Arn"]}
    timeout = template["Globals"]["Function"]["Timeout"]
    [event] = template["Resources"]["ProcessReportFunction"]["Properties"]["Events"].values()
    window = event["Properties"]["MaximumBatchingWindowInSeconds"]
    assert queue["VisibilityTimeout"] >= 6 * timeout + window


def test_a_full_batch_fits_the_functions_timeout(template, monkeypatch):
    # Given the settings the function runs with (its environment from the template)
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env({"FINDINGS_TABLE": "t", "NOTICES_TOPIC_ARN": "arn:aws:sns:us-east-1:1:t"} | variables)
    assert settings.limits.max_seconds == float(env(template, "NIANBAO_MAX_SECONDS"))
    [event] = template["Resources"]["ProcessReportFunction"]["Properties"]["Events"].values()
    batch = event["Properties"]["BatchSize"]
    # Then every object of a full batch has its whole budget (the child's hard limit, download,
    # store, notify) within the timeout, with time left for the init
    assert batch * settings.seconds_per_object <= template["Globals"]["Function"]["Timeout"] - 30


def test_a_notice_claim_outlives_the_queues_visibility_and_the_sweep(template):
    lease = int(env(template, "NIANBAO_NOTICE_LEASE_SECONDS"))
    assert lease > template["Resources"]["ReportsQueue"]["Properties"]["VisibilityTimeout"]
    sweeper = template["Resources"]["SweepNoticesFunction"]["Properties"]
    assert sweeper["Timeout"] < lease
    [event] = sweeper["Events"].values()
    assert event == {"Type": "Schedule", "Properties": {"Schedule": "rate(5 minutes)", "Description": ANY}}
    # the grace time is more than a sweep's interval: a delivery in progress is not raced
    assert int(env(template, "NIANBAO_NOTICE_GRACE_SECONDS")) >= 300
    assert Settings.model_fields["notice_lease_seconds"].default == lease


def test_both_queues_are_tls_only(template):
    for name in ("ReportsQueuePolicy", "ReportsDeadLetterQueuePolicy"):
        statement = statements(template["Resources"][name])["TlsOnly"]
        assert (statement["Effect"], statement["Action"]) == ("Deny", "sqs:*")
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": False}}


def test_an_uploader_is_confined_to_its_own_division_prefix(template):
    own = ["reports/${!aws:PrincipalTag/division}/*", "rosters/${!aws:PrincipalTag/division}.csv"]
    [allow] = template["Resources"]["ReportsUploaderPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert (allow["Effect"], allow["Action"]) == ("Allow", "s3:PutObject")
    assert [r["Fn::Sub"].split("/", 1)[1] for r in allow["Resource"]] == own
    [bucket_policy] = resources(template, "AWS::S3::BucketPolicy").values()
    deny = statements(bucket_policy)["DivisionUploadersStayInTheirPrefix"]
    assert (deny["Effect"], deny["Action"]) == ("Deny", "s3:PutObject")
    assert [r["Fn::Sub"].split("/", 1)[1] for r in deny["NotResource"]] == own
    assert deny["Condition"] == {"Null": {"aws:PrincipalTag/division": "false"}}


def test_alarms_go_to_the_operators_never_to_the_offices(template):
    alarms = resources(template, "AWS::CloudWatch::Alarm")
    watched = {a["Properties"]["MetricName"] for a in alarms.values()}
    assert {"ApproximateNumberOfMessagesVisible", "ChecksFailed", "NoticesFailed", "Errors"} <= watched
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "OperatorsTopic"}], name
    # the metrics the handlers emit, in the namespace and dimension Powertools gives them
    assert env(template, "POWERTOOLS_METRICS_NAMESPACE") == "Nianbao"
    dead = alarms["DeadLetterQueueAlarm"]["Properties"]["Dimensions"]
    assert dead == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["ReportsDeadLetterQueue", "QueueName"]}}]


def test_concurrency_is_capped_at_the_event_source_not_by_a_reservation(template):
    function = template["Resources"]["ProcessReportFunction"]["Properties"]
    [event] = function["Events"].values()
    assert event["Properties"]["ScalingConfig"]["MaximumConcurrency"] == 20
    assert "ReservedConcurrentExecutions" not in function  # would throttle messages into the DLQ


def test_the_function_reports_partial_batch_failures_and_uses_the_layer(template):
    function = template["Resources"]["ProcessReportFunction"]["Properties"]
    [event] = function["Events"].values()
    assert event["Type"] == "SQS"
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert function["Layers"] == [{"Ref": "NianbaoLayer"}]
    assert template["Resources"]["NianbaoLayer"]["Properties"]["ContentUri"] == "shared/"


def test_logs_are_kept_for_a_set_time_in_the_stacks_own_group(template):
    groups = resources(template, "AWS::Logs::LogGroup")
    assert all(g["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"} for g in groups.values())
    functions = resources(template, "AWS::Serverless::Function")
    access = template["Resources"]["DashboardApi"]["Properties"]["AccessLogSettings"]["DestinationArn"]
    assert access == {"Fn::GetAtt": ["DashboardApiAccessLogGroup", "Arn"]}  # the API's access log
    named = [f["Properties"]["LoggingConfig"]["LogGroup"]["Ref"] for f in functions.values()]
    assert sorted([*named, "DashboardApiAccessLogGroup"]) == sorted(groups)


def test_the_layer_is_built_with_its_bytecode(template):
    layer = template["Resources"]["NianbaoLayer"]
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert "build-NianbaoLayer:" in (ROOT / "shared" / "Makefile").read_text(encoding="utf-8")
    assert layer["Properties"]["CompatibleRuntimes"] == [template["Globals"]["Function"]["Runtime"]]


def test_the_table_is_on_demand_with_point_in_time_recovery_and_the_indexes_the_store_queries(template):
    table = template["Resources"]["FindingsTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    indexes = {i["IndexName"]: i for i in table["GlobalSecondaryIndexes"]}
    assert set(indexes) == {
        "AllReports", "BodyReports", "Current", "CurrentByStatus", "ByRule", "OpenErrors", "Bodies", "ByNoticeDue",
    }  # fmt: skip
    # the outbox index carries only what the sweeper needs to find a record
    assert indexes["ByNoticeDue"]["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["report_id"]}
    # lists project only what they show, and what the store's row models read
    projected = {n: set(i["Projection"].get("NonKeyAttributes", [])) for n, i in indexes.items()}
    assert projected["AllReports"] == projected["BodyReports"] == set(ReportRow.model_fields)
    assert projected["Current"] == projected["CurrentByStatus"] == set(Current.model_fields) - {
        "previous_report_id", "noticed",
    }  # fmt: skip
    assert projected["ByRule"] == projected["OpenErrors"] == set(FindingRow.model_fields)
    assert indexes["Bodies"]["Projection"] == {"ProjectionType": "ALL"}  # body items are small and whole
    # DynamoDB allows 100 projected attributes over all of a table's indexes
    assert sum(len(p) for p in projected.values()) <= 100


def test_every_skipped_security_check_says_why(template):
    for name, resource in template["Resources"].items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert len(skip.get("comment", "")) > 20, f"{name}: {skip['id']} is skipped without a reason"


@pytest.fixture
def roles(mocked: None) -> dict[str, dict[str, Any]]:
    """Each function's role as the SAM transform makes it."""
    template = load_template(ROOT)
    point_code_at(template, "artifacts")
    translated = translate(template, aws.client)
    return {
        name.removesuffix("Role"): r["Properties"]
        for name, r in translated["Resources"].items()
        if r["Type"] == "AWS::IAM::Role"
    }


def role_statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for p in role.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]


def actions(statement: dict[str, Any]) -> set[str]:
    return set(statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]])


def test_the_functions_roles_reach_only_this_stacks_bucket_table_topic_and_queue(roles):
    assert set(roles) == {
        "ProcessReportFunction", "SweepNoticesFunction", "RecheckReportsFunction", "ReportOverdueFunction",
        "DashboardApiFunction",
    }  # fmt: skip
    for role in roles.values():
        for statement in role_statements(role):
            targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            assert all(t != "*" for t in targets), json.dumps(statement)
    # the managed policies SAM adds, each explained in the template
    managed = {str(m).rsplit("/", 1)[-1] for m in roles["ProcessReportFunction"]["ManagedPolicyArns"]}
    assert managed == {"AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess", "AWSLambdaSQSQueueExecutionRole"}
    text = (ROOT / "template.yaml").read_text(encoding="utf-8")
    assert all(name in text for name in managed)


def test_the_table_policies_list_only_the_actions_the_code_uses(roles):
    used = {
        "ProcessReportFunction": {
            "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:BatchWriteItem",
            "dynamodb:UpdateItem", "dynamodb:Query",
        },
        "SweepNoticesFunction": {"dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:Query"},
        "RecheckReportsFunction": {
            "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:BatchWriteItem",
            "dynamodb:UpdateItem", "dynamodb:Query",
        },
        "ReportOverdueFunction": {
            "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query",
        },
        # reads, and triage's writes (a transaction of Puts, an Update, a batch Put of the finding)
        "DashboardApiFunction": {
            "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem",
            "dynamodb:BatchWriteItem",
        },
    }  # fmt: skip
    for name, role in roles.items():
        granted = set().union(*(actions(s) for s in role_statements(role) if s["Effect"] == "Allow"))
        assert {a for a in granted if a.startswith("dynamodb:")} == used[name], name
        assert not {"dynamodb:DeleteItem", "dynamodb:Scan", "dynamodb:*"} & granted


def test_the_dashboards_writes_are_triage_only_and_its_s3_access_is_narrow(roles):
    statements = {s["Sid"]: s for s in role_statements(roles["DashboardApiFunction"])}
    assert actions(statements["FindingsTableRead"]) == {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"}
    triage = statements["FindingsTableTriage"]
    assert triage["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["BODY#*", "REPORT#*"]}}
    assert not str(triage["Resource"]).endswith("/index/*")  # no writes through indexes (there are none)
    assert actions(statements["ReadOriginals"]) == {"s3:GetObject", "s3:GetObjectVersion"}
    uploads = statements["PageCacheAndUploads"]
    assert actions(uploads) == {"s3:PutObject"}
    assert [r["Fn::Sub"].rsplit("}", 1)[-1] for r in uploads["Resource"]] == ["/dashboard-cache/*", "/reports/*"]


def test_only_the_page_is_open_and_every_api_route_needs_an_office_token(template):
    function = template["Resources"]["DashboardApiFunction"]["Properties"]
    routes = {
        (e["Properties"]["Method"], e["Properties"]["Path"]): e["Properties"] for e in function["Events"].values()
    }
    open_routes = {route for route, props in routes.items() if props.get("Auth", {}).get("Authorizer") == "NONE"}
    assert open_routes == {("GET", "/"), ("GET", "/static/{name}"), ("GET", "/config.json")}
    assert routes[("ANY", "/api/{proxy+}")].get("Auth") is None  # the API's default: the JWT authorizer
    api = template["Resources"]["DashboardApi"]["Properties"]["Auth"]
    assert api["DefaultAuthorizer"] == "OfficeToken"
    jwt = api["Authorizers"]["OfficeToken"]["JwtConfiguration"]
    # Cognito's pool and client, or (the China regions have no Cognito) an issuer of your own
    assert jwt["audience"] == [{"Fn::If": ["UseCognito", {"Ref": "DashboardUserPoolClient"}, {"Ref": "AuthAudience"}]}]
    assert jwt["issuer"]["Fn::If"][0] == "UseCognito"
    assert "cognito-idp" in jwt["issuer"]["Fn::If"][1]["Fn::Sub"]
    assert jwt["issuer"]["Fn::If"][2] == {"Ref": "AuthIssuer"}
    assert {
        template["Resources"][n]["Condition"] for n in template["Resources"] if n.startswith("DashboardUserPool")
    } == {"UseCognito"}
    assert template["Rules"]["ChinaRegionsNeedAnIssuer"]["Assertions"][0]["Assert"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AuthIssuer"}, ""]}]
    }
    pool = template["Resources"]["DashboardUserPool"]["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    client = template["Resources"]["DashboardUserPoolClient"]["Properties"]
    assert "custom:division" in client["ReadAttributes"]
    assert "custom:division" not in client["WriteAttributes"]  # only an administrator sets an office's scope


def test_notices_link_to_the_dashboard_from_every_function_that_sends_them(template):
    for name in ("ProcessReportFunction", "SweepNoticesFunction", "RecheckReportsFunction"):
        variables = template["Resources"][name]["Properties"]["Environment"]["Variables"]
        assert variables["NIANBAO_DASHBOARD_URL"] == template["Outputs"]["DashboardUrl"]["Value"], name
    cors = template["Resources"]["ReportsBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert [rule["AllowedMethods"] for rule in cors] == [["POST"]]
