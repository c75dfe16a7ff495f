"""template.yaml on moto: translated by aws-sam-translator, created by moto's CloudFormation, then
completed by a small shim for what moto leaves out. The tests and ``nianbao demo`` both use it,
so the resources they exercise are the template's own, never a second definition.

The shim, and why:

* the bucket's NotificationConfiguration and versioning, read from the template: moto's
  CloudFormation creates the bucket without them;
* offices: each is an SQS probe queue subscribed to the notices topic with the filter policy an
  office's email subscription would have (moto accepts email subscriptions but delivers nothing);
* the dashboard's address: moto creates no HTTP API (nor Cognito pool), so the functions' setting
  and the DashboardUrl output name the local dashboard (``nianbao serve``) instead;
* no event source mapping: moto cannot run the function's code without a container runtime, and
  its mapping would silently consume the queue. The caller reads the queue and calls the handler
  (``EventSourceMapping``), each function's under its own environment (``load_function``);
* an image function (OcrReport) is given a placeholder image URI: moto runs no code, so none is
  built; its handler is the one its Dockerfile copies in.

Policies (bucket, queue and topic policies, IAM) are not enforced by moto, and its CloudFormation
skips CloudWatch alarms; they are checked statically (cfn-lint, checkov, tests on the template).
"""

from __future__ import annotations

import io
import json
import os
import re
import time
import warnings
import zipfile
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from nianbao.notify import subscribe

Clients = Callable[[str], Any]


LOCAL_DASHBOARD_URL = "http://127.0.0.1:8000/"  # `nianbao serve`'s default address


@dataclass(frozen=True)
class Office:
    name: str
    division_prefix: str  # "" receives every notice


# A county office, its city and its province (Qinghai: 63 / 6301 Xining / 630122 Huangzhong).
DEFAULT_OFFICES = (
    Office("湟中区政务公开办", "630122"),
    Office("西宁市政务公开办", "6301"),
    Office("青海省政务公开办", "63"),
)


@dataclass(frozen=True)
class FunctionSettings:
    """A function as the stack configured it."""

    name: str
    environment: dict[str, str]
    timeout_seconds: int
    memory_mb: int


@dataclass
class LocalStack:
    name: str
    outputs: dict[str, str]
    functions: dict[str, FunctionSettings]  # by logical id
    probes: dict[str, str] = field(default_factory=dict)  # office name -> probe queue URL

    @property
    def environment(self) -> dict[str, str]:
        """ProcessReport's environment as the stack configured it."""
        return self.functions["ProcessReportFunction"].environment

    @property
    def timeout_seconds(self) -> int:
        """ProcessReport's."""
        return self.functions["ProcessReportFunction"].timeout_seconds

    @property
    def bucket(self) -> str:
        return self.outputs["ReportsBucketName"]

    @property
    def queue_url(self) -> str:
        return self.outputs["ReportsQueueUrl"]

    @property
    def dead_letter_url(self) -> str:
        return self.outputs["ReportsDeadLetterQueueUrl"]

    @property
    def ocr_queue_url(self) -> str:
        return self.outputs["OcrQueueUrl"]


def repository_root() -> Path:
    """The checkout holding template.yaml (the package lives in its shared/ folder)."""
    return Path(__file__).resolve().parents[3]


