"""How much one file may cost: size, pages and time. Configurable through the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 50 * 1024 * 1024
    max_pages: int = 500
    max_seconds: float = 120.0

    @classmethod
    def from_env(cls) -> Limits:
        """``NIANBAO_MAX_BYTES``, ``NIANBAO_MAX_PAGES``, ``NIANBAO_MAX_SECONDS`` override the defaults."""
        default = cls()
        return cls(
            max_bytes=int(os.environ.get("NIANBAO_MAX_BYTES", default.max_bytes)),
            max_pages=int(os.environ.get("NIANBAO_MAX_PAGES", default.max_pages)),
            max_seconds=float(os.environ.get("NIANBAO_MAX_SECONDS", default.max_seconds)),
        )
