"""The Lambda's configuration: read once from the environment, validated, no silent defaults
for resource names."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

from nianbao.extract.limits import Limits


class ConfigError(RuntimeError):
    """The function is deployed without the settings it needs."""


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    findings_table: str = Field(min_length=1)
    notices_topic_arn: str = Field(pattern=r"^arn:aws[a-z-]*:sns:")
    limits: Limits = Field(default_factory=Limits.from_env)
    # How long a delivery's claim on a notice holds: less than the queue's visibility timeout
    # minus the function's timeout (1805 - 300 s), so that the redelivery of a crashed attempt
    # finds the claim expired.
    notice_lease_seconds: int = 600
    # Beyond the extraction limit, what one object may take: download, store, publish.
    overhead_seconds: float = 20.0

    @property
    def seconds_per_object(self) -> float:
        """The time to keep in hand before starting an object."""
        return self.limits.max_seconds + self.overhead_seconds

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        missing = [name for name in ("FINDINGS_TABLE", "NOTICES_TOPIC_ARN") if not env.get(name)]
        if missing:
            raise ConfigError(f"missing environment variables: {', '.join(missing)}")
        return cls(findings_table=env["FINDINGS_TABLE"], notices_topic_arn=env["NOTICES_TOPIC_ARN"])