def _zip(folder: Path, prefix: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*.py")):
            archive.write(path, prefix + str(path.relative_to(folder)))
    return buffer.getvalue()


def translate(template: dict[str, Any], clients: Clients) -> dict[str, Any]:
    """The CloudFormation the SAM transform makes of ``template`` (offline)."""
    from samtranslator.public.translator import ManagedPolicyLoader  # noqa: PLC0415
    from samtranslator.translator.transform import transform  # noqa: PLC0415

    translated: dict[str, Any] = transform(template, {}, ManagedPolicyLoader(clients("iam")))
    return translated


def _is_image(resource: dict[str, Any]) -> bool:
    return bool(resource["Properties"].get("PackageType") == "Image")


def functions(template: dict[str, Any]) -> dict[str, str]:
    """The template's zip functions and their code folders (``CodeUri``), by logical id."""
    return {
        logical: str(resource["Properties"]["CodeUri"])
        for logical, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function" and not _is_image(resource)
    }


def images(template: dict[str, Any]) -> list[str]:
    """The template's container-image functions (OcrReport), by logical id."""
    return [
        logical
        for logical, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function" and _is_image(resource)
    ]


# Where moto's Lambda takes an image function's image to be (it runs no code, so none is built).
LOCAL_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/{repository}:{tag}"


def point_code_at(template: dict[str, Any], bucket: str) -> None:
    """Point the layer's and the functions' code at the zips ``deploy`` uploads, and an image
    function at an image (the SAM transform only takes S3 locations and image URIs; ``sam build``
    does this for a real deployment)."""
    resources = template["Resources"]
    resources["NianbaoLayer"]["Properties"]["ContentUri"] = f"s3://{bucket}/layer.zip"
    for logical in functions(template):
        resources[logical]["Properties"]["CodeUri"] = f"s3://{bucket}/{logical}.zip"
    for logical in images(template):
        resources[logical]["Properties"]["ImageUri"] = LOCAL_IMAGE.format(repository=bucket, tag=logical)


def load_template(root: Path) -> dict[str, Any]:
    from samtranslator.yaml_helper import yaml_parse  # noqa: PLC0415 - understands !Ref, !GetAtt, !Sub

    parsed: dict[str, Any] = yaml_parse((root / "template.yaml").read_text(encoding="utf-8"))
    return parsed


def deploy(
    clients: Clients,
    *,
    root: Path | None = None,
    name: str = "nianbao",
    offices: tuple[Office, ...] = DEFAULT_OFFICES,
    dashboard_url: str = LOCAL_DASHBOARD_URL,
) -> LocalStack:
    """Create the stack of ``root``/template.yaml with ``clients`` (moto) and apply the shim."""
    with warnings.catch_warnings():
        # moto names the policy and alarm resources it skips whenever it reads the stack; they are
        # checked statically instead (see the module's docstring)
        warnings.filterwarnings(
            "ignore",
            message=r"Tried to parse AWS::(\S+Policy|CloudWatch::Alarm|ApiGatewayV2::\S+|Cognito::\S+) "
            r"but it.s not supported",
        )
        return _deploy(clients, root or repository_root(), name, offices, dashboard_url)


def _deploy(clients: Clients, root: Path, name: str, offices: tuple[Office, ...], dashboard_url: str) -> LocalStack:
    template = load_template(root)
    s3 = clients("s3")
    artifacts = f"{name}-artifacts"
    s3.create_bucket(Bucket=artifacts)
    s3.put_object(Bucket=artifacts, Key="layer.zip", Body=_zip(root / "shared" / "nianbao", "python/nianbao/"))
    for logical, folder in functions(template).items():
        s3.put_object(Bucket=artifacts, Key=f"{logical}.zip", Body=_zip(root / folder))
    point_code_at(template, artifacts)
    translated = translate(template, clients)
    for logical, resource in list(translated["Resources"].items()):
        if resource["Type"] == "AWS::Lambda::EventSourceMapping":
            del translated["Resources"][logical]

    cloudformation = clients("cloudformation")
    cloudformation.create_stack(
        StackName=name, TemplateBody=json.dumps(translated), Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
    )
    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"stack {name}: {stack['StackStatus']} {stack.get('StackStatusReason', '')}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    outputs["DashboardUrl"] = dashboard_url
    settings = {
        logical: _settings(clients, name, logical, dashboard_url)
        for logical in [*functions(template), *images(template)]
    }
    local = LocalStack(name, outputs, settings)

    _bucket_shim(clients, name, template, local)
    for index, office in enumerate(offices):
        local.probes[office.name] = _probe(clients, name, index, office, outputs["NoticesTopicArn"])
    return local


def _settings(clients: Clients, stack: str, logical: str, dashboard_url: str) -> FunctionSettings:
    function = clients("lambda").get_function_configuration(FunctionName=_physical(clients, stack, logical))
    environment = dict(function.get("Environment", {}).get("Variables", {}))
    # moto creates no HTTP API, so the dashboard's address in the stack is an unresolved !Sub: the
    # local dashboard (`nianbao serve`) stands in for it
    if "NIANBAO_DASHBOARD_URL" in environment:
        environment["NIANBAO_DASHBOARD_URL"] = dashboard_url
    return FunctionSettings(
        function["FunctionName"], environment, int(function["Timeout"]), int(function.get("MemorySize", 128))
    )


def _physical(clients: Clients, stack: str, logical: str) -> str:
    # list_stack_resources rather than describe_stack_resource: moto's crashes on stacks holding
    # resource types it does not support (the policies here)
    pages = clients("cloudformation").get_paginator("list_stack_resources").paginate(StackName=stack)
    for page in pages:
        for resource in page["StackResourceSummaries"]:
            if resource.get("LogicalResourceId") == logical:
                return str(resource["PhysicalResourceId"])
    raise KeyError(f"{logical} is not a resource of stack {stack}")


def _queue_arn(clients: Clients, stack: str, reference: Any) -> str:
    """The ARN a ``!GetAtt Queue.Arn`` in the template stands for."""
    logical = reference["Fn::GetAtt"][0] if isinstance(reference, dict) else str(reference).split(".")[0]
    url = _physical(clients, stack, logical)
    return str(clients("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def _bucket_shim(clients: Clients, stack: str, template: dict[str, Any], local: LocalStack) -> None:
    properties = template["Resources"]["ReportsBucket"]["Properties"]
    s3 = clients("s3")
    status = properties.get("VersioningConfiguration", {}).get("Status")
    if status:
        s3.put_bucket_versioning(Bucket=local.bucket, VersioningConfiguration={"Status": status})
    queues = []
    for config in properties.get("NotificationConfiguration", {}).get("QueueConfigurations", []):
        rules = config.get("Filter", {}).get("S3Key", {}).get("Rules", [])
        queues.append(
            {
                "QueueArn": _queue_arn(clients, stack, config["Queue"]),
                "Events": [config["Event"]],
                "Filter": {"Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}},
            }
        )
    s3.put_bucket_notification_configuration(
        Bucket=local.bucket, NotificationConfiguration={"QueueConfigurations": queues}
    )


def _probe(clients: Clients, stack: str, index: int, office: Office, topic_arn: str) -> str:
    """An SQS queue standing for an office's email address, subscribed with the same filter."""
    sqs = clients("sqs")
    url = str(sqs.create_queue(QueueName=f"{stack}-office-{index}")["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    subscribe(clients("sns"), topic_arn, "sqs", arn, office.division_prefix)
    return url


def drain(clients: Clients, queue_url: str) -> list[dict[str, Any]]:
    """Every message waiting on a queue, deleted as it is read (a probe's inbox)."""
    sqs = clients("sqs")
    messages: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], AttributeNames=["All"]
        ).get("Messages", [])
        if not batch:
            return messages
        messages.extend(batch)
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
        )


@dataclass(frozen=True)
class LambdaContext:
    """What Lambda passes a handler, enough for Powertools; its clock runs from its creation."""

    function_name: str = "ProcessReportFunction"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:ProcessReportFunction"
    aws_request_id: str = "local"
    timeout_seconds: float = 300
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000))


Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def load_module(root: Path | None = None, function: str = "process_report") -> ModuleType:
    """A function's module (functions/<function>/app.py), imported as Lambda imports it: its
    init runs, so a misconfigured environment fails here."""
    import importlib.util  # noqa: PLC0415

    path = (root or repository_root()) / "functions" / function / "app.py"
    spec = importlib.util.spec_from_file_location(f"{function}_app", path)
    if spec is None or spec.loader is None:
        raise ImportError(path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_handler(root: Path | None = None, function: str = "process_report") -> Handler:
    """A function's real handler (ProcessReport unless named)."""
    handler: Handler = load_module(root, function).handler
    return handler


@contextmanager
def environment(values: dict[str, str], unset: Collection[str] = ()) -> Iterator[None]:
    """``values`` in os.environ for the duration, ``unset`` left out, and what was there before put
    back after."""
    saved = {name: os.environ.get(name) for name in [*values, *unset]}
    for name in unset:
        os.environ.pop(name, None)
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


_IMAGE_HANDLER = re.compile(r"^COPY\s+functions/(?P<folder>\w+)/app\.py\b", re.MULTILINE)


def handler_folder(template: dict[str, Any], logical: str, root: Path | None = None) -> str:
    """The folder under functions/ of a function's handler: its CodeUri, or for an image function
    the handler its Dockerfile copies in."""
    resource = template["Resources"][logical]
    if not _is_image(resource):
        return Path(str(resource["Properties"]["CodeUri"])).name
    dockerfile = (root or repository_root()) / resource["Metadata"]["Dockerfile"]
    match = _IMAGE_HANDLER.search(dockerfile.read_text(encoding="utf-8"))
    if match is None:
        raise ValueError(f"{dockerfile} copies in no functions/<name>/app.py")
    return match["folder"]


def load_function(
    stack: LocalStack, logical: str, root: Path | None = None, overrides: dict[str, str] | None = None
) -> Handler:
    """A function of ``stack`` as Lambda runs it: its module imported, and each call made, under
    its own environment (the other functions' settings left out; ``overrides`` on top, such as a
    quieter log level), so that two functions sharing a handler (ProcessReport and OcrReport) each
    run as configured in one process."""
    from nianbao.pipeline import services_from_env  # noqa: PLC0415

    root = root or repository_root()
    function = stack.functions[logical]
    # and what Lambda's runtime adds: the check's child takes its memory from the function's
    own = function.environment | {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_mb)} | (overrides or {})
    others = {name for f in stack.functions.values() for name in f.environment} - set(own)
    with environment(own, unset=others):
        services_from_env.cache_clear()  # the module's init makes its own
        module = load_module(root, handler_folder(load_template(root), logical, root))
    services_from_env.cache_clear()

    def invoke(event: dict[str, Any], context: Any) -> dict[str, Any]:
        with environment(own, unset=others):
            response: dict[str, Any] = module.handler(event, context)
            return response

    return invoke


@dataclass
class Delivery:
    """One batch handed to the handler, and what came of it."""

    event: dict[str, Any]
    response: dict[str, Any]

    @property
    def failed(self) -> list[str]:
        return [f["itemIdentifier"] for f in self.response.get("batchItemFailures", [])]


class EventSourceMapping:
    """Plays Lambda's SQS event source mapping against a real (moto) queue: receives a batch, calls
    the handler, deletes the records that succeeded and makes the failed ones visible again at once
    (standing in for their visibility timeout running out), so that SQS counts the receive and, past
    maxReceiveCount, dead-letters the message."""

    def __init__(
        self, clients: Clients, queue_url: str, handler: Handler, *, batch_size: int = 10, timeout_seconds: float = 300
    ) -> None:
        self._sqs = clients("sqs")
        self._url = queue_url
        self._arn = self._sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self._handler = handler
        self._batch = batch_size
        self._timeout = timeout_seconds

    def poll(self) -> Delivery | None:
        """One batch, if any message is waiting."""
        messages = self._sqs.receive_message(
            QueueUrl=self._url, MaxNumberOfMessages=self._batch, AttributeNames=["All"], MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return None
        event = {"Records": [self._record(m) for m in messages]}
        try:
            response = self._handler(event, LambdaContext(timeout_seconds=self._timeout))
        except Exception as error:
            response = {
                "batchItemFailures": [{"itemIdentifier": m["MessageId"]} for m in messages],
                "error": str(error),
            }
        delivery = Delivery(event, response)
        for message in messages:
            if message["MessageId"] in delivery.failed:
                self._sqs.change_message_visibility(
                    QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )
            else:
                self._sqs.delete_message(QueueUrl=self._url, ReceiptHandle=message["ReceiptHandle"])
        return delivery

    def run(self, *, most: int = 100) -> list[Delivery]:
        """Poll until the queue is empty (or ``most`` batches)."""
        deliveries = []
        for _ in range(most):
            delivery = self.poll()
            if delivery is None:
                break
            deliveries.append(delivery)
        return deliveries

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}),
            "md5OfBody": message.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": self._arn,
            "awsRegion": self._arn.split(":")[3],
        }
