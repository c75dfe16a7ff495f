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
from nianbao.extract import ocr
from nianbao.isolate import _PARENT_RESERVE_MB
from nianbao.local.stack import handler_folder, images, load_template, point_code_at, translate
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
    assert lease > template["Resources"]["OcrQueue"]["Properties"]["VisibilityTimeout"]
    sweeper = template["Resources"]["SweepNoticesFunction"]["Properties"]
    assert sweeper["Timeout"] < lease
    [event] = sweeper["Events"].values()
    assert event == {"Type": "Schedule", "Properties": {"Schedule": "rate(5 minutes)", "Description": ANY}}
    # the grace time is more than a sweep's interval: a delivery in progress is not raced
    assert int(env(template, "NIANBAO_NOTICE_GRACE_SECONDS")) >= 300
    assert Settings.model_fields["notice_lease_seconds"].default == lease


def test_every_queue_is_tls_only(template):
    for name in ("ReportsQueuePolicy", "ReportsDeadLetterQueuePolicy", "OcrQueuePolicy"):
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
    assert {
        "ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage", "ChecksFailed", "NoticesFailed",
        "Errors",
    } <= watched  # fmt: skip
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "OperatorsTopic"}], name
    # the metrics the handlers emit, in the namespace and dimension Powertools gives them
    assert env(template, "POWERTOOLS_METRICS_NAMESPACE") == "Nianbao"
    dead = alarms["DeadLetterQueueAlarm"]["Properties"]["Dimensions"]
    assert dead == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["ReportsDeadLetterQueue", "QueueName"]}}]
    backlog = alarms["OcrBacklogAlarm"]["Properties"]
    assert backlog["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["OcrQueue", "QueueName"]}}]
    # it fires before a scan whose every reading fails has been through all its deliveries
    visibility = template["Resources"]["OcrQueue"]["Properties"]["VisibilityTimeout"]
    assert backlog["Threshold"] < visibility * (template["Parameters"]["MaxReceiveCount"]["Default"] - 1)


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
    functions = resources(template, "AWS::Serverless::Function")
    runtimes = {f["Properties"].get("Runtime") for name, f in functions.items() if name not in images(template)}
    assert [layer["Properties"]["CompatibleRuntimes"][0]] == list(runtimes) == ["python3.12"]


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
        "ProcessReportFunction", "OcrReportFunction", "SweepNoticesFunction", "RecheckReportsFunction",
        "ReportOverdueFunction", "DashboardApiFunction",
    }  # fmt: skip
    for role in roles.values():
        for statement in role_statements(role):
            targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            assert all(t != "*" for t in targets), json.dumps(statement)
    # the managed policies SAM adds, each explained in the template
    managed = {str(m).rsplit("/", 1)[-1] for m in roles["ProcessReportFunction"]["ManagedPolicyArns"]}
    assert managed == {"AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess", "AWSLambdaSQSQueueExecutionRole"}
    assert {str(m).rsplit("/", 1)[-1] for m in roles["OcrReportFunction"]["ManagedPolicyArns"]} == managed
    text = (ROOT / "template.yaml").read_text(encoding="utf-8")
    assert all(name in text for name in managed)


