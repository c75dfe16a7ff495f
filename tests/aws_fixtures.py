"""moto fixtures shared by the integration and end-to-end tests: fake credentials set before any
client exists, a fresh mock per test, the stack deployed from template.yaml itself."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from nianbao import aws
from nianbao.local.stack import LocalStack, deploy
from nianbao.pipeline import services_from_env

REGION = "us-east-1"


@pytest.fixture(autouse=True)
def _fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SECURITY_TOKEN": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "POWERTOOLS_SERVICE_NAME": "nianbao",
        "POWERTOOLS_METRICS_NAMESPACE": "Nianbao",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def mocked() -> Iterator[None]:
    aws.reset()
    services_from_env.cache_clear()
    with mock_aws():
        yield
    aws.reset()
    services_from_env.cache_clear()


@pytest.fixture
def stack(mocked: None, monkeypatch: pytest.MonkeyPatch) -> LocalStack:
    """The template's stack on moto, and the function's environment as it configures it."""
    local = deploy(aws.client)
    for name, value in local.environment.items():
        monkeypatch.setenv(name, value)
    return local
