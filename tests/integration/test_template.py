"""What moto does not enforce is checked here, on template.yaml itself and on its translation:
encryption, versioning, public access, TLS-only, the queue's redrive, partial batch responses,
log retention, and least privilege."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint_all

from nianbao import aws
from nianbao.config import Settings
from nianbao.local.stack import load_template, point_code_at, translate

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(ROOT)


def resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


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
    [statement] = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": False}}
    [queue] = props["NotificationConfiguration"]["QueueConfigurations"]
    assert queue["Event"] == "s3:ObjectCreated:*"
    assert queue["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "reports/"}]


def test_the_queue_dead_letters_and_outlasts_the_function(template):
    queue = template["Resources"]["ReportsQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["ReportsDeadLetterQueue", "Arn"]}
    timeout = template["Globals"]["Function"]["Timeout"]
    [event] = template["Resources"]["ProcessReportFunction"]["Properties"]["Events"].values()
    window = event["Properties"]["MaximumBatchingWindowInSeconds"]
    assert queue["VisibilityTimeout"] >= 6 * timeout + window


def test_an_invocation_has_time_for_the_slowest_file_it_may_start(template):
    settings_seconds = float(template["Globals"]["Function"]["Environment"]["Variables"]["NIANBAO_MAX_SECONDS"])
    assert (
        settings_seconds + Settings.model_fields["overhead_seconds"].default
        < template["Globals"]["Function"]["Timeout"]
    )


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
    [(name, group)] = resources(template, "AWS::Logs::LogGroup").items()
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    function = template["Resources"]["ProcessReportFunction"]["Properties"]
    assert function["LoggingConfig"]["LogGroup"] == {"Ref": name}


def test_the_layer_is_built_with_its_bytecode(template):
    layer = template["Resources"]["NianbaoLayer"]
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert "build-NianbaoLayer:" in (ROOT / "shared" / "Makefile").read_text(encoding="utf-8")
    assert layer["Properties"]["CompatibleRuntimes"] == [template["Globals"]["Function"]["Runtime"]]


def test_the_table_is_on_demand_with_point_in_time_recovery_and_the_indexes_the_store_queries(template):
    table = template["Resources"]["FindingsTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {"ByYear", "ByStatus", "ByRule", "ByBody"}


def test_every_skipped_security_check_says_why(template):
    for name, resource in template["Resources"].items():
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", []):
            assert len(skip.get("comment", "")) > 20, f"{name}: {skip['id']} is skipped without a reason"


def test_the_functions_role_reaches_only_this_stacks_bucket_table_topic_and_queue(mocked):
    template = load_template(ROOT)
    point_code_at(template, "artifacts")
    translated = translate(template, aws.client)
    role = next(r for r in translated["Resources"].values() if r["Type"] == "AWS::IAM::Role")
    statements = [s for p in role["Properties"].get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
    for statement in statements:
        targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        assert all(t != "*" for t in targets), json.dumps(statement)
    # the managed policies SAM adds, each explained in the template
    managed = {str(m).rsplit("/", 1)[-1] for m in role["Properties"]["ManagedPolicyArns"]}
    assert managed == {"AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess", "AWSLambdaSQSQueueExecutionRole"}
    text = (ROOT / "template.yaml").read_text(encoding="utf-8")
    assert all(name in text for name in managed)
