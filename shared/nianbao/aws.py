"""AWS clients, built on first use and reused by warm invocations (none at import time).

One boto3 session makes them all: its loaders read endpoint data and service models once, where
a session per client would read them again for each (~0.12 s of a cold start here;
bench/cold_start.py). Credentials, region and ``AWS_ENDPOINT_URL`` come from the environment as
usual. Tests reset the cache so that each test's moto mock (or server) gets fresh clients; the
demo points every client at its local moto server through ``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

# Throttling and 5xx are retried by botocore itself first (standard mode); what still fails is
# raised, fails the SQS record, and is retried by SQS, then dead-lettered.
_RETRIES = {"mode": "standard", "max_attempts": 4}


@cache
def _session() -> Any:
    import boto3  # noqa: PLC0415 - the offline checker never needs it

    return boto3.session.Session()


@cache
def client(service: str) -> Any:
    from botocore.config import Config  # noqa: PLC0415

    return _session().client(service, config=Config(retries=_RETRIES, connect_timeout=5, read_timeout=60))


def reset() -> None:
    """Forget the clients and the session (tests; a change of endpoint or credentials)."""
    client.cache_clear()
    _session.cache_clear()