def test_the_table_policies_list_only_the_actions_the_code_uses(roles):
    used = {
        "ProcessReportFunction": {
            "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:BatchWriteItem",
            "dynamodb:UpdateItem", "dynamodb:Query",
        },
        # the same use case as ProcessReport, on the scans it hands on
        "OcrReportFunction": {
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
    for name in ("ProcessReportFunction", "OcrReportFunction", "SweepNoticesFunction", "RecheckReportsFunction"):
        variables = template["Resources"][name]["Properties"]["Environment"]["Variables"]
        assert variables["NIANBAO_DASHBOARD_URL"] == template["Outputs"]["DashboardUrl"]["Value"], name
    cors = template["Resources"]["ReportsBucket"]["Properties"]["CorsConfiguration"]["CorsRules"]
    assert [rule["AllowedMethods"] for rule in cors] == [["POST"]]


# --- scans: handed on to OcrReport --------------------------------------------------------------


def test_scans_are_handed_on_to_the_ocr_function_by_the_functions_without_ocr(template, roles):
    functions = template["Resources"]
    for name in ("ProcessReportFunction", "RecheckReportsFunction"):
        variables = functions[name]["Properties"]["Environment"]["Variables"]
        assert (variables["NIANBAO_OCR"], variables["NIANBAO_OCR_QUEUE_URL"]) == ("off", {"Ref": "OcrQueue"}), name
        hand = {s.get("Sid"): s for s in role_statements(roles[name])}["HandScansToOcr"]
        assert (actions(hand), hand["Resource"]) == ({"sqs:SendMessage"}, {"Fn::GetAtt": ["OcrQueue", "Arn"]})
    # OcrReport reads them and stores what it reads: it hands nothing on, and OCR is not off
    ocr_function = functions["OcrReportFunction"]["Properties"]
    assert not {"NIANBAO_OCR", "NIANBAO_OCR_QUEUE_URL"} & set(ocr_function["Environment"]["Variables"])
    assert not any("sqs:SendMessage" in actions(s) for s in role_statements(roles["OcrReportFunction"]))
    [event] = ocr_function["Events"].values()
    assert event["Type"] == "SQS"
    assert event["Properties"]["Queue"] == {"Fn::GetAtt": ["OcrQueue", "Arn"]}
    assert event["Properties"]["BatchSize"] == 1
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert "ReservedConcurrentExecutions" not in ocr_function


def test_a_scan_that_keeps_failing_ends_in_the_reports_dead_letter_queue_under_its_alarm(template):
    queue = template["Resources"]["OcrQueue"]["Properties"]
    reports = template["Resources"]["ReportsQueue"]["Properties"]
    assert queue["RedrivePolicy"] == reports["RedrivePolicy"]  # the same DLQ, alarm and redrive
    assert queue["SqsManagedSseEnabled"] is reports["SqsManagedSseEnabled"] is True  # as a shared DLQ requires
    timeout = template["Resources"]["OcrReportFunction"]["Properties"].get(
        "Timeout", template["Globals"]["Function"]["Timeout"]
    )
    assert queue["VisibilityTimeout"] >= 6 * timeout


def test_a_scan_fits_the_ocr_functions_time_and_memory(template, monkeypatch):
    function = template["Resources"]["OcrReportFunction"]["Properties"]
    variables = template["Globals"]["Function"]["Environment"]["Variables"] | function["Environment"]["Variables"]
    for name, value in variables.items():
        if isinstance(value, str):
            monkeypatch.setenv(name, value)
    settings = Settings.from_env(
        {
            "FINDINGS_TABLE": "t",
            "NOTICES_TOPIC_ARN": "arn:aws:sns:us-east-1:1:t",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function["MemorySize"]),
        }
    )
    assert settings.limits.max_seconds == 300
    timeout = function.get("Timeout", template["Globals"]["Function"]["Timeout"])
    assert settings.seconds_per_object <= timeout - 30  # one scan, with time for the init
    # what the check's child may use, after a handler process of about 200 MB, is what OCR needs
    assert function["MemorySize"] - 200 - _PARENT_RESERVE_MB >= ocr.MEMORY_MB


def test_the_ocr_image_ships_the_process_report_handler_the_package_and_the_ocr_lock(template):
    assert images(template) == ["OcrReportFunction"]
    metadata = template["Resources"]["OcrReportFunction"]["Metadata"]
    assert metadata["DockerContext"] == "."
    dockerfile = (ROOT / metadata["Dockerfile"]).read_text(encoding="utf-8")
    instructions = [
        line.split()[0]
        for line in dockerfile.splitlines()
        if line and not line[0].isspace() and not line.startswith("#")
    ]
    assert instructions[0] == "FROM"
    assert instructions[-1] == "CMD"
    assert "FROM public.ecr.aws/lambda/python:3.12\n" in dockerfile  # the zip functions' runtime
    assert handler_folder(template, "OcrReportFunction", ROOT) == "process_report"
    assert 'CMD ["app.handler"]' in dockerfile
    assert "--require-hashes" in dockerfile
    assert "-r /tmp/requirements-ocr.lock" in dockerfile
    assert "COPY shared/nianbao ${LAMBDA_TASK_ROOT}/nianbao" in dockerfile
    # the build context takes in what the Dockerfile copies, and nothing else
    lines = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    ignored = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    copied = {line.split()[1] for line in dockerfile.splitlines() if line.startswith("COPY ")}
    assert copied == {"shared/requirements-ocr.lock", "shared/nianbao", "functions/process_report/app.py"}
    assert {f"!{path}" + ("/" if not path.endswith((".py", ".lock")) else "") for path in copied} <= set(ignored)
    assert ignored[0] == "*"
