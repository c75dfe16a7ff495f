"""The functions' configuration: read once from the environment, validated, no silent defaults
for resource names."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from nianbao.extract.limits import Limits
from nianbao.isolate import Sandbox


class ConfigError(RuntimeError):
    """The function is deployed without the settings it needs."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    findings_table: str = Field(min_length=1)
    notices_topic_arn: str = Field(pattern=r"^arn:aws[a-z-]*:sns:")
    limits: Limits = Field(default_factory=Limits.from_env)
    # The function's memory (Lambda sets AWS_LAMBDA_FUNCTION_MEMORY_SIZE): what a check's child
    # process may use is derived from it.
    memory_mb: int | None = 1024
    # How long a claim on a notice holds. Longer than the queue's visibility timeout (template.yaml;
    # tests/integration/test_template.py checks it), so that a redelivered message never takes a
    # notice over from a delivery that may still be publishing it; a claim left by a delivery that
    # died is taken by the sweeper once it runs out.
    notice_lease_seconds: int = Field(default=2400, gt=0)
    # How long a stored notice may stay pending before the sweeper sends it (its delivery crashed
    # between storing and publishing, or publishing failed).
    notice_grace_seconds: int = Field(default=300, ge=0)
    # Beyond the check's own wall-clock limit, what one object may take: download, store, publish.
    overhead_seconds: float = 15.0
    # The dashboard (the stack's DashboardUrl): notices link to the report's page there.
    dashboard_url: str | None = Field(default=None, pattern=r"^https?://[A-Za-z0-9.:\[\]-]+(/[A-Za-z0-9._~/-]*)?$")
    # The OCR queue (ProcessReport's only): a scan is handed on there instead of being stored
    # unread (nianbao.handover). Unset where scans are read (OcrReport) or left unread.
    ocr_queue_url: str | None = Field(default=None, pattern=r"^https?://\S+$")

    @property
    def sandbox(self) -> Sandbox:
        return Sandbox(memory_mb=self.memory_mb, seconds=self.limits.max_seconds)

    @property
    def seconds_per_object(self) -> float:
        """The time to keep in hand before starting an object."""
        return self.sandbox.wall_seconds + self.overhead_seconds

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        missing = [name for name in ("FINDINGS_TABLE", "NOTICES_TOPIC_ARN") if not env.get(name)]
        if missing:
            raise ConfigError(f"missing environment variables: {', '.join(missing)}")
        optional = {
            "memory_mb": env.get("NIANBAO_MAX_MEMORY_MB") or env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"),
            "notice_lease_seconds": env.get("NIANBAO_NOTICE_LEASE_SECONDS"),
            "notice_grace_seconds": env.get("NIANBAO_NOTICE_GRACE_SECONDS"),
        }
        return cls(
            findings_table=env["FINDINGS_TABLE"],
            notices_topic_arn=env["NOTICES_TOPIC_ARN"],
            dashboard_url=env.get("NIANBAO_DASHBOARD_URL") or None,
            ocr_queue_url=env.get("NIANBAO_OCR_QUEUE_URL") or None,
            **{name: int(value) for name, value in optional.items() if value},
        )
