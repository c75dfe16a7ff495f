"""AWS clients, built on first use and reused by warm invocations (none at import time).

One boto3 session makes them all: its loaders read endpoint data and service models once, where
a session per client would read them again for each (~0.12 s of a cold start here;
bench/cold_start.py). Credentials, region and ``AWS_ENDPOINT_URL`` come from the environment as
usual. Tests reset the cache so that each test's moto mock (or server) gets fresh clients; the
demo points every client at its local moto server through ``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

T = TypeVar("T")

# Throttling and 5xx are retried by botocore itself first (standard mode); what still fails is
# raised, fails the SQS record, and is retried by SQS, then dead-lettered.
_RETRIES = {"mode": "standard", "max_attempts": 4}


@cache
def _session() -> Any:
    import boto3  # noqa: PLC0415 - the offline checker never needs it

    return boto3.session.Session()


@cache
def client(service: str, signature_version: str | None = None) -> Any:
    """A client of ``service``; ``signature_version`` for presigned URLs (s3v4: the only one every
    region takes, China's included)."""
    from botocore.config import Config  # noqa: PLC0415

    config = Config(retries=_RETRIES, connect_timeout=5, read_timeout=60, signature_version=signature_version)
    return _session().client(service, config=config)


def reset() -> None:
    """Forget the clients and the session (tests; a change of endpoint or credentials)."""
    client.cache_clear()
    _session.cache_clear()


# Errors a later attempt can cure: throttling, a service's own failures, a lost connection, a
# transaction that lost a race with another writer. Anything else (a condition that failed, a
# validation error) is an answer, not a fault.
_TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "InternalServerError",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "TransactionConflictException",
        "TransactionInProgressException",
        "SlowDown",
        "RequestTimeout",
        "KMSThrottlingException",
    }
)
_TRANSIENT_REASONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded", "None"})


def is_transient(error: BaseException) -> bool:
    """Whether ``error`` from an AWS call is worth another attempt."""
    from botocore.exceptions import (  # noqa: PLC0415
        ClientError,
        ConnectionClosedError,
        EndpointConnectionError,
        ReadTimeoutError,
    )

    if isinstance(error, EndpointConnectionError | ConnectionClosedError | ReadTimeoutError):
        return True
    if not isinstance(error, ClientError):
        return False
    code = error.response.get("Error", {}).get("Code", "")
    if code == "TransactionCanceledException":
        reasons = [r.get("Code", "None") for r in error.response.get("CancellationReasons") or []]
        # cancelled by a condition (the item exists): final; by a conflict or a throttle: retry
        return bool(reasons) and "ConditionalCheckFailed" not in reasons and set(reasons) <= _TRANSIENT_REASONS
    return code in _TRANSIENT_CODES or error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500


def persist(
    call: Callable[[], T], *, attempts: int = 5, sleep: Callable[[float], None] = time.sleep, base: float = 0.25
) -> T:
    """``call()``, tried again on a transient AWS error, up to ``attempts`` times in all, with
    jittered exponential backoff: for the writes that must not be left to SQS's slow retry (a
    notice marked sent, a result written). botocore's own retries run inside each attempt.

    tenacity is imported only once a call has failed: it costs ~20 ms that a cold start should
    not pay for the common case."""
    try:
        return call()
    except Exception as error:
        if attempts <= 1 or not is_transient(error):
            raise
        sleep(base)
    import tenacity  # noqa: PLC0415

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(attempts - 1),
        wait=tenacity.wait_random_exponential(multiplier=base * 2, max=8),  # "full jitter"
        retry=tenacity.retry_if_exception(is_transient),
        sleep=sleep,
        reraise=True,
    )
    return retrying(call)
